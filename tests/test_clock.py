import datetime as dt

import pytest

from jiefen.common import clock, rules
from jiefen.common.models import CalendarDay, RuleOverride

D = dt.date


@pytest.mark.django_db
class TestCalendarDays:
    def test_a_period_starts_the_day_after_the_event(self):
        # 2026-03-02 (Mon) + 20 days = 2026-03-22 (Sun) -> moves to Monday 23rd
        assert clock.add_days(D(2026, 3, 2), 20) == D(2026, 3, 23)

    def test_a_period_ending_on_a_working_day_stays(self):
        assert clock.add_days(D(2026, 3, 4), 20) == D(2026, 3, 24)

    def test_a_last_day_in_the_national_day_holiday_moves_past_it(self):
        # 2026-09-11 + 20 = 2026-10-01, inside the 1–7 October holiday -> Thursday 8 October
        assert clock.add_days(D(2026, 9, 11), 20) == D(2026, 10, 8)

    def test_a_make_up_saturday_is_a_working_day(self):
        # 2026-09-20 + 20 = 2026-10-10, a Saturday that is a make-up working day (调休)
        assert clock.add_days(D(2026, 9, 20), 20) == D(2026, 10, 10)
        assert clock.is_working_day(D(2026, 10, 10))
        assert not clock.is_working_day(D(2026, 10, 11))

    def test_an_aware_datetime_counts_from_its_shanghai_date(self):
        # 2026-03-01 17:30 UTC is already 2 March in Shanghai
        event = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)
        assert clock.local_date(event) == D(2026, 3, 2)
        assert clock.add_days(event, 20) == D(2026, 3, 23)

    def test_a_naive_datetime_is_refused(self):
        with pytest.raises(ValueError):
            clock.add_days(dt.datetime(2026, 3, 1, 12), 20)


@pytest.mark.django_db
class TestWorkingDays:
    def test_three_working_days_skip_the_weekend(self):
        assert clock.add_working_days(D(2026, 3, 5), 3) == D(2026, 3, 10)  # Thu -> Fri, Mon, Tue

    def test_spring_festival_and_its_make_up_saturday(self):
        # Fri 13 Feb 2026: Sat 14 is a make-up working day, 15–23 are the holiday
        assert clock.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
        assert clock.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)

    def test_a_holiday_entered_in_the_admin_takes_effect(self):
        assert clock.is_working_day(D(2026, 12, 1))
        CalendarDay.objects.create(date=D(2026, 12, 1), kind="holiday", name="测试")
        assert not clock.is_working_day(D(2026, 12, 1))
        assert clock.add_working_days(D(2026, 11, 30), 1) == D(2026, 12, 2)

    def test_it_knows_which_years_are_entered(self):
        assert clock.calendar_known(2026)
        assert not clock.calendar_known(2031)


@pytest.mark.django_db
class TestMonthsAndRules:
    def test_a_month_period_ends_on_the_month_end_when_the_day_is_missing(self):
        # 31 Jan + 1 month -> 28 Feb 2026, a Saturday but a make-up working day (春节调休)
        assert clock.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
        # 31 Mar 2025 + 2 months -> 31 May, in the Dragon Boat holiday (31 May–2 Jun) -> 3 June
        assert clock.add_months(D(2025, 3, 31), 2) == D(2025, 6, 3)
        # 30 Nov 2025 + 3 months -> 28 Feb 2026 (no 30 Feb), the make-up working day
        assert clock.add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)

    def test_two_years_for_enforcement(self):
        assert rules.due("enforcement.apply", D(2026, 6, 15)) == D(2028, 6, 15)

    def test_the_credit_dispute_clock_is_twenty_days(self):
        assert rules.get("credit.dispute_reply").amount == 20
        assert rules.due("credit.dispute_reply", D(2026, 3, 4)) == D(2026, 3, 24)

    def test_a_centre_rule_can_be_overridden_but_not_a_statute(self):
        RuleOverride.objects.create(key="disposal.period", amount=45, reason="中心会议决定")
        assert rules.get("disposal.period").amount == 45
        override = RuleOverride(key="credit.dispute_reply", amount=30, reason="x")
        with pytest.raises(Exception, match="法律规定"):
            override.clean()
        RuleOverride.objects.all().delete()
        assert rules.get("disposal.period").amount == 30


def test_the_rules_table_in_docs_lists_every_rule():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    for key in rules.RULES:
        assert f"`{key}`" in text, key
