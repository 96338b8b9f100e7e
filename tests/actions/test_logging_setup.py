"""The action server's logs never hold a phone or certificate number in full."""

from __future__ import annotations

import logging

import pytest

from actions import logging_setup


def test_numbers_are_masked_in_the_action_servers_logs(caplog: pytest.LogCaptureFixture) -> None:
    logging_setup.install()  # as every action does when it runs
    with caplog.at_level(logging.INFO):
        logging.getLogger("actions.signup.base").error("saving 13812345678, certificate 106471202405001234")
    assert "13812345678" not in caplog.text and "106471202405001234" not in caplog.text
    assert "138****5678" in caplog.text
