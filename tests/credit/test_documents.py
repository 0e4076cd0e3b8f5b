import io

from jiefen.credit import letters, services

from .conftest import PHONE_B, consent, file_dispute, hardship, person, two_bank_debts


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_rights_notice_pdf_names_the_four_channels_and_the_scam(station, pdf_required, client):
    app = file_dispute(station.bank_a)
    text = pdf_text(letters.rights_notice_pdf(app))
    assert "征信权益告知单" in text and "起诉" in text and "征信修复" in text and app.number in text
    response = client.get("/credit/p/notice.pdf")
    assert response["Content-Type"] == "application/pdf"


def test_an_agreement_prints_with_its_schedule_and_credit_report_clause(station, pdf_required):
    app = services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(station),
        hardship=hardship(),
    )
    plan = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
    agreement = plan.agreements.get(institution=station.bank_a)
    text = pdf_text(letters.agreement_pdf(agreement))
    assert agreement.number in text and "不向任何银行申请新的信用卡" in text and "结清" in text
    # The signed hash covers the text, which does not change between two renderings.
    assert services.agreement_document_hash(agreement) == agreement.document_sha256


def test_the_agreement_docx_opens(station):
    from docx import Document

    app = services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(station)[1:],
        hardship=hardship(),
    )
    agreement = services.plan_choose(phone=PHONE_B, number=app.number, route="direct").agreements.get()
    doc = Document(io.BytesIO(letters.agreement_docx(agreement)))
    assert "个性化还款协议" in "\n".join(p.text for p in doc.paragraphs)
    assert "不向任何银行申请新的信用卡" not in letters.agreement_text(agreement)  # a loan, not a card
