"""The first page after login: what needs attention, per role."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import office, service
from console.nav import visible_sections
from console.roles import OPERATOR, STAFF, has_role
from handoff import inbox_tickets
from knowledge import documents as kdocs
from knowledge.gaps import group_gaps, handled_marks, list_gaps
from knowledge.loader import load
from registry import list_applications_for_office


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context: dict = {"sections": visible_sections(request.user)}
    if has_role(request.user, STAFF):
        cfg = service.config()
        result = load(cfg.knowledge_dir, registry_path=cfg.registry_db, clock=cfg.clock)
        week = cfg.clock.now().date() - dt.timedelta(days=7)
        groups = group_gaps(list_gaps(since=week, db_path=cfg.gaps_db), handled=handled_marks(db_path=cfg.gaps_db))
        context.update(
            entries=len(result.entries),
            errors=len(result.errors),
            warnings=len(result.warnings),
            open_gaps=sum(1 for g in groups if g.status == "open"),
            documents=len(kdocs.list_documents(db_path=cfg.documents_db)),
        )
        with office.registry_db() as db:
            context["pending_applications"] = len(list_applications_for_office(db, status="pending"))
    if has_role(request.user, OPERATOR):
        with office.handoff_db() as db:
            waiting = inbox_tickets(db)
        context["open_tickets"] = len(waiting)
        context["unanswered_tickets"] = sum(1 for t in waiting if t.is_open and not t.answered_at)
    return render(request, "console/home.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
