import io
import zipfile

import pytest

from jiefen.documents.render import html_to_pdf, print_context, render_docx, render_xlsx
from jiefen.documents.services import document_store


def test_a_pdf_carries_chinese_text_in_an_embedded_font(pdf_required):
    from django.template import Context, Template
    from pypdf import PdfReader

    source = (
        '{% extends "documents/base_print.html" %}'
        "{% block body %}<h1>调解协议书</h1><p>申请人：陈晓东，欠款 ¥12,345.60。</p>{% endblock %}"
    )
    pdf = html_to_pdf(Template(source).render(Context(print_context())))
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "调解协议书" in text and "12,345.60" in text
    fonts = {f["/BaseFont"] for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("Noto" in str(name) or "Jiefen" in str(name) for name in fonts)


def test_a_docx_opens_and_holds_the_blocks():
    from docx import Document

    data = render_docx(
        [
            ("h1", "调解协议书"),
            ("p", "甲方：某银行"),
            ("table", [["期数", "金额"], [1, "1,000.00"]]),
            ("sign", ["甲方", "乙方"]),
        ],
        title="调解协议书",
    )
    assert zipfile.is_zipfile(io.BytesIO(data))
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "调解协议书" in text and "甲方：某银行" in text and "甲方（签字/盖章）" in text
    assert doc.tables[0].cell(1, 1).text == "1,000.00"


def test_an_unknown_block_is_refused():
    with pytest.raises(ValueError):
        render_docx([("chart", None)], title="x")


def test_an_xlsx_keeps_every_sheet_and_row():
    from python_calamine import CalamineWorkbook

    data = render_xlsx(
        {"案件": [["编号", "金额"], ["JF1", 10.5], ["JF2", 20]], "说明": [["口径"], ["按收案日统计"]]}
    )
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["案件", "说明"]
    assert book.get_sheet_by_name("案件").to_python() == [["编号", "金额"], ["JF1", 10.5], ["JF2", 20.0]]


@pytest.mark.django_db
def test_a_stored_document_keeps_its_hash_outside_the_web_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    doc = document_store(kind="agreement", subject="case:1", filename="协议.pdf", content=b"%PDF-1.7 test")
    assert doc.size == 13 and len(doc.sha256) == 64 and doc.read() == b"%PDF-1.7 test"
    assert str(tmp_path) not in doc.path and doc.content_type == "application/pdf"
