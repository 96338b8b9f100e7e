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

from telegram import Message, Update
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

from bot import buttons, handoff, relay, texts, tickets
from bot.context import SERVICES_KEY, BotContext, Worker
from bot.outbox import send_text

log = logging.getLogger(__name__)

#: Worker commands and what they send to Rasa (``None``: answered by the front end).
WORKER_COMMANDS = {
    "start": ("/greet", "主菜单"),
    "help": (None, "帮助"),
    "human": ("/request_human", "转人工客服"),
    "cancel": ("/stop", "取消当前操作"),
    "mydata": ("/my_data", "查看我的个人资料"),
}
OPERATOR_COMMANDS = {
    "tickets": "待处理工单",
    "stats": "今日统计",
    "done": "结束工单",
    "help": "工作人员帮助",
}
MEDIA_KINDS = (
    ("sticker", "贴纸"),
    ("photo", "图片"),
    ("voice", "语音"),
    ("video_note", "视频消息"),
    ("video", "视频"),
    ("animation", "动图"),
    ("audio", "音频"),
    ("document", "文件"),
    ("venue", "地点"),
    ("location", "位置"),
    ("contact", "名片"),
    ("poll", "投票"),
    ("dice", "骰子"),
)
#: Never copied to the operators' group: a contact card is a phone number.
NOT_RELAYED = {"contact"}


def media_kind(message: Message) -> str:
    return next((label for attr, label in MEDIA_KINDS if getattr(message, attr, None)), "消息")


def _worker(update: Update) -> Worker:
    return Worker.from_user(update.effective_user, update.effective_chat.id)


async def _in_lane(context: BotContext, worker: Worker, work) -> None:
    async def slow_down() -> None:
        await context.bot.send_message(worker.chat_id, texts.SLOW_DOWN)

    await context.services.gate.run(worker.user_id, work, slow_down)


# --- worker side --------------------------------------------------------------------------


async def on_command(update: Update, context: BotContext) -> None:
    """/start /human /cancel /mydata (and /help) in a private chat."""
    worker = _worker(update)
    command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0].lower()

    async def work() -> None:
        svc = context.services
        ticket = tickets.open_for_user(svc.db, worker.user_id)
        if command == "help":
            await send_text(context.bot, worker.chat_id, texts.HELP, html=False)
        elif ticket is not None:
            if command == "cancel":
                await handoff.close_ticket(context, ticket, by_worker=True)
            elif command == "human":
                await send_text(context.bot, worker.chat_id, texts.HANDOFF_ALREADY_OPEN)
            else:
                await send_text(context.bot, worker.chat_id, texts.HANDOFF_IN_TICKET_COMMAND)
        else:
            await relay.converse(context, worker, WORKER_COMMANDS[command][0])

    await _in_lane(context, worker, work)


async def on_text(update: Update, context: BotContext) -> None:
    worker = _worker(update)
    text = update.effective_message.text

    async def work() -> None:
        await relay.converse(context, worker, text)

    await _in_lane(context, worker, work)


async def on_unknown_command(update: Update, context: BotContext) -> None:
    worker = _worker(update)

    async def work() -> None:
        ticket = tickets.open_for_user(context.services.db, worker.user_id)
        if ticket is not None:  # during a hand-off, "/..." is just text for the person
            await handoff.relay_worker_text(context, ticket, worker, update.effective_message.text)
        else:
            await send_text(context.bot, worker.chat_id, texts.UNKNOWN_COMMAND, html=False)

    await _in_lane(context, worker, work)


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, video, documents, locations, contacts…"""
    worker = _worker(update)
    message = update.effective_message
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
        await send_text(context.bot, worker.chat_id, texts.EDITED, html=False)

    await _in_lane(context, worker, work)


async def on_button(update: Update, context: BotContext) -> None:
    """Answer first, spend the keyboard, then send the payload to Rasa in the worker's lane."""
    query = update.callback_query
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
        if ticket is not None and pressed.payload != texts.HUMAN_PAYLOAD:
            await send_text(context.bot, worker.chat_id, texts.BUTTON_IN_TICKET, html=False)
        elif ticket is not None:
            await send_text(context.bot, worker.chat_id, texts.HANDOFF_ALREADY_OPEN)
        else:
            await relay.converse(context, worker, pressed.payload)

    await _in_lane(context, worker, work)


async def _remove_keyboard(query, title: str) -> None:
    """Edit the keyboard away (showing the choice) so it cannot be pressed twice."""
    message = query.message
    try:
        if isinstance(message, Message) and message.text:
            await query.edit_message_text(
                f"{message.text_html}\n\n{html.escape(texts.CHOSEN.format(title=title))}",
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


async def _in_operator_lane(update: Update, context: BotContext, work) -> None:
    """One operator's messages reach the worker in the order they were written."""
    message = update.effective_message
    sender = message.sender_chat or update.effective_user
    await context.services.ops_lanes.run(sender.id if sender else 0, work)


async def on_operator_message(update: Update, context: BotContext) -> None:
    message = update.effective_message

    async def work() -> None:
        ticket = handoff.resolve_ticket(context.services, message)
        if ticket is None:
            return  # operators talking among themselves
        if not await _is_operator(update, context):
            return  # only operators may answer
        await handoff.relay_operator_message(context, ticket, message)

    await _in_operator_lane(update, context, work)


async def on_done(update: Update, context: BotContext) -> None:
    message = update.effective_message
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
    if await _is_operator(update, context):
        await send_text(
            context.bot,
            update.effective_chat.id,
            handoff.open_tickets_text(context.services),
            html=False,
            **_same_topic(update.effective_message),
        )


async def on_stats(update: Update, context: BotContext) -> None:
    if await _is_operator(update, context):
        await send_text(
            context.bot,
            update.effective_chat.id,
            handoff.stats_text(context.services),
            html=False,
            **_same_topic(update.effective_message),
        )


async def on_operator_help(update: Update, context: BotContext) -> None:
    if await _is_operator(update, context):
        await update.effective_message.reply_text(texts.OPERATOR_HELP)


def _same_topic(message: Message) -> dict:
    if message.is_topic_message and message.message_thread_id:
        return {"message_thread_id": message.message_thread_id}
    return {}


# --- other groups -------------------------------------------------------------------------


async def on_foreign_group(update: Update, context: BotContext) -> None:
    """Someone added the bot to a group: say where it works, once, and leave."""
    chat = update.effective_chat
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
            await context.bot.send_message(chat.id, texts.ERROR_APOLOGY)
        except TelegramError:
            log.exception("Could not send the apology either")


def register_handlers(application: Application, operator_chat_id: int | None) -> None:
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
    notifications = application.bot_data[SERVICES_KEY].notifications
    if notifications is not None:  # queued registry messages (a custom update type)
        application.add_handler(notifications.handler())
    application.add_error_handler(on_error)


def _only_groups(callback, operator_chat_id: int | None):
    """my_chat_member updates: react only for groups other than the operators' group."""

    async def wrapped(update: Update, context: BotContext) -> None:
        chat = update.effective_chat
        if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return
        if chat.id == operator_chat_id:
            return
        await callback(update, context)

    return wrapped
