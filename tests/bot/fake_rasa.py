"""A small stand-in for Rasa's REST channel and HTTP API, for the bot's unit tests.

It answers ``POST /webhooks/rest/webhook`` from a script (:func:`default_script`, replaceable
per test), keeps a tracker per sender (user/bot events, so hand-off transcripts are real),
records ``pause``/``resume`` events and, like Rasa, answers ``[]`` while a conversation is
paused. ``mode`` simulates trouble: ``"error"`` (500), ``"empty"`` (200 with no messages, as
when the action server is down) and ``"hang"`` (never answers in time). Stopping the server
simulates Rasa being down; :meth:`FakeRasa.start` on the same port brings it back.

:meth:`FakeRasa.hold` keeps one sender's turns waiting until the test releases them, and
:attr:`FakeRasa.most_at_once` says how many of a sender's turns were ever in progress
together – so a test shows ordering and concurrency without measuring time.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from aiohttp import web

TOPIC_MENU = [
    {"title": "补贴政策", "payload": "/ask_subsidy"},
    {"title": "课程培训", "payload": "/ask_course_list"},
    {"title": "读书活动", "payload": "/ask_reading"},
]
LONG_ANSWER = "".join(
    f"第{i}条：职工参加技能培训并取得证书的，可以按规定申请技能提升补贴，具体标准以当年文件为准。"
    for i in range(1, 121)
)


#: The content of the file 导出我的数据 sends (a worker's own data).
EXPORT = '{"报名登记": {"登记信息": {"姓名": "张三", "手机号": "13812341234"}}}'


def default_script(sender: str, message: str) -> list[dict[str, Any]]:
    if message == "/greet":
        return [{"text": "您好！我是工会小助手。想了解什么？", "buttons": TOPIC_MENU}]
    if message == "/request_human":
        return [
            {"text": "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。"},
            {"custom": {"handoff": {"reason": "request_human"}}},
        ]
    if message == "/stop":
        return [{"text": "好的，已取消。还有什么可以帮您？"}]
    if message == "/my_data":
        return [
            {"text": "我们保存了您的这些资料：姓名、所在区。"},
            {"text": "需要删除吗？", "buttons": [{"title": "删除我的资料", "payload": "/delete_my_data"}]},
        ]
    if message.startswith("/ask_subsidy"):
        return [
            {
                "text": "补贴政策有这些：",
                "buttons": [
                    {
                        "title": "职工技能提升补贴",
                        "payload": '/ask_general{"kb_id":"faq_职工技能提升补贴申请条件与流程说明"}',
                    },
                    {"title": "困难职工帮扶", "payload": '/ask_general{"kb_id":"faq_困难职工帮扶"}'},
                    {"title": "转人工", "payload": "/request_human"},
                ],
            }
        ]
    if message.startswith("/ask_general"):
        return [
            {"text": "技能提升补贴：取得职业资格证书后12个月内申请。"},
            {"text": "详见[宁波市总工会](https://www.nbzgh.gov.cn/)。"},
        ]
    if message == "长答案":
        return [{"text": LONG_ANSWER}]
    if message == "导出我的数据":
        return [
            {"text": "您的数据已整理成文件发给您。"},
            {"custom": {"document": {"filename": "我的数据.json", "mime_type": "application/json", "content": EXPORT}}},
        ]
    if message == "坏文件":
        return [{"text": "文件来了"}, {"custom": {"document": {"content": "没有文件名"}}}]
    if message == "图片":
        return [{"text": "报名流程如下："}, {"image": "https://example.org/flow.png"}]
    return [{"text": f"收到：{message[:30]}"}]


class FakeRasa:
    def __init__(
        self, token: str = "rasa-secret", script: Callable[[str, str], list[dict[str, Any]]] = default_script
    ) -> None:
        self.token = token
        self.script = script
        self.mode = "ok"
        self.received: list[dict[str, Any]] = []
        self.most_at_once: Counter[str] = Counter()
        self._at_once: Counter[str] = Counter()
        self._holds: dict[str, asyncio.Event] = {}
        self.trackers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.posted_events: list[tuple[str, dict[str, Any]]] = []
        self.paused: set[str] = set()
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeRasa:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self._events)
        app.router.add_get("/status", self._status)
        app.router.add_get("/", self._root)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port or 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hold(self, sender: str) -> asyncio.Event:
        """Keep ``sender``'s turns waiting until the returned event is set."""
        return self._holds.setdefault(sender, asyncio.Event())

    def messages_from(self, sender: str) -> list[str]:
        return [r["message"] for r in self.received if r["sender"] == sender]

    def events_for(self, sender: str) -> list[str]:
        return [e["event"] for s, e in self.posted_events if s == sender]

    def _authorised(self, request: web.Request) -> bool:
        return request.query.get("token") == self.token

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        self.received.append(body)
        self._at_once[sender] += 1
        self.most_at_once[sender] = max(self.most_at_once[sender], self._at_once[sender])
        try:
            if self.mode == "hang":
                await asyncio.sleep(60)  # far beyond the client's timeout
            if sender in self._holds:
                await self._holds[sender].wait()
        finally:
            self._at_once[sender] -= 1
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "empty" or sender in self.paused:
            return web.json_response([])
        replies = [{"recipient_id": sender, **r} for r in self.script(sender, message)]
        tracker = self.trackers[sender]
        tracker.append({"event": "user", "text": message})
        for reply in replies:
            if reply.get("text"):
                tracker.append({"event": "bot", "text": reply["text"]})
        return web.json_response(replies)

    async def _tracker(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "unauthorised"}, status=401)
        sender = request.match_info["sender"]
        events = [{"event": "action", "name": "action_session_start"}] + self.trackers[sender]
        return web.json_response({"sender_id": sender, "events": events, "paused": sender in self.paused})

    async def _events(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "unauthorised"}, status=401)
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        sender = request.match_info["sender"]
        events = await request.json()
        for event in events if isinstance(events, list) else [events]:
            self.posted_events.append((sender, event))
            if event.get("event") == "pause":
                self.paused.add(sender)
            elif event.get("event") == "resume":
                self.paused.discard(sender)
        return web.json_response({"sender_id": sender})

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "unauthorised"}, status=401)
        return web.json_response({"model_id": "fake"})

    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")
