"""The WeChat variables, and which front ends ``make run`` starts."""

from __future__ import annotations

import sys

import pytest

from common import settings
from common.settings import SettingsError
from scripts.stack import _front_end_commands
from tests.wechat.helpers import AES_KEY


def test_the_wechat_variables() -> None:
    off = settings.load({})
    assert not off.wechat.enabled and off.wechat.port == 8088 and off.wechat.host == "127.0.0.1"
    assert off.wechat.api_base_url == "https://api.weixin.qq.com/cgi-bin/"
    on = settings.load(
        {
            "WECHAT_TOKEN": "t",
            "WECHAT_APP_ID": "wx1",
            "WECHAT_APP_SECRET": "s",
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_PORT": "9100",
            "WECHAT_API_BASE_URL": "http://127.0.0.1:1/cgi-bin",
            "WECHAT_TEMPLATE_ID": "TPL",
        }
    )
    wx = on.wechat
    assert (wx.token, wx.app_id, wx.app_secret, wx.aes_key, wx.port) == ("t", "wx1", "s", AES_KEY, 9100)
    assert wx.api_base_url == "http://127.0.0.1:1/cgi-bin/" and wx.template_id == "TPL"
    assert settings.load({"WECHAT_TOKEN": "t", "WECHAT_AES_KEY": ""}).wechat.aes_key is None  # plaintext mode
    with pytest.raises(SettingsError, match="43"):
        settings.load({"WECHAT_TOKEN": "t", "WECHAT_AES_KEY": "short"})
    with pytest.raises(SettingsError, match="WECHAT_APP_ID"):
        settings.load({"WECHAT_TOKEN": "t", "WECHAT_AES_KEY": AES_KEY})
    with pytest.raises(SettingsError, match="WECHAT_REPLY_SECONDS"):
        settings.load({"WECHAT_REPLY_SECONDS": "5"})


def test_make_run_starts_wechat_when_its_token_is_set_beside_telegram() -> None:
    def modules(env: dict[str, str]) -> list[str]:
        commands = _front_end_commands(settings.load(env))
        assert all(command[:2] == [sys.executable, "-m"] for command in commands)
        return [command[2] for command in commands]

    assert modules({}) == ["bot.local_chat"]
    assert modules({"WECHAT_TOKEN": "t"}) == ["wechat"]
    assert modules({"TELEGRAM_TOKEN": "1:x"}) == ["bot"]
    assert modules({"TELEGRAM_TOKEN": "1:x", "WECHAT_TOKEN": "t"}) == ["bot", "wechat"]
