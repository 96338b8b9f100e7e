"""A small Telegram Bot API server for tests: no internet, PTB's real HTTP path.

Point PTB at it with ``base_url=fake.base_url`` (``http://127.0.0.1:<port>/bot``). It implements
the methods the bot uses, records every call (:attr:`FakeBotApi.calls`), keeps the messages it
"delivered" so tests can press their buttons, serves ``getUpdates`` by long-polling a queue
the test pushes updates into (:meth:`push` and the ``user_*`` helpers), and can answer 429
(with ``retry_after``) or 5xx for the next N calls (:meth:`fail_next`).

Like Telegram it rejects texts over 4096 UTF-16 units, captions over 1024, callback data
over 64 bytes, edits of unknown messages, and a callback query answered twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 900000001,
    "is_bot": True,
    "first_name": "工会小助手",
    "username": "uh_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": True,
    "supports_inline_queries": False,
}
# Values PTB sends as plain strings (everything else arrives JSON-encoded).
STRING_PARAMS = {
    "text",
    "caption",
    "name",
    "callback_query_id",
    "url",
    "secret_token",
    "photo",
    "action",
    "parse_mode",
    "description",
    "title",
    "icon_custom_emoji_id",
}
ANSWERED = object()
#: The ``date`` of every message (the front end keeps its own clock; none reads this).
MESSAGE_DATE = 1_794_794_400  # 2026-11-16 10:00 in Ningbo


def tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str) -> str:
    parser = _TextOf()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Fault:
    remaining: int
    status: int
    methods: set[str] | None
    retry_after: int | None
    chat_id: int | None = None  # only calls for this chat
    garbled: bool = False  # answer 200 with a result PTB cannot parse


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self._updates: list[dict[str, Any]] = []
        # Like Telegram's, unique across fakes (tests share a database of handled updates).
        self._update_ids = itertools.count(random.randint(1, 1 << 30))
        self._message_ids: dict[int, itertools.count] = {}
        self._thread_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._callbacks: dict[str, Any] = {}
        self._faults: list[Fault] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        #: Webhook mode (:meth:`use_webhooks`): updates are POSTed to these front ends in turn,
        #: the next one tried when one does not answer 200 (Telegram's retry behind a load
        #: balancer); every attempt is recorded in ``webhook_attempts``.
        self.webhook_targets: list[str] = []
        self.webhook_secret = ""
        self.webhook_attempts: list[tuple[int, str, int | str]] = []
        self._next_target = 0
        self._webhook_tasks: set[asyncio.Task] = set()
        #: Seconds each call of a method takes before it is answered (a slow Telegram).
        self.latency: dict[str, float] = {}

    # --- server ---------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])
        status, body = 200, None
        fault = self._take_fault(method, params)
        if fault is not None and fault.garbled:
            status, body = 200, {"ok": True, "result": "garbled"}  # not what PTB expects
        elif fault is not None:
            status = fault.status
            if fault.status == 429:
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                }
            else:
                descriptions = {
                    400: "Bad Request: not enough rights",
                    403: "Forbidden: bot was blocked by the user",
                    502: "Bad Gateway",
                    503: "Service Unavailable",
                }
                body = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": descriptions.get(fault.status, "Internal Server Error"),
                }
        else:
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            else:
                try:
                    result = handler(params)
                    if asyncio.iscoroutine(result):
                        result = await result
                    body = {"ok": True, "result": result}
                except ApiError as exc:
                    status = exc.status
                    body = {"ok": False, "error_code": exc.status, "description": exc.description}
                    if exc.parameters:
                        body["parameters"] = exc.parameters
        if method != "getUpdates" or params.get("timeout") == 0 or (body and body.get("result")):
            self.calls.append(Call(method, params, status))
            async with self._changed:
                self._changed.notify_all()
        return web.json_response(body, status=status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        raw = await request.post()
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if not isinstance(value, str):
                params[key] = "<file>"
                if isinstance(value, web.FileField):  # an upload (sendDocument): what was sent
                    params[f"{key}_file"] = {"filename": value.filename, "content": value.file.read()}
            elif key in STRING_PARAMS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.methods is None or method in fault.methods):
                if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                    continue
                fault.remaining -= 1
                return fault
        return None

    # --- test controls --------------------------------------------------------------------

    def garble_next(self, times: int, *, methods: set[str] | str, chat_id: int | None = None) -> None:
        """Answer the next ``times`` calls of ``methods`` (for ``chat_id``) with ``ok`` and a
        result PTB cannot parse: the client raises something that is not a TelegramError."""
        self._faults.append(Fault(times, 200, {methods} if isinstance(methods, str) else methods, None, chat_id, True))

    def fail_next(
        self,
        times: int,
        status: int = 429,
        *,
        methods: set[str] | str | None = None,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls (of ``methods``, for ``chat_id``; getUpdates
        excluded) with an error."""
        if isinstance(methods, str):
            methods = {methods}
        if methods is None:
            methods = {
                "sendMessage",
                "sendPhoto",
                "sendDocument",
                "copyMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "answerCallbackQuery",
                "createForumTopic",
                "sendChatAction",
                "getChat",
                "getChatMember",
                "closeForumTopic",
            }
        self._faults.append(Fault(times, status, methods, retry_after, chat_id))

    def add_group(self, chat_id: int, title: str = "群", *, forum: bool = False) -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        self.members[(chat_id, user_id)] = status

    def use_webhooks(self, targets: list[str], secret: str) -> None:
        """From now on POST every update to ``targets`` (front ends in webhook mode)."""
        self.webhook_targets = list(targets)
        self.webhook_secret = secret

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook_targets:
            task = asyncio.get_running_loop().create_task(self._deliver_webhook(update))
            self._webhook_tasks.add(task)
            task.add_done_callback(self._webhook_tasks.discard)
            return update
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    def redeliver(self, update: dict[str, Any], target: str | None = None) -> None:
        """Deliver an update again (Telegram does when it got no answer in time)."""
        task = asyncio.get_running_loop().create_task(self._deliver_webhook(update, target))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _deliver_webhook(self, update: dict[str, Any], first: str | None = None, attempts: int = 40) -> None:
        import aiohttp

        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for attempt in range(attempts):
                if first is not None and attempt == 0:
                    target = first
                else:
                    target = self.webhook_targets[self._next_target % len(self.webhook_targets)]
                    self._next_target += 1
                try:
                    async with session.post(target, json=update, headers=headers) as response:
                        self.webhook_attempts.append((update["update_id"], target, response.status))
                        if response.status == 200:
                            await self._notify()
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    self.webhook_attempts.append((update["update_id"], target, type(exc).__name__))
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every call); return its value."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; calls so far: {self.summary()}")
                try:
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.1))
                except asyncio.TimeoutError:
                    pass

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no call arrived for ``quiet`` seconds.

        A guess, not a proof: the front end's own tests never use it (they wait for a later
        message in the same lane, ``tests.bot.helpers``). Kept for ``tests/robustness``.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.calls[-1].at if self.calls else 0
            if time.monotonic() - last >= quiet:
                return
            await asyncio.sleep(quiet / 3)

    # --- what the bot did -----------------------------------------------------------------

    def calls_of(self, method: str, ok: bool | None = True, **match: Any) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (ok is None or c.ok == ok) and all(c.params.get(k) == v for k, v in match.items())
        ]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot delivered to ``chat_id``, in order (texts plain, HTML stripped)."""
        return [
            m
            for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[1]["seq"])
            if c == chat_id and m.get("from", {}).get("id") == BOT_USER["id"]
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.sent_to(chat_id)]

    def summary(self) -> list[str]:
        return [
            f"{c.method}:{c.status}:{str(c.params.get('text') or c.params.get('chat_id') or '')[:40]}"
            for c in self.calls[-30:]
        ]

    # --- building updates -----------------------------------------------------------------

    @staticmethod
    def make_user(user_id: int, first_name: str = "张", last_name: str | None = "三") -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        if last_name:
            user["last_name"] = last_name
        return user

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat_for(self, chat_id: int, user: dict | None = None) -> dict:
        if chat_id in self.chats:
            return dict(self.chats[chat_id])
        assert user is not None
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if user.get("last_name"):
            chat["last_name"] = user["last_name"]
        return chat

    def _store(self, message: dict) -> dict:
        message["seq"] = len(self.messages)
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def _public(self, message: dict) -> dict:
        return {k: v for k, v in message.items() if k not in ("seq", "update_id")}

    def user_message(
        self,
        user: dict,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: dict | None = None,
        **content: Any,
    ) -> dict:
        """A message from ``user`` (in their private chat unless ``chat_id``) as an update."""
        chat_id = user["id"] if chat_id is None else chat_id
        chat = self._chat_for(chat_id, user)
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": MESSAGE_DATE,
            "chat": chat,
            "from": user,
            **content,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = self._public(reply_to)
        text = content.get("text")
        if text and text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._store(message)
        message["update_id"] = self.push({"message": self._public(message)})["update_id"]
        return message

    def user_text(self, user: dict, text: str, **kwargs: Any) -> dict:
        return self.user_message(user, text=text, **kwargs)

    def user_sticker(self, user: dict) -> dict:
        return self.user_message(
            user,
            sticker={
                "file_id": "stk1",
                "file_unique_id": "stk1u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            },
        )

    def user_photo(self, user: dict, caption: str | None = None) -> dict:
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        return self.user_message(
            user, photo=[{"file_id": "ph1", "file_unique_id": "ph1u", "width": 90, "height": 90}], **extra
        )

    def user_edit(self, user: dict, message: dict, text: str) -> dict:
        edited = {**self._public(message), "text": text, "edit_date": MESSAGE_DATE}
        self.push({"edited_message": edited})
        return edited

    def press(self, user: dict, message: dict, callback_data: str) -> dict:
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = None
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        return self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": "ci",
                    "data": callback_data,
                    "message": self._public(current),
                }
            }
        )

    def bot_added_to_group(self, chat: dict, by: dict) -> dict:
        return self.push(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": by,
                    "date": MESSAGE_DATE,
                    "old_chat_member": {"status": "left", "user": BOT_USER},
                    "new_chat_member": {"status": "member", "user": BOT_USER},
                }
            }
        )

    # --- Bot API methods ------------------------------------------------------------------

    def api_getMe(self, params: dict) -> dict:
        return BOT_USER

    def api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = None
        return True

    def api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    def api_setMyCommands(self, params: dict) -> bool:
        return True

    def api_sendChatAction(self, params: dict) -> bool:
        return True

    def api_leaveChat(self, params: dict) -> bool:
        return True

    async def api_getUpdates(self, params: dict) -> list:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        limit = int(params.get("limit") or 100)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
                except asyncio.TimeoutError:
                    pass
        return self._updates[:limit]

    def _bot_message(self, params: dict, **content: Any) -> dict:
        chat_id = int(params["chat_id"])
        chat = self._chat_for(chat_id, {"first_name": "用户", "id": chat_id})
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": MESSAGE_DATE,
            "chat": chat,
            "from": BOT_USER,
            **content,
        }
        thread_id = params.get("message_thread_id")
        if thread_id:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        reply = params.get("reply_parameters")
        if reply:
            target = self.messages.get((chat_id, reply["message_id"]))
            if target is not None:
                message["reply_to_message"] = self._public(target)
        markup = params.get("reply_markup")
        if markup:
            self._check_markup(markup)
            message["reply_markup"] = markup
        return self._public(self._store(message))

    @staticmethod
    def _check_markup(markup: dict) -> None:
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    @staticmethod
    def _render(params: dict, key: str) -> str:
        value = params.get(key) or ""
        if params.get("parse_mode") == "HTML":
            return html_to_text(value)
        return value

    def api_sendMessage(self, params: dict) -> dict:
        text = self._render(params, "text")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if tg_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        if int(params["chat_id"]) in self.chats and self.chats[int(params["chat_id"])].get("left"):
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        return self._bot_message(params, text=text, raw_text=params.get("text"))

    def api_sendDocument(self, params: dict) -> dict:
        upload = params.get("document_file") or {}
        return self._bot_message(
            params,
            document={"file_id": "sentdoc", "file_unique_id": "sentdocu", "file_name": upload.get("filename")},
        )

    def api_sendPhoto(self, params: dict) -> dict:
        caption = self._render(params, "caption")
        if tg_len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        extra = {"caption": caption} if caption else {}
        return self._bot_message(
            params,
            photo=[{"file_id": "sent", "file_unique_id": "sentu", "width": 1, "height": 1}],
            photo_url=params.get("photo"),
            **extra,
        )

    def api_copyMessage(self, params: dict) -> dict:
        source = self.messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {
            k: v
            for k, v in source.items()
            if k in ("text", "photo", "sticker", "voice", "document", "caption", "location")
        }
        if "caption" in params:
            content["caption"] = params["caption"]
        message = self._bot_message(params, copied_from=[source["chat"]["id"], source["message_id"]], **content)
        return {"message_id": message["message_id"]}

    def _edit(self, params: dict) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def api_editMessageText(self, params: dict) -> dict:
        message = self._edit(params)
        text = self._render(params, "text")
        if tg_len(text) > 4096:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if text == message.get("text") and params.get("reply_markup") == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message["raw_text"] = params.get("text")
        message["edit_date"] = MESSAGE_DATE
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return self._public(message)

    def api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._edit(params)
        markup = params.get("reply_markup")
        if not markup and "reply_markup" not in message:
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self._public(message)

    def api_answerCallbackQuery(self, params: dict) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._callbacks or self._callbacks[query_id] is ANSWERED:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._callbacks[query_id] = ANSWERED
        return True

    def api_getChat(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "用户"}
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def api_getChatMember(self, params: dict) -> dict:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.members.get((chat_id, user_id), "left")
        user = {"id": user_id, "is_bot": False, "first_name": f"u{user_id}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {
                    k: False
                    for k in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
        elif status == "restricted":
            member.update(
                {
                    k: False
                    for k in (
                        "is_member",
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_send_messages",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_manage_topics",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_edit_tag",
                        "can_react_to_messages",
                    )
                },
                until_date=0,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def api_createForumTopic(self, params: dict) -> dict:
        chat = self.chats.get(int(params["chat_id"]))
        if not chat or not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = params.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        return {"message_thread_id": next(self._thread_ids), "name": name, "icon_color": 7322096}

    def api_closeForumTopic(self, params: dict) -> bool:
        return True

    def api_deleteForumTopic(self, params: dict) -> bool:
        return True
