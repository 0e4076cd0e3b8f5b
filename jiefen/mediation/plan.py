"""Repayment plans, computed with exact decimals: lump sum, instalments, loan extension, and waivers.

Legal limits (domain-rules §1.3):
- credit cards: a personalised instalment agreement runs at most 60 instalments / 5 years
  (信用卡业务监督管理办法 Art 70, rule `card.max_instalments`);
- loans: the plan may run no longer than a 展期 allows (贷款通则 Art 12): a short-term loan by at most
  its original term, a medium-term loan by half of it, a long-term loan by 3 years. The term counts
  from the agreement date, since these loans are already overdue when they reach mediation.
Waivers of penalty interest, compound interest and fees follow the creditor's waiver policy; what is
waived is what the debtor saves. Instalments split the agreed total to the cent: every instalment but
the last is the total divided by the count rounded down to the cent, and the last takes the rest, so
the schedule always adds up to the agreed total exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import models

from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError
from jiefen.common.money import CENT, fmt

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class PlanKind(models.TextChoices):
    LUMP_SUM = "lump_sum", "一次性还款"
    INSTALMENTS = "instalments", "分期还款"
    EXTENSION = "extension", "贷款展期"


class TermClass(models.TextChoices):
    SHORT = "short", "短期贷款"
    MEDIUM = "medium", "中期贷款"
    LONG = "long", "长期贷款"


class PlanError(ApplicationError):
    code = "invalid_plan"


@dataclass(frozen=True)
class Claim:
    principal: Decimal
    interest: Decimal = ZERO
    penalty_interest: Decimal = ZERO
    compound_interest: Decimal = ZERO
    fees: Decimal = ZERO

    @classmethod
    def of(cls, case) -> Claim:
        return cls(
            principal=case.principal,
            interest=case.interest,
            penalty_interest=case.penalty_interest,
            compound_interest=case.compound_interest,
            fees=case.fees,
        )

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty_interest + self.compound_interest + self.fees


@dataclass(frozen=True)
class Rates:
    """Share waived, in percent, of penalty interest, compound interest and fees."""

    penalty: Decimal = ZERO
    compound: Decimal = ZERO
    fees: Decimal = ZERO

    def check(self) -> None:
        for name, value in (("罚息", self.penalty), ("复利", self.compound), ("费用", self.fees)):
            if not (ZERO <= value <= HUNDRED):
                raise PlanError(f"{name}减免比例须在 0 到 100 之间", code="invalid_rate")

    def within(self, ceiling: Rates) -> bool:
        return (
            self.penalty <= ceiling.penalty
            and self.compound <= ceiling.compound
            and self.fees <= ceiling.fees
        )


@dataclass(frozen=True)
class Line:
    seq: int
    due_on: dt.date
    amount: Decimal


@dataclass
class Plan:
    kind: str
    claim: Claim
    rates: Rates
    waived_penalty: Decimal
    waived_compound: Decimal
    waived_fees: Decimal
    total: Decimal
    schedule: list[Line]
    start: dt.date
    limit_months: int
    limit_date: dt.date
    limit_text: str
    term_class: str = ""
    down_payment: Decimal = ZERO
    notes: list[str] = field(default_factory=list)

    @property
    def saving(self) -> Decimal:
        return self.waived_penalty + self.waived_compound + self.waived_fees

    @property
    def count(self) -> int:
        return len(self.schedule)

    @property
    def first_due(self) -> dt.date:
        return self.schedule[0].due_on

    @property
    def last_due(self) -> dt.date:
        return self.schedule[-1].due_on

    @property
    def regular_amount(self) -> Decimal:
        regular = self.schedule[1:] if self.down_payment else self.schedule
        return regular[0].amount if regular else ZERO

    def summary(self) -> str:
        if self.kind == PlanKind.INSTALMENTS:
            head = f"首付 {fmt(self.down_payment)}，" if self.down_payment else ""
            return f"{head}分 {self.count} 期，每期约 {fmt(self.regular_amount)}，合计 {fmt(self.total)}"
        label = "一次性" if self.kind == PlanKind.LUMP_SUM else "展期后一次性"
        return f"于 {self.last_due:%Y年%m月%d日} 前{label}还款 {fmt(self.total)}"


def is_card(product_type: str) -> bool:
    return product_type == "credit_card"


def term_class(original_term_months: int) -> str:
    if original_term_months <= rules.amount("loan.short_term_max"):
        return TermClass.SHORT
    if original_term_months <= rules.amount("loan.medium_term_max"):
        return TermClass.MEDIUM
    return TermClass.LONG


def extension_limit(original_term_months: int) -> tuple[int, str]:
    """Months a loan may run beyond its term (贷款通则 Art 12), and the sentence that explains it."""
    cls = term_class(original_term_months)
    if cls == TermClass.SHORT:
        return original_term_months, f"短期贷款（原期限 {original_term_months} 个月）展期不超过原期限"
    if cls == TermClass.MEDIUM:
        half = original_term_months // 2
        return half, f"中期贷款（原期限 {original_term_months} 个月）展期不超过原期限的一半（{half} 个月）"
    cap = rules.amount("loan.extension_long_max")
    return cap, f"长期贷款（原期限 {original_term_months} 个月）展期不超过 {cap // 12} 年"


def legal_term(product_type: str, original_term_months: int | None) -> tuple[int, str, str]:
    """(months, explanation, term class) the whole plan must fit in, counted from the agreement date."""
    if is_card(product_type):
        n = rules.amount("card.max_instalments")
        return n, f"信用卡个性化分期最长 {n} 期（{n // 12} 年），商业银行信用卡业务监督管理办法第70条", ""
    if not original_term_months or original_term_months < 1:
        raise PlanError("贷款类案件请填写原贷款期限（月），以确定展期上限", code="term_required")
    months, text = extension_limit(original_term_months)
    if months < 1:
        raise PlanError(f"{text}，不足一个月，不能展期或分期", code="no_extension")
    return months, text + "（贷款通则第12条）", term_class(original_term_months)


def waive(claim: Claim, rates: Rates) -> tuple[Decimal, Decimal, Decimal]:
    def part(amount: Decimal, pct: Decimal) -> Decimal:
        return min(amount, (amount * pct / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP))

    return (
        part(claim.penalty_interest, rates.penalty),
        part(claim.compound_interest, rates.compound),
        part(claim.fees, rates.fees),
    )


def split(total: Decimal, count: int) -> list[Decimal]:
    """`count` amounts adding up to `total` exactly: equal parts rounded down, the rest on the last."""
    if count < 1:
        raise PlanError("期数至少为 1", code="invalid_count")
    if total < CENT * count:
        raise PlanError("每期金额不能少于 0.01 元，请减少期数", code="invalid_count")
    base = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [base] * (count - 1) + [total - base * (count - 1)]


def compute(
    *,
    kind: str,
    claim: Claim,
    rates: Rates,
    start: dt.date,
    product_type: str,
    count: int = 1,
    first_due: dt.date | None = None,
    pay_by: dt.date | None = None,
    down_payment: Decimal = ZERO,
    original_term_months: int | None = None,
) -> Plan:
    if kind not in PlanKind.values:
        raise PlanError("未知的还款方式", code="invalid_kind")
    rates.check()
    for name, value in vars(claim).items():
        if value < 0:
            raise PlanError("金额不能为负数", code="invalid_amount", extra={"field": name})
    if claim.total <= 0:
        raise PlanError("债务金额为零，无需还款方案", code="nothing_owed")
    if kind == PlanKind.EXTENSION and is_card(product_type):
        raise PlanError("信用卡欠款不适用贷款展期，请选择分期还款", code="invalid_kind")
    limit_months, limit_text, cls = legal_term(product_type, original_term_months)
    limit_date = clock.add_months(start, limit_months)
    wp, wc, wf = waive(claim, rates)
    total = claim.total - wp - wc - wf
    notes: list[str] = []
    down = Decimal(down_payment or 0).quantize(CENT)

    if kind in {PlanKind.LUMP_SUM, PlanKind.EXTENSION}:
        if down:
            raise PlanError("一次性还款不设首付", code="invalid_down_payment")
        due = pay_by or clock.add_days(start, 30)
        if due <= start:
            raise PlanError("还款日须晚于协议日期", code="invalid_date")
        if due > limit_date:
            raise PlanError(f"还款日超过法定期限 {limit_date:%Y-%m-%d}：{limit_text}", code="beyond_term")
        schedule = [Line(1, clock.next_working_day(due), total)]
    else:
        if count < 2:
            raise PlanError("分期还款至少 2 期；只还一次请选择一次性还款", code="invalid_count")
        if count > limit_months:
            raise PlanError(f"期数不能超过 {limit_months} 期：{limit_text}", code="beyond_term")
        if first_due is not None and first_due <= start:
            raise PlanError("首期还款日须晚于协议日期", code="invalid_date")
        if down < 0 or down >= total:
            raise PlanError("首付须大于等于 0 且小于协议总额", code="invalid_down_payment")
        amounts = ([down] if down else []) + split(total - down, count - (1 if down else 0))
        # Every due date counts from the same anchor (not from the previous, possibly holiday-shifted,
        # date), so a schedule never drifts later month by month.
        if first_due is None:
            schedule = [
                Line(i + 1, clock.add_months(start, i + 1), amount) for i, amount in enumerate(amounts)
            ]
        else:
            schedule = [
                Line(i + 1, clock.add_months(first_due, i), amount) for i, amount in enumerate(amounts)
            ]
        if schedule[-1].due_on > limit_date:
            raise PlanError(
                f"末期还款日 {schedule[-1].due_on:%Y-%m-%d} 超过法定期限 {limit_date:%Y-%m-%d}：{limit_text}",
                code="beyond_term",
            )
    return Plan(
        kind=kind,
        claim=claim,
        rates=rates,
        waived_penalty=wp,
        waived_compound=wc,
        waived_fees=wf,
        total=total,
        schedule=schedule,
        start=start,
        limit_months=limit_months,
        limit_date=limit_date,
        limit_text=limit_text,
        term_class=cls,
        down_payment=down,
        notes=notes,
    )
