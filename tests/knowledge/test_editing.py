"""knowledge.editing: one entry changes, everything else in the file stays byte for byte;
saves are atomic and refuse a file that changed under the editor."""

from __future__ import annotations

import datetime as dt
import difflib
import threading
from pathlib import Path

import pytest

from knowledge import editing
from knowledge.loader import load
from knowledge.schema import ID_RE


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.fixture
def real(tmp_path: Path, copy_real) -> Path:
    return copy_real(tmp_path / "knowledge")


def test_editing_one_answer_changes_only_its_lines_and_keeps_comments(real: Path) -> None:
    text = editing.read_text(real, "faq.yml")
    item = editing.read_items(real, "faq")[2]
    values = dict(item.values, answer="新的回答：第一行\n第二行", tags=["报名", "新"])
    after = editing.apply_edit(text, "faq", item.key, values)
    diff = changed_lines(text, after)
    assert "+  answer: |" in diff or any(line.startswith("+    新的回答") for line in diff)
    assert "+  tags: [报名, 新]" in diff  # the inline list stays inline
    assert all("#" not in line for line in diff)  # no comment touched
    assert after.splitlines()[:14] == text.splitlines()[:14]  # the file's header comments
    assert editing.find_in(after, "faq", item.key)["answer"] == "新的回答：第一行\n第二行\n"
    assert [i.key for i in editing.items_in(after, "faq")] == [i.key for i in editing.items_in(text, "faq")]


def test_new_entry_gets_a_valid_unused_id_and_goes_to_the_end(real: Path) -> None:
    new_id = editing.new_id(real, "faq")
    assert ID_RE.match(new_id)
    assert new_id not in {i.key for kind in editing.ID_PREFIX for i in editing.read_items(real, kind)}
    text = editing.read_text(real, "faq.yml")
    after = editing.apply_edit(
        text, "faq", None, {"id": new_id, "questions": ["食堂几点开饭"], "answer": "中午11点开饭。", "source": "测试"}
    )
    assert after.startswith(text.rstrip("\n"))
    assert editing.items_in(after, "faq")[-1].key == new_id


def test_delete_removes_the_entry_but_not_the_header_comment_of_the_next(real: Path) -> None:
    text = editing.read_text(real, "courses.yml")
    items = editing.items_in(text, "course")
    after = editing.apply_edit(text, "course", items[0].key, None)
    assert "# ---------- 学历提升 ----------" in after
    assert [i.key for i in editing.items_in(after, "course")] == [i.key for i in items[1:]]


def test_dates_and_numbers_are_written_as_yaml_types_and_phone_numbers_as_text(real: Path) -> None:
    text = editing.read_text(real, "courses.yml")
    item = editing.items_in(text, "course")[1]
    after = editing.apply_edit(
        text, "course", item.key, {"start_date": dt.date(2027, 3, 1), "capacity": 30, "contact": "87654321"}
    )
    assert "  start_date: 2027-03-01" in after and "  capacity: 30" in after and "  contact: '87654321'" in after


def test_books_and_reading_entries_share_a_file(real: Path) -> None:
    text = editing.read_text(real, "reading.yml")
    book = {"month": "2026-12", "title": "示例：书名", "sample_fields": ["title"]}
    after = editing.apply_edit(text, "book", None, book)
    entry = {"id": "reading_new", "questions": ["q"], "answer": "a", "source": "s"}
    after = editing.apply_edit(after, "reading", None, entry)
    assert [i.key for i in editing.items_in(after, "book")] == ["2026-11", "2026-12"]
    assert editing.items_in(after, "reading")[-1].key == "reading_new"
    (real / "reading.yml").write_text(after, encoding="utf-8")
    result = load(real)
    assert {b.month for b in result.books} == {"2026-11", "2026-12"}


def test_an_empty_or_missing_file_gets_its_first_entry(tmp_path: Path) -> None:
    entry = {"id": "sports_a", "questions": ["q"], "answer": "回答回答回答回答回答。", "source": "s"}
    assert editing.items_in(editing.apply_edit("", "sports", None, entry), "sports")[0].key == "sports_a"
    assert editing.items_in(editing.apply_edit("# 注释\n[]\n", "sports", None, entry), "sports")[0].key == "sports_a"


def test_a_broken_file_cannot_be_edited_and_says_why(tmp_path: Path) -> None:
    with pytest.raises(editing.EditError, match="YAML 格式错误"):
        editing.items_in("- id: [broken\n", "faq")


def test_save_is_atomic_and_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "faq.yml"
    path.write_text("- id: a\n", encoding="utf-8")
    seen = editing.digest(path.read_text(encoding="utf-8"))
    inode = path.stat().st_ino
    new = editing.save(path, "- id: b\n", seen, lock_path=tmp_path / "lock")
    assert path.read_text(encoding="utf-8") == "- id: b\n" and path.stat().st_ino != inode
    assert new == editing.digest("- id: b\n")
    with pytest.raises(editing.Conflict, match="已经被修改过"):
        editing.save(path, "- id: c\n", seen, lock_path=tmp_path / "lock")
    assert path.read_text(encoding="utf-8") == "- id: b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faq.yml", "lock"]  # no temporary file left


def test_of_two_simultaneous_saves_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "faq.yml"
    path.write_text("- id: a\n", encoding="utf-8")
    seen = editing.digest("- id: a\n")
    results: list[str] = []

    def attempt(text: str) -> None:
        try:
            editing.save(path, text, seen, lock_path=tmp_path / "lock")
            results.append("saved " + text)
        except editing.Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=attempt, args=(f"- id: t{i}\n",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = [r for r in results if r.startswith("saved")]
    assert len(saved) == 1 and results.count("conflict") == 5
    assert path.read_text(encoding="utf-8") == saved[0][len("saved ") :]


def test_check_edit_uses_the_validator_and_new_errors_are_only_the_edits(real: Path, tmp_path: Path) -> None:
    text = editing.read_text(real, "faq.yml")
    item = editing.read_items(real, "faq")[0]
    broken = editing.apply_edit(text, "faq", item.key, {"answer": ""})
    result = editing.check_edit(real, "faq.yml", broken, workdir=tmp_path / "try")
    errors = editing.new_errors(load(real).problems, result.problems)
    assert [(p.entry, p.field, p.message) for p in errors] == [(item.key, "answer", "回答不能为空")]
    assert editing.read_text(real, "faq.yml") == text  # the real file is untouched


def test_changes_name_the_fields_in_chinese() -> None:
    found = editing.changes("faq", {"answer": "旧", "tags": ["a"]}, {"answer": "新", "tags": ["a"]})
    assert [(c.label, c.old, c.new) for c in found] == [("回答", "旧", "新")]
    created = editing.changes("faq", None, {"id": "faq_x", "answer": "新"})
    assert {c.field for c in created} == {"id", "answer"}
