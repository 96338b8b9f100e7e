"""Logins, failed logins and logouts go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from console import audit


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(request, "login", "登录成功", target=user.get_username(), username=user.get_username())


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    name = str(credentials.get("username", ""))[:150]
    audit.record(request, "login_failed", "密码错误或账号已停用", target=name, username=name)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(request, "logout", "退出登录", target=user.get_username(), username=user.get_username())
