"""Fixtures for the tests of the Rasa server's extensions.

Every test here leaves Rasa as shipped: a test that installs a patch (or builds the REST
channel, which installs the speed-ups as the Rasa server does) gets it removed after.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rasa_ext import patches
from tests.rasa_ext.harness import RasaWork


@pytest.fixture(autouse=True)
def rasa_as_shipped() -> Iterator[None]:
    before = patches.installed()
    yield
    patches.remove([name for name in patches.installed() if name not in before])


@pytest.fixture
def rasa_work(monkeypatch: pytest.MonkeyPatch) -> RasaWork:
    return RasaWork(monkeypatch)
