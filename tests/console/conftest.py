"""Django for the console's HTTP tests: one throw-away database per session (migrated),
each test inside a transaction that is rolled back, and its own copy of the knowledge
files and data directory (the console reads those paths on every request)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import reset_default_kb
from knowledge.loader import copy_files
from tests.support import REPO, TODAY

PASSWORD = "Gonghui-2026-test"
#: The same moment as TODAY, spelled differently: UH_TODAY's running clock is one per
#: spelling and process, so the console tests' clock is their own and does not run on
#: under tests elsewhere that expect TODAY's clock to have just started.
CONSOLE_TODAY = TODAY + ":00"


def _setup_django() -> None:
    """Configure Django once, at collection (test modules import the console's models),
    with its database in a throw-away folder; the environment is left as it was."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    base = tempfile.mkdtemp(prefix="uh-console-tests-")
    atexit.register(shutil.rmtree, base, True)
    saved = {name: os.environ.get(name) for name in ("UH_DATA_DIR", "DJANGO_SETTINGS_MODULE")}
    os.environ["UH_DATA_DIR"] = base
    os.environ["DJANGO_SETTINGS_MODULE"] = "console.settings"
    try:
        django.setup()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_setup_django()


@pytest.fixture(scope="session")
def django_db() -> Iterator[None]:
    from django.core.management import call_command
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    yield
    teardown_test_environment()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_db: None) -> Path:
    """A fresh knowledge copy and data directory for this test; returns the knowledge dir."""
    knowledge = copy_files(REPO / "knowledge", tmp_path / "knowledge")
    monkeypatch.setenv("UH_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("UH_TODAY", CONSOLE_TODAY)
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens: the preview says so
    reset_default_kb()
    return knowledge


@pytest.fixture
def db(env: Path) -> Iterator[None]:
    from django.core.cache import cache
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()


@pytest.fixture
def make_user(db: None):
    from django.contrib.auth.models import Group, User

    from console.models import Profile
    from console.roles import ensure_groups

    def make(username: str, *roles: str, must_change: bool = False) -> User:
        ensure_groups()
        user = User.objects.create_user(username, password=PASSWORD)
        Profile.objects.create(user=user, display_name=username, must_change_password=must_change)
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def client_for(make_user):
    """``client_for(role)``: a test client logged in as a new user with that role."""
    from django.test import Client

    def login(*roles: str, username: str | None = None) -> Client:
        name = username or ("u_" + "_".join(roles or ("none",)))
        make_user(name, *roles)
        client = Client()
        response = client.post("/login/", {"username": name, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return login
