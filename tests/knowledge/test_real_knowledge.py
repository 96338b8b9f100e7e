"""The real knowledge files: they load, cover the article, and search finds the
right answers for the ways workers actually ask (typos included)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from common.clock import FixedClock
from knowledge import CONFIDENT_SCORE, SAMPLE_NOTE, Course, KnowledgeBase, default_kb
from knowledge.loader import load
from knowledge.schema import ANSWER_MAX_CHARS, ID_RE, visible_len

REAL_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_real_files_are_valid_and_complete():
    result = load(REAL_KNOWLEDGE)
    assert result.errors == []
    kinds = {e.kind for e in result.entries}
    assert kinds == {"faq", "course", "subsidy", "reading", "sports", "organization"}
    ids = [e.id for e in result.entries]
    assert len(ids) == len(set(ids))
    for entry in result.entries:
        assert ID_RE.match(entry.id), entry.id
        assert entry.source.strip(), entry.id
        assert len(entry.questions) >= 3, f"{entry.id} needs several worker phrasings"


def test_every_answer_fits_a_phone_screen_and_marks_samples(real_kb: KnowledgeBase):
    for entry in real_kb.list_entries():
        hit = real_kb.get(entry.id)
        assert hit is not None
        assert visible_len(hit.answer) <= ANSWER_MAX_CHARS, entry.id
        if entry.sample_fields:
            assert SAMPLE_NOTE in hit.answer, entry.id
            assert hit.sample is True
        assert "示例：" not in hit.answer, f"{entry.id} shows the raw sample marker"


@pytest.mark.parametrize(
    "entry_id, facts",
    [
        ("jxgf", ["71期", "3749人", "30余项", "246", "工匠"]),
        ("ghyy", ["宁波市工人文化宫", "1045场次", "近2万人次"]),
        ("gylx", ["宁波职工发展中心", "500场", "15600余人次"]),
        ("gjsl", ["10期", "高凤林", "陈俭峰", "万亚勇", "张中华"]),
        ("jsbf", ["21期"]),
        ("wysx", ["全国工会职工教育培训示范点", "2019"]),
        ("online_modules", ["60期", "25课", "会声会影", "今今乐道"]),
        ("subsidy_degree", ["宁波广播电视大学", "1000名", "毕业证"]),
        ("subsidy_model_worker_class", ["市县两级工会", "全额学费补贴"]),
        ("subsidy_grassroots", ["987.5万元"]),
        ("subsidy_public_training_fund", ["600万元"]),
        ("reading_teams", ["1000支", "2.6万余人", "每月精读一本书"]),
        ("reading_bookhouse", ["78家", "651家", "733家"]),
        ("reading_festival", ["连续两年"]),
        ("sports_league", ["四届", "3000多家", "10万名"]),
        ("sports_walk", ["10场以上"]),
        ("faq_activity_centers", ["3500余个"]),
        ("faq_training_bases", ["320多家"]),
        ("faq_results_three_years", ["10万职工"]),
        ("faq_skill_talent", ["161.5万", "10.5万"]),
    ],
)
def test_article_facts_are_in_the_answers(real_kb: KnowledgeBase, entry_id: str, facts: list[str]):
    answer = real_kb.get(entry_id).answer
    for fact in facts:
        assert fact in answer, f"{entry_id}: {fact}"


def test_courses_have_the_contract_fields(real_kb: KnowledgeBase):
    courses = real_kb.list_courses()
    names = {c.name for c in courses}
    assert {"工业机器人", "PLC编程", "变频器维修", "工装夹具制作", "汽车维修"} <= names
    assert {"高级定制服装", "模具设计与制造", "民宿服务", "工惠有约", "公益乐学", "工匠沙龙", "技术帮扶"} <= names
    for course in courses:
        assert isinstance(course, Course)
        assert course.category and course.provider and course.region and course.description
        assert course.capacity is None or isinstance(course.capacity, int)
        assert course.answer.startswith(f"【{course.name}】")
    plc = real_kb.get_course("jxgf_plc")
    assert plc.programme == "jxgf" and plc.enrollable and "plc" in [a.lower() for a in plc.aliases]
    assert set(plc.sample_fields) >= {"schedule", "location", "contact", "capacity"}
    assert plc.answer.endswith(SAMPLE_NOTE)
    assert real_kb.get_course("faq_contact") is None


def test_list_courses_filters(real_kb: KnowledgeBase):
    assert [c.id for c in real_kb.list_courses(region="奉化")] == ["region_fenghua_tailoring"]
    assert [c.id for c in real_kb.list_courses(region="宁海县")] == ["region_ninghai_mould"]
    assert {c.id for c in real_kb.list_courses(programme="jxgf")} == {
        "jxgf_robot",
        "jxgf_plc",
        "jxgf_inverter",
        "jxgf_fixture",
        "jxgf_auto_repair",
    }
    online = real_kb.list_courses(category="线上学习")
    assert online and all(not c.enrollable for c in online)
    assert all(c.enrollable for c in real_kb.list_courses(enrollable=True))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("plc编成", "jxgf_plc"),
        ("PLC编城", "jxgf_plc"),  # a typo that is not listed as an alias
        ("ＰＬＣ编程怎么报名？", "jxgf_plc"),  # full-width letters and punctuation
        ("我想学plc", "jxgf_plc"),
        ("工业机械人", "jxgf_robot"),
        ("工业机器仁", "jxgf_robot"),
        ("有没有机器人培训", "jxgf_robot"),
        ("汽修班", "jxgf_auto_repair"),
        ("我想报汽修班", "jxgf_auto_repair"),
        ("汽车维休", "jxgf_auto_repair"),
        ("变频器坏了修理培训", "jxgf_inverter"),
        ("磨具设计", "region_ninghai_mould"),
        ("象山民宿", "region_xiangshan_homestay"),
        ("劳模班学费谁出", "subsidy_model_worker_class"),
        ("劳模先进班学费要自己出吗", "subsidy_model_worker_class"),
        ("拿到毕业证有补贴吗", "subsidy_degree"),
        ("毕业证拿到了工会补贴吗", "subsidy_degree"),
        ("职工书屋有多少家", "reading_bookhouse"),
        ("书屋", "reading_bookhouse"),
        ("读书会怎么加入", "reading_teams"),
        ("这个月读什么书", "reading_monthly_book"),
        ("文体联赛", "sports_league"),
        ("健步走什么时候", "sports_walk"),
        ("匠心工坊", "jxgf"),
        ("工匠沙龙怎么参加", "gjsl"),
        ("甬工惠", "online_ygh"),
        ("职工活动中心有多少", "faq_activity_centers"),
        ("怎么报名", "faq_how_to_sign_up"),
        ("工会电话", "faq_contact"),
        ("请问培训要钱吗？", "faq_fees"),
        ("文化宫是干什么的", "org_workers_cultural_palace"),
    ],
)
def test_search_finds_the_right_entry(real_kb: KnowledgeBase, query: str, expected: str):
    hits = real_kb.search(query)
    assert hits, query
    assert hits[0].id == expected, [(h.id, h.score) for h in hits]
    assert hits[0].confident, (query, hits[0].score)
    assert hits[0].score >= CONFIDENT_SCORE


@pytest.mark.parametrize(
    "query",
    [
        "今天天气怎么样",
        "股票怎么买",
        "工资怎么算",
        "明天会下雨吗",
        "哪里有好吃的火锅",
        "手机屏幕碎了",
        "房贷利率多少",
        "你好",
    ],
)
def test_off_topic_questions_are_not_confident(real_kb: KnowledgeBase, query: str):
    hits = real_kb.search(query)
    assert all(not h.confident for h in hits), [(h.id, h.score) for h in hits]
    assert all(h.score < 60 for h in hits), [(h.id, h.score) for h in hits]


def test_ambiguous_word_is_not_confident(real_kb: KnowledgeBase):
    hits = real_kb.search("工会")
    assert hits and not hits[0].confident


def test_scores_are_absolute_not_relative(real_kb: KnowledgeBase):
    # An exact phrasing is 100 whatever else matches; a vague question stays low
    # even though it is the best this knowledge can do.
    assert real_kb.search("职工书屋有多少家")[0].score == 100
    assert real_kb.search("工资怎么算")[0].score < CONFIDENT_SCORE


def test_hit_fields(real_kb: KnowledgeBase):
    hit = real_kb.search("劳模班学费谁出")[0]
    assert hit.kind == "subsidy"
    assert hit.title == "劳模先进班学费补贴"
    assert "全额学费补贴" in hit.answer
    assert hit.source.startswith("浙江工人日报 2020-06-25")
    assert hit.matched == "劳模班学费谁出"
    assert hit.sample is False


def test_kind_hint_never_filters_or_rescores(real_kb: KnowledgeBase):
    plain = {h.id: h.score for h in real_kb.search("学历提升", limit=10)}
    hinted = real_kb.search("学历提升", kind="subsidy", limit=10)
    assert "xlts_class" in {h.id for h in hinted}  # a course, although the hint says subsidy
    for hit in hinted:
        if hit.id in plain:
            assert hit.score == plain[hit.id]
    # A wrong hint cannot beat a clearly better match of another kind.
    assert real_kb.search("plc编成", kind="reading")[0].id == "jxgf_plc"
    assert real_kb.search("劳模班学费谁出", kind="course")[0].id == "subsidy_model_worker_class"


def test_get_and_unknown_ids(real_kb: KnowledgeBase):
    hit = real_kb.get("faq_contact")
    assert hit.score == 100 and hit.confident and hit.sample
    assert hit.answer.endswith(SAMPLE_NOTE)
    assert real_kb.get("no_such_entry") is None
    assert real_kb.search("") == [] and real_kb.search("   ") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plc编成", "jxgf_plc"),
        ("PLC编城", "jxgf_plc"),
        ("工业机械人", "jxgf_robot"),
        ("汽修班", "jxgf_auto_repair"),
        ("我想报名汽修班", "jxgf_auto_repair"),
        ("报名修车的课", "jxgf_auto_repair"),
        ("变频器", "jxgf_inverter"),
        ("夹具", "jxgf_fixture"),
        ("电大", "xlts_class"),
        ("工惠有约", "ghyy"),
        ("工会有约", "ghyy"),
        ("民宿", "region_xiangshan_homestay"),
    ],
)
def test_find_courses_handles_typos_and_colloquial_names(real_kb: KnowledgeBase, text: str, expected: str):
    found = real_kb.find_courses(text)
    assert found, text
    course, score = found[0]
    assert course.id == expected, [(c.id, s) for c, s in found]
    assert CONFIDENT_SCORE <= score <= 100
    if len(found) > 1:
        assert found[1][1] <= score


def test_find_courses_off_topic_is_low(real_kb: KnowledgeBase):
    for text in ("股票", "天气预报", "工资"):
        assert all(score < CONFIDENT_SCORE for _, score in real_kb.find_courses(text)), text


def test_monthly_book(real_kb: KnowledgeBase):
    book = real_kb.monthly_book(month="2026-11")
    assert book is not None and book.has_sample
    assert book.answer.endswith(SAMPLE_NOTE)
    assert "示例：" not in book.answer
    assert real_kb.monthly_book(month="1999-01") is None
    assert re.fullmatch(r"\d{4}-\d{2}", book.month)
    assert real_kb.monthly_book() == book  # the session's clock stands in November 2026


def test_monthly_book_placeholder_follows_the_clock(tmp_path: Path, copy_real):
    kdir = copy_real(tmp_path / "knowledge")
    clock = FixedClock.on(dt.date(2026, 11, 30))
    kb = KnowledgeBase.open(kdir, tmp_path / "var" / "idx.db", registry_path=tmp_path / "var" / "reg.db", clock=clock)
    assert kb.monthly_book() is not None
    answer = kb.get("reading_monthly_book").answer
    assert "2026年11月精读书目：《书名待定》" in answer and answer.endswith(SAMPLE_NOTE)
    clock.advance(days=1)  # December: staff have not entered its book
    assert kb.monthly_book() is None
    answer = kb.get("reading_monthly_book").answer
    assert "本月（2026年12月）精读书目还没有公布" in answer
    assert "上一期（2026年11月）精读的是《书名待定》" in answer and answer.endswith(SAMPLE_NOTE)
    clock.advance(days=365)  # long after the last book: nothing older is worth naming
    answer = kb.get("reading_monthly_book").answer
    assert "本月（2027年12月）精读书目还没有公布" in answer and "上一期" not in answer
    assert SAMPLE_NOTE not in answer


def test_monthly_book_text_is_never_empty(real_kb: KnowledgeBase):
    november = real_kb.monthly_book_text(FixedClock.on(dt.date(2026, 11, 2)))
    assert november == real_kb.monthly_book(month="2026-11").answer  # with its introduction
    december = real_kb.monthly_book_text(FixedClock.on(dt.date(2026, 12, 1)))
    assert december.startswith("本月（2026年12月）精读书目还没有公布，请留意工会通知。")
    assert "上一期（2026年11月）" in december and december.endswith(SAMPLE_NOTE)
    assert real_kb.monthly_book_text(FixedClock.on(dt.date(1999, 1, 1))) == (
        "本月（1999年1月）精读书目还没有公布，请留意工会通知。"
    )


def test_the_settings_clock_is_the_default(tmp_path: Path, copy_real, monkeypatch: pytest.MonkeyPatch):
    """Without a clock of its own the knowledge base asks the settings (UH_TODAY), so
    every process of a test stack agrees on the month."""
    kdir = copy_real(tmp_path / "knowledge")
    kb = KnowledgeBase.open(kdir, tmp_path / "var" / "idx.db", registry_path=tmp_path / "var" / "reg.db")
    monkeypatch.setenv("UH_TODAY", "2026-11-20")
    assert kb.monthly_book() is not None and "2026年11月精读书目" in kb.monthly_book_text()
    monkeypatch.setenv("UH_TODAY", "2026-12-20")
    assert kb.monthly_book() is None and "本月（2026年12月）" in kb.monthly_book_text()


def test_default_kb_uses_the_environment_and_is_cached(tmp_path: Path, copy_real):
    copy_real(tmp_path / "knowledge")  # UH_KNOWLEDGE_DIR points here (conftest)
    kb = default_kb()
    assert kb is default_kb()
    assert kb.knowledge_dir == tmp_path / "knowledge"
    assert kb.index_path == tmp_path / "var" / "knowledge_index.db"
    assert kb.index_path.exists()
    assert kb.search("plc编成")[0].id == "jxgf_plc"


def test_search_is_fast_at_the_real_size(real_kb: KnowledgeBase):
    import time

    queries = ["plc编成", "劳模班学费谁出", "工资怎么算", "职工书屋有多少家", "我想报汽修班"] * 20
    start = time.process_time()
    for q in queries:
        real_kb.search(q)
    per_query_ms = (time.process_time() - start) / len(queries) * 1000
    assert per_query_ms < 20, per_query_ms  # generous: measured ~1 ms


def test_find_courses_large_catalogue_path_gives_the_same_answers(
    real_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
):
    import knowledge.kb as kbmod

    monkeypatch.setattr(kbmod, "BRUTE_FORCE_COURSES", 0)  # as if there were thousands of courses
    for text, expected in [
        ("plc编成", "jxgf_plc"),
        ("工业机械人", "jxgf_robot"),
        ("我想报名汽修班", "jxgf_auto_repair"),
        ("磨具设计", "region_ninghai_mould"),
    ]:
        course, score = real_kb.find_courses(text)[0]
        assert course.id == expected and score >= CONFIDENT_SCORE, text


# --- the topic prior, names and synonyms (knowledge.search) -------------------------


def test_clear_leader_of_the_hinted_topic_is_confident(real_kb: KnowledgeBase):
    # 52 points is below CONFIDENT_SCORE, but the NLU says "subsidy" and the subsidy
    # entry leads every other entry clearly: answered.
    hits = real_kb.search("考了高级工证书政府有钱补吗", kind="subsidy")
    assert hits[0].id == "subsidy_high_skill_fund" and hits[0].score < CONFIDENT_SCORE
    assert hits[0].confident
    # Without a topic hint the same score is only offered as a nearest topic.
    assert not real_kb.search("考了高级工证书政府有钱补吗")[0].confident


def test_entries_tagged_with_the_topic_count_for_it(real_kb: KnowledgeBase):
    # The online 职工书屋 is a course tagged 读书: a reading question may get it.
    assert "online_zgsw" in real_kb.snapshot.tagged_for("reading")
    assert "online_zgsw" not in real_kb.snapshot.tagged_for("subsidy")


@pytest.mark.parametrize("kind", ["faq", "subsidy", "reading", "sports", "course"])
@pytest.mark.parametrize("query", ["今天天气怎么样", "股票怎么买", "工资怎么算", "哪里有好吃的火锅", "房贷利率多少"])
def test_off_topic_questions_stay_unconfident_whatever_the_hint(real_kb: KnowledgeBase, query: str, kind: str):
    hits = real_kb.search(query, kind=kind)
    assert all(not h.confident for h in hits), [(h.id, h.score) for h in hits]


def test_a_common_name_does_not_outweigh_what_is_asked(real_kb: KnowledgeBase):
    # "市总" (an alias of 宁波市总工会) in a question about the public training fund.
    hits = real_kb.search("市总今年在公益培训上投了多少", kind="subsidy")
    org = next(h for h in hits if h.id == "org_city_federation")
    assert org.score < CONFIDENT_SCORE
    assert not (hits[0].id == "org_city_federation" and hits[0].confident)


def test_everyday_synonyms_meet_the_article_words(real_kb: KnowledgeBase):
    from knowledge.text import canonical

    assert canonical("读专升本") == "读学历"
    assert canonical("文凭拿到了") == "毕业证拿到了"
    hit = real_kb.search("拿到文凭以后工会怎么补", kind="subsidy")[0]
    assert hit.id == "subsidy_degree" and hit.confident
    hit = real_kb.search("车间里的技术难题找谁", kind="faq")[0]
    assert hit.id == "jsbf" and hit.confident
