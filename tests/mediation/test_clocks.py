"""Every clock of mediation on the official calendar: working days, holidays, make-up days (调休)."""

import datetime as dt

import pytest

from jiefen.cases.models import Case
from jiefen.common import rules
from jiefen.mediation.selectors import mediation_clocks, mediation_for_case
from jiefen.mediation.services import mediation_accept, mediation_assign, mediation_extend
from tests.mediation.helpers import pending_case_at, shanghai

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profiles(profiles):
    return profiles


class TestAssignmentAndAcceptance:
    def test_three_working_days_to_assign_skip_the_national_day_holiday_and_count_the_make_up_saturday(
        self, world
    ):
        # Tue 30 Sep 2025 → 1–8 Oct is the holiday → Thu 9, Fri 10, Sat 11 (调休 working day)
        case = pending_case_at(world, shanghai(2025, 9, 30))
        assert case.stage_due_on == D(2025, 10, 11)
        clocks = mediation_clocks(mediation_for_case(case))
        assert clocks[0][1] == D(2025, 10, 11)

    def test_acceptance_is_due_three_working_days_after_assignment(self, world):
        # Thu 12 Feb 2026: Fri 13, Sat 14 (调休), then the Spring Festival 15–23 → the third is Tue 24 Feb
        case = pending_case_at(world, shanghai(2026, 2, 12))
        mediation = mediation_assign(
            actor=world.center_staff,
            case_id=case.pk,
            mediator=world.mediator,
            reason="推荐",
            at=shanghai(2026, 2, 12),
        )
        assert mediation.accept_due == D(2026, 2, 24)

    def test_acceptance_the_day_before_ends_on_the_make_up_saturday(self, world):
        # Wed 11 Feb 2026: Thu 12, Fri 13, Sat 14 (a make-up working day)
        case = pending_case_at(world, shanghai(2026, 2, 11))
        mediation = mediation_assign(
            actor=world.center_staff,
            case_id=case.pk,
            mediator=world.mediator,
            reason="推荐",
            at=shanghai(2026, 2, 11),
        )
        assert mediation.accept_due == D(2026, 2, 14)

    def test_an_ordinary_week_skips_only_the_weekend(self, world):
        case = pending_case_at(world, shanghai(2026, 3, 5))  # Thu → Fri, Mon, Tue
        mediation = mediation_assign(
            actor=world.center_staff,
            case_id=case.pk,
            mediator=world.mediator,
            reason="推荐",
            at=shanghai(2026, 3, 5),
        )
        assert mediation.accept_due == D(2026, 3, 10)


class TestMediationPeriod:
    def test_thirty_days_ending_in_the_national_day_holiday_move_to_the_next_working_day(self, world):
        case = pending_case_at(world, shanghai(2026, 8, 30))
        mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐")
        mediation = mediation_accept(actor=world.mediator, case_id=case.pk, at=shanghai(2026, 9, 1))
        # 1 Sep + 30 days = 1 Oct, in the 1–7 Oct holiday → Thu 8 Oct
        assert mediation.period_due == D(2026, 10, 8)
        assert Case.objects.get(pk=case.pk).stage_due_on == D(2026, 10, 8)

    def test_thirty_days_ending_on_a_working_day_stay(self, world):
        case = pending_case_at(world, shanghai(2026, 3, 1))
        mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐")
        mediation = mediation_accept(actor=world.mediator, case_id=case.pk, at=shanghai(2026, 3, 4))
        assert mediation.period_due == D(2026, 4, 3)

    def test_an_extension_needs_both_parties_consent_and_counts_from_the_old_due_date(self, world):
        from jiefen.common.errors import ApplicationError

        case = pending_case_at(world, shanghai(2026, 3, 1))
        mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐")
        mediation_accept(actor=world.mediator, case_id=case.pk, at=shanghai(2026, 3, 4))
        with pytest.raises(ApplicationError, match="双方当事人同意"):
            mediation_extend(
                actor=world.mediator,
                case_id=case.pk,
                days=15,
                reason="需补充材料",
                creditor_consent="同意",
                debtor_consent="",
            )
        ext = mediation_extend(
            actor=world.mediator,
            case_id=case.pk,
            days=15,
            reason="需补充收入材料",
            creditor_consent="甲银行电话同意",
            debtor_consent="调解室留言同意",
        )
        # 3 Apr + 15 days = 18 Apr 2026, a Saturday → Mon 20 Apr
        assert (ext.old_due, ext.new_due) == (D(2026, 4, 3), D(2026, 4, 20))
        assert mediation_for_case(Case.objects.get(pk=case.pk)).period_due == D(2026, 4, 20)

    def test_an_extension_beyond_the_centre_limit_is_refused(self, world):
        from jiefen.common.errors import ApplicationError

        case = pending_case_at(world, shanghai(2026, 3, 1))
        mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐")
        mediation_accept(actor=world.mediator, case_id=case.pk)
        limit = rules.get("mediation.extension_max").amount
        with pytest.raises(ApplicationError):
            mediation_extend(
                actor=world.mediator,
                case_id=case.pk,
                days=limit + 1,
                reason="x",
                creditor_consent="a",
                debtor_consent="b",
            )
