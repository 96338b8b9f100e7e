"""knowledge.documents and answering.passages: notices imported as knowledge.

The source article itself is imported: its facts that no entry covers are then answered
from it, with the notice's name and date; bad uploads are refused and change nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from answering import answer_question
from knowledge import KnowledgeBase
from knowledge import documents as docs
from tests.console.files import (
    ARTICLE_TITLE,
    PNG,
    UNCOVERED_FACT,
    UNCOVERED_QUESTION,
    article_bytes,
    docx_with,
    pdf_with_text,
    scanned_pdf,
    zip_without_document,
)

NOW = dt.datetime(2026, 11, 16, 10, 0)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "var" / "documents.db"


def imported(store: Path, data: bytes, name: str, **kw) -> docs.Document:
    return docs.import_document(data, name, uploaded_by="staff1", now=NOW, db_path=store, **kw)


def count(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store) as con:
        return con.execute("SELECT COUNT(*) FROM documents").fetchone()[0]


def test_the_source_article_is_split_into_passages_and_dated(store: Path) -> None:
    doc = imported(store, article_bytes(), "000_9ecdfa2327696c91.txt", title=ARTICLE_TITLE)
    assert doc.kind == "txt" and doc.doc_date == "2020-06-25" and doc.title == ARTICLE_TITLE
    passages = docs.passages_of(doc.id, db_path=store)
    assert len(passages) >= 10 and all(len(p.text) <= docs.PASSAGE_MAX + 1 for p in passages)
    assert any(p.heading.startswith("三、") for p in passages)


def test_a_fact_no_entry_covers_is_answered_from_the_article(
    store: Path, real_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UH_DATA_DIR", str(store.parent))
    before = answer_question(real_kb, UNCOVERED_QUESTION, intent="ask_general")
    assert before.status in ("not_sure", "not_found") and UNCOVERED_FACT not in before.text
    imported(store, article_bytes(), "article.txt", title=ARTICLE_TITLE)
    outcome = answer_question(real_kb, UNCOVERED_QUESTION, intent="ask_general")
    assert outcome.status == "passage" and outcome.gap is None
    assert UNCOVERED_FACT in outcome.text
    assert f"依据：《{ARTICLE_TITLE}》（2020-06-25）" in outcome.text
    assert len(outcome.replies[0].text) < 300  # a short extract, not the whole notice
    # a question an entry answers is still answered by the entry
    assert answer_question(real_kb, "劳模班学费谁出", intent="ask_subsidy").status == "answered"
    # nothing to do with the notice: still not found, recorded as a gap
    weather = answer_question(real_kb, "今天天气怎么样", intent="out_of_scope")
    assert weather.status == "out_of_scope" and weather.gap


def test_uses_are_counted_only_when_the_caller_says_so(store: Path) -> None:
    doc = imported(store, article_bytes(), "article.txt")
    hit = docs.search(UNCOVERED_QUESTION, db_path=store)[0]
    assert sum(p.uses for p in docs.passages_of(doc.id, db_path=store)) == 0  # searching counts nothing
    docs.record_use(hit.passage.id, now=NOW, db_path=store)
    docs.record_use(hit.passage.id, now=NOW, db_path=store)
    used = {p.id: p.uses for p in docs.passages_of(doc.id, db_path=store)}
    assert used[hit.passage.id] == 2 and docs.get_document(doc.id, db_path=store).uses == 2


def test_docx_pdf_and_markdown_are_read(store: Path) -> None:
    lines = ["关于职工疗休养的通知（测试）", "2026年职工疗休养报名从12月1日开始，名额200人。", "联系电话见各基层工会。"]
    pdf = imported(store, pdf_with_text(lines), "疗休养.pdf")
    assert "名额200人" in "".join(p.text for p in docs.passages_of(pdf.id, db_path=store))
    word = imported(store, docx_with([*lines[:1], "职工疗休养（测试）每人补助500元，需提前报名。"]), "通知.docx")
    assert "补助500元" in docs.passages_of(word.id, db_path=store)[0].text
    md = imported(store, "# 标题\n\n**测试**通知：[读书节](http://x) 12月开幕，欢迎参加。".encode(), "a.md")
    assert "读书节 12月开幕" in docs.passages_of(md.id, db_path=store)[0].text
    assert docs.search("疗休养补助多少钱", db_path=store)[0].document.id == word.id


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (scanned_pdf(), "扫描件.pdf", "读不出文字（可能是扫描件"),
        (PNG, "通知.pdf", "文件内容不是PDF"),
        (zip_without_document(), "通知.docx", "文件内容不是Word 文档"),
        (PNG, "通知.txt", "文件内容不是文本"),
        (b"%PDF-1.4 broken", "坏的.pdf", "打不开"),
        ("正文".encode(), "通知.doc", "另存为 .docx"),
        (b"x" * 100, "通知.exe", "不支持"),
        (b"", "空.txt", "文件是空的"),
        ("太短".encode(), "短.txt", "几乎没有文字"),
    ],
    ids=lambda value: None if isinstance(value, str) else "bytes",  # a zip's bytes hold the time: no id
)
def test_bad_uploads_get_a_clear_message_and_change_nothing(store: Path, data: bytes, name: str, message: str) -> None:
    with pytest.raises(docs.DocumentError, match=message.replace("(", r"\(").replace("（", "（")):
        imported(store, data, name)
    assert count(store) == 0


def test_a_file_over_the_limit_is_refused_before_it_is_read(store: Path) -> None:
    with pytest.raises(docs.DocumentError, match="文件太大"):
        imported(store, b"a" * 2048, "big.txt", max_bytes=1024)
    assert count(store) == 0


def test_the_same_file_twice_is_refused(store: Path) -> None:
    imported(store, article_bytes(), "a.txt")
    with pytest.raises(docs.DocumentError, match="已经导入过"):
        imported(store, article_bytes(), "b.txt")
    assert count(store) == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\通知.txt", "通知.txt"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b<script>.txt", "a_b_script_.txt"),
        ("", "未命名文件"),
        ("..", "未命名文件"),
    ],
)
def test_file_names_are_sanitised(raw: str, clean: str) -> None:
    assert docs.sanitize_filename(raw) == clean


def test_removing_a_document_removes_its_passages_from_search(store: Path) -> None:
    doc = imported(store, article_bytes(), "a.txt")
    assert docs.search(UNCOVERED_QUESTION, db_path=store)
    assert docs.remove_document(doc.id, db_path=store) is not None
    assert docs.search(UNCOVERED_QUESTION, db_path=store) == [] and docs.list_documents(db_path=store) == []
    assert docs.remove_document(doc.id, db_path=store) is None
