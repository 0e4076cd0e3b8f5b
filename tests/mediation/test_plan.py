"""The plan arithmetic: exact decimals, legal terms, waivers — and properties that must always hold."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiefen.common import clock
from jiefen.mediation.plan import Claim, PlanError, Rates, compute, extension_limit, split, term_class

D = dt.date
pytestmark = pytest.mark.django_db

CLAIM = Claim(
    principal=Decimal("10000.00"),
    interest=Decimal("500.00"),
    penalty_interest=Decimal("120.50"),
    compound_interest=Decimal("30.10"),
    fees=Decimal("50.00"),
)
NINGDE_LUMP = Rates(Decimal(100), Decimal(100), Decimal(0))
NINGDE_INST = Rates(Decimal(50), Decimal(50), Decimal(0))


def card(**kw):
    return compute(claim=CLAIM, product_type="credit_card", start=D(2026, 3, 2), **kw)


class TestWaivers:
    def test_paying_at_once_waives_all_penalty_and_compound_interest(self):
        plan = card(kind="lump_sum", rates=NINGDE_LUMP)
        assert plan.waived_penalty == Decimal("120.50")
        assert plan.waived_compound == Decimal("30.10")
        assert plan.total == Decimal("10550.00")
        assert plan.saving == Decimal("150.60")

    def test_instalments_waive_half_rounded_to_the_cent(self):
        plan = card(kind="instalments", count=12, rates=NINGDE_INST)
        assert plan.waived_penalty == Decimal("60.25")
        assert plan.waived_compound == Decimal("15.05")
        assert plan.total == CLAIM.total - Decimal("75.30")

    def test_a_rate_above_100_percent_is_refused(self):
        with pytest.raises(PlanError):
            card(kind="lump_sum", rates=Rates(Decimal(101)))

    def test_a_waiver_never_exceeds_the_amount(self):
        plan = card(kind="lump_sum", rates=Rates(Decimal(100), Decimal(100), Decimal(100)))
        assert plan.total == CLAIM.principal + CLAIM.interest


class TestSchedules:
    def test_twelve_instalments_add_up_exactly_with_the_cent_on_the_last(self):
        plan = card(kind="instalments", count=3, rates=Rates())
        amounts = [line.amount for line in plan.schedule]
        assert sum(amounts) == plan.total
        assert amounts[0] == amounts[1] and amounts[2] >= amounts[0]

    def test_the_first_instalment_falls_a_month_after_the_agreement_and_skips_rest_days(self):
        # 2026-03-02 + 1 month = 2026-04-02 (Thu); the fourth falls on 2026-07-02 (Thu)
        plan = card(kind="instalments", count=4, rates=Rates())
        assert plan.schedule[0].due_on == D(2026, 4, 2)
        # 2026-05-02 is in the Labour Day holiday (1–5 May): that instalment moves to Wednesday 6 May
        assert plan.schedule[1].due_on == D(2026, 5, 6)
        assert plan.schedule[2].due_on == D(2026, 6, 2)

    def test_a_card_may_not_run_more_than_sixty_instalments(self):
        assert card(kind="instalments", count=60, rates=Rates()).count == 60
        with pytest.raises(PlanError, match="60"):
            card(kind="instalments", count=61, rates=Rates())

    def test_a_late_first_due_date_cannot_push_the_last_beyond_five_years(self):
        with pytest.raises(PlanError, match="超过法定期限"):
            card(kind="instalments", count=60, first_due=D(2026, 6, 1), rates=Rates())

    def test_a_down_payment_is_the_first_line(self):
        plan = card(kind="instalments", count=5, down_payment=Decimal("2000"), rates=Rates())
        assert plan.schedule[0].amount == Decimal("2000.00")
        assert sum(x.amount for x in plan.schedule) == plan.total

    def test_one_instalment_is_not_an_instalment_plan(self):
        with pytest.raises(PlanError):
            card(kind="instalments", count=1, rates=Rates())

    def test_a_lump_sum_defaults_to_thirty_days_and_moves_off_a_rest_day(self):
        plan = card(kind="lump_sum", rates=Rates())
        assert plan.schedule[0].due_on == clock.add_days(D(2026, 3, 2), 30)

    def test_split_refuses_less_than_a_cent_each(self):
        with pytest.raises(PlanError):
            split(Decimal("0.05"), 6)


class TestLoanExtension:
    @pytest.mark.parametrize(
        ("term", "cls", "limit"),
        [
            (6, "short", 6),
            (12, "short", 12),
            (13, "medium", 6),
            (60, "medium", 30),
            (61, "long", 36),
            (240, "long", 36),
        ],
    )
    def test_the_limit_follows_the_original_term(self, term, cls, limit):
        assert term_class(term) == cls
        assert extension_limit(term)[0] == limit

    def test_a_medium_term_loan_extends_by_half_its_term(self):
        loan = {
            "claim": CLAIM,
            "product_type": "small_loan",
            "start": D(2026, 3, 2),
            "original_term_months": 24,
        }
        ok = compute(kind="extension", pay_by=D(2027, 3, 2), rates=Rates(), **loan)
        assert ok.limit_months == 12
        with pytest.raises(PlanError, match="超过法定期限"):
            compute(kind="extension", pay_by=D(2027, 3, 5), rates=Rates(), **loan)

    def test_a_loan_needs_its_original_term(self):
        with pytest.raises(PlanError, match="原贷款期限"):
            compute(
                kind="instalments",
                count=6,
                claim=CLAIM,
                product_type="small_loan",
                start=D(2026, 3, 2),
                rates=Rates(),
            )

    def test_a_card_cannot_be_extended(self):
        with pytest.raises(PlanError):
            card(kind="extension", rates=Rates())


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000000"), places=2, allow_nan=False)
pct = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2, allow_nan=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    principal=st.decimals(min_value=Decimal("1"), max_value=Decimal("5000000"), places=2, allow_nan=False),
    interest=money,
    penalty=money,
    compound=money,
    fees=money,
    rates=st.tuples(pct, pct, pct),
    product=st.sampled_from(["credit_card", "small_loan", "sme_loan", "business_loan", "consumer_loan"]),
    term=st.integers(min_value=1, max_value=360),
    count=st.integers(min_value=2, max_value=72),
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31)),
    first_offset=st.one_of(st.none(), st.integers(min_value=1, max_value=120)),
    down_share=st.one_of(
        st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.9"), places=2)
    ),
)
def test_instalments_always_add_up_and_never_pass_the_legal_term(
    principal, interest, penalty, compound, fees, rates, product, term, count, start, first_offset, down_share
):
    claim = Claim(principal, interest, penalty, compound, fees)
    first_due = start + dt.timedelta(days=first_offset) if first_offset else None
    try:
        agreed_total = claim.total  # before waivers, for the down payment share
        down = (agreed_total * down_share / 2).quantize(Decimal("0.01")) if down_share else Decimal("0")
        plan = compute(
            kind="instalments",
            claim=claim,
            rates=Rates(*rates),
            start=start,
            product_type=product,
            count=count,
            first_due=first_due,
            down_payment=down,
            original_term_months=term,
        )
    except PlanError:
        return
    amounts = [line.amount for line in plan.schedule]
    assert sum(amounts) == plan.total
    assert plan.total == claim.total - plan.saving
    assert all(a > 0 for a in amounts)
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    assert plan.count <= plan.limit_months
    assert plan.schedule[-1].due_on <= plan.limit_date
    assert plan.limit_date <= clock.add_months(start, 60 if product == "credit_card" else max(term, 36))
    assert [x.due_on for x in plan.schedule] == sorted(x.due_on for x in plan.schedule)
    assert all(x.due_on > start for x in plan.schedule)
