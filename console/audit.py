"""Recording who did what: one call per change, from every view that changes something."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from common.clock import default_clock
from console.models import AuditEntry

#: Action codes and how the audit page names them.
ACTIONS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "password_changed": "修改密码",
    "knowledge_create": "新增知识",
    "knowledge_update": "修改知识",
    "knowledge_delete": "删除知识",
    "knowledge_restore": "恢复版本",
    "document_upload": "导入文件",
    "document_refused": "文件未导入",
    "document_delete": "删除文件",
    "gaps_handled": "问题标为已处理",
    "gaps_reopened": "问题重新打开",
    "gaps_export": "导出答不上的问题",
    "account_create": "新建账号",
    "account_update": "修改账号",
    "account_password": "重设密码",
    "account_unlock": "解除登录锁定",
    "phone_shown": "查看完整手机号",
    "enrollment_cancel": "为职工取消报名",
    "capacity_change": "修改课程名额",
    "capacity_refused": "修改名额被拒绝",
    "roster_export": "导出名单",
    "certificate_shown": "查看证书编号",
    "application_decide": "审核补贴申请",
    "applications_batch": "批量通过补贴申请",
    "ticket_reply": "回复工单",
    "ticket_close": "关闭工单",
    "worker_search": "按手机号查找职工",
    "worker_view": "查看职工数据",
    "worker_delete": "删除职工数据",
}


def client_ip(request: HttpRequest | None) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:60] if request is not None else ""


def record(
    request: HttpRequest | None,
    action: str,
    summary: str,
    *,
    target: str = "",
    username: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry: who (the request's user, or ``username``), what, when (the
    settings' clock, so a test stack's entries fall on its day), from which address."""
    user = getattr(request, "user", None) if request is not None else None
    user = user if user is not None and user.is_authenticated else None
    return AuditEntry.objects.create(
        at=default_clock().now(),
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        action=action,
        target=target[:200],
        summary=summary[:500],
        details=details,
        ip=client_ip(request),
    )
