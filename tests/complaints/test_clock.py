"""The statutory clock: 15 days from receipt, extension to 30 and at most 60 with approval."""

import datetime as dt

import pytest

from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.common.models import RuleOverride
from jiefen.complaints.models import ComplaintExtension, Status
from jiefen.complaints.services import (
    complaint_extension_decide,
    complaint_extension_request,
    complaint_reply,
)
from jiefen.outreach.models import OutboundMessage

from .conftest import at

D = dt.date
pytestmark = pytest.mark.django_db


def extend(desk, complaint, to_days, *, by=None, approver=None, when="2026-03-10"):
    ext = complaint_extension_request(
        actor=by or desk.exec,
        complaint_id=complaint.pk,
        to_days=to_days,
        reason="需调取监控录像核实",
        at=at(when),
    )
    return complaint_extension_decide(
        actor=approver or desk.head, extension_id=ext.pk, approve=True, note="同意", at=at(when, 15)
    )


class TestDueDate:
    def test_the_receipt_day_is_not_counted(self, desk):
        complaint = desk.file(when=at("2026-03-02", 23, 50))
        assert complaint.period_days == 15
        assert complaint.due_at == D(2026, 3, 17)

    def test_a_late_evening_in_utc_is_the_next_shanghai_day(self, desk):
        complaint = desk.file(when=dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC))  # 01:30 on 2 March
        assert complaint.due_at == D(2026, 3, 17)

    def test_a_last_day_in_the_national_day_holiday_moves_past_it(self, desk):
        # 16 September + 15 days = 1 October, inside the 1–7 October 2026 holiday
        complaint = desk.file(when=at("2026-09-16"))
        assert complaint.due_at == D(2026, 10, 8)

    def test_a_last_day_on_a_weekend_moves_to_monday(self, desk):
        complaint = desk.file(when=at("2026-03-06"))  # + 15 = Saturday 21 March
        assert complaint.due_at == D(2026, 3, 23)

    def test_the_centre_can_change_the_decision_period(self, desk):
        RuleOverride.objects.create(key="complaint.decide", amount=10, reason="试点")
        RuleOverride.invalidate()
        try:
            assert desk.file().due_at == D(2026, 3, 12)
        finally:
            RuleOverride.invalidate()

    def test_a_reply_on_the_last_day_is_on_time_and_the_next_day_is_late(self, desk):
        first = desk.file()
        second = desk.file(phone="13900139000")
        complaint_reply(
            actor=desk.exec, complaint_id=first.pk, text="已为您办理完毕。", at=at("2026-03-17", 23, 59)
        )
        complaint_reply(
            actor=desk.exec, complaint_id=second.pk, text="已为您办理完毕。", at=at("2026-03-18", 0, 1)
        )
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.on_time is True and second.on_time is False


class TestExtension:
    def test_an_approved_extension_to_30_days_moves_the_due_date_and_tells_the_complainant(
        self, desk, django_capture_on_commit_callbacks
    ):
        complaint = desk.file()
        with django_capture_on_commit_callbacks(execute=True):
            extend(desk, complaint, 30)
        complaint.refresh_from_db()
        assert (complaint.period_days, complaint.extended_days) == (30, 15)
        assert complaint.due_at == D(2026, 4, 1)
        sms = OutboundMessage.objects.filter(subject=f"complaint:{complaint.pk}").first()
        assert sms is not None and "2026年04月01日" in sms.text
        assert complaint.events.filter(action="extend", due_on=D(2026, 4, 1)).exists()

    def test_a_request_alone_does_not_move_the_due_date(self, desk):
        complaint = desk.file()
        complaint_extension_request(
            actor=desk.exec,
            complaint_id=complaint.pk,
            to_days=30,
            reason="需调取监控录像",
            at=at("2026-03-10"),
        )
        complaint.refresh_from_db()
        assert complaint.due_at == D(2026, 3, 17)
        assert complaint.extensions.get().state == ComplaintExtension.State.PENDING

    def test_the_first_extension_cannot_go_beyond_30_days(self, desk):
        complaint = desk.file()
        with pytest.raises(ApplicationError) as err:
            complaint_extension_request(
                actor=desk.exec, complaint_id=complaint.pk, to_days=31, reason="情况复杂", at=at("2026-03-10")
            )
        assert err.value.code == "extend_in_steps"

    def test_from_30_a_special_extension_reaches_60_and_rolls_past_labour_day(self, desk):
        complaint = desk.file()
        extend(desk, complaint, 30)
        ext = extend(desk, complaint, 60, when="2026-03-25")
        complaint.refresh_from_db()
        assert ext.special is True
        # 2 March + 60 days = 1 May 2026, inside the 1–5 May holiday -> Wednesday 6 May
        assert complaint.due_at == D(2026, 5, 6)
        assert complaint.extended_days == 45

    def test_no_extension_goes_beyond_60_days(self, desk):
        complaint = desk.file()
        extend(desk, complaint, 30)
        with pytest.raises(ApplicationError) as err:
            complaint_extension_request(
                actor=desk.exec,
                complaint_id=complaint.pk,
                to_days=61,
                reason="情况特别复杂",
                at=at("2026-03-25"),
            )
        assert err.value.code == "beyond_max"
        extend(desk, complaint, 60, when="2026-03-26")
        with pytest.raises(ApplicationError):
            complaint_extension_request(
                actor=desk.exec, complaint_id=complaint.pk, to_days=61, reason="再延长", at=at("2026-04-20")
            )

    def test_an_extension_must_be_longer_than_the_current_period(self, desk):
        complaint = desk.file()
        with pytest.raises(ApplicationError) as err:
            complaint_extension_request(
                actor=desk.exec, complaint_id=complaint.pk, to_days=15, reason="情况复杂", at=at("2026-03-10")
            )
        assert err.value.code == "invalid_days"

    def test_an_extension_needs_a_reason(self, desk):
        complaint = desk.file()
        with pytest.raises(ApplicationError):
            complaint_extension_request(
                actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason=" ", at=at("2026-03-10")
            )

    def test_no_extension_after_the_period_has_run_out(self, desk):
        complaint = desk.file()
        complaint_extension_request(  # on the last day: still in time
            actor=desk.exec,
            complaint_id=complaint.pk,
            to_days=30,
            reason="需调取录像",
            at=at("2026-03-17", 22),
        )
        other = desk.file(phone="13900139000")
        with pytest.raises(ApplicationError) as err:
            complaint_extension_request(
                actor=desk.exec, complaint_id=other.pk, to_days=30, reason="需调取录像", at=at("2026-03-18")
            )
        assert err.value.code == "deadline_passed"

    def test_nobody_approves_their_own_request(self, desk):
        complaint = desk.file()
        ext = complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-10")
        )
        with pytest.raises(PermissionDenied):
            complaint_extension_decide(
                actor=desk.exec, extension_id=ext.pk, approve=True, at=at("2026-03-10", 11)
            )

    def test_the_complaint_desk_cannot_approve_an_extension(self, desk):
        complaint = desk.file()
        ext = complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-10")
        )
        with pytest.raises(PermissionDenied):
            complaint_extension_decide(
                actor=desk.handler, extension_id=ext.pk, approve=True, at=at("2026-03-11")
            )

    def test_a_special_extension_needs_the_head_office_or_the_centre(self, desk):
        complaint = desk.file()
        extend(desk, complaint, 30, by=desk.handler, approver=desk.exec)
        ext = complaint_extension_request(
            actor=desk.handler,
            complaint_id=complaint.pk,
            to_days=60,
            reason="涉及多家机构",
            at=at("2026-03-20"),
        )
        with pytest.raises(PermissionDenied):
            complaint_extension_decide(
                actor=desk.exec, extension_id=ext.pk, approve=True, at=at("2026-03-21")
            )
        complaint_extension_decide(
            actor=desk.world.center_staff, extension_id=ext.pk, approve=True, at=at("2026-03-21")
        )
        complaint.refresh_from_db()
        assert complaint.period_days == 60

    def test_a_refusal_needs_a_note_and_leaves_the_clock_alone(self, desk):
        complaint = desk.file()
        ext = complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-10")
        )
        with pytest.raises(ApplicationError):
            complaint_extension_decide(
                actor=desk.head, extension_id=ext.pk, approve=False, at=at("2026-03-11")
            )
        complaint_extension_decide(
            actor=desk.head,
            extension_id=ext.pk,
            approve=False,
            note="事实清楚，应按期答复",
            at=at("2026-03-11"),
        )
        complaint.refresh_from_db()
        assert complaint.due_at == D(2026, 3, 17) and complaint.period_days == 15
        assert complaint.events.filter(action="extension_rejected").exists()

    def test_one_request_at_a_time(self, desk):
        complaint = desk.file()
        complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-10")
        )
        with pytest.raises(ApplicationError) as err:
            complaint_extension_request(
                actor=desk.handler,
                complaint_id=complaint.pk,
                to_days=25,
                reason="另一理由",
                at=at("2026-03-10", 11),
            )
        assert err.value.code == "extension_pending"

    def test_a_reply_voids_a_pending_request(self, desk):
        complaint = desk.file()
        ext = complaint_extension_request(
            actor=desk.exec, complaint_id=complaint.pk, to_days=30, reason="需调取录像", at=at("2026-03-10")
        )
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已办理完毕", at=at("2026-03-11"))
        ext.refresh_from_db()
        assert ext.state == ComplaintExtension.State.REJECTED
        with pytest.raises(ApplicationError):
            complaint_extension_decide(
                actor=desk.head, extension_id=ext.pk, approve=True, at=at("2026-03-12")
            )

    def test_the_extension_counts_from_receipt_not_from_the_approval(self, desk):
        complaint = desk.file(when=at("2026-03-02"))
        extend(desk, complaint, 20, when="2026-03-16")
        complaint.refresh_from_db()
        assert complaint.due_at == D(2026, 3, 23)  # 2 March + 20 = Sunday 22 -> Monday 23
        assert complaint.status == Status.RECEIVED
