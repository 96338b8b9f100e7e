"""Telegram callbacks, and :func:`register_handlers`, the one place they are wired up.

Three kinds of chats:

* a worker's private chat – text, commands and button presses go to Rasa (or, during a
  hand-off, to the operators), in the worker's own lane (:mod:`bot.flood`);
* the operators' group (``TELEGRAM_OPERATOR_CHAT_ID``) – ticket replies and staff commands;
* any other group – one polite message, then the bot leaves.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import buttons, handoff, relay, tickets
from bot.context import SERVICES_KEY, BotContext, Services, Worker
from bot.send import send_text
from common import texts

log = logging.getLogger(__name__)

T = TypeVar("T")
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
Work = Callable[[], Awaitable[None]]

#: Worker commands and what they send to Rasa (``None``: answered by the front end). Their
#: labels in the command menu are ``texts.WORKER_COMMAND_MENU``.
WORKER_COMMANDS: dict[str, str | None] = {
    "start": "/greet",
    "help": None,
    "human": texts.HUMAN_BUTTON["payload"],
    "cancel": "/stop",
    "mydata": "/my_data",
}
#: Message fields that make a message "not text", looked at in this order: a venue also
#: carries a location, an animation a document, so the more specific field comes first.
#: What operators read for each is ``texts.MEDIA_KIND_NAMES``.
MEDIA_FIELDS = (
    "sticker",
    "photo",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
)
#: Never copied to the operators' group: a contact card is a phone number.
NOT_RELAYED = {"contact"}


def media_kind(message: Message) -> str:
    """What the message is, as the operators read it (``图片``, ``语音``…)."""
    field = next((name for name in MEDIA_FIELDS if getattr(message, name, None)), None)
    return texts.MEDIA_KIND_NAMES[field] if field else texts.MEDIA_KIND_OTHER


def _required(value: T | None, what: str) -> T:
    """A part the handler's filters guarantee; its absence is a wiring bug, not a user's doing."""
    if value is None:
        raise TypeError(f"this handler needs an update with {what}")
    return value


def _message(update: Update) -> Message:
    return _required(update.effective_message, "a message")


def _worker(update: Update) -> Worker:
    user = _required(update.effective_user, "a user")
    chat = _required(update.effective_chat, "a chat")
    return Worker.from_user(user, chat.id)


async def _in_lane(context: BotContext, worker: Worker, work: Work) -> None:
    async def slow_down() -> None:
        await context.bot.send_message(worker.chat_id, texts.SLOW_DOWN)

    await context.services.gate.run(worker.user_id, work, slow_down)


# --- worker side --------------------------------------------------------------------------


async def on_command(update: Update, context: BotContext) -> None:
    """/start /human /cancel /mydata (and /help) in a private chat."""
    worker = _worker(update)
    command = (_message(update).text or "").split()[0].lstrip("/").split("@")[0].lower()
    payload = WORKER_COMMANDS[command]

    async def work() -> None:
        svc = context.services
        ticket = tickets.live_for_user(svc.db, worker.user_id)
        if ticket is not None and ticket.is_pending:  # asked for a person; not with them yet
            if command == "cancel" and await handoff.withdraw_request(context, ticket):
                return
            ticket = None  # meanwhile the worker is with the bot
        if payload is None:
            await send_text(context.bot, worker.chat_id, texts.CHAT_HELP, html=False)
        elif ticket is not None:
            if command == "cancel":
                await handoff.close_ticket(context, ticket, by_worker=True)
            elif command == "human":
                await send_text(context.bot, worker.chat_id, texts.HANDOFF_ALREADY_OPEN)
            else:
                await send_text(context.bot, worker.chat_id, texts.HANDOFF_IN_TICKET_COMMAND)
        else:
            await relay.converse(context, worker, payload)

    await _in_lane(context, worker, work)


async def on_text(update: Update, context: BotContext) -> None:
    worker = _worker(update)
    text = _message(update).text or ""

    async def work() -> None:
        await relay.converse(context, worker, text, _message(update).message_id)

    await _in_lane(context, worker, work)


async def on_unknown_command(update: Update, context: BotContext) -> None:
    worker = _worker(update)
    text = _message(update).text or ""

    async def work() -> None:
        ticket = tickets.open_for_user(context.services.db, worker.user_id)
        if ticket is not None:  # during a hand-off, "/..." is just text for the person
            await handoff.relay_worker_text(context, ticket, worker, text, _message(update).message_id)
        else:
            await send_text(context.bot, worker.chat_id, texts.UNKNOWN_COMMAND, html=False)

    await _in_lane(context, worker, work)


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, video, documents, locations, contacts…"""
    worker = _worker(update)
    message = _message(update)
    kind = media_kind(message)

    async def work() -> None:
        ticket = tickets.open_for_user(context.services.db, worker.user_id)
        if ticket is None:
            await send_text(context.bot, worker.chat_id, texts.TEXT_ONLY, html=False)
        elif any(getattr(message, attr, None) for attr in NOT_RELAYED):
            await handoff.relay_worker_text(context, ticket, worker, texts.RELAY_NOT_SHARED.format(kind=kind))
            await send_text(context.bot, worker.chat_id, texts.CONTACT_NOT_RELAYED, html=False)
        else:
            await handoff.relay_worker_message(context, ticket, worker, message, kind)

    await _in_lane(context, worker, work)


async def on_edited(update: Update, context: BotContext) -> None:
    worker = _worker(update)

    async def work() -> None:
        await send_text(context.bot, worker.chat_id, texts.MESSAGE_EDITED, html=False)

    await _in_lane(context, worker, work)


async def on_button(update: Update, context: BotContext) -> None:
    """Answer first, spend the keyboard, then send the payload to Rasa in the worker's lane."""
    query = _required(update.callback_query, "a button press")
    svc = context.services
    pressed = buttons.press(svc.db, query.from_user.id, query.data, svc.now())
    if pressed is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    await query.answer()
    await _remove_keyboard(query, pressed.title)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    worker = _worker(update)

    async def work() -> None:
        ticket = tickets.open_for_user(svc.db, worker.user_id)
        if ticket is not None and pressed.payload != texts.HUMAN_BUTTON["payload"]:
            await send_text(context.bot, worker.chat_id, texts.BUTTON_IN_TICKET, html=False)
        elif ticket is not None:
            await send_text(context.bot, worker.chat_id, texts.HANDOFF_ALREADY_OPEN)
        else:
            await relay.converse(context, worker, pressed.payload)

    await _in_lane(context, worker, work)


async def _remove_keyboard(query: CallbackQuery, title: str) -> None:
    """Edit the keyboard away (showing the choice) so it cannot be pressed twice."""
    message = query.message
    try:
        if isinstance(message, Message) and message.text:
            await query.edit_message_text(
                f"{message.text_html}\n\n{html.escape(texts.BUTTON_CHOSEN.format(title=title))}",
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
            return
    except BadRequest as exc:  # e.g. too long with the note added
        log.info("editMessageText failed (%s); removing the keyboard only", exc)
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:  # already gone, or the message is too old
        log.info("Could not remove a keyboard: %s", exc)


# --- operators' group ---------------------------------------------------------------------


async def _is_operator(update: Update, context: BotContext) -> bool:
    return await context.services.operators.is_operator(context.bot, update.effective_user, update.effective_message)


async def _in_operator_lane(update: Update, context: BotContext, work: Work) -> None:
    """One operator's messages reach the worker in the order they were written."""
    message = _message(update)
    sender = message.sender_chat or update.effective_user
    await context.services.ops_lanes.run(sender.id if sender else 0, work)


async def on_operator_message(update: Update, context: BotContext) -> None:
    message = _message(update)

    async def work() -> None:
        ticket = handoff.resolve_ticket(context.services, message)
        if ticket is None:
            return  # operators talking among themselves
        if not await _is_operator(update, context):
            return  # only operators may answer
        await handoff.relay_operator_message(context, ticket, message)

    await _in_operator_lane(update, context, work)


async def on_done(update: Update, context: BotContext) -> None:
    message = _message(update)
    svc = context.services

    async def work() -> None:
        if not await _is_operator(update, context):
            await message.reply_text(texts.DONE_REFUSED)
            return
        ticket = handoff.resolve_ticket(svc, message)
        if ticket is None and context.args and context.args[0].lstrip("#").isdigit():
            ticket = tickets.get(svc.db, int(context.args[0].lstrip("#")))
        if ticket is None:
            await message.reply_text(texts.DONE_WHERE)
            return
        if not await handoff.close_ticket(context, ticket, operator=update.effective_user):
            await message.reply_text(texts.TICKET_ALREADY_CLOSED.format(id=ticket.id))

    await _in_operator_lane(update, context, work)


async def on_tickets(update: Update, context: BotContext) -> None:
    await _answer_operator(update, context, handoff.open_tickets_text)


async def on_stats(update: Update, context: BotContext) -> None:
    await _answer_operator(update, context, handoff.stats_text)


async def _answer_operator(update: Update, context: BotContext, view: Callable[[Services], str]) -> None:
    """A staff command's answer, in the topic it was asked in; nothing for non-operators."""
    if not await _is_operator(update, context):
        return
    message = _message(update)
    thread_id = message.message_thread_id if message.is_topic_message else None
    await send_text(context.bot, message.chat_id, view(context.services), html=False, message_thread_id=thread_id)


async def on_operator_help(update: Update, context: BotContext) -> None:
    if await _is_operator(update, context):
        await _message(update).reply_text(texts.OPERATOR_HELP)


# --- other groups -------------------------------------------------------------------------


async def on_foreign_group(update: Update, context: BotContext) -> None:
    """Someone added the bot to a group: say where it works, once, and leave."""
    chat = _required(update.effective_chat, "a chat")
    if update.my_chat_member is not None:
        new_status = update.my_chat_member.new_chat_member.status
        if new_status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            return  # we were removed (or left ourselves)
    try:
        await context.bot.send_message(chat.id, texts.GROUP_NOT_SUPPORTED)
    except TelegramError as exc:
        log.info("Could not post in group %s: %s", chat.id, exc)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        log.info("Could not leave group %s: %s", chat.id, exc)


# --- errors -------------------------------------------------------------------------------


async def on_error(update: object, context: BotContext) -> None:
    """Log every error; tell the worker something went wrong instead of leaving them waiting."""
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass
    if chat is not None and chat.type == ChatType.PRIVATE:
        try:
            await context.bot.send_message(chat.id, texts.HANDLING_FAILED)
        except TelegramError:
            log.exception("Could not send the apology either")


def register_handlers(
    application: Application[Any, BotContext, Any, Any, Any, Any], operator_chat_id: int | None
) -> None:
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE

    if operator_chat_id is not None:
        ops = filters.Chat(chat_id=operator_chat_id) & new_message
        application.add_handler(CommandHandler("done", on_done, filters=ops))
        application.add_handler(CommandHandler("tickets", on_tickets, filters=ops))
        application.add_handler(CommandHandler("stats", on_stats, filters=ops))
        application.add_handler(CommandHandler("help", on_operator_help, filters=ops))
        application.add_handler(MessageHandler(ops & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_operator_message))
        foreign = filters.ChatType.GROUPS & ~filters.Chat(chat_id=operator_chat_id)
    else:
        foreign = filters.ChatType.GROUPS
    application.add_handler(
        ChatMemberHandler(_only_groups(on_foreign_group, operator_chat_id), ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(foreign & new_message & ~filters.StatusUpdate.ALL, on_foreign_group))

    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_edited))
    application.add_handler(CommandHandler(list(WORKER_COMMANDS), on_command, filters=private & new_message))
    application.add_handler(MessageHandler(private & new_message & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(private & new_message & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(private & new_message & ~filters.StatusUpdate.ALL, on_other_message))
    application.add_handler(CallbackQueryHandler(on_button))
    services: Services = application.bot_data[SERVICES_KEY]
    application.add_handler(services.notifications.handler())  # queued registry messages
    application.add_error_handler(on_error)


def _only_groups(callback: Callback, operator_chat_id: int | None) -> Callback:
    """my_chat_member updates: react only for groups other than the operators' group."""

    async def wrapped(update: Update, context: BotContext) -> None:
        chat = update.effective_chat
        if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return
        if chat.id == operator_chat_id:
            return
        await callback(update, context)

    return wrapped
