"""The recommender's arithmetic and its legal limits (pure functions: no database needed, except the
rule table that reads the centre's overrides)."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiefen.credit import plans
from jiefen.credit.plans import DebtFacts, Hardship, MeasureTerms

pytestmark = pytest.mark.django_db

D = Decimal
CENT = D("0.01")


def debt(**kw) -> DebtFacts:
    defaults = {
        "key": "1",
        "institution_id": 1,
        "institution_name": "甲银行",
        "product_line": "credit_card",
        "principal": D("12000"),
        "overdue_days": 60,
    }
    return DebtFacts(**{**defaults, **kw})


def terms(**kw) -> MeasureTerms:
    defaults = {
        "id": 1,
        "institution_id": 1,
        "product_line": "credit_card",
        "kind": "instalments",
        "name": "分期",
        "max_months": 12,
    }
    return MeasureTerms(**{**defaults, **kw})


class TestArithmetic:
    def test_twelve_thousand_over_twelve_months_is_a_thousand_a_month(self):
        o = plans.evaluate(terms(), debt(), Hardship())
        assert o.offered and o.months == 12
        assert o.payments == [D("1000.00")] * 12
        assert o.total_cost == D("12000.00") and o.saving == 0

    def test_waivers_and_a_down_payment_are_rounded_half_up_to_the_cent(self):
        d = debt(principal=D("10000"), interest=D("333.33"), penalty=D("100.01"), fees=D("50"))
        m = terms(
            interest_waiver_pct=D("50"),
            penalty_waiver_pct=D("100"),
            fee_waiver_pct=D("100"),
            min_down_payment_pct=D("10"),
        )
        o = plans.evaluate(m, d, Hardship())
        assert o.waived == D("166.67") + D("100.01") + D("50.00")  # 333.33 × 50% = 166.665 → 166.67
        assert o.down_payment == D("1016.67")  # 10% of 10166.66
        assert o.total_cost == d.total - o.waived
        assert o.saving == o.waived

    def test_a_flat_instalment_fee_is_charged_on_the_rescheduled_balance(self):
        o = plans.evaluate(
            terms(max_months=10, monthly_fee_pct=D("0.5")), debt(principal=D("10000")), Hardship()
        )
        assert o.payments == [D("1050.00")] * 10
        assert o.total_cost == D("10500.00") and o.saving == D("-500.00")

    def test_interest_runs_on_the_remaining_principal(self):
        # 12,000 over 3 months at 12% a year: interest 120, 80, 40
        o = plans.evaluate(terms(max_months=3, annual_rate_pct=D("12")), debt(), Hardship())
        assert o.payments == [D("4120.00"), D("4080.00"), D("4040.00")]
        assert o.monthly_payment == D("4120.00") and o.total_cost == D("12240.00")

    def test_grace_months_pay_interest_only(self):
        o = plans.evaluate(
            terms(kind="grace", max_months=2, grace_months=2, annual_rate_pct=D("12")),
            debt(principal=D("1000")),
            Hardship(),
        )
        assert o.payments == [D("10.00"), D("10.00"), D("510.00"), D("505.00")]

    def test_the_last_instalment_takes_the_rounding_remainder(self):
        o = plans.evaluate(terms(max_months=3), debt(principal=D("100")), Hardship())
        assert o.payments == [D("33.33"), D("33.33"), D("33.34")]

    def test_the_shortest_affordable_plan_is_chosen(self):
        hardship = Hardship(monthly_income=D("6000"), essential_expenses=D("4000"))  # 2,000 a month
        o = plans.evaluate(terms(max_months=60), debt(), hardship)
        assert o.months == 6 and o.monthly_payment == D("2000.00") and o.affordable is True

    def test_when_nothing_is_affordable_the_longest_plan_is_offered_and_flagged(self):
        hardship = Hardship(monthly_income=D("3000"), essential_expenses=D("2990"))
        o = plans.evaluate(terms(max_months=12), debt(), hardship)
        assert o.months == 12 and o.affordable is False

    def test_a_waiver_without_months_is_one_payment(self):
        o = plans.evaluate(
            terms(kind="waiver", max_months=None, interest_waiver_pct=D("100")),
            debt(interest=D("500")),
            Hardship(),
        )
        assert o.months == 1 and o.payments == [D("12000.00")] and o.saving == D("500.00")


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000000"), places=2)
small = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
pct = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    balance=amounts,
    months=st.integers(min_value=1, max_value=120),
    grace=st.integers(min_value=0, max_value=12),
    rate=st.decimals(min_value=D("0"), max_value=D("24"), places=3),
    fee=st.decimals(min_value=D("0"), max_value=D("2"), places=4),
)
def test_instalments_repay_exactly_the_balance_plus_interest_and_fees(balance, months, grace, rate, fee):
    payments = plans.schedule_payments(balance, months, grace=grace, annual_rate_pct=rate, fee_pct=fee)
    assert len(payments) == months + grace
    assert all(p >= 0 and p == p.quantize(CENT) for p in payments)
    if rate == 0 and fee == 0:
        assert sum(payments) == balance
    # Principal parts: equal (rounded down) and the last one takes the remainder.
    per = (balance / months).quantize(CENT, rounding="ROUND_DOWN")
    flat_fee = (balance * fee / 100).quantize(CENT, rounding="ROUND_HALF_UP")
    interest_free = plans.schedule_payments(balance, months, grace=0, fee_pct=fee)
    assert sum(p - flat_fee for p in interest_free) == balance
    assert interest_free[-1] - flat_fee >= per
    assert max(payments) == plans._max_payment(balance, months, grace, rate / 100 / 12, flat_fee)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    principal=amounts,
    interest=small,
    penalty=small,
    fees=small,
    iw=pct,
    pw=pct,
    fw=pct,
    down=pct,
    months=st.integers(min_value=1, max_value=120),
    rate=st.decimals(min_value=D("0"), max_value=D("24"), places=3),
    line=st.sampled_from(["credit_card", "personal_loan", "enterprise_loan"]),
    income=st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("100000"), places=2)),
)
def test_every_offered_plan_adds_up_and_respects_the_legal_caps(
    principal, interest, penalty, fees, iw, pw, fw, down, months, rate, line, income
):
    d = debt(product_line=line, principal=principal, interest=interest, penalty=penalty, fees=fees)
    m = terms(
        product_line=line,
        max_months=months,
        interest_waiver_pct=iw,
        penalty_waiver_pct=pw,
        fee_waiver_pct=fw,
        min_down_payment_pct=down,
        annual_rate_pct=rate,
    )
    hardship = Hardship(monthly_income=income, essential_expenses=D("0") if income is not None else None)
    o = plans.evaluate(m, d, hardship)
    assert o.offered
    assert o.total_cost == o.down_payment + sum(o.payments, D("0"))
    assert o.saving == d.total - o.total_cost
    assert 0 <= o.waived <= interest + penalty + fees
    assert 0 <= o.down_payment <= d.total - o.waived
    assert o.months <= months and (line != "credit_card" or o.months <= 60)
    if rate == 0:
        assert o.total_cost == d.total - o.waived  # no interest: pay exactly what is left after waivers
    if income is not None and o.affordable:
        assert o.monthly_payment <= income
        if o.months > 1:  # one month shorter would not have been affordable
            shorter = plans.schedule_payments(
                d.total - o.waived - o.down_payment, o.months - 1, annual_rate_pct=rate
            )
            assert max(shorter) > income


class TestLegalLimits:
    def test_card_plans_never_exceed_60_instalments(self):
        o = plans.evaluate(terms(max_months=84), debt(), Hardship())
        assert o.months == 60
        assert any("第70条" in text for text in o.limits)

    @pytest.mark.parametrize(
        ("original", "cap"),
        [(1, 1), (6, 6), (12, 12), (13, 6), (24, 12), (60, 30), (61, 36), (240, 36)],
    )
    def test_extension_caps_follow_the_original_term(self, original, cap):
        assert plans.extension_cap(original)[0] == cap

    def test_an_extension_is_capped_by_the_original_term(self):
        m = terms(kind="extension", product_line="personal_loan", max_months=36)
        o = plans.evaluate(m, debt(product_line="personal_loan", original_term_months=24), Hardship())
        assert o.months == 12 and "不超过原贷款期限的一半" in o.limits[0]

    def test_a_matured_loan_cannot_be_extended(self):
        m = terms(kind="extension", product_line="personal_loan", max_months=12)
        o = plans.evaluate(
            m, debt(product_line="personal_loan", original_term_months=12, matured=True), Hardship()
        )
        assert not o.offered and "到期前" in o.refused[0]

    def test_an_extension_needs_the_original_term(self):
        m = terms(kind="extension", product_line="personal_loan", max_months=12)
        o = plans.evaluate(m, debt(product_line="personal_loan"), Hardship())
        assert not o.offered and "原贷款期限" in o.refused[0]


class TestEligibility:
    def test_hardship_reasons_must_match(self):
        m = terms(hardship_reasons=("illness", "disaster"))
        refused = plans.evaluate(m, debt(), Hardship(reasons=frozenset({"income_loss"})))
        assert not refused.offered and "重大疾病" in refused.refused[0]
        offered = plans.evaluate(m, debt(), Hardship(reasons=frozenset({"illness"})))
        assert offered.offered and "困难原因符合：重大疾病或意外伤害" in offered.satisfied

    @pytest.mark.parametrize(("days", "offered"), [(29, False), (30, True), (90, True), (91, False)])
    def test_overdue_days_are_inclusive_bounds(self, days, offered):
        m = terms(min_overdue_days=30, max_overdue_days=90)
        assert plans.evaluate(m, debt(overdue_days=days), Hardship()).offered is offered

    @pytest.mark.parametrize(
        ("principal", "offered"), [("4999.99", False), ("5000", True), ("20000", True), ("20000.01", False)]
    )
    def test_amount_bounds_use_the_whole_debt(self, principal, offered):
        m = terms(min_amount=D("5000"), max_amount=D("20000"))
        assert plans.evaluate(m, debt(principal=D(principal)), Hardship()).offered is offered

    def test_enterprise_size_must_be_listed(self):
        m = terms(product_line="enterprise_loan", enterprise_sizes=("micro", "small"))
        d = debt(product_line="enterprise_loan")
        assert not plans.evaluate(m, d, Hardship(enterprise_size="medium")).offered
        assert not plans.evaluate(m, d, Hardship()).offered
        assert plans.evaluate(m, d, Hardship(enterprise_size="small")).offered

    def test_card_instalments_need_the_will_to_repay(self):
        o = plans.evaluate(terms(), debt(), Hardship(willing_to_repay=False))
        assert not o.offered and "第70条" in o.refused[0]

    def test_a_down_payment_beyond_the_cash_at_hand_is_not_offered(self):
        m = terms(min_down_payment_pct=D("20"))
        o = plans.evaluate(m, debt(), Hardship(available_cash=D("1000")))
        assert not o.offered and "首付款¥2,400.00" in o.refused[0]

    def test_every_failed_condition_is_explained(self):
        m = terms(hardship_reasons=("illness",), min_overdue_days=90, max_amount=D("1000"))
        o = plans.evaluate(m, debt(overdue_days=10), Hardship(reasons=frozenset({"other"})))
        assert len(o.refused) == 3


class TestRanking:
    def test_offered_affordable_cheapest_first_and_refusals_last(self):
        cheap = terms(id=1, name="便宜", max_months=12, penalty_waiver_pct=D("100"))
        dear = terms(id=2, name="贵", max_months=12, monthly_fee_pct=D("0.5"))
        refused = terms(id=3, name="不适用", min_overdue_days=365)
        other_bank = terms(id=4, institution_id=2, name="他行")
        d = debt(penalty=D("500"))
        rec = plans.recommend([d], [refused, dear, cheap, other_bank], Hardship())
        assert [o.measure.name for o in rec.debts[0].options] == ["便宜", "贵", "不适用"]
        assert rec.debts[0].best.measure.name == "便宜"

    def test_a_plan_over_several_debts_sums_the_best_of_each(self):
        card = debt(key="1")
        loan = debt(key="2", institution_id=2, product_line="personal_loan", principal=D("24000"))
        measures = [
            terms(id=1),
            terms(id=2, institution_id=2, product_line="personal_loan", kind="instalments", max_months=24),
        ]
        rec = plans.recommend(
            [card, loan], measures, Hardship(monthly_income=D("10000"), essential_expenses=D("7000"))
        )
        assert rec.monthly_payment == sum(o.monthly_payment for o in rec.best)
        assert rec.total_cost == D("36000.00") and rec.affordable is not None
