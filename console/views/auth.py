"""Logging in and out, changing one's own password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import audit
from console.models import Profile


class ConsoleLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不对。连续输错多次后，这个账号会在这台电脑上暂时锁定。",
        "inactive": "这个账号已停用，请联系管理员。",
    }


class Login(LoginView):
    template_name = "console/login.html"
    authentication_form = ConsoleLoginForm
    redirect_authenticated_user = True


class Logout(LogoutView):
    next_page = "login"


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        Profile.objects.update_or_create(user=user, defaults={"must_change_password": False})
        audit.record(request, "password_changed", "修改了自己的密码", target=user.get_username())
        messages.success(request, "密码已修改。")
        return redirect("home")
    forced = getattr(getattr(request.user, "profile", None), "must_change_password", False)
    return render(request, "console/password_change.html", {"form": form, "forced": forced})
