"""``python -m console serve | createadmin --username NAME | migrate | <any Django command>``.

``serve`` brings the database up to date and serves the console with waitress (a
production WSGI server) on ``UH_CONSOLE_HOST:UH_CONSOLE_PORT`` (127.0.0.1:8000).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command, execute_from_command_line

    if argv[:1] != ["serve"]:
        execute_from_command_line(["python -m console", *argv])
        return 0
    parser = argparse.ArgumentParser(prog="python -m console serve", description="启动工作人员后台")
    parser.add_argument("--port", type=int, help="端口（默认 UH_CONSOLE_PORT 或 8000）")
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv[1:])
    from waitress import serve

    from common import settings
    from console.roles import ensure_groups
    from console.wsgi import application

    config = settings.load().console
    call_command("migrate", verbosity=0, interactive=False)
    ensure_groups()
    port = args.port or config.port
    limit = int(max(config.upload_max_mb * 4, 64) * 1024 * 1024)
    print(f"工作人员后台：http://{config.host}:{port}/", flush=True)
    serve(
        application, host=config.host, port=port, threads=args.threads, max_request_body_size=limit, ident="uh-console"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
