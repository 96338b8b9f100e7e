"""``python -m wechat``: the WeChat Official Account front end (``make run`` starts it when
``WECHAT_TOKEN`` is set)."""

from __future__ import annotations

import asyncio
import logging
import sys

from common import settings as config
from common.settings import SettingsError
from wechat.app import build, running


async def _serve() -> None:
    settings = config.load()
    app = build(settings)
    async with running(app, settings.wechat.host, settings.wechat.port):
        await asyncio.Event().wait()


def main() -> int:
    try:
        settings = config.load()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if not settings.wechat.enabled:
        print("未设置 WECHAT_TOKEN：微信前端不启动。", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
