import datetime as dt

import pytest
from django.db import connection

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.credit import services
from jiefen.credit.models import Application, CreditDispute, CreditFile, Event
from jiefen.outreach.models import OutboundMessage
from jiefen.outreach.services import outbox_for_phone

from .conftest import ID_A, PHONE_A, USCC, at, consent, file_dispute, person

D = dt.date


def answer(world, app, outcome="corrected", *, actor=None, now=None):
    dispute = app.dispute
    return services.dispute_answer(
        actor=actor or world.a_liaison,
        dispute_id=dispute.pk,
        outcomes=[
            services.ItemOutcomeIn(item_id=i.pk, outcome=outcome, note="已核对还款流水")
            for i in dispute.items.all()
        ],
        reply_text="经核查，已更正。",
        now=now,
    )


class TestFiling:
    def test_a_dispute_is_received_annotated_and_clocked_at_once(
        self, station, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            app = file_dispute(station.bank_a, now=at(2026, 3, 4, 9))
        dispute = app.dispute
        assert app.kind == Application.Kind.DISPUTE and app.status == Application.Status.IN_PROGRESS
        assert app.number.startswith("XY2026")
        assert dispute.institution == station.bank_a
        assert dispute.annotation == CreditDispute.Annotation.MARKED
        assert dispute.due_on == D(2026, 3, 24)
        assert dispute.escalate_on == D(2026, 3, 19)
        assert app.notice_issued_at is not None
        assert {"submit", "notice", "dispute_received", "annotation_marked"} <= set(
            app.events.values_list("action", flat=True)
        )
        sms = outbox_for_phone(PHONE_A, purpose="credit").get()
        assert app.number in sms.text and "2026年03月24日" in sms.text and "征信修复" in sms.text

    def test_identifiers_and_phone_are_ciphertext_and_consent_is_recorded(self, station):
        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        with connection.cursor() as cur:
            cur.execute("SELECT phone FROM credit_application WHERE id = %s", [app.pk])
            stored = cur.fetchone()[0]
        assert PHONE_A not in stored and stored.startswith("v1:")
        assert app.party.id_number == ID_A and app.party.owner is None
        assert app.consent_at == app.sensitive_consent_at == at(2026, 3, 4)
        assert app.consent_ip == "10.0.0.8" and app.consent_version

    def test_it_needs_the_separate_sensitive_consent(self, station):
        with pytest.raises(ApplicationError) as exc:
            services.dispute_submit(
                phone=PHONE_A,
                applicant=person(),
                consent=services.ConsentIn(general=True, sensitive=False),
                institution_id=station.bank_a.pk,
                items=[services.ItemIn(kind="credit_transaction", description="错误")],
            )
        assert exc.value.code == "sensitive_consent_required"
        assert not Application.objects.exists()

    def test_it_rejects_a_wrong_id_number_an_empty_item_and_a_court_as_provider(self, station):
        with pytest.raises(ApplicationError, match="校验位"):
            file_dispute(station.bank_a, applicant=person(id_number="350503199001011235"))
        with pytest.raises(ApplicationError, match="至少填写一项"):
            file_dispute(station.bank_a, items=[services.ItemIn(kind="credit_transaction", description=" ")])
        with pytest.raises(ApplicationError, match="金融机构"):
            file_dispute(station.court)

    def test_an_enterprise_gives_its_uscc_and_legal_representative(self, station):
        with pytest.raises(ApplicationError, match="法定代表人"):
            file_dispute(
                station.bank_a,
                applicant=services.ApplicantIn(kind="enterprise", name="泉州某鞋业有限公司", id_number=USCC),
            )
        with pytest.raises(ApplicationError, match="统一社会信用代码"):
            file_dispute(
                station.bank_a,
                applicant=services.ApplicantIn(
                    kind="enterprise",
                    name="泉州某鞋业有限公司",
                    id_number="91350500MA2Y0XXY4B",
                    legal_rep="王某",
                ),
            )
        app = file_dispute(
            station.bank_a,
            applicant=services.ApplicantIn(
                kind="enterprise", name="泉州某鞋业有限公司", id_number=USCC.lower(), legal_rep="王某"
            ),
        )
        assert (
            app.party.kind == "enterprise" and app.party.id_number == USCC and app.party.legal_rep == "王某"
        )

    def test_attachments_must_be_small_pdfs_or_images(self, station):
        bad = services.UploadIn(filename="a.exe", content_type="application/x-msdownload", content=b"MZ")
        with pytest.raises(ApplicationError, match="PDF"):
            file_dispute(
                station.bank_a,
                items=[services.ItemIn(kind="credit_transaction", description="x", attachments=[bad])],
            )
        big = services.UploadIn(
            filename="a.pdf", content_type="application/pdf", content=b"%PDF" + b"0" * (5 * 1024 * 1024)
        )
        with pytest.raises(ApplicationError, match="5MB"):
            file_dispute(
                station.bank_a,
                items=[services.ItemIn(kind="credit_transaction", description="x", attachments=[big])],
            )
        ok = services.UploadIn(filename="流水.pdf", content_type="application/pdf", content=b"%PDF-1.4 test")
        app = file_dispute(
            station.bank_a,
            items=[services.ItemIn(kind="credit_transaction", description="x", attachments=[ok])],
        )
        stored = app.dispute.items.get().attachments.get()
        assert bytes(stored.content) == b"%PDF-1.4 test" and len(stored.sha256) == 64


class TestAnswering:
    def test_the_liaison_answers_on_day_12_and_the_reply_letter_goes_out(
        self, station, django_capture_on_commit_callbacks
    ):
        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        with django_capture_on_commit_callbacks(execute=True):
            dispute = answer(station, app, now=at(2026, 3, 16, 15))
        assert dispute.status == CreditDispute.Status.ANSWERED
        assert dispute.outcome == "corrected" and dispute.annotation == "removed"
        assert dispute.answered_on_time is True and dispute.liaison == station.a_liaison
        files = CreditFile.objects.filter(subject=f"dispute:{dispute.pk}")
        # The DOCX at once; the PDF by the (here immediate) background task after commit.
        assert {f.filename.rsplit(".", 1)[1] for f in files} == {"docx", "pdf"}
        sms = outbox_for_phone(PHONE_A, purpose="credit").order_by("-id").first()
        assert "/credit/p/letter/" in sms.text and "书面答复" in sms.text
        app.refresh_from_db()
        assert app.status == Application.Status.ANSWERED

    def test_the_reply_letter_is_a_docx_and_a_pdf_with_the_outcome(self, station, pdf_required):
        import io

        from docx import Document
        from pypdf import PdfReader

        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        dispute = answer(station, app, outcome="unconfirmed", now=at(2026, 3, 10))
        assert not CreditFile.objects.filter(
            subject=f"dispute:{dispute.pk}", filename__endswith=".pdf"
        ).exists()
        assert services.reply_letter_pdf_ensure(dispute_id=dispute.pk) is not None  # what the worker runs
        assert (
            services.reply_letter_pdf_ensure(dispute_id=dispute.pk).pk == CreditFile.objects.latest("id").pk
        )
        docx = CreditFile.objects.get(subject=f"dispute:{dispute.pk}", filename__endswith=".docx")
        text = "\n".join(p.text for p in Document(io.BytesIO(bytes(docx.content))).paragraphs)
        assert "征信异议处理答复函" in text and "第二十六条" in text
        pdf = CreditFile.objects.get(subject=f"dispute:{dispute.pk}", filename__endswith=".pdf")
        page = PdfReader(io.BytesIO(bytes(pdf.content))).pages[0].extract_text()
        assert "征信异议处理答复函" in page and app.number in page
        assert dispute.annotation == "recorded"

    def test_every_item_needs_an_outcome_and_a_note(self, station):
        app = file_dispute(
            station.bank_a,
            items=[
                services.ItemIn(kind="credit_transaction", description="一"),
                services.ItemIn(kind="query_record", description="二"),
            ],
        )
        first = app.dispute.items.first()
        with pytest.raises(ApplicationError, match="逐项"):
            services.dispute_answer(
                actor=station.a_liaison,
                dispute_id=app.dispute.pk,
                outcomes=[services.ItemOutcomeIn(item_id=first.pk, outcome="corrected", note="x")],
                reply_text="答复",
            )

    def test_mixed_outcomes_keep_the_check_on_record(self, station):
        app = file_dispute(
            station.bank_a,
            items=[
                services.ItemIn(kind="credit_transaction", description="一"),
                services.ItemIn(kind="query_record", description="二"),
            ],
        )
        a, b = app.dispute.items.all()
        dispute = services.dispute_answer(
            actor=station.a_liaison,
            dispute_id=app.dispute.pk,
            outcomes=[
                services.ItemOutcomeIn(item_id=a.pk, outcome="corrected", note="已更正"),
                services.ItemOutcomeIn(item_id=b.pk, outcome="unconfirmed", note="无法核实"),
            ],
            reply_text="部分更正",
        )
        assert dispute.outcome == "mixed" and dispute.annotation == "recorded"

    def test_only_the_providers_liaison_answers(self, station):
        app = file_dispute(station.bank_a)
        with pytest.raises(NotFound):
            answer(station, app, actor=station.b_liaison)
        with pytest.raises(PermissionDenied):
            answer(station, app, actor=station.center_staff)
        with pytest.raises(PermissionDenied):
            answer(station, app, actor=station.pbc_officer)
        # Disposal staff of the same bank do not handle disputes: they do not even see them.
        with pytest.raises(NotFound):
            answer(station, app, actor=station.a_staff)

    def test_a_second_answer_is_refused(self, station):
        app = file_dispute(station.bank_a)
        answer(station, app)
        with pytest.raises(ApplicationError, match="已答复"):
            answer(station, app)

    def test_the_signed_letter_link_opens_without_login_and_rejects_tampering(self, station, client):
        app = file_dispute(station.bank_a)
        dispute = answer(station, app)
        token = services.letter_token(dispute)
        page = client.get(f"/credit/p/letter/{token}/")
        assert page.status_code == 200 and "征信异议处理答复函" in page.content.decode()
        docx = CreditFile.objects.filter(subject=f"dispute:{dispute.pk}", filename__endswith=".docx").get()
        download = client.get(f"/credit/p/letter/{token}/{docx.pk}/")
        assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
        assert client.get(f"/credit/p/letter/{token[:-2]}xx/").status_code == 403


class TestAfterTheAnswer:
    def test_a_satisfied_applicant_closes_the_dispute(self, station):
        app = file_dispute(station.bank_a)
        answer(station, app)
        dispute = services.dispute_respond(phone=PHONE_A, number=app.number, satisfied=True)
        app.refresh_from_db()
        assert dispute.status == "closed" and app.status == "closed" and dispute.satisfied is True

    def test_an_unsatisfied_applicant_complains_to_the_pbc_with_a_30_day_clock(self, station):
        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        answer(station, app, now=at(2026, 3, 10))
        services.dispute_respond(phone=PHONE_A, number=app.number, satisfied=False, now=at(2026, 3, 11))
        dispute = services.dispute_complain_to_pbc(
            phone=PHONE_A, number=app.number, reason="仍认为记录错误", now=at(2026, 3, 12)
        )
        assert dispute.status == "pbc_complaint" and dispute.pbc_complaint_due == D(2026, 4, 13)  # 4-11 Sat
        with pytest.raises(PermissionDenied):
            services.dispute_pbc_reply(actor=station.a_liaison, dispute_id=dispute.pk, reply="x")
        dispute = services.dispute_pbc_reply(
            actor=station.pbc_officer, dispute_id=dispute.pk, reply="经核查，机构处理无误"
        )
        assert dispute.status == "closed"

    def test_another_phone_cannot_follow_or_answer_for_the_applicant(self, station):
        app = file_dispute(station.bank_a)
        answer(station, app)
        with pytest.raises(NotFound):
            services.dispute_respond(phone="13700137000", number=app.number, satisfied=True)


class TestConversion:
    def test_a_dispute_that_is_really_hardship_becomes_a_rescue_application(self, station):
        app = file_dispute(station.bank_a)
        rescue = services.dispute_convert(
            actor=station.a_liaison,
            dispute_id=app.dispute.pk,
            to="rescue",
            reason="申请人实为失业后无力还款",
            claim=services.ClaimIn(product_line="credit_card", principal="20000", overdue_days="60"),
        )
        app.refresh_from_db()
        assert rescue.kind == "rescue" and rescue.converted_from == app and rescue.phone == PHONE_A
        assert rescue.debts.get().institution == station.bank_a
        assert (
            app.status == "converted"
            and app.dispute.status == "converted"
            and app.dispute.annotation == "removed"
        )
        assert app.events.filter(action="dispute_received").exists()  # history kept
        assert Event.objects.filter(application=app, action="converted").exists()

    def test_the_centre_turns_a_dispute_into_a_mediation_case(self, station):
        app = file_dispute(station.bank_a)
        with pytest.raises(PermissionDenied):
            services.dispute_convert(
                actor=station.a_liaison, dispute_id=app.dispute.pk, to="mediation", reason="x"
            )
        services.dispute_convert(
            actor=station.center_staff,
            dispute_id=app.dispute.pk,
            to="mediation",
            reason="金额较大，协商未果",
            claim=services.ClaimIn(
                product_line="personal_loan", principal="80000", interest="5000", contract_ref="JK-1"
            ),
        )
        case = app.cases.get()
        assert case.status == "mediation_pending" and case.institution == station.bank_a
        assert case.debtor.id_number == ID_A and case.contract_no == "JK-1"
        assert case.events.filter(action="triage_complex").exists()
        assert Case.objects.count() == 1

    def test_conversion_is_refused_once_the_dispute_is_closed(self, station):
        app = file_dispute(station.bank_a)
        answer(station, app)
        services.dispute_respond(phone=PHONE_A, number=app.number, satisfied=True)
        with pytest.raises(ApplicationError, match="已办结"):
            services.dispute_convert(
                actor=station.a_liaison, dispute_id=app.dispute.pk, to="rescue", reason="x"
            )


def test_a_consultation_needs_no_id_and_is_answered_by_the_centre(station):
    app = services.consultation_submit(
        phone=PHONE_A,
        applicant=services.ApplicantIn(kind="individual", name="林女士"),
        consent=services.ConsentIn(general=True, sensitive=False),
        question="信用报告一年能免费查几次？",
    )
    with pytest.raises(PermissionDenied):
        services.consultation_answer(actor=station.a_staff, application_id=app.pk, answer="两次")
    app = services.consultation_answer(
        actor=station.center_staff, application_id=app.pk, answer="每年两次免费"
    )
    assert app.status == "answered" and app.answer == "每年两次免费"


def test_withdrawing_a_dispute_removes_the_annotation(station):
    app = file_dispute(station.bank_a)
    services.application_withdraw(phone=PHONE_A, number=app.number)
    app.refresh_from_db()
    assert (
        app.status == "withdrawn"
        and app.dispute.status == "withdrawn"
        and app.dispute.annotation == "removed"
    )


def test_no_sms_leaves_before_the_step_is_committed(station):
    file_dispute(station.bank_a)
    assert not OutboundMessage.objects.filter(purpose="credit").exists()


def test_consent_object_helper_is_complete():
    assert consent().general and consent().sensitive


def test_a_dispute_written_by_a_paid_agent_is_flagged_for_staff_only(station, client):
    pitch = services.ItemIn(
        kind="credit_transaction",
        description="我是委托的征信修复公司代办，已收客户服务费3000元，保证30天内删除这条逾期记录",
    )
    flagged = file_dispute(station.bank_a, items=[pitch])
    plain = file_dispute(station.bank_a, phone="13900139000")
    assert flagged.scam_flagged and flagged.scam_reasons
    assert not plain.scam_flagged
    client.force_login(station.a_liaison)
    html = client.get(f"/credit/disputes/{flagged.dispute.pk}/").content.decode()
    assert 'id="scam-flag"' in html
    assert 'id="scam-flag"' not in client.get(f"/credit/disputes/{plain.dispute.pk}/").content.decode()
