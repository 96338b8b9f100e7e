"""Knowledge entries: list and search, create, edit, delete, versions and restore."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from common.clock import default_clock
from console import audit, entry_form, service
from console.models import Version
from console.roles import STAFF, role_required
from console.views.preview import context_for
from knowledge import documents as kdocs
from knowledge import editing
from knowledge.gaps import list_gaps, mark_handled
from knowledge.loader import load
from knowledge.schema import Problem

KINDS = tuple(entry_form.KIND_NAMES)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Http404("没有这一类知识")
    return kind


def item_title(kind: str, values: dict[str, Any]) -> str:
    if kind == editing.BOOK:
        return f"{values.get('month', '')} {values.get('title', '')}".strip()
    questions = values.get("questions") or []
    return str(values.get("title") or values.get("name") or (questions[0] if questions else "") or values.get("id", ""))


@role_required(STAFF)
def knowledge_list(request: HttpRequest) -> HttpResponse:
    """One kind's entries, or (``kind=all``) every kind's, filtered by a search text."""
    cfg = service.config()
    kind = request.GET.get("kind") or "faq"
    kinds = KINDS if kind == "all" else (_kind(kind),)
    query = (request.GET.get("q") or "").strip()
    result = load(cfg.knowledge_dir, registry_path=cfg.registry_db, clock=cfg.clock)
    by_entry: dict[str, list[Problem]] = {}
    for problem in result.problems:
        by_entry.setdefault(problem.entry or "", []).append(problem)
    file_problems = [p for p in result.problems if p.entry is None and p.is_error]
    rows, errors = [], []
    for one in kinds:
        try:
            items = editing.read_items(cfg.knowledge_dir, one)
        except editing.EditError as exc:
            if str(exc) not in errors:
                errors.append(str(exc))
            continue
        for item in items:
            haystack = " ".join(editing.shown(v) for v in item.values.values())
            if query and query.lower() not in haystack.lower():
                continue
            problems = by_entry.get(entry_form.entry_label(one, item.key), [])
            rows.append(
                {
                    "item": item,
                    "kind": one,
                    "kind_name": entry_form.KIND_NAMES[one],
                    "title": item_title(one, item.values),
                    "errors": sum(1 for p in problems if p.is_error),
                    "warnings": sum(1 for p in problems if not p.is_error),
                    "sample": bool(item.values.get("sample_fields")),
                }
            )
    context = {
        "kind": kind,
        "kinds": [("all", "全部"), *entry_form.KIND_NAMES.items()],
        "rows": rows,
        "query": query,
        "error": "\n".join(errors),
        "file_problems": file_problems,
        "total_errors": len(result.errors),
    }
    return render(request, "console/knowledge_list.html", context)


def _versions(kind: str, key: str) -> list[Version]:
    return list(Version.objects.filter(kind=kind, key=key).select_related("user")[:30])


def _render_form(
    request: HttpRequest,
    kind: str,
    key: str | None,
    values: dict[str, Any],
    seen: str,
    *,
    problems: list[Problem] | tuple = (),
    message: str = "",
    conflict: bool = False,
    preview: service.Preview | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    fields, other = entry_form.build(kind, values, problems, key=key)
    context = {
        "kind": kind,
        "kind_name": entry_form.KIND_NAMES[kind],
        "key": key,
        "fields": fields,
        "other_problems": other,
        "digest": seen,
        "message": message,
        "conflict": conflict,
        "preview": preview,
        "question": request.POST.get("question") or (values.get("questions") or [""])[0] if kind != "book" else "",
        "versions": _versions(kind, key) if key else [],
        "title": item_title(kind, values) if key else f"新增{entry_form.KIND_NAMES[kind]}",
        "gap_norms": request.POST.getlist("gap_norm") or request.GET.getlist("gap"),
        **(extra or {}),
    }
    return render(request, "console/entry_form.html", context, status=status)


def _prefill(request: HttpRequest, kind: str) -> tuple[dict[str, Any], str]:
    """A new entry's values: a fresh id, and the grouped questions of a gap or the text
    of a notice's passage when staff came from there."""
    cfg = service.config()
    values: dict[str, Any] = {}
    if kind != editing.BOOK:
        values["id"] = editing.new_id(cfg.knowledge_dir, kind)
    note = ""
    norms = request.GET.getlist("gap")
    if norms:
        wanted = set(norms)
        texts: dict[str, int] = {}
        for row in list_gaps(db_path=cfg.gaps_db):
            if row.norm in wanted:
                texts[row.text] = texts.get(row.text, 0) + 1
        questions = sorted(texts, key=lambda t: -texts[t])[:20]
        values.update(questions=questions, title=questions[0] if questions else None)
        note = f"已填好职工问过的 {len(questions)} 种问法，请写上回答和出处。保存后这组问题会标为已处理。"
    passage_id = request.GET.get("passage")
    if passage_id and passage_id.isdigit():
        found = kdocs.get_passage(int(passage_id), db_path=cfg.documents_db)
        if found is not None:
            passage, document = found
            values.update(
                title=passage.heading[:40] or None,
                answer=passage.text[:290],
                source=f"《{document.title}》（{document.doc_date}）",
            )
            note = "已填好文件里的这一段和出处，请补上职工的问法，把回答改成职工好懂的话。"
    return values, note


@role_required(STAFF)
def entry_new(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    cfg = service.config()
    try:
        text = editing.read_text(cfg.knowledge_dir, editing.FILE_BY_KIND[kind])
        editing.items_in(text, kind)  # a broken file is said so before anyone types
        seen = editing.digest(text)
    except editing.EditError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('knowledge_list')}?kind={kind}")
    if request.method != "POST":
        values, note = _prefill(request, kind)
        return _render_form(request, kind, None, values, seen, extra={"note": note})
    return _submit(request, kind, None)


@role_required(STAFF)
def entry_edit(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    kind = _kind(kind)
    cfg = service.config()
    if request.method == "POST":
        return _submit(request, kind, key)
    try:
        text = editing.read_text(cfg.knowledge_dir, editing.FILE_BY_KIND[kind])
        values = editing.find_in(text, kind, key)
    except editing.EditError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('knowledge_list')}?kind={kind}")
    if values is None:
        deleted = Version.objects.filter(kind=kind, key=key).first()
        if deleted is None:
            raise Http404("没有这一条")
        return _render_form(
            request,
            kind,
            key,
            deleted.before or {},
            editing.digest(text),
            message="这一条已经删除了。可以在下面的历史版本里恢复。",
        )
    result = load(cfg.knowledge_dir, registry_path=cfg.registry_db, clock=cfg.clock)
    label = entry_form.entry_label(kind, key)
    problems = [p for p in result.problems if p.entry == label]
    return _render_form(request, kind, key, values, editing.digest(text), problems=problems)


def _submit(request: HttpRequest, kind: str, key: str | None) -> HttpResponse:
    values = entry_form.values_from_post(kind, request.POST, key=key)
    seen = request.POST.get("digest", "")
    if request.POST.get("action") == "preview":
        question = (request.POST.get("question") or "").strip()
        if not question:
            return _render_form(request, kind, key, values, seen, message="请在“预览”框里输入一个问题。")
        preview = service.preview(question, kind=kind, key=key, values=entry_form.complete(kind, values))
        return _render_form(
            request, kind, key, values, seen, problems=preview.problems, preview=preview, extra=context_for(preview)
        )
    full = entry_form.complete(kind, values) if key is not None else values
    result = service.change(kind, key, full, seen)
    if not result.ok:
        return _render_form(
            request,
            kind,
            key,
            values,
            seen,
            problems=result.errors + result.warnings,
            message=result.message,
            conflict=result.conflict,
            status=409 if result.conflict else 422,
        )
    new_key = key or str(values.get(editing.key_field(kind)))
    action = Version.UPDATE if key else Version.CREATE
    _keep_version(request, kind, new_key, action, result)
    norms = request.POST.getlist("gap_norm")
    if norms and key is None:
        mark_handled(
            norms, by=request.user.get_username(), note=f"写成常见问题 {new_key}", db_path=service.config().gaps_db
        )
        audit.record(request, "gaps_handled", f"写成常见问题 {new_key}，{len(norms)} 种问法标为已处理", target=new_key)
    _saved_message(request, result)
    return redirect("entry_edit", kind=kind, key=new_key)


def _saved_message(request: HttpRequest, result: service.SaveResult) -> None:
    text = "已保存，小助手几秒钟内就会用上。"
    if result.warnings:
        text += f"有 {len(result.warnings)} 个提醒（不影响使用），见下方。"
    if result.other_errors:
        text += "注意：其他条目或文件里还有错误，改好之前小助手继续用上一版知识。"
    messages.success(request, text)


def _keep_version(
    request: HttpRequest,
    kind: str,
    key: str,
    action: str,
    result: service.SaveResult,
    restored_from: Version | None = None,
) -> Version:
    changes = [c.__dict__ for c in editing.changes(kind, result.before, result.after)]
    with transaction.atomic():
        version = Version.objects.create(
            file=editing.FILE_BY_KIND[kind],
            kind=kind,
            key=key,
            action=action,
            before=result.before,
            after=result.after,
            changes=changes,
            user=request.user,
            username=request.user.get_username(),
            at=default_clock().now(),
            restored_from=restored_from,
        )
        names = "、".join(c["label"] for c in changes[:6]) or "没有改动"
        audit.record(
            request,
            f"knowledge_{action}",
            f"{Version.ACTIONS[action]}{entry_form.KIND_NAMES[kind]} {key}：{names}",
            target=f"{kind}:{key}",
            version=version.pk,
            changes=changes,
        )
    return version


@role_required(STAFF)
def entry_delete(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    kind = _kind(kind)
    if request.method != "POST":
        return redirect("entry_edit", kind=kind, key=key)
    result = service.change(kind, key, None, request.POST.get("digest", ""))
    if not result.ok:
        text = result.message + "".join(f"\n{p}" for p in result.errors)
        messages.error(request, text)
        return redirect("entry_edit", kind=kind, key=key)
    _keep_version(request, kind, key, Version.DELETE, result)
    messages.success(request, f"已删除 {key}。在它的历史版本里可以一键恢复。")
    return redirect(f"{reverse('knowledge_list')}?kind={kind}")


@role_required(STAFF)
def version_restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(Version, pk=pk)
    if request.method != "POST":
        return redirect("entry_edit", kind=version.kind, key=version.key)
    cfg = service.config()
    kind, key = version.kind, version.key
    wanted = version.after if version.after is not None else version.before
    if wanted is None:
        messages.error(request, "这个版本没有可以恢复的内容。")
        return redirect("entry_edit", kind=kind, key=key)
    values = editing.from_json(kind, wanted)
    text = editing.read_text(cfg.knowledge_dir, version.file)
    exists = editing.find_in(text, kind, key) is not None
    seen = request.POST.get("digest", "")
    result = service.change(kind, key if exists else None, entry_form.complete(kind, values), seen)
    if not result.ok:
        text = result.message + "".join(f"\n{p}" for p in result.errors)
        messages.error(request, text)
        return redirect("entry_edit", kind=kind, key=key)
    _keep_version(request, kind, key, Version.RESTORE, result, restored_from=version)
    when = version.at.astimezone(default_clock().now().tzinfo)
    messages.success(request, f"已恢复到 {when:%Y-%m-%d %H:%M} 的版本，小助手几秒钟内就会用上。")
    return redirect("entry_edit", kind=kind, key=key)
