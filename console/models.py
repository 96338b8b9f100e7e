"""What the console itself stores: account profiles, versions of knowledge entries and
the audit log. The knowledge stays in its files; a version is a copy for the history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What an account has besides Django's user: the name colleagues know, and whether
    the password was set by an admin and must be changed at the next login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField("姓名", max_length=60, blank=True)
    must_change_password = models.BooleanField("下次登录须改密码", default=False)


class Version(models.Model):
    """One save of one knowledge entry: who, when, what it was before and after."""

    CREATE, UPDATE, DELETE, RESTORE = "create", "update", "delete", "restore"
    ACTIONS = {CREATE: "新增", UPDATE: "修改", DELETE: "删除", RESTORE: "恢复"}

    file = models.CharField(max_length=60)
    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=100, db_index=True)
    action = models.CharField(max_length=10)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    changes = models.JSONField(default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)
    at = models.DateTimeField()
    restored_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "key", "-at"])]

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)


class AuditEntry(models.Model):
    """Append-only: who did what, when. Never changed or deleted from the console
    (``save`` refuses an update, ``delete`` refuses; on SQLite and PostgreSQL a database
    trigger refuses both too, see migration 0002)."""

    at = models.DateTimeField(db_index=True)
    # No cascade of any kind (the table refuses updates): the name is kept beside the id.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False)
    username = models.CharField(max_length=150, db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict)
    ip = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("the audit log is append-only")
