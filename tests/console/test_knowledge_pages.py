"""Editing knowledge in the console: forms with Chinese labels, the validator's messages
beside the field, atomic saves kept as versions with one-click restore, conflicts told,
previews of unsaved edits, and a staff member's text escaped wherever it is shown."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from django.test import Client

from console.models import AuditEntry, Version
from knowledge import editing

NEW_FAQ = {
    "action": "save",
    "id": "faq_canteen",
    "title": "职工食堂开放时间",
    "questions": "食堂几点开饭\n职工食堂什么时候开门",
    "answer": "职工食堂中午 11:00-13:00 开放，凭工会会员卡就餐（测试条目）。",
    "source": "工会办公室 2026-11 通知（测试）",
}


def digest_of(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)


def test_a_new_faq_is_written_to_the_file_with_a_version_and_an_audit_entry(client_for, env: Path) -> None:
    client = client_for("staff")
    page = client.get("/knowledge/faq/new/").content.decode()
    assert "职工的问法" in page and "回答" in page and "出处" in page  # Chinese labels
    suggested = re.search(r'id="f-id" name="id" value="([a-z0-9_]+)"', page).group(1)
    assert suggested.startswith("faq_")  # an id the staff member did not invent
    before = (env / "faq.yml").read_text(encoding="utf-8")
    response = client.post("/knowledge/faq/new/", {**NEW_FAQ, "digest": editing.digest(before)})
    assert response.status_code == 302 and response["Location"] == "/knowledge/faq/faq_canteen/"
    after = (env / "faq.yml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and "- id: faq_canteen" in after  # nothing else changed
    version = Version.objects.get(key="faq_canteen")
    assert (
        version.action == "create" and version.username == "u_staff" and version.after["answer"].startswith("职工食堂")
    )
    entry = AuditEntry.objects.get(action="knowledge_create")
    assert entry.username == "u_staff" and "faq_canteen" in entry.summary
    page = client.get("/knowledge/faq/faq_canteen/").content.decode()
    assert "已保存，小助手几秒钟内就会用上" in page and "新增" in page


def test_an_edit_that_breaks_validation_shows_the_validators_message_beside_the_field(client_for, env: Path) -> None:
    client = client_for("staff")
    url = "/knowledge/faq/faq_who_can_join/"
    before = (env / "faq.yml").read_bytes()
    form = {
        "action": "save",
        "digest": digest_of(client, url),
        "title": "谁可以参加",
        "questions": "谁可以参加",
        "answer": "",
        "source": "测试",
    }
    response = client.post(url, form)
    html = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'data-field-error="answer">回答不能为空<', html)  # the validator's words, beside "answer"
    assert "这次修改没有保存" in html
    long_answer = "很长的回答。" * 60
    response = client.post(url, {**form, "answer": long_answer})
    assert re.search(r'data-field-error="answer">回答有\d+个字，超过手机一屏的上限300字', response.content.decode())
    bad_id = client.post("/knowledge/faq/new/", {**NEW_FAQ, "id": "Faq-Bad", "digest": digest_of(client, url)})
    assert "只能用小写英文字母、数字和下划线" in bad_id.content.decode()
    assert (env / "faq.yml").read_bytes() == before  # nothing changed


def test_a_course_field_of_the_wrong_type_is_named_by_the_validator(client_for, env: Path) -> None:
    client = client_for("staff")
    url = "/knowledge/course/jxgf_plc/"
    html = client.get(url).content.decode()
    assert "名额" in html and "开课日期" in html
    assert 'data-field-warning="sample_fields">提醒：还是示例信息' in html  # a warning, not an error
    form = {k: v for k, v in _form_values(html).items()}
    form.update(action="save", capacity="三十")
    response = client.post(url, form)
    assert "应该是整数，现在是文字" in response.content.decode()


def _form_values(html: str) -> dict[str, str]:
    values = dict(re.findall(r'<input type="(?:text|date|month)"[^>]*name="([a-z_]+)" value="([^"]*)"', html))
    values.update(re.findall(r'<textarea id="f-[a-z_]+" name="([a-z_]+)"[^>]*>([^<]*)</textarea>', html))
    values["digest"] = re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)
    return {k: v.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&") for k, v in values.items()}


def test_two_staff_saving_the_same_entry_the_second_is_told_and_nothing_is_lost(client_for, env: Path) -> None:
    first, second = client_for("staff", username="staff_a"), client_for("staff", username="staff_b")
    url = "/knowledge/faq/faq_who_can_join/"
    html = first.get(url).content.decode()
    form_a, form_b = _form_values(html), _form_values(second.get(url).content.decode())
    form_a.update(action="save", answer="第一位同事改的回答：面向全市职工，具体条件以通知为准。")
    form_b.update(action="save", answer="第二位同事改的回答：一线职工优先，具体条件以通知为准。")
    assert first.post(url, form_a).status_code == 302
    response = second.post(url, form_b)
    html_b = response.content.decode()
    assert response.status_code == 409 and "已经被修改过" in html_b
    assert "第二位同事改的回答" in html_b  # their text is still in the form
    text = (env / "faq.yml").read_text(encoding="utf-8")
    assert "第一位同事改的回答" in text and "第二位同事改的回答" not in text


def test_simultaneous_saves_from_threads_apply_once(client_for, env: Path) -> None:
    """The same race through the real save path: one wins, the others are told."""
    from console import service

    seen = editing.digest((env / "faq.yml").read_text(encoding="utf-8"))
    values = editing.find(env, "faq", "faq_who_can_join").values
    results = []

    def save(n: int) -> None:
        results.append(
            service.change(
                "faq", "faq_who_can_join", {**values, "answer": f"并发保存的回答第{n}版，内容足够长。"}, seen
            )
        )

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.ok for r in results) == 1 and all(r.conflict for r in results if not r.ok)


def test_an_edit_is_restored_with_one_click(client_for, env: Path) -> None:
    client = client_for("staff")
    url = "/knowledge/faq/faq_who_can_join/"
    original = editing.find(env, "faq", "faq_who_can_join").values["answer"]
    form = _form_values(client.get(url).content.decode())
    form.update(action="save", answer="改过的回答，稍后要恢复回去的测试内容。")
    assert client.post(url, form).status_code == 302
    form = _form_values(client.get(url).content.decode())
    form.update(action="save", answer="第二次改过的回答，也要被恢复掉的内容。")
    assert client.post(url, form).status_code == 302
    first = Version.objects.filter(key="faq_who_can_join").order_by("at", "id").first()
    assert first.before["answer"] == original
    html = client.get(url).content.decode()
    assert html.count('data-testid="version"') == 2 and "<del>" in html
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)
    response = client.post(f"/versions/{first.pk}/restore/", {"digest": digest})
    assert response.status_code == 302
    assert editing.find(env, "faq", "faq_who_can_join").values["answer"] == "改过的回答，稍后要恢复回去的测试内容。"
    assert Version.objects.filter(key="faq_who_can_join", action="restore").count() == 1
    assert AuditEntry.objects.filter(action="knowledge_restore").exists()


def test_a_deleted_entry_can_be_brought_back(client_for, env: Path) -> None:
    client = client_for("staff")
    url = "/knowledge/faq/faq_who_can_join/"
    digest = _form_values(client.get(url).content.decode())["digest"]
    assert client.post(url + "delete/", {"digest": digest}).status_code == 302
    assert editing.find(env, "faq", "faq_who_can_join") is None
    page = client.get(url).content.decode()
    assert "这一条已经删除了" in page and "撤销这次删除" in page
    deletion = Version.objects.get(key="faq_who_can_join", action="delete")
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    assert client.post(f"/versions/{deletion.pk}/restore/", {"digest": digest}).status_code == 302
    assert editing.find(env, "faq", "faq_who_can_join") is not None


def test_a_course_with_sign_ups_cannot_be_deleted(client_for, env: Path, tmp_path: Path) -> None:
    from tests.knowledge.helpers import sign_up

    sign_up(tmp_path / "var" / "registry.db", "jxgf_plc")
    client = client_for("staff")
    url = "/knowledge/course/jxgf_plc/"
    digest = _form_values(client.get(url).content.decode())["digest"]
    response = client.post(url + "delete/", {"digest": digest}, follow=True)
    assert "已经有 1 条报名记录，不能删掉或改 id" in response.content.decode()
    assert editing.find(env, "course", "jxgf_plc") is not None


def test_preview_of_saved_knowledge_shows_the_answer_and_the_scores(client_for) -> None:
    html = client_for("staff").get("/preview/?q=劳模班学费谁出").content.decode()
    assert "全额学费" in html and "匹配到的条目" in html and "subsidy_" in html
    assert "Rasa）现在没有运行" in html  # the intent hint says why it is missing


def test_preview_of_an_unsaved_edit_answers_from_it_and_saves_nothing(client_for, env: Path) -> None:
    client = client_for("staff")
    before = (env / "faq.yml").read_bytes()
    response = client.post(
        "/knowledge/faq/new/",
        {**NEW_FAQ, "action": "preview", "question": "食堂啥时候开饭", "digest": editing.digest(before.decode())},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "职工食堂中午 11:00-13:00 开放" in html and "faq_canteen" in html
    assert (env / "faq.yml").read_bytes() == before
    assert not (env.parent / "var" / "gaps.db").exists()  # the preview records no gap
    assert Version.objects.count() == 0


def test_an_answer_with_a_script_tag_is_escaped_everywhere_it_is_shown(client_for, env: Path) -> None:
    client = client_for("admin")
    evil = "<script>alert('x')</script>食堂中午11点开饭，测试。"
    form = {
        **NEW_FAQ,
        "answer": evil,
        "title": "<script>alert(1)</script>食堂",
        "digest": digest_of(client, "/knowledge/faq/new/"),
    }
    assert client.post("/knowledge/faq/new/", form).status_code == 302
    form = {**form, "answer": evil + "改", "digest": digest_of(client, "/knowledge/faq/faq_canteen/")}
    assert client.post("/knowledge/faq/faq_canteen/", form).status_code == 302
    pages = [
        "/knowledge/",
        "/knowledge/?q=script",
        "/knowledge/faq/faq_canteen/",
        "/preview/?q=食堂几点开饭",
        "/audit/",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
    edit = client.get("/knowledge/faq/faq_canteen/").content.decode()
    assert "&lt;script&gt;alert" in edit
    preview = client.get("/preview/?q=食堂几点开饭").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in preview


def test_list_and_search(client_for) -> None:
    client = client_for("staff")
    html = client.get("/knowledge/?kind=course&q=PLC").content.decode()
    assert "jxgf_plc" in html and "xlts_class" not in html
    assert "示例信息" in client.get("/knowledge/?kind=course").content.decode()
    assert "2026-11" in client.get("/knowledge/?kind=book").content.decode()
    everywhere = client.get("/knowledge/?kind=all&q=劳模").content.decode()
    assert "subsidy_" in everywhere and "xlts_class" in everywhere  # a subsidy and a course


def test_a_notice_is_imported_from_the_command_line(db: None, env: Path, tmp_path: Path) -> None:
    import io

    from django.core.management import CommandError, call_command

    from knowledge import documents as kdocs
    from tests.console.files import ARTICLE_TITLE, article_bytes

    article = tmp_path / "article.txt"
    article.write_bytes(article_bytes())
    out = io.StringIO()
    call_command("importdocument", str(article), "--title", ARTICLE_TITLE, stdout=out)
    assert "2020-06-25" in out.getvalue()
    assert [d.title for d in kdocs.list_documents(db_path=env.parent / "var" / "documents.db")] == [ARTICLE_TITLE]
    assert AuditEntry.objects.filter(action="document_upload", username="(命令行)").exists()
    try:
        call_command("importdocument", str(article), stdout=io.StringIO())
    except CommandError as error:
        assert "已经导入过" in str(error)
    else:
        raise AssertionError("a second import of the same file must be refused")


def test_a_hand_edit_that_broke_a_file_is_shown_not_crashed_on(client_for, env: Path) -> None:
    faq = env / "faq.yml"
    faq.write_text(
        faq.read_text(encoding="utf-8")
        + "\n- title: 没写编号的条目\n  questions: [q]\n  answer: 回答回答回答回答回答。\n  source: s\n",
        encoding="utf-8",
    )
    client = client_for("staff")
    html = client.get("/knowledge/?kind=faq").content.decode()
    assert "没有编号，请在 faq.yml" in html and "缺少必填字段 id" in html
    (env / "sports.yml").write_text("- id: [broken\n", encoding="utf-8")
    html = client.get("/knowledge/?kind=sports").content.decode()
    assert "YAML 格式错误" in html
    new = client.get("/knowledge/sports/new/", follow=True)
    assert "YAML 格式错误" in new.content.decode()
