"""Pure functions and small classes of the front end (no servers)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot import buttons
from bot.config import ConfigError, load_config, telegram_urls
from bot.db import open_db
from bot.flood import FloodGate
from bot.formatting import MAX_TEXT, split_text, tg_len, to_html
from bot.handlers import MEDIA_FIELDS, WORKER_COMMANDS
from bot.hours import StaffedHours
from bot.rate_limit import is_retryable
from common import texts
from common.clock import CHINA_TZ, FixedClock, ShiftedClock, SystemClock
from tests.bot.helpers import eventually

TZ = CHINA_TZ
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=TZ)


# --- splitting and rendering --------------------------------------------------------------


def test_split_keeps_short_text_whole():
    assert split_text("你好。") == ["你好。"]


def test_split_on_sentence_boundaries():
    sentence = "职工参加技能培训并取得证书的，可以申请补贴。"
    text = sentence * 400  # ~8800 characters
    parts = split_text(text)
    assert len(parts) >= 3
    assert all(tg_len(p) <= MAX_TEXT for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_split_prefers_newlines_and_question_marks():
    text = ("问：怎么报名？" + "答" * 3000 + "\n") * 3
    parts = split_text(text, limit=4096)
    assert all(tg_len(p) <= 4096 for p in parts)
    assert all(p[-1] in "答？" for p in parts)  # a line end or a question mark
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_never_cuts_inside_a_link():
    """WeChat's numbered options are HTML links whose URL holds a "?" (a sentence end)."""
    lines = [
        f'{n}. <a href="weixin://bizmsgmenu?msgmenucontent={n}&amp;msgmenuid={n}">课程{n}</a>' for n in range(1, 11)
    ]
    for head in range(300, 420, 7):  # wherever the limit falls within the options
        text = "工会的课程：" + "介" * head + "。\n" + "\n".join(lines) + "\nhttps://example.org/a?b=1 看这里"
        _check_no_cut_link(text)


def _check_no_cut_link(text: str) -> None:
    parts = split_text(text, limit=680)
    assert len(parts) > 1
    for part in parts:
        assert part.count("<a ") == part.count("</a>"), part
        assert not part.startswith(("msgmenu", "b=1"))
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_hard_cuts_text_without_boundaries():
    parts = split_text("字" * 10000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_split_counts_utf16_units():
    parts = split_text("😀" * 3000)  # 2 UTF-16 units each
    assert all(tg_len(p) <= 4096 for p in parts)
    assert "".join(parts) == "😀" * 3000


def test_text_is_escaped_and_never_interpreted_as_markup():
    html = to_html("详见[宁波市总工会](https://www.nbzgh.gov.cn/?a=1&b=2)，注意 <不要> **按时**")
    assert html == "详见[宁波市总工会](https://www.nbzgh.gov.cn/?a=1&amp;b=2)，注意 &lt;不要&gt; **按时**"
    assert "<a " not in html and "<b>" not in html


# --- staffed hours ------------------------------------------------------------------------


def test_staffed_hours_weekdays_only():
    hours = StaffedHours.parse("09:00-17:30")
    monday_10 = datetime(2024, 5, 6, 10, 0, tzinfo=TZ)
    assert hours.is_staffed(monday_10)
    assert not hours.is_staffed(monday_10.replace(hour=8, minute=59))
    assert not hours.is_staffed(monday_10.replace(hour=17, minute=30))
    saturday = datetime(2024, 5, 11, 10, 0, tzinfo=TZ)
    assert not hours.is_staffed(saturday)
    assert hours.next_start(saturday) == datetime(2024, 5, 13, 9, 0, tzinfo=TZ)
    assert hours.describe_next_start(saturday) == "周一 09:00"
    assert hours.describe_next_start(monday_10.replace(hour=7)) == "今天 09:00"
    assert hours.describe_next_start(monday_10.replace(hour=18)) == "明天 09:00"


def test_staffed_hours_lunch_break_and_timezone():
    hours = StaffedHours.parse("09:00-12:00,13:30-17:30")
    assert not hours.is_staffed(datetime(2024, 5, 6, 12, 30, tzinfo=TZ))
    five_utc = datetime(2024, 5, 6, 5, 0, tzinfo=timezone.utc)  # 13:00 in Ningbo
    assert not hours.is_staffed(five_utc)
    assert hours.describe_next_start(five_utc) == "今天 13:30"
    assert hours.is_staffed(datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc))  # 10:00 in Ningbo
    assert hours.describe() == "周一至周五 09:00-12:00、13:30-17:30"


def test_the_hand_off_notice_says_who_answers_when():
    hours = StaffedHours.parse("09:00-17:00")  # weekdays
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=TZ)
    assert hours.notice(NOW, "马上有人", "{hours}；{next_start}") == "马上有人"  # a Monday, 10:00
    assert hours.notice(saturday, "马上有人", "{hours}；{next_start}") == f"{hours.describe()}；周一 09:00"


@pytest.mark.parametrize("spec", ["9-17", "17:00-09:00", "abc"])
def test_bad_staffed_hours_are_rejected(spec):
    with pytest.raises(ValueError):
        StaffedHours.parse(spec)


# --- configuration ------------------------------------------------------------------------


def test_telegram_urls_accept_root_or_bot_prefix():
    assert telegram_urls(None) == ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
    assert telegram_urls("http://127.0.0.1:8081") == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")
    assert telegram_urls("http://127.0.0.1:8081/bot/") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )


def test_load_config_reads_every_variable(tmp_path):
    config = load_config(
        {
            "TELEGRAM_TOKEN": "1:x",
            "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "TELEGRAM_OPERATOR_CHAT_ID": "-10042",
            "TELEGRAM_STAFF_IDS": "1, 2;3",
            "RASA_URL": "http://rasa:5005/",
            "RASA_TOKEN": "t",
            "RASA_TIMEOUT": "3",
            "UH_DATA_DIR": str(tmp_path),
            "STAFFED_HOURS": "08:30-17:00",
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook",
            "TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0",
            "TELEGRAM_WEBHOOK_PORT": "8081",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        }
    )
    assert config.operator_chat_id == -10042
    assert config.staff_ids == {1, 2, 3}
    assert config.rasa_url == "http://rasa:5005"
    assert config.rasa_timeout == 3.0
    assert config.handoff_db_path == tmp_path / "handoff.db"
    assert config.webhook_path == "/tg/hook"
    assert isinstance(config.clock, SystemClock)
    assert config.check() is config


def test_load_config_takes_the_day_from_uh_today():
    config = load_config({"UH_TODAY": "2026-11-16T08:30"})
    assert isinstance(config.clock, ShiftedClock)
    assert config.clock.now().date().isoformat() == "2026-11-16"


def test_every_media_field_has_a_name_for_the_operators():
    assert set(MEDIA_FIELDS) == set(texts.MEDIA_KIND_NAMES)


def test_every_worker_command_has_a_menu_label():
    assert set(WORKER_COMMANDS) == set(texts.WORKER_COMMAND_MENU)
    assert WORKER_COMMANDS["human"] == texts.HUMAN_BUTTON["payload"]


def test_config_errors_name_the_variable():
    with pytest.raises(ConfigError, match="TELEGRAM_OPERATOR_CHAT_ID"):
        load_config({"TELEGRAM_OPERATOR_CHAT_ID": "ops"})
    with pytest.raises(ConfigError, match="TELEGRAM_TOKEN"):
        load_config({}).check()
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        load_config(
            {"TELEGRAM_TOKEN": "1:x", "TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://x.org/h"}
        ).check()


# --- buttons ------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "handoff.db")
    yield database
    database.close()


def test_buttons_carry_short_keys_and_spend_the_whole_keyboard(db):
    now = NOW
    long_payload = '/ask_general{"kb_id":"faq_职工技能提升补贴申请条件与流程说明和材料清单"}'
    assert len(long_payload.encode()) > 64
    markup = buttons.make_keyboard(
        db,
        1,
        [
            {"title": "补贴", "payload": long_payload},
            {"title": "课程", "payload": "/ask_course_list"},
            {"title": "官网", "payload": "https://www.nbzgh.gov.cn/"},
        ],
        now,
    )
    rows = markup.inline_keyboard
    assert all(len(b.callback_data.encode()) <= 64 for row in rows[:2] for b in row)
    assert rows[2][0].url == "https://www.nbzgh.gov.cn/"
    first, second = rows[0][0].callback_data, rows[1][0].callback_data
    assert buttons.press(db, 2, first, now) is None  # somebody else's button
    pressed = buttons.press(db, 1, first, now)
    assert pressed.payload == long_payload and pressed.title == "补贴"
    assert buttons.press(db, 1, first, now) is None  # pressed twice
    assert buttons.press(db, 1, second, now) is None  # same keyboard: spent
    assert buttons.press(db, 1, "b:forged", now) is None
    assert buttons.press(db, 1, "anything", now) is None
    assert buttons.title_for_payload(db, 1, long_payload) == "补贴"


def test_old_buttons_are_forgotten(db):
    clock = FixedClock(NOW)
    buttons.make_keyboard(db, 1, [{"title": "old", "payload": "/a"}], clock.now())
    clock.advance(days=29)
    buttons.make_keyboard(db, 1, [{"title": "recent", "payload": "/a"}], clock.now())
    clock.advance(days=11)
    assert buttons.forget_old(db, clock.now()) == 1  # 40 days old: gone; 11 days: kept
    assert buttons.title_for_payload(db, 1, "/a") == "recent"


# --- flood gate ---------------------------------------------------------------------------


async def test_flood_gate_serialises_one_worker_and_drops_beyond_the_burst():
    gate = FloodGate(max_pending=3)
    order, warnings = [], []
    release = asyncio.Event()

    async def job(n):
        await release.wait()
        order.append(n)

    async def warn():
        warnings.append(1)

    tasks = [asyncio.create_task(gate.run(1, lambda n=n: job(n), warn)) for n in range(6)]
    await eventually(lambda: gate.pending(1) == 3 and sum(t.done() for t in tasks) == 3)
    other = asyncio.create_task(gate.run(2, lambda: asyncio.sleep(0), warn))
    assert await eventually(other.done)  # another worker is not held up
    assert order == []  # …while the first one's jobs still wait
    release.set()
    results = await asyncio.gather(*tasks)
    assert results == [True, True, True, False, False, False]
    assert order == [0, 1, 2]
    assert warnings == [1]  # told once
    assert gate.pending(1) == 0
    assert await gate.run(1, lambda: asyncio.sleep(0), warn)  # drained: admitted again


# --- retry classification -----------------------------------------------------------------


def _wrapped(exc_type, cause):
    try:
        raise exc_type("x") from cause
    except exc_type as exc:
        return exc


def test_which_failures_are_retried():
    assert is_retryable(NetworkError("Bad Gateway"), "sendMessage")  # Telegram answered 5xx
    assert is_retryable(_wrapped(NetworkError, httpx.ConnectError("refused")), "sendMessage")
    assert is_retryable(_wrapped(TimedOut, httpx.PoolTimeout("pool")), "sendMessage")
    assert not is_retryable(_wrapped(TimedOut, httpx.ReadTimeout("read")), "sendMessage")
    assert is_retryable(_wrapped(TimedOut, httpx.ReadTimeout("read")), "editMessageReplyMarkup")
    assert not is_retryable(BadRequest("message is too long"), "sendMessage")
