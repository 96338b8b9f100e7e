"""Admins: accounts and roles, the audit log (read-only), the settings in force."""

from __future__ import annotations

import datetime as dt

from axes.utils import reset as axes_reset
from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from console import audit, service
from console.models import AuditEntry, Profile
from console.roles import ADMIN, ROLE_HELP, ROLES, ensure_groups, role_required, roles_of


@role_required(ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    who = (request.GET.get("who") or "").strip()
    action = request.GET.get("action") or ""
    text = (request.GET.get("q") or "").strip()
    since, until = request.GET.get("since") or "", request.GET.get("until") or ""
    if who:
        entries = entries.filter(username__icontains=who)
    if action:
        entries = entries.filter(action=action)
    if text:
        entries = entries.filter(summary__icontains=text) | entries.filter(target__icontains=text)
    for value, lookup in ((since, "at__date__gte"), (until, "at__date__lte")):
        try:
            if value:
                entries = entries.filter(**{lookup: dt.date.fromisoformat(value)})
        except ValueError:
            messages.error(request, f"“{value}”不是有效的日期，请写成 YYYY-MM-DD。")
    page = Paginator(entries.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "actions": audit.ACTIONS.items(),
        "labels": audit.ACTIONS,
        "filters": {"who": who, "action": action, "q": text, "since": since, "until": until},
    }
    return render(request, "console/audit.html", context)


class AccountForm(forms.Form):
    username = forms.RegexField(
        label="登录名",
        regex=r"^[A-Za-z0-9_.@-]{2,40}$",
        error_messages={"invalid": "只能用英文字母、数字和 _ . @ -，2到40个字符"},
    )
    display_name = forms.CharField(label="姓名", max_length=60, required=False)
    roles = forms.MultipleChoiceField(
        label="角色",
        choices=[(k, f"{v}（{ROLE_HELP[k]}）") for k, v in ROLES.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(
        label="初始密码", widget=forms.PasswordInput, help_text="至少10位；对方第一次登录后必须改掉"
    )

    def clean_username(self) -> str:
        name = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=name).exists():
            raise ValidationError("这个登录名已经有人用了")
        return name

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password"):
            try:
                password_validation.validate_password(data["password"], User(username=data.get("username", "")))
            except ValidationError as error:
                self.add_error("password", error)
        return data


def _set_roles(user: User, roles: list[str]) -> None:
    ensure_groups()
    user.groups.set(Group.objects.filter(name__in=roles))


@role_required(ADMIN)
def accounts(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User.objects.create_user(data["username"], password=data["password"])
            Profile.objects.create(user=user, display_name=data["display_name"], must_change_password=True)
            _set_roles(user, data["roles"])
            names = "、".join(ROLES[r] for r in data["roles"])
            audit.record(request, "account_create", f"新建账号 {user.username}（{names}）", target=user.username)
        messages.success(request, f"已新建账号 {user.username}。请把初始密码当面或电话告诉对方，第一次登录后须改密码。")
        return redirect("accounts")
    users = User.objects.order_by("username").prefetch_related("groups")
    rows = [{"user": u, "roles": "、".join(ROLES[r] for r in ROLES if r in roles_of(u)) or "（无）"} for u in users]
    return render(request, "console/accounts.html", {"form": form, "rows": rows}, status=400 if form.errors else 200)


@role_required(ADMIN)
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    profile, _ = Profile.objects.get_or_create(user=user)
    if request.method == "POST":
        action = request.POST.get("action")
        is_self = user.pk == request.user.pk
        if action == "roles":
            roles = [r for r in request.POST.getlist("roles") if r in ROLES]
            active = request.POST.get("active") == "on"
            if is_self and (ADMIN not in roles or not active):
                messages.error(request, "不能取消自己的管理员角色或停用自己的账号（请另一位管理员操作）。")
                return redirect("account_edit", pk=pk)
            profile.display_name = (request.POST.get("display_name") or "")[:60]
            profile.save()
            user.is_active = active
            user.save(update_fields=["is_active"])
            _set_roles(user, roles)
            names = "、".join(ROLES[r] for r in roles) or "无"
            state = "启用" if active else "停用"
            audit.record(
                request, "account_update", f"账号 {user.username}：角色 {names}，{state}", target=user.username
            )
            messages.success(request, "已保存。")
        elif action == "password":
            password = request.POST.get("password") or ""
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                messages.error(request, "密码没有修改：" + "；".join(error.messages))
                return redirect("account_edit", pk=pk)
            user.set_password(password)
            user.save()
            profile.must_change_password = True
            profile.save()
            audit.record(request, "account_password", f"重设了 {user.username} 的密码", target=user.username)
            messages.success(request, "密码已重设；对方下次登录后须改密码。")
        elif action == "unlock":
            axes_reset(username=user.username)
            audit.record(request, "account_unlock", f"解除了 {user.username} 的登录锁定", target=user.username)
            messages.success(request, "已解除登录锁定。")
        return redirect("account_edit", pk=pk)
    context = {"account": user, "profile": profile, "roles": ROLES.items(), "mine": roles_of(user), "help": ROLE_HELP}
    return render(request, "console/account_edit.html", context)


@role_required(ADMIN)
def console_settings(request: HttpRequest) -> HttpResponse:
    cfg = service.config()
    console = cfg.console
    rows = [
        ("知识文件目录", "UH_KNOWLEDGE_DIR", str(cfg.knowledge_dir)),
        ("运行数据目录", "UH_DATA_DIR", str(cfg.data_dir)),
        ("后台数据库", "UH_CONSOLE_DATABASE_URL", "PostgreSQL" if console.database_url else str(cfg.console_db)),
        ("后台地址", "UH_CONSOLE_HOST / UH_CONSOLE_PORT", f"{console.host}:{console.port}"),
        ("允许的域名", "UH_CONSOLE_ALLOWED_HOSTS", "、".join(console.allowed_hosts)),
        ("仅 HTTPS 传送登录信息", "UH_CONSOLE_SECURE_COOKIES", "是" if console.secure_cookies else "否"),
        ("多久不操作自动退出", "UH_CONSOLE_SESSION_HOURS", f"{console.session_hours:g} 小时"),
        (
            "登录失败几次锁定",
            "UH_CONSOLE_LOGIN_ATTEMPTS",
            f"{console.login_attempts} 次，锁定 {console.lockout_minutes} 分钟",
        ),
        ("上传文件大小上限", "UH_CONSOLE_UPLOAD_MAX_MB", f"{console.upload_max_mb:g} MB"),
        ("小助手（Rasa）地址", "RASA_URL", cfg.rasa_url),
        ("模拟日期", "UH_TODAY", cfg.today_override or "（真实日期）"),
    ]
    return render(request, "console/settings.html", {"rows": rows})
