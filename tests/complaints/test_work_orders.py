"""The work order's life: callback, reply, rating, reopening, conversion; escalation; tenancy."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.complaints.models import Complaint, ComplaintReminder, Status
from jiefen.complaints.selectors import (
    ComplaintFilters,
    complaint_get_for_user,
    complaint_list,
    complaint_stats,
)
from jiefen.complaints.services import (
    channel_for_branch,
    channel_for_institution,
    complaint_accept,
    complaint_confirm,
    complaint_convert,
    complaint_extension_decide,
    complaint_extension_request,
    complaint_log_callback,
    complaint_reopen,
    complaint_reply,
    complaint_submit,
    complaint_sweep,
    complaint_withdraw,
)

from .conftest import PHONE, at

D = dt.date
pytestmark = pytest.mark.django_db


class TestSubmission:
    def test_a_complaint_goes_to_the_branch_of_its_code_with_consent_recorded(self, desk):
        complaint = desk.file(consent_sensitive=True)
        assert complaint.branch == desk.branch and complaint.institution == desk.world.bank_a
        assert complaint.number.startswith("TS2026")
        assert complaint.consent_personal_at and complaint.consent_sensitive_at
        assert complaint.phone == PHONE and complaint.masked_phone == "138****8000"
        assert complaint.events.get().action == "submit"

    def test_the_phone_is_stored_encrypted(self, desk):
        from django.db import connection

        complaint = desk.file()
        with connection.cursor() as cursor:
            cursor.execute("select phone from complaints_complaint where id = %s", [complaint.pk])
            raw = cursor.fetchone()[0]
        assert PHONE not in raw

    def test_without_consent_nothing_is_filed(self, desk):
        with pytest.raises(ApplicationError) as err:
            complaint_submit(
                channel=channel_for_branch(desk.branch),
                phone=PHONE,
                category="service",
                description="柜员态度恶劣，拒绝解释收费原因。",
                request="道歉并解释",
                consent_personal=False,
            )
        assert err.value.code == "consent_required"
        assert not Complaint.objects.exists()

    def test_a_card_number_in_the_text_needs_the_separate_sensitive_consent(self, desk):
        text = "我的信用卡 6222020200112345679 被多收了年费，客服一直不处理。"
        with pytest.raises(ApplicationError) as err:
            desk.file(text=text)
        assert err.value.code == "sensitive_consent_required"
        assert desk.file(text=text, consent_sensitive=True).consent_sensitive_at is not None

    def test_an_institution_code_lets_the_person_pick_a_branch_of_that_institution_only(self, desk):
        channel = channel_for_institution(desk.world.bank_a)
        common = dict(
            channel=channel,
            phone=PHONE,
            category="card",
            description="信用卡年费被重复扣收两次。",
            request="退还",
            consent_personal=True,
        )
        assert complaint_submit(branch=desk.branch2, **common).branch == desk.branch2
        with pytest.raises(ApplicationError):
            complaint_submit(branch=desk.world.branch_b, **common)

    def test_attachments_are_checked_by_type_size_and_content(self, desk, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        png = SimpleUploadedFile("凭证.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
        complaint = desk.file(attachments=[png])
        stored = complaint.attachments.get()
        assert stored.size == 108 and len(stored.sha256) == 64
        assert (tmp_path / stored.path).exists()
        assert str(tmp_path) not in stored.path  # relative: the web root never sees MEDIA_ROOT
        fake = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")
        with pytest.raises(ApplicationError, match="内容与扩展名不符"):
            desk.file(attachments=[fake])
        exe = SimpleUploadedFile("a.exe", b"MZ", content_type="application/octet-stream")
        with pytest.raises(ApplicationError, match="格式不支持"):
            desk.file(attachments=[exe])
        big = SimpleUploadedFile(
            "big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf"
        )
        with pytest.raises(ApplicationError, match="超过"):
            desk.file(attachments=[big])

    def test_a_paid_agent_complaint_is_flagged_for_the_handler(self, desk):
        complaint = desk.file(
            text="我是某某法务公司，受客户委托代理投诉，专业代理维权，帮客户停息挂账减免罚息，成功后收取服务费。"
        )
        assert complaint.scam_flagged is True and complaint.scam_reasons

    def test_without_the_detector_the_complaint_is_filed_unflagged(self, desk, monkeypatch):
        import builtins

        real_import = builtins.__import__

        def no_assistant(name, *args, **kwargs):
            if name == "jiefen.assistant.scam":
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_assistant)
        complaint = desk.file(text="专业代理维权，帮客户停息挂账减免罚息，成功后收取服务费。")
        assert complaint.scam_flagged is False

    def test_a_stopped_code_opens_nothing(self, desk):
        channel = channel_for_branch(desk.branch)
        channel.is_active = False
        channel.save()
        with pytest.raises(NotFound):
            desk.file()


class TestHandling:
    def test_the_executive_calls_back_replies_on_day_10_and_the_complainant_rates(self, desk):
        complaint = desk.file()
        complaint_log_callback(
            actor=desk.exec,
            complaint_id=complaint.pk,
            note="已联系客户了解情况",
            minutes=6,
            at=at("2026-03-03"),
        )
        complaint.refresh_from_db()
        assert complaint.status == Status.PROCESSING
        complaint_reply(
            actor=desk.exec,
            complaint_id=complaint.pk,
            text="已为您办理变更，并对柜员进行了批评教育。",
            at=at("2026-03-12"),
        )
        complaint_confirm(
            complaint_id=complaint.pk,
            phone=PHONE,
            resolved=True,
            rating=5,
            comment="很满意",
            at=at("2026-03-13"),
        )
        complaint.refresh_from_db()
        assert (complaint.status, complaint.outcome, complaint.rating, complaint.on_time) == (
            Status.CLOSED,
            "resolved",
            5,
            True,
        )
        actions = list(complaint.events.values_list("action", flat=True))
        assert actions == ["submit", "callback", "reply", "confirm_resolved"]
        assert all(e.at for e in complaint.events.all())

    def test_only_the_complainant_can_rate(self, desk):
        complaint = desk.file()
        complaint_reply(
            actor=desk.handler, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-05")
        )
        with pytest.raises(NotFound):
            complaint_confirm(complaint_id=complaint.pk, phone="13900000000", resolved=True, rating=5)

    def test_a_rating_must_be_one_to_five_stars(self, desk):
        complaint = desk.file()
        complaint_reply(
            actor=desk.handler, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-05")
        )
        with pytest.raises(ApplicationError):
            complaint_confirm(complaint_id=complaint.pk, phone=PHONE, resolved=True, rating=6)

    def test_a_stale_page_cannot_reply_twice(self, desk):
        complaint = desk.file()
        complaint_accept(actor=desk.exec, complaint_id=complaint.pk, expected_version=0, at=at("2026-03-03"))
        with pytest.raises(Conflict):
            complaint_accept(
                actor=desk.handler, complaint_id=complaint.pk, expected_version=0, at=at("2026-03-03", 11)
            )

    def test_the_complainant_can_reopen_within_the_window_and_the_clock_restarts(self, desk):
        complaint = desk.file()
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-05"))
        complaint_confirm(
            complaint_id=complaint.pk, phone=PHONE, resolved=True, rating=4, at=at("2026-03-06")
        )
        complaint_reopen(complaint_id=complaint.pk, phone=PHONE, reason="问题再次出现", at=at("2026-04-05"))
        complaint.refresh_from_db()
        assert complaint.status == Status.PROCESSING and complaint.reopen_count == 1
        assert complaint.due_at == D(2026, 4, 20) and complaint.rating is None

    def test_the_reopen_window_closes(self, desk):
        complaint = desk.file()
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-05"))
        complaint_confirm(
            complaint_id=complaint.pk, phone=PHONE, resolved=True, rating=4, at=at("2026-03-06")
        )
        # closed 6 March + 30 days = 5 April, a Sunday in the Qingming holiday -> Tuesday 7 April
        with pytest.raises(ApplicationError) as err:
            complaint_reopen(
                complaint_id=complaint.pk, phone=PHONE, reason="问题再次出现", at=at("2026-04-08")
            )
        assert err.value.code == "reopen_window_passed"
        complaint_reopen(
            complaint_id=complaint.pk, phone=PHONE, reason="问题再次出现", at=at("2026-04-07", 20)
        )

    def test_an_unresolved_complaint_becomes_a_mediation_case_in_one_step(self, desk):
        complaint = desk.file(category="card")
        complaint_reply(
            actor=desk.exec,
            complaint_id=complaint.pk,
            text="经核实，费用收取符合合同约定。",
            at=at("2026-03-05"),
        )
        complaint_confirm(
            complaint_id=complaint.pk,
            phone=PHONE,
            resolved=False,
            rating=1,
            request_mediation=True,
            at=at("2026-03-06"),
        )
        with pytest.raises(PermissionDenied):
            complaint_convert(
                actor=desk.head, complaint_id=complaint.pk, reason="转调解", at=at("2026-03-07")
            )
        case = complaint_convert(
            actor=desk.world.center_staff,
            complaint_id=complaint.pk,
            reason="投诉人申请调解",
            at=at("2026-03-07"),
        )
        complaint.refresh_from_db()
        assert complaint.status == Status.CONVERTED and complaint.case == case
        case = Case.objects.get(pk=case.pk)
        assert case.status == "mediation_pending" and case.institution == desk.world.bank_a
        assert case.product_type == "credit_card" and case.contract_no == complaint.number
        triage = case.events.get(action="triage_complex")
        assert triage.data["complaint"] == complaint.number
        assert [h["action"] for h in triage.data["history"]][:3] == ["submit", "reply", "confirm_unresolved"]

    def test_a_withdrawn_complaint_is_finished(self, desk):
        complaint = desk.file()
        complaint_withdraw(complaint_id=complaint.pk, phone=PHONE, reason="已自行解决", at=at("2026-03-03"))
        with pytest.raises(ApplicationError):
            complaint_reply(
                actor=desk.exec, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-04")
            )

    def test_unrated_replies_close_after_the_confirmation_window(self, desk):
        complaint = desk.file()
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-05"))
        assert complaint_sweep(now=at("2026-03-12"))["auto_closed"] == 0  # 5 March + 7 = 12 March: still open
        assert complaint_sweep(now=at("2026-03-13"))["auto_closed"] == 1
        complaint.refresh_from_db()
        assert (complaint.status, complaint.outcome) == (Status.CLOSED, "no_response")


class TestEscalation:
    def test_it_reminds_then_escalates_to_head_office_then_to_the_centre_once_each(self, desk):
        complaint = desk.file()  # due 17 March
        assert complaint_sweep(now=at("2026-03-13")) == {
            "reminded": 0,
            "head_office": 0,
            "center": 0,
            "auto_closed": 0,
        }
        assert complaint_sweep(now=at("2026-03-14"))["reminded"] == 1
        assert complaint_sweep(now=at("2026-03-14", 18))["reminded"] == 0
        assert complaint_sweep(now=at("2026-03-17", 23))["head_office"] == 0  # the last day is still in time
        first = complaint_sweep(now=at("2026-03-18"))
        again = complaint_sweep(now=at("2026-03-18", 12))
        assert first["head_office"] == 1 and again["head_office"] == 0
        complaint.refresh_from_db()
        assert complaint.escalation_level == 1
        # three working days after 17 March = Friday 20 March; the centre is told from the 21st
        assert complaint_sweep(now=at("2026-03-20"))["center"] == 0
        assert complaint_sweep(now=at("2026-03-21"))["center"] == 1
        assert complaint_sweep(now=at("2026-03-22"))["center"] == 0
        complaint.refresh_from_db()
        assert complaint.escalation_level == 2
        assert complaint.events.filter(action="escalate").count() == 2
        assert ComplaintReminder.objects.filter(complaint=complaint).count() == 3

    def test_an_extension_gives_a_new_reminder_for_the_new_due_date(self, desk):
        complaint = desk.file()
        complaint_sweep(now=at("2026-03-14"))
        ext = complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-15")
        )
        complaint_extension_decide(
            actor=desk.head, extension_id=ext.pk, approve=True, at=at("2026-03-15", 11)
        )
        assert complaint_sweep(now=at("2026-03-18"))["head_office"] == 0
        assert complaint_sweep(now=at("2026-03-29"))["reminded"] == 1  # due 1 April

    def test_a_replied_complaint_is_not_escalated(self, desk):
        complaint = desk.file()
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已处理完毕。", at=at("2026-03-16"))
        assert complaint_sweep(now=at("2026-03-20"))["head_office"] == 0

    def test_the_command_and_the_task_run_the_same_sweep(self, desk):
        from django.core.management import call_command

        from jiefen.complaints.tasks import complaint_sweep_task

        desk.file()
        call_command("complaints_sweep", date="2026-03-18")
        complaint = Complaint.objects.get()
        assert complaint.escalation_level == 1
        result = complaint_sweep_task.enqueue(now="2026-03-18T12:00:00+08:00")
        assert result.return_value["head_office"] == 0


class TestTenancy:
    def test_bank_b_never_sees_bank_a_complaints(self, desk):
        complaint = desk.file()
        with pytest.raises(NotFound):
            complaint_get_for_user(desk.b_manager, complaint.pk)
        assert complaint_list(desk.b_manager, ComplaintFilters())[0] == []
        with pytest.raises(NotFound):
            complaint_reply(
                actor=desk.b_manager, complaint_id=complaint.pk, text="越权答复", at=at("2026-03-03")
            )

    def test_a_branch_executive_sees_only_their_branch_and_the_head_office_sees_all(self, desk):
        here = desk.file()
        there = desk.file(branch=desk.branch2, phone="13900139000")
        assert [c.pk for c in complaint_list(desk.exec, ComplaintFilters())[0]] == [here.pk]
        with pytest.raises(NotFound):
            complaint_get_for_user(desk.exec, there.pk)
        assert {c.pk for c in complaint_list(desk.head, ComplaintFilters())[0]} == {here.pk, there.pk}
        assert {c.pk for c in complaint_list(desk.handler, ComplaintFilters())[0]} == {here.pk, there.pk}

    def test_disposal_staff_do_not_see_complaints(self, desk):
        desk.file()
        assert complaint_list(desk.world.a_staff, ComplaintFilters())[0] == []

    def test_oversight_reads_but_cannot_act(self, desk):
        complaint = desk.file()
        assert complaint_get_for_user(desk.world.pbc_officer, complaint.pk) == complaint
        with pytest.raises(PermissionDenied):
            complaint_reply(
                actor=desk.world.viewer, complaint_id=complaint.pk, text="只读答复", at=at("2026-03-03")
            )


class TestStatistics:
    def test_closure_on_time_and_satisfaction_rates(self, desk):
        a = desk.file()
        b = desk.file(phone="13900139001")
        desk.file(phone="13900139002", branch=desk.branch2)  # never answered
        complaint_reply(actor=desk.exec, complaint_id=a.pk, text="已处理完毕。", at=at("2026-03-12"))
        complaint_confirm(complaint_id=a.pk, phone=PHONE, resolved=True, rating=5, at=at("2026-03-13"))
        complaint_reply(actor=desk.exec, complaint_id=b.pk, text="已处理完毕。", at=at("2026-03-20"))  # late
        complaint_confirm(
            complaint_id=b.pk, phone="13900139001", resolved=True, rating=3, at=at("2026-03-21")
        )
        stats = complaint_stats(desk.head, group="branch", today=D(2026, 3, 25))
        total = stats["total"]
        assert (total["received"], total["closed"]) == (3, 2)
        assert total["closure_rate"] == 66.67
        # on time: 1 of (2 replies + 1 unanswered past its due date)
        assert total["on_time_rate"] == 33.33
        assert (total["satisfaction_avg"], total["satisfied_rate"]) == (4.0, 50.0)
        rows = {r["label"]: r for r in stats["rows"]}
        assert rows["甲银行丰泽支行"]["received"] == 2
        by_month = complaint_stats(desk.head, group="month", today=D(2026, 3, 25))
        assert [r["key"] for r in by_month["rows"]] == ["2026-03"]

    def test_bank_b_statistics_do_not_count_bank_a(self, desk):
        desk.file()
        assert complaint_stats(desk.b_manager)["total"]["received"] == 0
