"""``python -m bot``: the Telegram front end (or the terminal chat without TELEGRAM_TOKEN)."""

from __future__ import annotations

import asyncio
import logging
import sys

from telegram import Update

from bot.app import build_application
from bot.config import ConfigError, load_config
from common.privacy import install_redaction


def main() -> int:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    install_redaction()  # phone and certificate numbers never reach the log in full
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if not config.telegram_token:
        try:
            from bot.local_chat import main as local_chat_main
        except ImportError:
            print("TELEGRAM_TOKEN is not set; use `python -m bot.local_chat` to chat in the terminal.", file=sys.stderr)
            return 2
        return local_chat_main() or 0
    try:
        application = build_application(config)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if config.mode == "webhook":
        from bot.webhook import serve_webhook

        asyncio.run(serve_webhook(application, config))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
