"""The dashboard for a chosen period: conversations per day and active workers, the share
of questions answered, hand-offs and the median time to the first operator reply,
sign-ups and applications per day, the top questions and the top gaps — as charts.

Each figure comes from its store's owner: the conversations from Rasa's tracker
(``rasa_ext.activity``, read-only), unanswered questions from ``knowledge.gaps``,
hand-offs from ``handoff``, sign-ups and applications from ``registry``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from sqlalchemy.exc import SQLAlchemyError

from common.database import DRIVER_ERRORS
from console import charts, office
from console.roles import STAFF, role_required
from handoff import handoff_period
from knowledge.gaps import group_gaps, list_gaps
from rasa_ext.activity import Activity, period_activity
from registry import daily_counts

log = logging.getLogger("console")
MAX_DAYS = 366


def _day(text: str | None, default: dt.date) -> tuple[dt.date, bool]:
    if not text:
        return default, False
    try:
        return dt.date.fromisoformat(text), False
    except ValueError:
        return default, True


def period(request: HttpRequest) -> tuple[dt.date, dt.date, bool]:
    today = office.today()
    until, bad1 = _day(request.GET.get("until"), today)
    since, bad2 = _day(request.GET.get("since"), until - dt.timedelta(days=13))
    if since > until:
        since, until = until, since
    if (until - since).days >= MAX_DAYS:
        since = until - dt.timedelta(days=MAX_DAYS - 1)
    return since, until, bad1 or bad2


@role_required(STAFF)
def dashboard(request: HttpRequest) -> HttpResponse:
    since, until, bad = period(request)
    days = [(since + dt.timedelta(days=i)).isoformat() for i in range((until - since).days + 1)]
    missing: list[str] = []
    try:
        activity = period_activity(office.tracker_url(), since, until)
    except (*DRIVER_ERRORS, SQLAlchemyError) as error:  # a store down must not take the page with it
        log.warning("dashboard: conversations unavailable: %s", error)
        activity = Activity()
        missing.append("对话记录")
    cfg = office.service.config()
    gap_rows = list_gaps(since=since, until=until, db_path=cfg.gaps_db)
    gaps_per_day: dict[str, int] = {}
    for row in gap_rows:
        gaps_per_day[row.day] = gaps_per_day.get(row.day, 0) + 1
    top_gaps = [(g.representative, g.count) for g in group_gaps(gap_rows)[:10]]
    try:
        with office.handoff_db() as db:
            handoffs = handoff_period(db, since.isoformat(), until.isoformat())
    except DRIVER_ERRORS as error:
        log.warning("dashboard: hand-offs unavailable: %s", error)
        handoffs = {"per_day": {}, "answered": 0, "median_minutes": None}
        missing.append("转人工工单")
    try:
        with office.registry_db() as db:
            counts = daily_counts(db, since.isoformat(), until.isoformat())
    except DRIVER_ERRORS as error:
        log.warning("dashboard: registry unavailable: %s", error)
        counts = {"signups": {}, "applications": {}}
        missing.append("报名系统")

    def per_day(values: dict[str, int] | dict[str, dict[str, int]], key: str | None = None) -> list[float]:
        return [float((values.get(d) or {}).get(key, 0) if key else values.get(d, 0) or 0) for d in days]  # type: ignore[union-attr,arg-type]

    questions = per_day(activity.days, "questions")
    gaps = [float(gaps_per_day.get(d, 0)) for d in days]
    answered_share = [round(100 * max(q - g, 0) / q) if q else 0.0 for q, g in zip(questions, gaps, strict=True)]
    total_q, total_g = sum(questions), sum(gaps)
    hand_per_day: dict[str, int] = handoffs["per_day"]  # type: ignore[assignment]
    median = handoffs["median_minutes"]
    summary = {
        "workers": activity.workers,
        "conversations": int(sum(per_day(activity.days, "workers"))),
        "questions": int(total_q),
        "answered_share": round(100 * max(total_q - total_g, 0) / total_q) if total_q else None,
        "handoffs": sum(hand_per_day.values()),
        "median": None if median is None else round(float(median), 1),  # type: ignore[arg-type]
        "signups": sum(counts["signups"].values()),
        "applications": sum(counts["applications"].values()),
    }
    context = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "bad_date": bad,
        "missing": missing,
        "summary": summary,
        "chart_conversations": charts.bars(
            "每天对话的职工（人）与提问（次）",
            days,
            [("对话的职工", per_day(activity.days, "workers")), ("提问", questions)],
        ),
        "chart_answered": charts.bars(
            "每天答上的问题占比（%）", days, [("答上的占比", answered_share)], unit="%", percent=True
        ),
        "chart_handoffs": charts.bars(
            "每天转人工（次）", days, [("转人工", [float(hand_per_day.get(d, 0)) for d in days])]
        ),
        "chart_signups": charts.bars(
            "每天课程报名与补贴申请（份）",
            days,
            [
                ("课程报名", [float(counts["signups"].get(d, 0)) for d in days]),
                ("补贴申请", [float(counts["applications"].get(d, 0)) for d in days]),
            ],
        ),
        "chart_top_questions": charts.hbars("问得最多的问题", activity.top_questions),
        "chart_top_gaps": charts.hbars("答不上的问题（最多的）", top_gaps),
    }
    return render(request, "console/dashboard.html", context)
