"""Unanswered questions: grouped, most asked first, filtered by date; to FAQ; handled; CSV."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from console import audit, service
from console.roles import STAFF, role_required
from knowledge.gaps import GapGroup, group_gaps, handled_marks, list_gaps, mark_handled, reopen, write_groups


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _groups(request: HttpRequest) -> tuple[list[GapGroup], dict]:
    cfg = service.config()
    today = cfg.clock.now().date()
    since = _day(request.GET.get("since"))
    until = _day(request.GET.get("until"))
    if "since" not in request.GET:
        since = today - dt.timedelta(days=30)
    status = request.GET.get("status") or "open"
    rows = list_gaps(since=since, until=until, db_path=cfg.gaps_db)
    groups = group_gaps(rows, handled=handled_marks(db_path=cfg.gaps_db))
    if status in ("open", "handled"):
        groups = [g for g in groups if g.status == status]
    filters = {
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "status": status,
        "bad_date": any(request.GET.get(k) and _day(request.GET.get(k)) is None for k in ("since", "until")),
        "asked": len(rows),
    }
    return groups, filters


@role_required(STAFF)
def gaps(request: HttpRequest) -> HttpResponse:
    groups, filters = _groups(request)
    shown = [
        {"group": g, "faq_url": reverse("entry_new", args=["faq"]) + "?" + urlencode([("gap", n) for n in g.norms])}
        for g in groups[:200]
    ]
    return render(request, "console/gaps.html", {"groups": shown, "filters": filters, "query": request.GET.urlencode()})


@role_required(STAFF)
def gaps_csv(request: HttpRequest) -> HttpResponse:
    groups, filters = _groups(request)
    buffer = io.StringIO()
    write_groups(groups, buffer, with_status=True)
    audit.record(
        request, "gaps_export", f"导出答不上的问题 {len(groups)} 组", since=filters["since"], until=filters["until"]
    )
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        "attachment; filename=\"gaps.csv\"; filename*=UTF-8''%E7%AD%94%E4%B8%8D%E4%B8%8A%E7%9A%84%E9%97%AE%E9%A2%98.csv"
    )
    return response


@role_required(STAFF)
def gaps_status(request: HttpRequest) -> HttpResponse:
    back = reverse("gaps") + ("?" + request.POST.get("query", "") if request.POST.get("query") else "")
    if request.method != "POST":
        return redirect(back)
    norms = [n for n in request.POST.getlist("norm") if n][:500]
    label = (request.POST.get("label") or "")[:100]
    db = service.config().gaps_db
    if request.POST.get("action") == "reopen":
        reopen(norms, db_path=db)
        audit.record(request, "gaps_reopened", f"重新打开“{label}”", target=label)
        messages.success(request, f"“{label}”已重新打开。")
    else:
        note = (request.POST.get("note") or "").strip()[:200]
        mark_handled(norms, by=request.user.get_username(), note=note, db_path=db)
        audit.record(request, "gaps_handled", f"“{label}”标为已处理" + (f"：{note}" if note else ""), target=label)
        messages.success(request, f"“{label}”已标为已处理。以后再有人这样问，会重新出现在待处理里。")
    return redirect(back)
