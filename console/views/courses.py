"""Courses and rosters: seats at a glance, the roster and waiting list with masked phones
(one audited "显示" at a time), cancelling for a worker with a reason, changing the
capacity (in the registry and the knowledge file together), the CSV for Excel."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.privacy import mask_phone
from console import audit, office, service
from console.roles import STAFF, role_required
from knowledge import editing
from registry import (
    Enrollment,
    RosterEntry,
    get_enrollment,
    office_cancel_enrollment,
    roster,
    set_course_capacity,
    waitlist,
)

MAX_REASON = 200
#: A cell starting with one of these is a formula to Excel: written with a leading "'".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _course_or_404(course_id: str) -> office.CourseRow:
    found = office.course(course_id)
    if found is None:
        raise Http404(course_id)
    return found


@role_required(STAFF)
def course_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/courses.html", {"courses": office.courses()})


def _lists(course_id: str) -> tuple[list[RosterEntry], list[RosterEntry]]:
    with office.registry_db() as db:
        return roster(db, course_id), waitlist(db, course_id)


def _rows(entries: list[RosterEntry], shown: str | None) -> list[dict[str, object]]:
    return [
        {
            "e": e,
            "number": e.enrollment.enrollment_no,
            "phone": (e.phone or "") if e.enrollment.enrollment_no == shown else mask_phone(e.phone or ""),
            "shown": e.enrollment.enrollment_no == shown,
            "at": e.enrollment.created_at[:16].replace("T", " "),
        }
        for e in entries
    ]


def _roster_page(request: HttpRequest, course: office.CourseRow, shown: str | None = None) -> HttpResponse:
    enrolled, waiting = _lists(course.course_id)
    return render(
        request,
        "console/roster.html",
        {"course": course, "enrolled": _rows(enrolled, shown), "waiting": _rows(waiting, shown)},
    )


@role_required(STAFF)
def course_roster(request: HttpRequest, course_id: str) -> HttpResponse:
    return _roster_page(request, _course_or_404(course_id))


def _posted_enrollment(request: HttpRequest, course_id: str) -> Enrollment | None:
    """The enrollment of this course the form names (None, said on the page, otherwise)."""
    with office.registry_db() as db:
        found = get_enrollment(db, (request.POST.get("enrollment") or "")[:40])
    if found is None or found.course_id != course_id:
        messages.error(request, "没有找到这条报名记录（可能刚被取消或删除）。")
        return None
    return found


@role_required(STAFF)
def reveal_phone(request: HttpRequest, course_id: str) -> HttpResponse:
    """POST only: the page again with one worker's full number, and an audit entry."""
    course = _course_or_404(course_id)
    found = _posted_enrollment(request, course_id) if request.method == "POST" else None
    if found is None:
        return redirect("course_roster", course_id=course_id)
    number = found.enrollment_no
    audit.record(request, "phone_shown", f"查看 {course.name} 报名 {number} 的完整手机号", target=number)
    return _roster_page(request, course, shown=number)


@role_required(STAFF)
def cancel_enrollment(request: HttpRequest, course_id: str) -> HttpResponse:
    course = _course_or_404(course_id)
    if request.method != "POST":
        return redirect("course_roster", course_id=course_id)
    reason = " ".join((request.POST.get("reason") or "").split())[:MAX_REASON]
    if not reason:
        messages.error(request, "请写明取消原因（会告诉职工本人）。这次没有取消。")
        return redirect("course_roster", course_id=course_id)
    found = _posted_enrollment(request, course_id)
    if found is None:
        return redirect("course_roster", course_id=course_id)
    number = found.enrollment_no
    with office.registry_db() as db:
        result = office_cancel_enrollment(db, number, reason, clock=service.config().clock)
    if result.status == "already_cancelled":
        messages.info(request, f"报名 {number} 已经取消过了（可能职工本人刚刚取消），没有重复处理。")
    elif result.status != "cancelled":
        messages.error(request, "没有找到这条报名记录（职工可能已删除个人数据）。")
    else:
        promoted = "、".join(p.enrollment_no for p in result.promoted)
        audit.record(
            request,
            "enrollment_cancel",
            f"取消 {course.name} 报名 {number}：{reason}" + (f"；候补 {promoted} 转正" if promoted else ""),
            target=number,
            reason=reason,
            promoted=[p.enrollment_no for p in result.promoted],
        )
        text = f"已取消报名 {number}，已通知职工本人。"
        if promoted:
            text += f"候补第一位（{promoted}）已自动转为正式报名，并会收到通知。"
        messages.success(request, text)
    return redirect("course_roster", course_id=course_id)


def _parse_capacity(text: str) -> tuple[bool, int | None]:
    text = text.strip()
    if text in ("", "不限"):
        return True, None
    try:
        value = int(text)
    except ValueError:
        return False, None
    return (value > 0, value)


@role_required(STAFF)
def change_capacity(request: HttpRequest, course_id: str) -> HttpResponse:
    """The registry first (it refuses below the seats given, under the course's lock, and
    promotes on a raise); then the knowledge file, which every later sign-up reads the
    capacity from. Until the bot has reloaded that file its sign-ups still carry the old
    number: the registry holds the new one against it (``registry.office.CAPACITY_HOLD``),
    so neither a worker nor the roster ever sees the change undone."""
    course = _course_or_404(course_id)
    if request.method != "POST":
        return redirect("course_roster", course_id=course_id)
    ok, capacity = _parse_capacity(request.POST.get("capacity") or "")
    if not ok:
        messages.error(request, "名额要写正整数（不限名额就留空）。这次没有修改。")
        return redirect("course_roster", course_id=course_id)
    promoted: list[str] = []
    with office.registry_db() as db:
        result = set_course_capacity(db, course_id, capacity, clock=service.config().clock)
    if result.status == "below_enrolled":
        audit.record(
            request,
            "capacity_refused",
            f"{course.name} 名额改为 {capacity} 被拒绝：已报名 {result.enrolled} 人",
            target=course_id,
        )
        messages.error(
            request,
            f"已经有 {result.enrolled} 人报上名，名额不能改成 {capacity}。"
            "如确需减少，请先为职工取消报名（写明原因），再修改名额。",
        )
        return redirect("course_roster", course_id=course_id)
    if result.status == "changed":
        promoted = [p.enrollment_no for p in result.promoted]
    if course.in_knowledge:
        cfg = service.config()
        text = editing.read_text(cfg.knowledge_dir, editing.FILE_BY_KIND["course"])
        values: dict[str, object] = {"capacity": capacity}
        if course.sample_capacity:
            current = editing.find_in(text, "course", course_id) or {}
            values["sample_fields"] = [f for f in current.get("sample_fields") or [] if f != "capacity"]
        saved = service.change("course", course_id, values, editing.digest(text))
        if not saved.ok:
            messages.error(
                request,
                f"报名系统里的名额已改好，但知识库文件没有保存：{saved.message}请到知识库里手工把名额改成 {capacity}。",
            )
    audit.record(
        request,
        "capacity_change",
        f"{course.name} 名额 {course.capacity if course.capacity is not None else '不限'} → "
        f"{capacity if capacity is not None else '不限'}" + (f"；候补 {'、'.join(promoted)} 转正" if promoted else ""),
        target=course_id,
        promoted=promoted,
    )
    text = f"名额已改为 {capacity if capacity is not None else '不限'}。"
    if promoted:
        text += f"候补的 {len(promoted)} 位职工已自动转为正式报名，并会收到通知。"
    messages.success(request, text)
    return redirect("course_roster", course_id=course_id)


@role_required(STAFF)
def roster_csv(request: HttpRequest, course_id: str) -> HttpResponse:
    """Both lists with full phone numbers (the office calls people), audited; UTF-8 with a
    BOM so Excel opens the Chinese correctly."""
    course = _course_or_404(course_id)
    enrolled, waiting = _lists(course_id)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["名单", "序号", "报名号", "姓名", "手机号", "单位", "区县", "工会会员", "报名时间"])
    for label, entries in (("正式报名", enrolled), ("候补", waiting)):
        for i, e in enumerate(entries, 1):
            out.writerow(
                [
                    _cell(v)
                    for v in (
                        label,
                        i,
                        e.enrollment.enrollment_no,
                        e.name or "",
                        e.phone or "",
                        e.employer or "",
                        e.district or "",
                        "" if e.union_member is None else ("是" if e.union_member else "否"),
                        e.enrollment.created_at[:16].replace("T", " "),
                    )
                ]
            )
    audit.record(
        request,
        "roster_export",
        f"导出 {course.name} 名单（{len(enrolled)} 人报名，{len(waiting)} 人候补）",
        target=course_id,
    )
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = f"{course.name}名单.csv"
    response["Content-Disposition"] = f"attachment; filename=\"roster-{course_id}.csv\"; filename*=UTF-8''{quote(name)}"
    return response
