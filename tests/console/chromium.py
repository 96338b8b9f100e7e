"""Debian's Chromium, its driver and a Chinese font for the console's browser test.

    python -m tests.console.chromium install    # apt-get install them if missing (idempotent)

As ``make test-scale`` installs PostgreSQL: the real browser from the OS packages, never
a browser download of Selenium's or Playwright's own (nothing here reaches the internet
but the machine's Debian mirror, and only when a package is missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: A CJK font, so that screenshots show Chinese and not empty boxes.
FONT_DIR = Path("/usr/share/fonts/truetype/wqy")
PACKAGES = {"chromium": CHROMIUM, "chromium-driver": CHROMEDRIVER, "fonts-wqy-zenhei": FONT_DIR}


def missing() -> list[str]:
    return [name for name, path in PACKAGES.items() if not path.exists()]


def install(timeout: float = 900.0) -> None:
    needed = missing()
    if not needed:
        print("Chromium、chromedriver 和中文字体已安装。", flush=True)
        return
    if os.geteuid() != 0:
        command = f"apt-get update && apt-get install -y {' '.join(needed)}"
        raise SystemExit(f"缺少 {' '.join(needed)}：请以 root 运行 `{command}`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", f"DPkg::Lock::Timeout={int(timeout)}"]
    print(f"正在用 apt-get 安装 {' '.join(needed)} …", flush=True)
    subprocess.run(["apt-get", *lock, "update", "-q"], check=True, env=env, timeout=timeout)
    subprocess.run(["apt-get", *lock, "install", "-y", "-q", *needed], check=True, env=env, timeout=timeout)
    if missing():
        raise SystemExit(f"安装后仍找不到 {' '.join(missing())}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        install()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
