"""Staff edit the files while the bot runs: reloads, rejected edits, atomic swaps."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeError
from knowledge.index import read_meta
from tests.knowledge.helpers import WELD_COURSE, sign_up

BASE = """
- id: faq_hours
  title: 办公时间
  questions:
    - 工会几点上班
    - 办公时间是什么时候
  answer: 工会工作日上午九点到下午五点办公，节假日休息。
  source: 测试
"""

NEW_ENTRY = """
- id: faq_parking
  title: 停车
  questions:
    - 工会门口能停车吗
    - 停车场在哪里
  answer: 工会大楼东侧有职工停车场，免费停放两小时。
  source: 测试
"""


def open_kb(kdir: Path, data_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.open(kdir, data_dir / "knowledge_index.db", registry_path=data_dir / "registry.db")


def edit(path: Path, text: str) -> None:
    """Write like an editor would, and make sure the mtime moves: on a coarse
    file-system clock two quick saves can share one, so it is moved on by hand."""
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    if before is not None and path.stat().st_mtime_ns <= before:
        later = before + 1_000_000
        os.utime(path, ns=(later, later))


@pytest.fixture
def kb(kdir: Path, data_dir: Path) -> KnowledgeBase:
    edit(kdir / "faq.yml", BASE)
    return open_kb(kdir, data_dir)


def answer_of(kb: KnowledgeBase, question: str) -> str | None:
    hits = kb.search(question)
    return hits[0].answer if hits and hits[0].confident else None


def test_add_change_remove(kb: KnowledgeBase, kdir: Path):
    assert answer_of(kb, "停车场在哪里") is None
    assert kb.refresh(force=True) is False  # nothing changed

    edit(kdir / "faq.yml", BASE + NEW_ENTRY)
    assert kb.refresh(force=True) is True
    assert answer_of(kb, "停车场在哪里") == "工会大楼东侧有职工停车场，免费停放两小时。"
    assert kb.get("faq_parking").title == "停车"

    edit(kdir / "faq.yml", BASE + NEW_ENTRY.replace("免费停放两小时", "免费停放三小时"))
    assert kb.refresh(force=True) is True
    assert answer_of(kb, "停车场在哪里") == "工会大楼东侧有职工停车场，免费停放三小时。"

    edit(kdir / "faq.yml", BASE)
    assert kb.refresh(force=True) is True
    assert kb.get("faq_parking") is None
    assert answer_of(kb, "停车场在哪里") is None
    assert answer_of(kb, "工会几点上班") == "工会工作日上午九点到下午五点办公，节假日休息。"


def test_new_file_and_removed_file(kb: KnowledgeBase, kdir: Path):
    edit(kdir / "sports.yml", NEW_ENTRY.replace("faq_parking", "sports_parking"))
    assert kb.refresh(force=True) is True
    assert kb.get("sports_parking").kind == "sports"
    (kdir / "sports.yml").unlink()
    assert kb.refresh(force=True) is True
    assert kb.get("sports_parking") is None


def test_broken_edit_keeps_the_last_good_knowledge(kb: KnowledgeBase, kdir: Path, caplog):
    edit(kdir / "faq.yml", BASE + NEW_ENTRY)
    assert kb.refresh(force=True) is True
    broken = BASE + NEW_ENTRY.replace("免费停放两小时", "改了一半") + "- id: faq_bad\n  questions: [坏条目\n"
    caplog.set_level(logging.WARNING, logger="knowledge")
    edit(kdir / "faq.yml", broken)
    assert kb.refresh(force=True) is False
    # Rejected as a whole: the valid half of the edit is not used either.
    assert answer_of(kb, "停车场在哪里") == "工会大楼东侧有职工停车场，免费停放两小时。"
    messages = [str(p) for p in kb.problems if p.is_error]
    assert messages == ["[错误] faq.yml 第18行：YAML 格式错误：方括号 [ ] 没有配对，或者里面少了逗号（从第17行开始）"]
    assert "这次修改没有生效，小助手继续使用上一版" in caplog.text
    assert messages[0] in caplog.text
    # Logged once per bad edit, not on every refresh.
    caplog.clear()
    assert kb.refresh(force=True) is False
    assert caplog.text == ""
    # Fixing the file brings the edit in.
    edit(kdir / "faq.yml", BASE + NEW_ENTRY.replace("免费停放两小时", "改好了"))
    assert kb.refresh(force=True) is True
    assert answer_of(kb, "停车场在哪里") == "工会大楼东侧有职工停车场，改好了。"
    assert not any(p.is_error for p in kb.problems)


def test_invalid_content_is_rejected_like_a_syntax_error(kb: KnowledgeBase, kdir: Path):
    edit(kdir / "faq.yml", BASE + BASE.replace("办公时间是什么时候", "另一个问法"))  # duplicate id
    assert kb.refresh(force=True) is False
    assert [str(p) for p in kb.problems if p.is_error] == [
        "[错误] faq.yml 第9行（条目 faq_hours，字段 id）：id faq_hours 重复了，faq.yml 第1行已经用过"
    ]
    assert answer_of(kb, "工会几点上班") == "工会工作日上午九点到下午五点办公，节假日休息。"


def test_refresh_is_throttled(kb: KnowledgeBase, kdir: Path):
    kb.check_interval = 60
    assert kb.refresh(force=True) is False  # looks now: the next look is due in a minute
    edit(kdir / "faq.yml", BASE + NEW_ENTRY)
    assert kb.refresh() is False  # looked less than a minute ago
    assert kb.get("faq_parking") is None
    kb.check_interval = 0
    assert kb.refresh() is True
    assert kb.get("faq_parking") is not None


def test_touch_without_change_does_not_rebuild(kb: KnowledgeBase, kdir: Path, data_dir: Path):
    index = data_dir / "knowledge_index.db"
    inode = index.stat().st_ino
    edit(kdir / "faq.yml", BASE)
    assert kb.refresh(force=True) is False
    assert index.stat().st_ino == inode


def test_index_is_replaced_atomically_and_no_temp_files_remain(kb: KnowledgeBase, kdir: Path, data_dir: Path):
    index = data_dir / "knowledge_index.db"
    before = index.stat().st_ino
    old_snapshot = kb.snapshot
    edit(kdir / "faq.yml", BASE + NEW_ENTRY)
    assert kb.refresh(force=True) is True
    assert index.stat().st_ino != before  # a new file moved into place, not edited in place
    assert sorted(p.name for p in data_dir.iterdir()) == ["knowledge_index.db"]
    assert read_meta(index)["n_entries"] == 2
    # A request that started before the swap still reads its own, complete snapshot.
    assert [e for e in old_snapshot.entries] == ["faq_hours"]
    assert old_snapshot.reader.doc_freqs(["停车"]) == {}


def test_concurrent_searches_never_see_half_a_reload(kdir: Path, data_dir: Path):
    def version(tag: str) -> str:
        return "".join(
            f"""
- id: faq_pair_{i}
  title: 原子测试{i}
  questions: [原子测试第{i}条, 原子测试]
  answer: 版本{tag}：这是原子测试的第{i}条回答。
  source: 测试
"""
            for i in (1, 2)
        )

    edit(kdir / "faq.yml", version("甲"))
    kb = open_kb(kdir, data_dir)
    stop = threading.Event()
    seen: list[set[str]] = []
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                hits = kb.search("原子测试", limit=2)
                assert len(hits) == 2, hits
                seen.append({h.answer.split("：")[0] for h in hits})
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            edit(kdir / "faq.yml", version("乙" if i % 2 == 0 else "甲"))
            assert kb.refresh(force=True) is True
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures
    assert seen and all(len(tags) == 1 for tags in seen)  # never one hit from each version
    assert {"版本甲"} in seen and {"版本乙"} in seen


def test_open_with_broken_files_uses_the_last_good_index(kb: KnowledgeBase, kdir: Path, data_dir: Path, caplog):
    edit(kdir / "faq.yml", "- id: faq_x\n  questions: [\n")
    caplog.set_level(logging.WARNING, logger="knowledge")
    restarted = open_kb(kdir, data_dir)
    assert answer_of(restarted, "工会几点上班") == "工会工作日上午九点到下午五点办公，节假日休息。"
    assert "小助手启动时改用上一版能用的知识" in caplog.text
    assert any(p.is_error for p in restarted.problems)
    # Once fixed, the restarted instance picks the files up.
    edit(kdir / "faq.yml", BASE + NEW_ENTRY)
    assert restarted.refresh(force=True) is True
    assert restarted.get("faq_parking") is not None


def test_open_with_broken_files_and_no_index_raises(kdir: Path, data_dir: Path):
    edit(kdir / "faq.yml", BASE.replace("  source: 测试\n", ""))
    with pytest.raises(KnowledgeError) as info:
        open_kb(kdir, data_dir)
    assert info.value.messages == ["[错误] faq.yml 第1行（条目 faq_hours，字段 source）：缺少必填字段 source"]
    assert str(info.value) == info.value.messages[0]


def test_open_reuses_an_up_to_date_index(kb: KnowledgeBase, kdir: Path, data_dir: Path):
    index = data_dir / "knowledge_index.db"
    inode = index.stat().st_ino
    again = open_kb(kdir, data_dir)
    assert index.stat().st_ino == inode  # not rebuilt
    assert answer_of(again, "工会几点上班") is not None


def test_removing_a_course_with_registrations_is_rejected(kdir: Path, data_dir: Path):
    course = WELD_COURSE
    edit(kdir / "faq.yml", BASE)
    edit(kdir / "courses.yml", course)
    kb = open_kb(kdir, data_dir)
    sign_up(data_dir / "registry.db", "c_weld")
    edit(kdir / "courses.yml", "[]\n")
    assert kb.refresh(force=True) is False
    assert kb.get_course("c_weld") is not None
    assert [str(p) for p in kb.problems if p.is_error] == [
        "[错误] courses.yml（条目 c_weld）：课程 c_weld 已经有 1 条报名记录，"
        "不能删掉或改 id；不想再招生，请保留这门课并把 enrollable 改成 false"
    ]
    edit(kdir / "courses.yml", course.replace("  source: 测试\n", "  enrollable: false\n  source: 测试\n"))
    assert kb.refresh(force=True) is True
    assert kb.get_course("c_weld").enrollable is False


def test_kind_hint_breaks_a_tie(kdir: Path, data_dir: Path):
    edit(kdir / "faq.yml", BASE.replace("工会几点上班", "活动报名方式"))
    edit(kdir / "sports.yml", BASE.replace("faq_hours", "sports_hours").replace("工会几点上班", "活动报名方式"))
    kb = open_kb(kdir, data_dir)
    plain = kb.search("活动报名方式")
    assert {h.id for h in plain[:2]} == {"faq_hours", "sports_hours"}
    assert plain[0].score == plain[1].score == 100
    assert kb.search("活动报名方式", kind="sports")[0].id == "sports_hours"
    assert kb.search("活动报名方式", kind="faq")[0].id == "faq_hours"


def test_open_with_broken_files_and_a_corrupt_index_raises(kb: KnowledgeBase, kdir: Path, data_dir: Path):
    index = data_dir / "knowledge_index.db"
    edit(kdir / "faq.yml", "- id: faq_x\n  questions: [\n")
    index.write_bytes(b"not a database at all")
    with pytest.raises(KnowledgeError):
        open_kb(kdir, data_dir)


@pytest.mark.parametrize("text", ["", "# 只剩注释\n\n"], ids=["empty", "comments-only"])
def test_an_emptied_file_keeps_the_last_good_knowledge(kb: KnowledgeBase, kdir: Path, caplog, text):
    """A truncated save (or select-all + delete) must not wipe a whole kind of knowledge."""
    caplog.set_level(logging.WARNING, logger="knowledge")
    edit(kdir / "faq.yml", text)
    assert kb.refresh(force=True) is False
    assert answer_of(kb, "工会几点上班") == "工会工作日上午九点到下午五点办公，节假日休息。"
    messages = [str(p) for p in kb.problems if p.is_error]
    assert len(messages) == 1 and messages[0].startswith("[错误] faq.yml：文件是空的")
    assert "这次修改没有生效，小助手继续使用上一版" in caplog.text
    assert messages[0] in caplog.text
    # Saying so explicitly ([] plus another file that still has entries) is accepted.
    edit(kdir / "sports.yml", NEW_ENTRY.replace("faq_parking", "sports_parking"))
    edit(kdir / "faq.yml", "[]\n")
    assert kb.refresh(force=True) is True
    assert kb.get("faq_hours") is None
    assert kb.get("sports_parking") is not None
