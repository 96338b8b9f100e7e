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


async def test_python_m_wechat_menu_sets_the_menu_with_the_keys_the_front_end_knows(wx_api, tmp_path, capsys) -> None:
    import asyncio

    from wechat import render
    from wechat.__main__ import main

    env = {
        "WECHAT_TOKEN": "t",
        "WECHAT_APP_ID": "wx0123456789abcdef",
        "WECHAT_APP_SECRET": "s3cret-for-tests",
        "WECHAT_API_BASE_URL": wx_api.base_url,
        "UH_DATA_DIR": str(tmp_path),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert await asyncio.to_thread(main, ["menu"]) == 0
    (menu,) = wx_api.menus
    keys = [b.get("key") for top in menu["button"] for b in [top, *top.get("sub_button", [])] if b.get("key")]
    assert sorted(keys) == sorted(render.MENU_PAYLOADS)
    assert all(len(top["name"]) <= 4 for top in menu["button"]) and len(menu["button"]) <= 3
    assert "已更新" in capsys.readouterr().out
