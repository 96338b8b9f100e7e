"""Workers' data rights from the office side (admins only, every step audited): find a
worker by phone number, see everything held about them (registry, tickets, the
conversation), delete it on their written request with the same effect as "删除我的数据"
in chat.

Deleting goes through each owner, in the chat's order: the registry forgets the worker
(``registry.delete_worker_data``: seats to the waiting list, applications anonymized);
then the Rasa server is asked to purge the conversation the same way the chat's action
asks it — the ``purge_conversation`` slot, whose save makes the tracker store delete every
event of the worker and their hand-off tickets (``rasa_ext/purge.py``). The hand-off store
is also cleared directly, so the tickets go even while Rasa is down; the page then says
the conversation still has to be purged and offers the button again.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.privacy import mask_phone
from console import audit, office, service
from console.roles import ADMIN, role_required
from handoff import export_sender, forget_sender
from rasa_ext.activity import export_conversation
from registry import InvalidInput, delete_worker_data, export_worker_data, find_workers_by_phone

#: The slot the chat's deletion sets (actions.signup.delete_data.PURGE_SLOT, rasa_ext.purge.PURGE_SLOT).
PURGE_SLOT = "purge_conversation"


@role_required(ADMIN)
def worker_search(request: HttpRequest) -> HttpResponse:
    phone = (request.POST.get("phone") or "").strip()[:40] if request.method == "POST" else ""
    found, error = None, ""
    if phone:
        try:
            with office.registry_db() as db:
                found = find_workers_by_phone(db, phone)
        except InvalidInput as problem:
            error = problem.message
        else:
            audit.record(
                request,
                "worker_search",
                f"按手机号 {mask_phone(phone)} 查找职工：{len(found)} 人",
                target=mask_phone(phone),
            )
    return render(request, "console/workers.html", {"phone": phone, "found": found, "error": error})


def _held(sender_id: str) -> dict[str, Any]:
    with office.registry_db() as db:
        registry_part = export_worker_data(db, sender_id)
    with office.handoff_db() as db:
        tickets = export_sender(db, sender_id)
    conversation = export_conversation(office.tracker_url(), sender_id)
    return {"registry": registry_part, "handoff": tickets, "conversation": conversation}


@role_required(ADMIN)
def worker_detail(request: HttpRequest, sender_id: str) -> HttpResponse:
    held = _held(sender_id)
    audit.record(request, "worker_view", f"查看职工 {sender_id} 的全部数据", target=sender_id)
    reg = held["registry"]
    return render(
        request,
        "console/worker_detail.html",
        {
            "sender_id": sender_id,
            "profile": reg["profile"],
            "enrollments": reg["enrollments"],
            "teams": reg["reading_teams"],
            "applications": reg["subsidy_applications"],
            "notifications": reg["notifications"],
            "tickets": held["handoff"]["tickets"],
            "conversation": held["conversation"],
            "nothing": not (
                reg["profile"]
                or reg["enrollments"]
                or reg["subsidy_applications"]
                or held["handoff"]["tickets"]
                or held["conversation"]
            ),
            "json": json.dumps(held, ensure_ascii=False, indent=1, default=str),
        },
    )


def purge_conversation(sender_id: str) -> str:
    """Ask the Rasa server to purge the conversation as the chat's deletion does; "" when
    done, else why not."""
    cfg = service.config()
    params = {"token": cfg.rasa_token} if cfg.rasa_token else {}
    try:
        response = httpx.post(
            f"{cfg.rasa_url}/conversations/{quote(sender_id, safe='')}/tracker/events",
            params=params,
            json={"event": "slot", "name": PURGE_SLOT, "value": True},
            timeout=10.0,
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return ""


@role_required(ADMIN)
def worker_delete(request: HttpRequest, sender_id: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("worker_detail", sender_id=sender_id)
    basis = " ".join((request.POST.get("basis") or "").split())[:200]
    if not basis or request.POST.get("confirm") != "yes":
        messages.error(request, "请填写职工书面申请的编号或说明，并勾选确认。这次没有删除。")
        return redirect("worker_detail", sender_id=sender_id)
    with office.registry_db() as db:
        result = delete_worker_data(db, sender_id, clock=service.config().clock)
    with office.handoff_db() as db:
        tickets = forget_sender(db, sender_id)
    purge_error = purge_conversation(sender_id)
    audit.record(
        request,
        "worker_delete",
        f"按书面申请删除职工 {sender_id} 的数据（{basis}）" + ("；对话记录待删除" if purge_error else ""),
        target=sender_id,
        basis=basis,
        profile=result.deleted_profile,
        enrollments=result.enrollments_anonymized,
        applications=result.applications_anonymized,
        teams=result.teams_left,
        tickets=tickets["tickets"],
        promoted=[p.enrollment_no for p in result.promoted],
        conversation_purged=not purge_error,
    )
    text = (
        f"已删除：登记信息{'1 份' if result.deleted_profile else '（没有）'}，"
        f"报名 {result.enrollments_anonymized} 条已匿名（报上名的名额已让给候补），"
        f"补贴申请 {result.applications_anonymized} 份已匿名，读书团队 {result.teams_left} 个，"
        f"转人工工单 {tickets['tickets']} 个。"
    )
    if purge_error:
        messages.error(
            request,
            text + "但小助手的对话记录这次没能删除（小助手服务没有响应），请稍后在本页再点一次“删除”。",
        )
    else:
        messages.success(request, text + "与小助手的对话记录也已删除。")
    return redirect("worker_detail", sender_id=sender_id)
