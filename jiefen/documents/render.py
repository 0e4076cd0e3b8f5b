"""Documents as courts, banks and government offices exchange them: PDF (WeasyPrint) and DOCX.

PDF: a Django template extending documents/base_print.html, rendered by WeasyPrint with an embedded
CJK font (static/fonts), so it prints the same everywhere. WeasyPrint needs the Pango library of the
operating system; without it PDF generation raises PdfUnavailable and the DOCX still works.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from jiefen.common.errors import ApplicationError

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"


class PdfUnavailable(ApplicationError):
    code = "pdf_unavailable"
    status = 503


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Python package is there but Pango is not
        raise PdfUnavailable(
            "本机缺少 PDF 排版组件（Pango），暂时只能生成 Word 文档；请安装 libpango 后重试"
        ) from exc
    return weasyprint


def pdf_available() -> bool:
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def print_context() -> dict[str, str]:
    """What documents/base_print.html needs: the embedded fonts."""
    return {
        "font_regular": (FONT_DIR / "NotoSansSC-Regular-GB2312.otf").as_uri(),
        "font_bold": (FONT_DIR / "NotoSansSC-Bold-GB2312.otf").as_uri(),
    }


def html_to_pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    # base_url lets templates use file-relative assets; nothing is fetched from the network.
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template_name, {**print_context(), **context}))


def render_docx(blocks: list[tuple[str, object]], *, title: str) -> bytes:
    """A DOCX from simple blocks: ("h1"|"h2"|"p", text), ("table", rows), ("kv", pairs), ("sign", labels),
    ("page_break", None). East-Asian font set to 宋体 so Word and WPS render it as offices expect."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = title
    for style_name in ("Normal", "Heading 1", "Heading 2", "Table Grid"):
        try:
            style = doc.styles[style_name]
        except KeyError:
            continue
        style.font.name = "宋体"
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), "宋体")
    doc.styles["Normal"].font.size = Pt(12)
    for kind, value in blocks:
        if kind == "h1":
            p = doc.add_heading(str(value), level=1)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "h2":
            doc.add_heading(str(value), level=2)
        elif kind == "p":
            doc.add_paragraph(str(value))
        elif kind in {"table", "kv"}:
            rows = [list(r) for r in value]  # type: ignore[union-attr]
            if not rows:
                continue
            table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = "" if cell is None else str(cell)
            doc.add_paragraph("")
        elif kind == "sign":
            for label in value:  # type: ignore[union-attr]
                doc.add_paragraph(f"{label}（签字/盖章）：____________________    日期：________")
        elif kind == "page_break":
            doc.add_page_break()
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_xlsx(sheets: dict[str, list[list]]) -> bytes:
    """One workbook; the first row of each sheet is its header (bold, frozen)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name[:31])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                value = cell if isinstance(cell, int | float) or cell is None else str(cell)
                sheet.write(r, c, value, bold if r == 0 else None)
        if rows:
            sheet.freeze_panes(1, 0)
            sheet.set_column(0, len(rows[0]) - 1, 16)
    book.close()
    return out.getvalue()
