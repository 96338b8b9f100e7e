"""``python -m console importdocument FILE [--title …] [--date YYYY-MM-DD] [--user NAME]``:
import a notice from a script, with the same checks as the console's upload, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common import settings as uh_settings
from console import audit
from knowledge import documents as kdocs


class Command(BaseCommand):
    help = "导入一个通知文件（DOCX、带文字的 PDF、TXT、Markdown），和后台上传的检查相同"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--title", default="", help="文件名称（回答里“依据：《…》”显示的名字）")
        parser.add_argument("--date", default="", help="发文日期 YYYY-MM-DD（不写就从文件里找）")
        parser.add_argument("--user", default="(命令行)", help="记在操作记录里的操作人")

    def handle(self, *args: Any, file: Path, title: str, date: str, user: str, **options: Any) -> None:
        cfg = uh_settings.load()
        if not file.is_file():
            raise CommandError(f"找不到文件 {file}")
        if file.stat().st_size > settings.UPLOAD_MAX_BYTES:
            raise CommandError(f"文件太大，最大 {settings.UPLOAD_MAX_BYTES / 1024 / 1024:g} MB。没有导入任何内容。")
        try:
            document = kdocs.import_document(
                file.read_bytes(),
                file.name,
                uploaded_by=user,
                now=cfg.clock.now(),
                title=title or None,
                doc_date=date or None,
                max_bytes=settings.UPLOAD_MAX_BYTES,
                db_path=cfg.documents_db,
            )
        except kdocs.DocumentError as error:
            raise CommandError(str(error)) from None
        summary = f"导入文件《{document.title}》（{document.filename}，{document.passages} 段）"
        audit.record(None, "document_upload", summary, target=f"document:{document.id}", username=user)
        self.stdout.write(f"已导入《{document.title}》（{document.doc_date}），分成 {document.passages} 段。")
