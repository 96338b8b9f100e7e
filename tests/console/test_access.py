"""Every page checks the role, not just a logged-in user; logged out lands on the login
page; forms need their CSRF token; wrong passwords are throttled; sessions expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client

from tests.console.conftest import PASSWORD

STAFF_PAGES = [
    "/knowledge/",
    "/knowledge/?kind=course",
    "/knowledge/faq/new/",
    "/knowledge/faq/faq_who_can_join/",
    "/knowledge/book/2026-11/",
    "/preview/?q=劳模班学费谁出",
    "/documents/",
    "/gaps/",
    "/gaps/export.csv",
]
ADMIN_PAGES = ["/audit/", "/accounts/", "/settings/"]
ANY_PAGES = ["/", "/password/"]


@pytest.mark.parametrize("url", STAFF_PAGES + ADMIN_PAGES + ANY_PAGES)
def test_logged_out_requests_land_on_the_login_page(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    page = Client().get(response["Location"])
    assert "登录工会小助手后台" in page.content.decode()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", STAFF_PAGES + ADMIN_PAGES + ANY_PAGES),
        ("staff", STAFF_PAGES + ANY_PAGES),
        ("operator", ANY_PAGES),
        ("", ANY_PAGES),
    ],
)
def test_each_page_checks_the_role(client_for, role: str, allowed: list[str]) -> None:
    client = client_for(*([role] if role else []))
    for url in STAFF_PAGES + ADMIN_PAGES + ANY_PAGES:
        response = client.get(url)
        if url in allowed:
            assert response.status_code == 200, (role, url)
        else:
            assert response.status_code == 403, (role, url)
            assert "没有权限" in response.content.decode()


def test_an_operator_cannot_edit_knowledge(client_for, env: Path) -> None:
    before = (env / "faq.yml").read_bytes()
    client = client_for("operator")
    new = {"id": "faq_x", "questions": "食堂几点开饭", "answer": "中午十一点开饭。", "source": "测试", "digest": "x"}
    assert client.post("/knowledge/faq/new/", new).status_code == 403
    assert client.post("/knowledge/faq/faq_who_can_join/", {**new, "action": "save"}).status_code == 403
    assert client.post("/knowledge/faq/faq_who_can_join/delete/", {"digest": "x"}).status_code == 403
    assert client.post("/documents/", {}).status_code == 403
    assert client.post("/gaps/status/", {"norm": "x"}).status_code == 403
    assert (env / "faq.yml").read_bytes() == before


def test_the_menu_shows_only_what_the_role_may_open(client_for) -> None:
    staff = client_for("staff").get("/").content.decode()
    assert "知识库" in staff and "账号" not in staff
    operator = client_for("operator").get("/").content.decode()
    assert "知识库" not in operator and "人工客服" in operator and "补贴申请" not in operator


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(make_user, env: Path) -> None:
    make_user("csrf_staff", "staff")
    client = Client(enforce_csrf_checks=True)
    login = client.get("/login/")
    token = login.context["csrf_token"] if login.context else client.cookies["uh_console_csrf"].value
    assert client.post("/login/", {"username": "csrf_staff", "password": PASSWORD}).status_code == 403
    ok = client.post("/login/", {"username": "csrf_staff", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    before = (env / "faq.yml").read_bytes()
    new = {
        "id": "faq_csrf",
        "questions": "食堂几点开饭",
        "answer": "中午十一点开饭。",
        "source": "测试",
        "action": "save",
    }
    refused = client.post("/knowledge/faq/new/", new)
    assert refused.status_code == 403 and "安全检查没有通过" in refused.content.decode()
    assert (env / "faq.yml").read_bytes() == before


def test_wrong_passwords_are_throttled(make_user) -> None:
    from console.models import AuditEntry

    make_user("victim", "staff")
    client = Client()
    for _ in range(4):
        response = client.post("/login/", {"username": "victim", "password": "wrong-password-1"})
        assert response.status_code == 200 and "用户名或密码不对" in response.content.decode()
    fifth = client.post("/login/", {"username": "victim", "password": "wrong-password-1"})
    assert fifth.status_code == 429  # the fifth failure locks the login
    locked = client.post("/login/", {"username": "victim", "password": PASSWORD})
    assert locked.status_code == 429 and "登录失败次数太多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_failed", username="victim").count() >= 5
    # another user from the same address is not locked out by it
    make_user("colleague", "staff")
    assert client.post("/login/", {"username": "colleague", "password": PASSWORD}).status_code == 302


def test_an_admin_unlocks_a_locked_account(make_user, client_for) -> None:
    victim = make_user("locked_one", "staff")
    for _ in range(5):
        Client().post("/login/", {"username": "locked_one", "password": "wrong-password-1"})
    assert Client().post("/login/", {"username": "locked_one", "password": PASSWORD}).status_code == 429
    admin = client_for("admin")
    assert admin.post(f"/accounts/{victim.pk}/", {"action": "unlock"}).status_code == 302
    assert Client().post("/login/", {"username": "locked_one", "password": PASSWORD}).status_code == 302


def test_sessions_expire(client_for) -> None:
    from django.conf import settings
    from django.contrib.sessions.models import Session

    client = client_for("staff")
    assert client.get("/knowledge/").status_code == 200
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE == 8 * 3600
    Session.objects.update(expire_date=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    response = client.get("/knowledge/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logout_needs_a_post_and_ends_the_session(client_for) -> None:
    client = client_for("staff")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/knowledge/").status_code == 302
