"""Documents, gaps and the admin pages over HTTP: bad uploads answered clearly with
nothing changed, the source article answering a fact no entry covers, gaps turned into
FAQ and marked handled, CSV for Excel, the audit log read-only, accounts and roles."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from console.models import AuditEntry
from knowledge import documents as kdocs
from knowledge.gaps import record_gap
from tests.console.conftest import PASSWORD
from tests.console.files import ARTICLE_TITLE, PNG, UNCOVERED_FACT, UNCOVERED_QUESTION, article_bytes

NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def upload(client: Client, data: bytes, name: str, **fields: str):
    return client.post("/documents/", {"file": SimpleUploadedFile(name, data), **fields})


def documents_in(env: Path) -> list[kdocs.Document]:
    return kdocs.list_documents(db_path=env.parent / "var" / "documents.db")


def test_the_article_imported_answers_a_fact_no_entry_covers(client_for, env: Path) -> None:
    client = client_for("staff")
    before = client.get("/preview/?" + f"q={UNCOVERED_QUESTION}").content.decode()
    assert UNCOVERED_FACT not in before.split("职工会看到")[1].split("结果：")[0]
    response = upload(client, article_bytes(), "000_9ecdfa2327696c91.txt", title=ARTICLE_TITLE)
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "2020-06-25" in detail and "写成常见问题" in detail and "发挥工会“大学校”作用" in detail
    preview = client.get(f"/preview/?q={UNCOVERED_QUESTION}").content.decode()
    assert f"依据：《{ARTICLE_TITLE}》（2020-06-25）" in preview and UNCOVERED_FACT in preview
    assert sum(d.uses for d in documents_in(env)) == 0  # the preview counts no use
    assert AuditEntry.objects.filter(action="document_upload").count() == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (PNG, "通知.pdf", "文件内容不是PDF"),
        (PNG, "通知.docx", "文件内容不是Word 文档"),
        (b"MZ\x90\x00" + bytes(300), "通知.txt", "文件内容不是文本"),
        ("正文".encode() * 20, "通知.xls", "不支持"),
    ],
)
def test_a_wrong_type_under_a_right_name_is_refused(
    client_for, env: Path, data: bytes, name: str, message: str
) -> None:
    response = upload(client_for("staff"), data, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert documents_in(env) == []
    assert AuditEntry.objects.filter(action="document_refused").count() == 1


def test_a_huge_upload_is_refused_before_it_is_read(client_for, env: Path) -> None:
    client = client_for("staff")
    big = b"a" * (6 * 1024 * 1024)
    response = upload(client, big, "big.txt")
    html = response.content.decode()
    assert response.status_code == 413 and "文件太大" in html and "最大只能 5 MB" in html and "没有导入任何内容" in html
    assert documents_in(env) == []


def test_a_file_over_the_limit_without_a_declared_length_is_refused(client_for, env: Path, settings_limit) -> None:
    response = upload(client_for("staff"), b"x" * 5000, "big.txt")
    assert response.status_code == 400 and "文件太大" in response.content.decode()
    assert documents_in(env) == []


@pytest.fixture
def settings_limit():
    """A 4 KB limit for the upload handler alone (the middleware's check is above it)."""
    from django.conf import settings

    saved = settings.UPLOAD_MAX_BYTES
    settings.UPLOAD_MAX_BYTES = 4096
    yield
    settings.UPLOAD_MAX_BYTES = saved


def test_a_file_name_that_tries_dot_dot_slash_is_sanitised(client_for, env: Path) -> None:
    client = client_for("staff")
    response = upload(client, article_bytes(), "../../../etc/通知<b>.txt")
    assert response.status_code == 302
    (document,) = documents_in(env)
    assert document.filename == "通知_b_.txt" and "/" not in document.filename
    html = client.get(response["Location"]).content.decode()
    assert "../" not in html.split("<main>")[1] and "<b>通知" not in html
    assert not any(p.name.endswith(".txt") for p in env.parent.rglob("*") if p.parent.name in ("etc", "var"))


def test_a_scanned_pdf_gets_a_clear_message(client_for, env: Path) -> None:
    from tests.console.files import scanned_pdf

    response = upload(client_for("staff"), scanned_pdf(), "扫描件.pdf")
    assert "读不出文字（可能是扫描件或图片）" in response.content.decode() and documents_in(env) == []


def test_a_passage_becomes_an_faq_and_a_document_is_removed(client_for, env: Path) -> None:
    client = client_for("staff")
    location = upload(client, article_bytes(), "article.txt", title=ARTICLE_TITLE)["Location"]
    detail = client.get(location).content.decode()
    passage_url = re.search(r'href="(/knowledge/faq/new/\?passage=\d+)"', detail).group(1)
    form = client.get(passage_url).content.decode()
    assert f"《{ARTICLE_TITLE}》（2020-06-25）" in form and "请补上职工的问法" in form
    doc_id = int(location.rstrip("/").split("/")[-1])
    assert client.post(f"/documents/{doc_id}/delete/").status_code == 302
    assert documents_in(env) == []
    preview = client.get(f"/preview/?q={UNCOVERED_QUESTION}").content.decode()
    assert "依据：《" not in preview


def _gaps(env: Path) -> Path:
    db = env.parent / "var" / "gaps.db"
    for n, text in enumerate(["食堂几点开饭", "食堂几点开饭呀", "食堂什么时候开饭", "停车场在哪"]):
        record_gap(text, f"worker-{n}", "not_found", db_path=db, now=NOW)
    record_gap("很久以前的问题", "worker-9", "not_found", db_path=db, now=NOW - dt.timedelta(days=90))
    return db


def test_gaps_grouped_to_faq_then_handled(client_for, env: Path) -> None:
    _gaps(env)
    client = client_for("staff")
    html = client.get("/gaps/").content.decode()
    assert html.index("食堂几点开饭") < html.index("停车场在哪") and "很久以前的问题" not in html
    assert "很久以前的问题" in client.get("/gaps/?since=2026-01-01").content.decode()
    faq_url = re.search(r'href="(/knowledge/faq/new/\?gap=[^"]+)"', html).group(1).replace("&amp;", "&")
    form = client.get(faq_url).content.decode()
    assert "食堂几点开饭\n食堂什么时候开饭" in form or "食堂几点开饭" in form.split('name="questions"')[1][:200]
    norms = re.findall(r'name="gap_norm" value="([^"]+)"', form)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', form).group(1)
    saved = client.post(
        "/knowledge/faq/new/",
        {
            "action": "save",
            "id": "faq_canteen",
            "questions": "食堂几点开饭\n食堂什么时候开饭",
            "answer": "职工食堂中午11点开饭（测试条目）。",
            "source": "测试",
            "digest": digest,
            "gap_norm": norms,
        },
    )
    assert saved.status_code == 302
    open_now = client.get("/gaps/").content.decode()
    assert "<b>“食堂几点开饭”</b>" not in open_now and "<b>“停车场在哪”</b>" in open_now
    handled = client.get("/gaps/?status=handled").content.decode()
    assert "写成常见问题 faq_canteen" in handled
    # asked again after it was handled: open again
    record_gap(
        "食堂几点开饭", "worker-7", "not_found", db_path=env.parent / "var" / "gaps.db", now=NOW + dt.timedelta(hours=1)
    )
    assert "<b>“食堂几点开饭”</b>" in client.get("/gaps/").content.decode()


def test_a_group_is_marked_handled_and_reopened(client_for, env: Path) -> None:
    _gaps(env)
    client = client_for("staff")
    html = client.get("/gaps/").content.decode()
    block = html[html.index("停车场在哪") - 2000 :]
    norm = re.search(r'name="norm" value="(停车场在哪[^"]*)"', block).group(1)
    client.post("/gaps/status/", {"norm": norm, "label": "停车场在哪", "action": "handled", "note": "已转后勤"})
    assert "<b>“停车场在哪”</b>" not in client.get("/gaps/").content.decode()
    assert "已转后勤" in client.get("/gaps/?status=handled").content.decode()
    client.post("/gaps/status/", {"norm": norm, "label": "停车场在哪", "action": "reopen"})
    assert "<b>“停车场在哪”</b>" in client.get("/gaps/").content.decode()
    assert {e.action for e in AuditEntry.objects.all()} >= {"gaps_handled", "gaps_reopened"}


def test_gaps_csv_opens_in_excel(client_for, env: Path) -> None:
    _gaps(env)
    response = client_for("staff").get("/gaps/export.csv?status=all")
    body = response.content
    assert response["Content-Type"].startswith("text/csv") and body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("次数,提问人数,代表问法") and "状态" in text.splitlines()[0]
    assert "食堂几点开饭" in text and "待处理" in text


def test_the_audit_log_is_filtered_and_never_editable(client_for, env: Path) -> None:
    client = client_for("admin")
    upload(client, article_bytes(), "article.txt", title=ARTICLE_TITLE)
    html = client.get("/audit/?action=document_upload").content.decode()
    assert "导入文件《" in html and "登录成功" not in html
    assert "登录成功" in client.get("/audit/?who=u_admin").content.decode()
    entry = AuditEntry.objects.first()
    entry.summary = "改掉"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    from django.db import DatabaseError, connection, transaction

    for sql in ("UPDATE console_auditentry SET summary = 'x'", "DELETE FROM console_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert (
        client.post("/audit/", {"summary": "x"}).status_code == 405
        or AuditEntry.objects.filter(summary="x").count() == 0
    )


def test_admin_creates_an_account_that_must_change_its_password(client_for) -> None:
    admin = client_for("admin")
    weak = admin.post(
        "/accounts/", {"username": "wang", "display_name": "王", "roles": ["staff"], "password": "12345678"}
    )
    assert weak.status_code == 400 and "密码" in weak.content.decode()
    ok = admin.post(
        "/accounts/", {"username": "wang", "display_name": "王", "roles": ["staff"], "password": "Start-Pass-2026"}
    )
    assert ok.status_code == 302
    wang = Client()
    assert wang.post("/login/", {"username": "wang", "password": "Start-Pass-2026"}).status_code == 302
    assert wang.get("/knowledge/")["Location"] == "/password/"
    changed = wang.post(
        "/password/",
        {"old_password": "Start-Pass-2026", "new_password1": "Wang-Own-Pass-77", "new_password2": "Wang-Own-Pass-77"},
    )
    assert changed.status_code == 302 and wang.get("/knowledge/").status_code == 200
    assert AuditEntry.objects.filter(action="account_create", target="wang").exists()


def test_an_admin_cannot_remove_their_own_admin_role(client_for) -> None:
    from django.contrib.auth.models import User

    admin = client_for("admin", username="boss")
    me = User.objects.get(username="boss")
    response = admin.post(f"/accounts/{me.pk}/", {"action": "roles", "roles": ["staff"], "active": "on"}, follow=True)
    assert "不能取消自己的管理员角色" in response.content.decode()
    assert me.groups.filter(name="admin").exists()


def test_createadmin_has_no_default_password(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="密码不合格"):
        call_command("createadmin", "--username", "root1", "--password-stdin")
    assert not User.objects.filter(username="root1").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("createadmin", "--username", "root1", "--password-stdin", stdout=io.StringIO())
    assert Client().post("/login/", {"username": "root1", "password": PASSWORD}).status_code == 302


def test_the_stores_are_separate(client_for, env: Path) -> None:
    """The console never opens the registry; documents and gaps are the knowledge package's."""
    client = client_for("staff")
    upload(client, article_bytes(), "article.txt")
    var = env.parent / "var"
    assert (var / "documents.db").exists() and not (var / "registry.db").exists()
    with sqlite3.connect(var / "documents.db") as con:
        assert con.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1
