"""Roles are Django groups; every view names the roles that may use it.

Admin: accounts, settings and workers' data (and everything else). Staff: knowledge,
documents, gaps, rosters, applications, the dashboard. Operator: the operators' inbox. A logged-in user
without the role gets a 403 page in Chinese, not the page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

ADMIN, STAFF, OPERATOR = "admin", "staff", "operator"
ROLES: dict[str, str] = {ADMIN: "管理员", STAFF: "工作人员", OPERATOR: "人工客服"}
ROLE_HELP: dict[str, str] = {
    ADMIN: "账号和设置，以及所有页面",
    STAFF: "知识库、文件、答不上的问题、课程名单、补贴审核、数据看板",
    OPERATOR: "人工客服工单",
}


def ensure_groups() -> None:
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_uh_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(ROLES)
        user._uh_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    """Admins may use every page; others need one of ``roles``."""
    mine = roles_of(user)
    return ADMIN in mine or bool(mine & set(roles))


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged out: to the login page. Logged in without one of ``roles``: 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                needed = "、".join(ROLES[r] for r in roles) or ROLES[ADMIN]
                return render(request, "console/forbidden.html", {"needed": needed}, status=403)
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate
