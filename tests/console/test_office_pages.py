"""The office's pages over HTTP (issue #15): rosters and waiting lists, applications, the
operators' inbox, the dashboard and workers' data rights — each action, each role, and
what ends up in the registry, the hand-off store, the knowledge file and the audit log."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from common import settings
from common.clock import parse_moment
from common.database import Database
from console.models import AuditEntry
from handoff import (
    add_worker_message,
    claim_for_client,
    claim_outbox,
    close_ticket,
    get_ticket,
    live_ticket,
    mark_posted,
    open_handoff,
    reply_if_open,
    request_ticket,
    ticket_messages,
)
from registry import (
    create_application,
    enroll,
    get_applications,
    get_course_summary,
    open_registry,
    pending_notifications,
    roster,
    save_worker,
    waitlist,
)
from tests.actions.helpers import APPLICATION as FORM
from tests.console.conftest import CONSOLE_TODAY

PLC = "jxgf_plc"


@pytest.fixture
def reg(env: Path) -> Iterator[Database]:
    db = open_registry(settings.load().registry_url)
    yield db
    db.close()


@pytest.fixture
def hand(env: Path) -> Iterator[Database]:
    db = open_handoff(settings.load().handoff_url)
    yield db
    db.close()


def _worker(db: Database, i: int) -> str:
    sender = f"tg-{7000 + i}"
    save_worker(
        db, sender, name=f"职工{chr(0x4E00 + i)}", phone=f"1390000{i:04d}", employer="宁波港集团", district="北仑区"
    )
    return sender


def _full_plc(db: Database, seats: int = 2, people: int = 4) -> list[str]:
    """``seats`` seats all taken, the rest waiting; the enrollment numbers in order."""
    return [enroll(db, _worker(db, i), PLC, "PLC编程入门", seats).number or "" for i in range(people)]


def _audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


# ---------------------------------------------------------------- courses and rosters


def test_roster_masks_phones_until_an_audited_show(client_for, reg: Database) -> None:
    numbers = _full_plc(reg)
    client = client_for("staff")
    page = client.get(f"/courses/{PLC}/").content.decode()
    assert "139****0000" in page and "13900000000" not in page
    assert page.index(numbers[2]) < page.index(numbers[3])  # the waiting list in order
    overview = client.get("/courses/").content.decode()
    assert f'data-course="{PLC}"' in overview
    shown = client.post(f"/courses/{PLC}/reveal/", {"enrollment": numbers[1]}).content.decode()
    assert "13900000001" in shown and "13900000000" not in shown
    [entry] = _audits("phone_shown")
    assert entry.target == numbers[1] and entry.username == "u_staff"
    assert client.get(f"/courses/{PLC}/reveal/").status_code == 302  # a GET shows nothing


def test_operators_see_no_rosters_and_cannot_show_a_phone(client_for, reg: Database) -> None:
    numbers = _full_plc(reg)
    operator = client_for("operator")
    assert operator.get(f"/courses/{PLC}/").status_code == 403
    assert operator.post(f"/courses/{PLC}/reveal/", {"enrollment": numbers[0]}).status_code == 403
    assert operator.get(f"/courses/{PLC}/roster.csv").status_code == 403
    assert not _audits("phone_shown")


def test_staff_cancel_with_reason_promotes_and_notifies(client_for, reg: Database) -> None:
    numbers = _full_plc(reg)
    client = client_for("staff")
    refused = client.post(f"/courses/{PLC}/cancel/", {"enrollment": numbers[0], "reason": " "}, follow=True)
    assert "请写明取消原因" in refused.content.decode()
    assert len(roster(reg, PLC)) == 2
    page = client.post(f"/courses/{PLC}/cancel/", {"enrollment": numbers[0], "reason": "本人来电说明出差"}, follow=True)
    assert "候补第一位" in page.content.decode()
    assert [e.enrollment.enrollment_no for e in roster(reg, PLC)] == [numbers[1], numbers[2]]
    notes = {n.sender_id: n for n in pending_notifications(reg)}
    assert "本人来电说明出差" in notes["tg-7000"].text and notes["tg-7002"].kind == "promotion"
    again = client.post(f"/courses/{PLC}/cancel/", {"enrollment": numbers[0], "reason": "又点了一次"}, follow=True)
    assert "已经取消过了" in again.content.decode()
    assert len(_audits("enrollment_cancel")) == 1 and [e.enrollment.enrollment_no for e in waitlist(reg, PLC)] == [
        numbers[3]
    ]


def test_capacity_raise_promotes_lower_is_refused_and_the_knowledge_file_follows(
    client_for, reg: Database, env: Path
) -> None:
    _full_plc(reg)
    client = client_for("staff")
    low = client.post(f"/courses/{PLC}/capacity/", {"capacity": "1"}, follow=True).content.decode()
    assert "已经有 2 人报上名" in low
    assert get_course_summary(reg, PLC).capacity == 2  # type: ignore[union-attr]
    bad = client.post(f"/courses/{PLC}/capacity/", {"capacity": "三十"}, follow=True).content.decode()
    assert "正整数" in bad
    high = client.post(f"/courses/{PLC}/capacity/", {"capacity": "3"}, follow=True).content.decode()
    assert "1 位职工已自动转为正式报名" in high
    summary = get_course_summary(reg, PLC)
    assert summary is not None and (summary.capacity, summary.enrolled, summary.waitlisted) == (3, 3, 1)
    text = (env / "courses.yml").read_text(encoding="utf-8")
    block = text[text.index(f"- id: {PLC}") :].split("\n- id:")[0]
    assert "capacity: 3" in block and "sample_fields: [schedule, start_date, location, contact]" in block
    # The next sign-up reads the capacity from the knowledge file: the seats stay as set.
    assert len(_audits("capacity_change")) == 1 and len(_audits("capacity_refused")) == 1


def test_a_capacity_change_never_reverts_while_the_bot_still_has_the_old_file(
    client_for, reg: Database, env: Path
) -> None:
    """The bot's sign-ups carry the capacity of the knowledge file it loaded; until it has
    reloaded the file the console just saved, that number is the old one. It must not undo
    the change (before: the next sign-up set the capacity back to 2 and the course was
    over-full) — and once the file says the new number, later edits of the file count."""
    from common.clock import FixedClock
    from registry.office import CAPACITY_HOLD

    _full_plc(reg)
    client = client_for("staff")
    raised = client.post(f"/courses/{PLC}/capacity/", {"capacity": "3"}, follow=True)
    assert "名额已改为 3" in raised.content.decode()
    stale = enroll(reg, _worker(reg, 10), PLC, "PLC编程入门", 2)  # the bot, before its reload
    summary = get_course_summary(reg, PLC)
    assert summary is not None and (summary.capacity, summary.enrolled, summary.waitlisted) == (3, 3, 2)
    assert stale.status == "waitlisted"
    enroll(reg, _worker(reg, 11), PLC, "PLC编程入门", 3)  # reloaded: the file says 3 too
    enroll(reg, _worker(reg, 12), PLC, "PLC编程入门", 5)  # a later edit of the file counts again
    assert get_course_summary(reg, PLC).capacity == 5  # type: ignore[union-attr]
    # A hold the file never caught up with (its save failed) ends: the file is the source again.
    client.post(f"/courses/{PLC}/capacity/", {"capacity": "8"})
    assert get_course_summary(reg, PLC).capacity == 8  # type: ignore[union-attr]
    later = FixedClock(parse_moment(CONSOLE_TODAY) + CAPACITY_HOLD + timedelta(minutes=5))
    enroll(reg, _worker(reg, 13), PLC, "PLC编程入门", 6, clock=later)
    assert get_course_summary(reg, PLC).capacity == 6  # type: ignore[union-attr]


def test_roster_csv_opens_in_excel_with_chinese(client_for, reg: Database) -> None:
    _full_plc(reg, seats=1, people=2)
    response = client_for("staff").get(f"/courses/{PLC}/roster.csv")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf") and "UTF-8''" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["名单", "序号", "报名号", "姓名", "手机号"]
    assert [r[0] for r in rows[1:]] == ["正式报名", "候补"] and rows[1][3] == "职工一" and rows[1][4] == "13900000000"
    assert _audits("roster_export")


def test_roster_csv_cells_are_never_formulas(client_for, reg: Database) -> None:
    sender = _worker(reg, 1)
    save_worker(
        reg, sender, name="职工乙", phone="13900000001", employer='=HYPERLINK("http://x")宁波公司', district="北仑区"
    )
    enroll(reg, sender, PLC, "PLC编程入门", 30)
    rows = list(
        csv.reader(io.StringIO(client_for("staff").get(f"/courses/{PLC}/roster.csv").content.decode("utf-8-sig")))
    )
    assert rows[1][5] == '\'=HYPERLINK("http://x")宁波公司'


# ---------------------------------------------------------------- subsidy applications


def _application(reg: Database, i: int = 0, **changes: object) -> str:
    sender = _worker(reg, i)
    form = {**FORM, "certificate_no": f"10647120240500{i:04d}", **changes}
    return create_application(reg, sender, **form).number or ""  # type: ignore[arg-type]


def test_certificate_masked_until_audited_click(client_for, reg: Database) -> None:
    number = _application(reg)
    client = client_for("staff")
    page = client.get(f"/applications/{number}/").content.decode()
    assert "106471202405000000" not in page and "张三" in page
    shown = client.post(f"/applications/{number}/", {"action": "reveal"}).content.decode()
    assert "106471202405000000" in shown
    assert _audits("certificate_shown")[0].target == number


def test_approve_notifies_the_worker_and_a_double_click_applies_once(client_for, reg: Database) -> None:
    number = _application(reg)
    client = client_for("staff")
    first = client.post(f"/applications/{number}/decide/", {"status": "approved", "note": "材料齐全"}, follow=True)
    second = client.post(f"/applications/{number}/decide/", {"status": "approved", "note": "材料齐全"}, follow=True)
    assert "已通过" in first.content.decode() and "没有重复处理" in second.content.decode()
    [mine] = get_applications(reg, "tg-7000")
    assert mine.status == "approved" and mine.staff_note == "材料齐全"
    assert [n.kind for n in pending_notifications(reg, sender_id="tg-7000")] == ["application"]
    assert len(_audits("application_decide")) == 1


def test_reject_needs_a_note(client_for, reg: Database) -> None:
    number = _application(reg)
    client = client_for("staff")
    page = client.post(f"/applications/{number}/decide/", {"status": "rejected", "note": ""}, follow=True)
    assert "请写明原因" in page.content.decode() and get_applications(reg, "tg-7000")[0].status == "pending"
    client.post(f"/applications/{number}/decide/", {"status": "rejected", "note": "证书编号与学信网不符"})
    assert get_applications(reg, "tg-7000")[0].status == "rejected"
    assert "证书编号与学信网不符" in pending_notifications(reg, sender_id="tg-7000")[0].text


def test_an_operator_cannot_approve(client_for, reg: Database) -> None:
    number = _application(reg)
    operator = client_for("operator")
    assert operator.get("/applications/").status_code == 403
    assert operator.post(f"/applications/{number}/decide/", {"status": "approved"}).status_code == 403
    assert operator.post("/applications/batch/", {"number": number, "confirm": "yes"}).status_code == 403
    assert get_applications(reg, "tg-7000")[0].status == "pending" and not pending_notifications(reg)


def test_queue_filters_and_batch_approve_after_confirmation(client_for, reg: Database) -> None:
    a = _application(reg, 0, model_worker_class=True)
    b = _application(reg, 1)
    client = client_for("staff")
    mw = client.get("/applications/?status=pending&mw=1").content.decode()
    assert a in mw and b not in mw
    assert "日期要写成" in client.get("/applications/?since=昨天").content.decode()
    confirm = client.post("/applications/batch/", {"number": [a, b], "note": "第一批"})
    assert "确认通过这 2 份" in confirm.content.decode()
    assert all(x.status == "pending" for x in get_applications(reg, "tg-7000") + get_applications(reg, "tg-7001"))
    done = client.post("/applications/batch/", {"number": [a, b], "note": "第一批", "confirm": "yes"}, follow=True)
    assert "已通过 2 份申请" in done.content.decode()
    again = client.post("/applications/batch/", {"number": [a, b], "confirm": "yes"}, follow=True)
    assert "已通过 0 份申请" in again.content.decode()
    assert len(pending_notifications(reg)) == 2 and len(_audits("application_decide")) == 2


# ---------------------------------------------------------------- the operators' inbox


def _ticket(hand: Database, sender: str, *, staffed: bool = True, minutes: int = 0):
    at = parse_moment(CONSOLE_TODAY) - timedelta(minutes=minutes)
    ticket = request_ticket(
        hand,
        sender_id=sender,
        display_name="王 五",
        reason="request_human",
        staffed=staffed,
        now=at,
        transcript="职工：我的电话是13812345678，补贴什么时候发？",
    )
    posted = mark_posted(hand, ticket.id, at)
    assert posted is not None
    add_worker_message(hand, posted.id, "身份证 330203199001011234 要提供吗", now=at)
    return posted


def test_inbox_lists_every_channel_overnight_first_come_first_served(client_for, hand: Database) -> None:
    late = _ticket(hand, "tg-1", staffed=False, minutes=30)
    early = _ticket(hand, "wx-openid-2", staffed=False, minutes=600)
    page = client_for("operator").get("/inbox/").content.decode()
    assert page.index(f"#{early.id}<") < page.index(f"#{late.id}<")
    assert "微信" in page and "Telegram" in page and "非工作时间" in page


def test_ticket_page_masks_the_transcript(client_for, hand: Database) -> None:
    ticket = _ticket(hand, "wx-openid-3")
    page = client_for("operator").get(f"/inbox/{ticket.id}/").content.decode()
    assert "13812345678" not in page and "138****5678" in page
    assert "330203199001011234" not in page


def test_reply_from_the_web_reaches_the_workers_channel_once(client_for, hand: Database) -> None:
    ticket = _ticket(hand, "wx-openid-4")
    client = client_for("operator", username="op_li")
    form = {"text": "您好，补贴在审核通过后下月发放。", "nonce": "n1"}
    client.post(f"/inbox/{ticket.id}/reply/", form)
    twice = client.post(f"/inbox/{ticket.id}/reply/", form, follow=True)
    assert "没有重复发送" in twice.content.decode()
    items = claim_outbox(hand, "wechat-front-end", ticket_now(), prefixes=("wx-",))
    assert [(i.kind, i.text) for i in items] == [("operator_reply", form["text"])]
    assert [m.author for m in ticket_messages(hand, ticket.id) if m.direction == "to_worker"] == ["console:op_li"]
    assert get_ticket(hand, ticket.id).answered_at is not None  # type: ignore[union-attr]
    assert form["text"] in client.get(f"/inbox/{ticket.id}/").content.decode()


def test_a_web_chat_workers_ticket_says_how_the_reply_reaches_them(client_for, hand: Database) -> None:
    """A conversation of neither Telegram nor WeChat is a REST client (a chat page): the
    inbox names its channel and says when the reply arrives; the REST channel hands it over."""
    ticket = _ticket(hand, "web-5a0c")
    client = client_for("operator")
    assert "网页聊天" in client.get("/inbox/").content.decode()
    sent = client.post(f"/inbox/{ticket.id}/reply/", {"text": "您好，已收到。", "nonce": "w1"}, follow=True)
    assert "下一次发消息时收到" in sent.content.decode()
    (item,) = claim_for_client(hand, "web-5a0c", "rasa-1", ticket_now())
    assert (item.kind, item.text) == ("operator_reply", "您好，已收到。")


def ticket_now():
    return settings.load().clock.now() + timedelta(minutes=1)


def test_close_hands_back_to_the_bot_and_a_closed_ticket_takes_no_reply(client_for, hand: Database) -> None:
    ticket = _ticket(hand, "tg-5")
    client = client_for("operator")
    before = client.get(f"/inbox/{ticket.id}/?format=state").json()["state"]
    page = client.post(f"/inbox/{ticket.id}/close/", follow=True).content.decode()
    assert "已关闭" in page and live_ticket(hand, "tg-5") is None
    closed = get_ticket(hand, ticket.id)
    assert closed is not None and closed.resume_pending and closed.closed_by == "console:u_operator"
    assert [i.kind for i in claim_outbox(hand, "tg-front-end", ticket_now(), prefixes=("tg-",))] == ["closed"]
    assert client.get(f"/inbox/{ticket.id}/?format=state").json()["state"] != before
    refused = client.post(f"/inbox/{ticket.id}/reply/", {"text": "还在吗", "nonce": "x"}, follow=True)
    assert "已经关闭" in refused.content.decode()
    assert f"#{ticket.id}<" in client.get("/inbox/?state=closed").content.decode()


def test_a_close_in_telegram_changes_the_inbox_state(client_for, hand: Database) -> None:
    """The page polls this state every 3 s and reloads when it changed."""
    ticket = _ticket(hand, "tg-6")
    client = client_for("operator")
    before = client.get("/inbox/?format=state").json()["state"]
    close_ticket(hand, ticket.id, closed_by="operator:42", now=ticket_now())
    assert client.get("/inbox/?format=state").json()["state"] != before
    assert f"#{ticket.id}<" not in client.get("/inbox/").content.decode()


def test_staff_without_the_operator_role_have_no_inbox(client_for, hand: Database) -> None:
    ticket = _ticket(hand, "tg-7")
    staff = client_for("staff")
    assert staff.get("/inbox/").status_code == 403
    assert staff.post(f"/inbox/{ticket.id}/reply/", {"text": "x"}).status_code == 403


# ---------------------------------------------------------------- the dashboard


def test_dashboard_draws_the_period(client_for, reg: Database, hand: Database) -> None:
    _full_plc(reg, seats=1, people=2)
    _application(reg, 5)
    ticket = _ticket(hand, "tg-8", minutes=10)
    replied = parse_moment(CONSOLE_TODAY) + timedelta(minutes=1)  # 11 minutes after the request
    reply_if_open(hand, ticket.id, "好的", author="console:x", now=replied, source="t")
    page = client_for("staff").get("/dashboard/").content.decode()
    assert page.count("<svg") == 6
    assert "每天课程报名与补贴申请" in page and "11.0 分钟" in page
    assert client_for("operator", username="op2").get("/dashboard/").status_code == 403
    assert "日期要写成" in client_for("staff", username="s2").get("/dashboard/?since=x").content.decode()


# ---------------------------------------------------------------- workers' data rights


class _Rasa(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Rasa.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict]]]:
    server = HTTPServer(("127.0.0.1", 0), _Rasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{server.server_port}")
    _Rasa.received = []
    yield _Rasa.received
    server.shutdown()


def test_only_admins_find_a_worker_and_it_is_audited(client_for, reg: Database) -> None:
    _full_plc(reg, seats=1, people=2)
    assert client_for("staff").post("/workers/", {"phone": "13900000001"}).status_code == 403
    admin = client_for("admin")
    page = admin.post("/workers/", {"phone": "139 0000 0001"}).content.decode()
    assert "tg-7001" in page and "139****0001" in page
    assert "手机号" in admin.post("/workers/", {"phone": "abc"}).content.decode()
    detail = admin.get("/workers/tg-7001/").content.decode()
    assert "13900000001" in detail and "PLC编程入门" in detail
    assert _audits("worker_search") and _audits("worker_view")


def test_delete_on_written_request_has_the_chats_effect(client_for, reg: Database, hand: Database, rasa) -> None:
    numbers = _full_plc(reg, seats=1, people=2)
    _ticket(hand, "tg-7000")
    admin = client_for("admin")
    refused = admin.post("/workers/tg-7000/delete/", {"basis": "", "confirm": "yes"}, follow=True)
    assert "这次没有删除" in refused.content.decode() and roster(reg, PLC)
    page = admin.post("/workers/tg-7000/delete/", {"basis": "书面申请 2026-017 号", "confirm": "yes"}, follow=True)
    assert "对话记录也已删除" in page.content.decode()
    assert [e.enrollment.enrollment_no for e in roster(reg, PLC)] == [numbers[1]]  # the seat went to the waiting list
    assert live_ticket(hand, "tg-7000") is None
    assert rasa == [
        ("/conversations/tg-7000/tracker/events", {"event": "slot", "name": "purge_conversation", "value": True})
    ]
    assert "没有保存这位职工的任何数据" in admin.get("/workers/tg-7000/").content.decode()
    [entry] = _audits("worker_delete")
    assert entry.details["basis"] == "书面申请 2026-017 号" and entry.details["conversation_purged"] is True


def test_delete_while_rasa_is_down_says_the_conversation_is_left(client_for, reg: Database) -> None:
    _full_plc(reg, seats=1, people=1)
    page = client_for("admin").post("/workers/tg-7000/delete/", {"basis": "书面申请", "confirm": "yes"}, follow=True)
    assert "对话记录这次没能删除" in page.content.decode()
    assert not roster(reg, PLC)


# ---------------------------------------------------------------- every page, every role

OFFICE_PAGES = {
    "/courses/": "staff",
    f"/courses/{PLC}/": "staff",
    f"/courses/{PLC}/roster.csv": "staff",
    "/applications/": "staff",
    "/dashboard/": "staff",
    "/inbox/": "operator",
    "/inbox/?state=closed": "operator",
    "/workers/": "admin",
}


@pytest.mark.parametrize("role", ["admin", "staff", "operator", ""])
def test_each_office_page_checks_the_role(client_for, env: Path, role: str) -> None:
    client = client_for(*([role] if role else []))
    for url, needed in OFFICE_PAGES.items():
        allowed = role == "admin" or role == needed
        assert client.get(url).status_code == (200 if allowed else 403), (role, url)
    home = client.get("/").content.decode()
    assert ("份补贴申请待审核" in home) == (role in ("admin", "staff"))
    assert ("个工单待处理" in home) == (role in ("admin", "operator"))


def test_logged_out_office_pages_go_to_login(db: None) -> None:
    from django.test import Client

    for url in OFFICE_PAGES:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url
