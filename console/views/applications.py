"""Subsidy applications: the queue by status (filtered by date and model-worker class),
one application with the certificate number masked until an audited click, approve or
reject with a note (the worker is notified and sees it in "我的申请"), batch approval
after a confirmation page. A decision sent twice is applied once."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from console import audit, office, service
from console.roles import STAFF, role_required
from registry import Application, decide_application, get_any_application, list_applications_for_office

STATUS_TABS = (
    ("pending", "待审核"),
    ("approved", "已通过"),
    ("rejected", "未通过"),
    ("cancelled", "已撤回"),
    ("", "全部"),
)
DECISIONS = {"approved": "通过", "rejected": "不通过", "pending": "退回待审核"}
MAX_BATCH = 200


def _day(text: str | None) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat() if text else ""
    except ValueError:
        return ""


def _filters(request: HttpRequest) -> dict[str, str]:
    status = request.GET.get("status", "pending")
    return {
        "status": status if status in dict(STATUS_TABS) else "pending",
        "since": _day(request.GET.get("since")),
        "until": _day(request.GET.get("until")),
        "mw": request.GET.get("mw") if request.GET.get("mw") in ("1", "0") else "",
    }


def _query(filters: dict[str, str]) -> list[Application]:
    with office.registry_db() as db:
        return list_applications_for_office(
            db,
            status=filters["status"] or None,
            since=filters["since"] or None,
            until=filters["until"] or None,
            model_worker_class=None if not filters["mw"] else filters["mw"] == "1",
        )


@role_required(STAFF)
def application_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    bad_date = any(request.GET.get(k) and not filters[k] for k in ("since", "until"))
    return render(
        request,
        "console/applications.html",
        {
            "applications": _query(filters),
            "filters": filters,
            "tabs": STATUS_TABS,
            "bad_date": bad_date,
            "query": request.GET.urlencode(),
        },
    )


def _get_or_404(number: str) -> Application:
    with office.registry_db() as db:
        found = get_any_application(db, number)
    if found is None:
        raise Http404(number)
    return found


@role_required(STAFF)
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    application = _get_or_404(number)
    shown = False
    if request.method == "POST" and request.POST.get("action") == "reveal":
        audit.record(
            request, "certificate_shown", f"查看补贴申请 {application.application_no} 的毕业证书编号", target=number
        )
        shown = True
    return render(
        request,
        "console/application_detail.html",
        {"a": application, "shown": shown, "decisions": DECISIONS, "back": request.GET.get("back", "")},
    )


def _decide(request: HttpRequest, number: str, status: str, note: str) -> str:
    """One decision; what the page says about it."""
    with office.registry_db() as db:
        result = decide_application(db, number, status, note, clock=service.config().clock)
    if result.status == "unchanged":
        return f"申请 {number} 已经是“{result.application.status_label if result.application else ''}”，没有重复处理。"
    if result.status == "not_found":
        return f"没有找到申请 {number}。"
    if result.status == "not_allowed":
        return f"申请 {number} 已被职工撤回或职工已删除个人数据，不能再审核。"
    audit.record(
        request,
        "application_decide",
        f"补贴申请 {number}：{DECISIONS[status]}" + (f"（{note}）" if note else ""),
        target=number,
        status=status,
        previous=result.previous_status,
        note=note,
    )
    return ""


@role_required(STAFF)
def application_decide(request: HttpRequest, number: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("application_detail", number=number)
    status = request.POST.get("status", "")
    if status not in DECISIONS:
        messages.error(request, "请选择通过或不通过。")
        return redirect("application_detail", number=number)
    note = " ".join((request.POST.get("note") or "").split())[:500]
    if status == "rejected" and not note:
        messages.error(request, "不通过时请写明原因，职工会在“我的申请”里看到。这次没有保存。")
        return redirect("application_detail", number=number)
    problem = _decide(request, number, status, note)
    if problem:
        messages.info(request, problem)
    else:
        messages.success(request, f"申请 {number} 已{DECISIONS[status]}，已通知职工；职工发“我的申请”也能看到。")
    return redirect("application_detail", number=number)


@role_required(STAFF)
def application_batch(request: HttpRequest) -> HttpResponse:
    """Step 1 (``confirm`` absent): a page listing what would be approved. Step 2: approve
    each still-pending one with the note; each is audited like a single decision."""
    back = reverse("application_list") + ("?" + request.POST.get("query", "") if request.POST.get("query") else "")
    if request.method != "POST":
        return redirect(back)
    numbers = list(dict.fromkeys(n for n in request.POST.getlist("number") if n))[:MAX_BATCH]
    if not numbers:
        messages.error(request, "请先勾选要通过的申请。")
        return redirect(back)
    note = " ".join((request.POST.get("note") or "").split())[:500]
    if request.POST.get("confirm") != "yes":
        with office.registry_db() as db:
            chosen = [a for a in (get_any_application(db, n) for n in numbers) if a is not None]
        return render(
            request,
            "console/applications_confirm.html",
            {"chosen": chosen, "note": note, "query": request.POST.get("query", "")},
        )
    done: list[str] = []
    skipped: list[str] = []
    for number in numbers:
        problem = _decide(request, number, "approved", note)
        (skipped if problem else done).append(number)
    audit.record(request, "applications_batch", f"批量通过 {len(done)} 份补贴申请", approved=done, skipped=skipped)
    text = f"已通过 {len(done)} 份申请，已分别通知职工。"
    if skipped:
        text += f"另有 {len(skipped)} 份没有处理（已经审核过、已撤回或找不到）：{'、'.join(skipped)}。"
    messages.success(request, text)
    return redirect(back)
