"""Upload files for the tests, made here: a PDF with a Chinese text layer, a scanned
(text-less) PDF, a DOCX, and files whose content is not what their name says."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

ARTICLE = Path("/work/shared/seeds/000_9ecdfa2327696c91.txt")
REPO = Path(__file__).resolve().parents[2]
#: The title staff give the source article when they import it.
ARTICLE_TITLE = "发挥工会“大学校”作用 提高职工队伍整体素质"
#: One of the article's facts that no knowledge entry answers confidently, and its figure.
UNCOVERED_QUESTION = "工会和哪些部门合作开展培训"
UNCOVERED_FACT = "文联"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def article_bytes() -> bytes:
    """The source article (a copy ships in tests/console when shared/ is absent)."""
    copy = REPO / "tests" / "console" / "article.txt"
    return ARTICLE.read_bytes() if ARTICLE.exists() else copy.read_bytes()


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes) -> bytes:
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def pdf_with_text(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (a CID font with a ToUnicode map)."""
    chars = sorted({c for line in lines for c in line})
    content = (
        "BT /F1 12 Tf 14 TL 50 800 Td "
        + " ".join("<" + "".join(f"{ord(c):04X}" for c in line) + "> Tj T*" for line in lines)
        + " ET"
    )
    entries = "\n".join(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def "
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def "
        "1 begincodespacerange <0000> <FFFF> endcodespacerange "
        f"{len(chars)} beginbfchar\n{entries}\nendbfchar "
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            _stream(content.encode()),
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R >>",
            _stream(cmap.encode()),
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 4 /FontBBox [0 0 1000 1000] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
        ]
    )


def scanned_pdf() -> bytes:
    """A PDF page with only a picture (a filled box) and no text layer, as a scan has."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            _stream(b"0.5 g 50 50 495 742 re f"),
        ]
    )


def docx_with(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(paragraphs[0], level=1)
    for text in paragraphs[1:]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_without_document() -> bytes:
    """An .xlsx-like zip: a right name (.docx) on the wrong content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()
