"""Upload size limit before the body is read; a password set by an admin is changed first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse


def _limit_text() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:g} MB"


class UploadLimitMiddleware:
    """Refuse a request whose declared body is over the upload limit at once, with the
    page staff understand, before Django (or the CSRF check) reads any of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method == "POST" and length > settings.UPLOAD_MAX_BYTES + 64 * 1024:
            return render(
                request,
                "console/too_large.html",
                {"size": f"{length / 1024 / 1024:.1f} MB", "limit": _limit_text()},
                status=413,
            )
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """For a body without a declared length (chunked): stop reading a file past the
    limit; the view sees ``request.upload_too_large`` and says so."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received = start + len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.request.upload_too_large = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class PasswordChangeMiddleware:
    """An account whose password an admin set goes to "修改密码" before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            profile = getattr(user, "profile", None)
            allowed = {reverse("password_change"), reverse("logout")}
            if profile is not None and profile.must_change_password and request.path not in allowed:
                return redirect("password_change")
        return self.get_response(request)
