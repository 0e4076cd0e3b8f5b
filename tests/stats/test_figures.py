"""Every figure against a small dataset computed by hand (March–April 2026, refreshed on 15 June)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jiefen.stats import figures, panels
from jiefen.stats.figures import Scope, percentile, rate
from jiefen.stats.services import cube_refresh

from .conftest import due_plus, local, on

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
REFRESHED = local(2026, 6, 15, 12)


@pytest.fixture
def data(world, timeline):
    t = timeline
    c = {}
    c["d1"] = t.case(
        at=local(2026, 3, 2, 9),
        principal="1000.00",
        interest="10.50",
        steps=[("triage_simple", local(2026, 3, 2)), ("settle_paid", local(2026, 3, 4))],
    )
    c["d2"] = t.case(
        at=local(2026, 3, 3, 9),
        principal="2000.00",
        steps=[
            ("triage_simple", local(2026, 3, 3)),
            ("handover_mediation", local(2026, 3, 8)),
            ("start_mediation", local(2026, 3, 9)),
            ("mediation_agreed", local(2026, 3, 20)),
            ("start_performance", local(2026, 3, 21)),
            ("plan_completed", local(2026, 4, 10)),
        ],
    )
    c["d3"] = t.case(
        at=local(2026, 3, 5, 9),
        principal="3000.00",
        product="small_loan",
        steps=[
            ("triage_simple", local(2026, 3, 5)),
            ("handover_litigation", local(2026, 3, 10)),
        ],
    )
    # Leaves disposal on its deadline day, late in the evening: still on time.
    c["d4"] = t.case(
        at=local(2026, 3, 2, 9),
        steps=[("triage_simple", local(2026, 3, 2, 11)), due_plus(0, h=23)("settle_paid")],
    )
    # Leaves disposal the day after its deadline: missed.
    c["d5"] = t.case(
        at=local(2026, 3, 6, 9), steps=[("triage_simple", local(2026, 3, 6)), due_plus(1, h=9)("settle_paid")]
    )
    c["d6"] = t.case(
        at=local(2026, 3, 10, 9),
        steps=[
            ("triage_complex", local(2026, 3, 10)),
            ("start_mediation", local(2026, 3, 11)),
            ("mediation_fail", local(2026, 4, 20)),
        ],
    )
    c["d7"] = t.case(
        world.bank_b,
        at=local(2026, 3, 2, 9),
        principal="5000.00",
        steps=[
            ("triage_simple", local(2026, 3, 2)),
            ("settle_paid", local(2026, 3, 12)),
        ],
    )
    # Received 23:30 on 31 March in Shanghai (15:30 UTC): a March case. 00:10 on 1 April: April.
    c["d8"] = t.case(at=local(2026, 3, 31, 23, 30))
    c["d9"] = t.case(at=local(2026, 4, 1, 0, 10))
    cube_refresh(force=True, now=REFRESHED)
    return c


def scope(**kw):
    return Scope(start=MARCH, end=APRIL, **kw)


def test_percentiles_are_nearest_rank_on_exact_days():
    hist = {2: 1, 5: 2, 10: 1, 30: 1, 33: 1}
    assert percentile(hist, 50) == 5  # rank ceil(3.0) = 3rd of 2,5,5,10,30,33
    assert percentile(hist, 90) == 33  # rank ceil(5.4) = 6th
    assert percentile(hist, 100) == 33
    assert percentile({}, 50) is None
    assert percentile({7: 1}, 1) == 7


def test_rates_round_half_up_and_are_none_without_a_denominator():
    assert rate(2, 3) == Decimal("66.7")
    assert rate(1, 8) == Decimal("12.5")
    assert rate(1, 16) == Decimal("6.3")  # 6.25 rounds up, not to even
    assert rate(5, 0) is None


def test_cases_received_follow_the_shanghai_month(data):
    trend = panels.trend(scope())["figures"]["trend"]
    assert trend["2026-03"]["cases.received"] == 8
    assert trend["2026-04"]["cases.received"] == 1


def test_headline_figures_of_the_centre(data):
    h = figures.headline(scope())
    assert h["cases.received"] == 9
    # d1 1010.50, d2 2000, d3 3000, d4 d5 d6 d8 d9 1000 each, d7 5000
    assert h["amounts.claimed"] == Decimal("16010.50")
    assert h["cases.closed"] == 5  # d1, d2, d4, d5, d7
    assert h["cases.open_now"] == 4  # d3 litigation, d6 mediation_failed, d8 and d9 new
    assert h["cases.overdue_now"] == 1  # d3: the litigation deadline (10 June) passed before 15 June
    assert h["disposal.resolved_share"] == Decimal("66.7")  # 4 of 6 disposal exits were resolutions
    assert h["mediation.success_rate"] == Decimal("50.0")  # d2 agreed, d6 failed
    assert h["deadline.disposal"] == Decimal("83.3")  # 5 met (d4 on the day itself), 1 missed (d5)
    assert h["deadline.mediation"] == Decimal("50.0")  # d2 in time, d6 after 30 days


def test_disposal_durations_are_exact(data):
    d = data
    d4 = (d["d4"].closed_at.astimezone(figures_tz()).date() - dt.date(2026, 3, 2)).days
    d5 = (d["d5"].closed_at.astimezone(figures_tz()).date() - dt.date(2026, 3, 6)).days
    days = sorted([2, 5, 5, d4, d5, 10])
    row = figures.stage_table(scope())["disposal"]
    assert row["exited"] == 6
    assert row["resolved"] == 4
    assert row["avg_days"] == (Decimal(sum(days)) / 6).quantize(Decimal("0.1"))
    assert row["p50_days"] == days[2]
    assert row["p90_days"] == days[5]
    assert (row["due_met"], row["due_missed"]) == (5, 1)


def figures_tz():
    from jiefen.common.clock import SHANGHAI

    return SHANGHAI


def test_the_deadline_day_itself_is_on_time_and_the_next_day_is_late(world, timeline):
    on_day = timeline.case(
        at=local(2026, 3, 2, 9),
        steps=[("triage_simple", local(2026, 3, 2)), due_plus(0, h=23)("settle_paid")],
    )
    late = timeline.case(
        at=local(2026, 3, 2, 9), steps=[("triage_simple", local(2026, 3, 2)), due_plus(1, h=0)("settle_paid")]
    )
    cube_refresh(force=True, now=REFRESHED)
    assert on_day.closed_at.astimezone(figures_tz()).date() != late.closed_at.astimezone(figures_tz()).date()
    row = figures.stage_table(scope())["disposal"]
    assert (row["due_met"], row["due_missed"]) == (1, 1)


def test_an_open_stage_is_missed_only_after_its_deadline_day(world, timeline):
    case = timeline.case(at=local(2026, 3, 2, 9), steps=[("triage_simple", local(2026, 3, 2))])
    due = case.stage_due_on
    cube_refresh(force=True, now=on(due, 12))  # the deadline day itself: not missed yet
    assert figures.stage_table(scope())["disposal"]["due_missed"] == 0
    assert figures.headline(scope())["cases.overdue_now"] == 0
    cube_refresh(force=True, now=on(due + dt.timedelta(days=1), 0, 5))
    assert figures.stage_table(scope())["disposal"]["due_missed"] == 1
    assert figures.headline(scope())["cases.overdue_now"] == 1


def test_the_funnel_of_the_closed_loop(data):
    steps = dict(figures.funnel(scope()))
    assert steps["funnel.received"] == 9
    assert steps["funnel.disposal"] == 6
    assert steps["funnel.disposal_resolved"] == 4
    assert steps["funnel.mediation"] == 2  # d2 handed over, d6 triaged complex
    assert steps["funnel.agreed"] == 1
    assert steps["funnel.performed"] == 1
    assert steps["funnel.litigation"] == 1
    assert steps["funnel.judged"] == 0


def test_a_bank_scope_holds_only_its_own_cases(data, world):
    h = figures.headline(scope(institution_id=world.bank_a.pk))
    assert h["cases.received"] == 8
    assert h["cases.closed"] == 4
    assert h["disposal.resolved_share"] == Decimal("60.0")  # d7 (bank B) is not here
    b = figures.headline(scope(institution_id=world.bank_b.pk))
    assert b["cases.received"] == 1
    assert b["amounts.claimed"] == Decimal("5000.00")


def test_filters_by_product_and_region_read_their_own_grouping_set(data, world):
    h = figures.headline(scope(product="small_loan"))
    assert h["cases.received"] == 1  # d3
    assert h["cases.overdue_now"] == 1
    by_product = figures.case_totals(scope(), "p")
    assert by_product["small_loan"]["received"] == 1
    assert by_product["credit_card"]["received"] == 8
    region = world.branch_a.region_code
    assert figures.headline(scope(region=region))["cases.received"] == 8
    combined = figures.headline(scope(institution_id=world.bank_a.pk, product="credit_card", region=region))
    assert combined["cases.received"] == 7


def test_the_stacked_stages_count_each_month_by_current_status(data):
    fig = panels.stages(scope())["figures"]
    assert fig["cases.status"] == {"closed": 5, "litigation": 1, "mediation_failed": 1, "new": 2}
    assert fig["cases.outcome"] == {"paid": 4, "performed": 1}  # d1 d4 d5 d7 settled, d2 performed


def test_breakdown_by_institution_matches_the_scoped_figures(data, world):
    fig = panels.breakdown(scope(), "i", "分机构情况")["figures"]
    assert fig[str(world.bank_a.pk)]["cases.received"] == 8
    assert fig[str(world.bank_b.pk)]["cases.closed"] == 1
    assert fig[str(world.bank_b.pk)]["disposal.resolved_share"] == "100.0"


def test_weekly_buckets_count_the_same_cases(world, timeline):
    now = dt.datetime.now(tz=figures_tz()).replace(microsecond=0)
    monday = now.date() - dt.timedelta(days=now.weekday())
    timeline.case(at=on(monday, 9), steps=[("triage_simple", on(monday, 10))])
    cube_refresh(force=True)
    week = Scope(start=monday, end=monday, grain="w")
    assert figures.case_totals(week)["received"] == 1
    assert figures.stage_flow(week)["disposal"]["entered"] == 1
