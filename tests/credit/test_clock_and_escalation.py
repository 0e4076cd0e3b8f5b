"""The 20-day clock (征信业管理条例 Art 25; 民法典 period counting) on real 2026 dates, the warning
day, and escalation to the PBOC officer that never raises the same thing twice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from jiefen.common.models import RuleOverride
from jiefen.credit import services
from jiefen.credit.models import Escalation, Event, ReportingTask
from jiefen.credit.tasks import run_escalations

from .conftest import at, file_dispute

D = dt.date


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # The receipt day is not counted: received Wednesday 4 March, day 20 is Tuesday 24 March.
        (at(2026, 3, 4, 9), D(2026, 3, 24)),
        # Received late in the evening still counts from that Shanghai day.
        (at(2026, 3, 4, 23, 50), D(2026, 3, 24)),
        # Day 20 is Sunday 22 March: the period ends on Monday 23 March.
        (at(2026, 3, 2), D(2026, 3, 23)),
        # Day 20 is 1 October, inside the National Day holiday (1–7 October): ends Thursday 8 October.
        (at(2026, 9, 11), D(2026, 10, 8)),
        # Received 16 September: day 20 is 6 October, still the holiday: ends 8 October.
        (at(2026, 9, 16), D(2026, 10, 8)),
        # Day 20 is Saturday 10 October, a make-up working day: it stays.
        (at(2026, 9, 20), D(2026, 10, 10)),
        # Day 20 is the last holiday of Spring Festival (23 February): ends 24 February.
        (at(2026, 2, 3), D(2026, 2, 24)),
    ],
)
def test_the_20_day_clock_on_2026_dates(station, received, due):
    app = file_dispute(station.bank_a, now=received)
    assert app.dispute.due_on == due


def test_a_receipt_at_utc_midnight_is_already_the_next_shanghai_day(station):
    received = dt.datetime(2026, 3, 3, 16, 30, tzinfo=dt.UTC)  # 4 March 00:30 in Shanghai
    assert file_dispute(station.bank_a, now=received).dispute.due_on == D(2026, 3, 24)


def test_an_answer_on_the_last_day_is_on_time_and_the_next_day_is_late(station):
    on_time = file_dispute(station.bank_a, now=at(2026, 9, 11))
    late = file_dispute(station.bank_a, now=at(2026, 9, 11))
    for app, day in ((on_time, at(2026, 10, 8, 23, 59)), (late, at(2026, 10, 9, 0, 1))):
        services.dispute_answer(
            actor=station.a_liaison,
            dispute_id=app.dispute.pk,
            outcomes=[
                services.ItemOutcomeIn(item_id=i.pk, outcome="no_error", note="无误")
                for i in app.dispute.items.all()
            ],
            reply_text="经核查信息无误",
            now=day,
        )
    on_time.dispute.refresh_from_db()
    late.dispute.refresh_from_db()
    assert on_time.dispute.answered_on_time is True
    assert late.dispute.answered_on_time is False
    assert Event.objects.filter(application=late, action="dispute_answered", data__late=True).exists()


def test_the_warning_day_is_configurable(station):
    RuleOverride.objects.create(key="credit.dispute_escalate_day", amount=10, reason="提前督办")
    RuleOverride.invalidate()
    try:
        assert file_dispute(station.bank_a, now=at(2026, 3, 4)).dispute.escalate_on == D(2026, 3, 14)
    finally:
        RuleOverride.invalidate()


class TestEscalation:
    def test_nothing_on_day_14_a_warning_on_day_15_and_never_twice(self, station):
        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        assert services.escalations_run(now=at(2026, 3, 18, 23))["dispute_warning"] == 0
        assert services.escalations_run(now=at(2026, 3, 19, 8)) == {
            "dispute_warning": 1,
            "dispute_overdue": 0,
            "reporting_overdue": 0,
        }
        assert services.escalations_run(now=at(2026, 3, 19, 9))["dispute_warning"] == 0
        assert services.escalations_run(now=at(2026, 3, 20))["dispute_warning"] == 0
        esc = Escalation.objects.get()
        assert (esc.subject, esc.level, esc.institution, esc.application) == (
            f"dispute:{app.dispute.pk}",
            "warning",
            station.bank_a,
            app,
        )
        assert Event.objects.filter(action="escalated_warning", public=False).count() == 1

    def test_a_dispute_past_day_20_is_raised_as_overdue_once(self, station):
        file_dispute(station.bank_a, now=at(2026, 3, 4))
        services.escalations_run(now=at(2026, 3, 19))
        assert services.escalations_run(now=at(2026, 3, 24))["dispute_overdue"] == 0  # last day
        assert services.escalations_run(now=at(2026, 3, 25))["dispute_overdue"] == 1
        assert services.escalations_run(now=at(2026, 3, 26))["dispute_overdue"] == 0
        assert sorted(Escalation.objects.values_list("level", flat=True)) == ["overdue", "warning"]

    def test_an_answered_dispute_is_not_raised_and_its_warning_is_resolved(self, station):
        app = file_dispute(station.bank_a, now=at(2026, 3, 4))
        services.escalations_run(now=at(2026, 3, 19))
        services.dispute_answer(
            actor=station.a_liaison,
            dispute_id=app.dispute.pk,
            outcomes=[
                services.ItemOutcomeIn(item_id=i.pk, outcome="corrected", note="已更正")
                for i in app.dispute.items.all()
            ],
            reply_text="已更正",
            now=at(2026, 3, 20),
        )
        assert Escalation.objects.get().resolved_at == at(2026, 3, 20)
        assert services.escalations_run(now=at(2026, 4, 30)) == {
            "dispute_warning": 0,
            "dispute_overdue": 0,
            "reporting_overdue": 0,
        }

    def test_an_undone_reporting_task_is_raised_after_its_deadline_and_again_after_a_dispute(self, station):
        case = station.case(
            station.bank_a, path=["triage_complex", "@mediator", "start_mediation", "mediation_agreed"]
        )
        (task,) = services.reporting_tasks_create_for_agreement(
            case=case, schedule=[(D(2026, 4, 10), Decimal("500"))], actor=station.mediator
        )
        assert task.update_due_on == D(2026, 4, 20)
        assert services.escalations_run(now=at(2026, 4, 20))["reporting_overdue"] == 0
        assert services.escalations_run(now=at(2026, 4, 21))["reporting_overdue"] == 1
        assert services.escalations_run(now=at(2026, 4, 22))["reporting_overdue"] == 0
        services.reporting_task_record(
            actor=station.a_staff, task_id=task.pk, payment_received=True, note="已报送", now=at(2026, 4, 23)
        )
        assert Escalation.objects.get().resolved_at is not None
        phone = case.debtor.primary_phone.number
        services.reporting_task_respond(
            phone=phone, task_id=task.pk, confirm=False, note="未核减", now=at(2026, 4, 24)
        )
        task.refresh_from_db()
        assert task.update_due_on == D(2026, 5, 6)  # 4 May is in the Labour Day holiday (1–5 May)
        assert services.escalations_run(now=at(2026, 5, 7))["reporting_overdue"] == 1
        assert Escalation.objects.filter(subject=f"reporting:{task.pk}:1", resolved_at__isnull=True).exists()

    def test_the_command_and_the_task_run_the_same_job(self, station, capsys):
        file_dispute(station.bank_a, now=at(2026, 3, 4))
        call_command("credit_escalate", today="2026-03-19")
        assert "异议临期预警 1 件" in capsys.readouterr().out
        call_command("credit_escalate", today="2026-03-19")
        assert "异议临期预警 0 件" in capsys.readouterr().out
        assert Escalation.objects.count() == 1
        first = run_escalations.enqueue().return_value  # the immediate backend runs it at once in tests
        assert set(first) == {"dispute_warning", "dispute_overdue", "reporting_overdue"}
        assert run_escalations.enqueue().return_value == dict.fromkeys(first, 0)

    def test_the_command_rejects_a_bad_date(self, station):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("credit_escalate", today="19-03-2026")


def test_reporting_tasks_due_dates_move_off_holidays(station):
    case = station.case(
        station.bank_a, path=["triage_complex", "@mediator", "start_mediation", "mediation_agreed"]
    )
    (task,) = services.reporting_tasks_create_for_agreement(
        case=case, schedule=[(D(2026, 9, 21), Decimal("500"))], actor=station.center_staff
    )
    assert task.update_due_on == D(2026, 10, 8)  # 1 October falls in the holiday
    assert ReportingTask.objects.count() == 1
