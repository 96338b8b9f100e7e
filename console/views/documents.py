"""Notices imported as knowledge: upload, passages and their use, removal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.clock import default_clock
from console import audit, service
from console.roles import STAFF, role_required
from knowledge import documents as kdocs


@role_required(STAFF)
def documents(request: HttpRequest) -> HttpResponse:
    cfg = service.config()
    context = {
        "documents": kdocs.list_documents(db_path=cfg.documents_db),
        "limit_mb": f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:g}",
        "limit_bytes": settings.UPLOAD_MAX_BYTES,
        "kinds": "、".join(kdocs.KINDS.values()),
        "error": "",
    }
    if request.method != "POST":
        return render(request, "console/documents.html", context)
    upload = request.FILES.get("file")
    name = upload.name if upload is not None else ""
    error = ""
    if getattr(request, "upload_too_large", False):
        error = f"文件太大，最大 {context['limit_mb']} MB。没有导入任何内容。"
    elif upload is None:
        error = "请先选择一个文件。"
    else:
        try:
            data = upload.read(settings.UPLOAD_MAX_BYTES + 1)
            document = kdocs.import_document(
                data,
                name,
                uploaded_by=request.user.get_username(),
                now=default_clock().now(),
                title=request.POST.get("title"),
                doc_date=(request.POST.get("doc_date") or "").strip() or None,
                max_bytes=settings.UPLOAD_MAX_BYTES,
                db_path=cfg.documents_db,
            )
        except kdocs.DocumentError as exc:
            error = str(exc)
        else:
            audit.record(
                request,
                "document_upload",
                f"导入文件《{document.title}》（{document.filename}，{document.passages} 段）",
                target=f"document:{document.id}",
                sha256=document.sha256,
            )
            messages.success(
                request, f"已导入《{document.title}》，分成 {document.passages} 段。小助手马上就能用它回答。"
            )
            return redirect("document_detail", pk=document.id)
    audit.record(request, "document_refused", f"文件没有导入：{error}", target=kdocs.sanitize_filename(name))
    context["error"] = error
    return render(request, "console/documents.html", context, status=400)


@role_required(STAFF)
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cfg = service.config()
    document = kdocs.get_document(pk, db_path=cfg.documents_db)
    if document is None:
        raise Http404("没有这个文件")
    passages = kdocs.passages_of(pk, db_path=cfg.documents_db)
    return render(request, "console/document_detail.html", {"document": document, "passages": passages})


@role_required(STAFF)
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("document_detail", pk=pk)
    removed = kdocs.remove_document(pk, db_path=service.config().documents_db)
    if removed is None:
        messages.error(request, "这个文件已经不在了。")
    else:
        audit.record(request, "document_delete", f"删除文件《{removed.title}》", target=f"document:{pk}")
        messages.success(request, f"已删除《{removed.title}》，小助手不再用它回答。")
    return redirect("documents")
