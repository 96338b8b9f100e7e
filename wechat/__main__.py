"""``python -m wechat``: the WeChat Official Account front end (``make run`` starts it when
``WECHAT_TOKEN`` is set). ``python -m wechat menu``: set the account's custom menu."""

from __future__ import annotations

import asyncio
import logging
import sys

from common import settings as config
from common import texts
from common.settings import SettingsError
from wechat import render
from wechat.api import ApiError
from wechat.app import build, running


async def _serve() -> None:
    settings = config.load()
    app = build(settings)
    async with running(app, settings.wechat.host, settings.wechat.port):
        await asyncio.Event().wait()


def set_menu(settings: config.Settings) -> int:
    app = build(settings)
    if app.front.api is None:
        print(texts.WX_MENU_FAILED.format(error="未设置 WECHAT_APP_ID / WECHAT_APP_SECRET"), file=sys.stderr)
        return 2
    try:
        app.front.api.set_menu(render.menu_definition())
    except ApiError as error:
        print(texts.WX_MENU_FAILED.format(error=error), file=sys.stderr)
        return 1
    finally:
        app.front.close()
    print(texts.WX_MENU_SET)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = config.load()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if not settings.wechat.enabled:
        print("未设置 WECHAT_TOKEN：微信前端不启动。", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args[:1] == ["menu"]:
        return set_menu(settings)
    try:
        asyncio.run(_serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
