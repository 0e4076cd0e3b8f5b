"""The plan recommender ("一人一策"): which relief measures fit a person's debts and hardship, what each
would cost month by month, and why the others are not offered.

Pure functions on plain dataclasses, so the arithmetic is testable without a database. Money is
Decimal to the cent throughout; every rounding is explicit:
- waivers and the down payment round half up to the cent (they are amounts written in an agreement);
- the principal of each instalment rounds *down* and the last instalment takes the remainder, so the
  instalments always add up to the rescheduled balance exactly and none is negative;
- interest of a month is the remaining principal times the monthly rate, rounded half up.

Legal limits applied to every computed plan:
- credit cards: at most `card.max_instalments` (60) instalments (信用卡业务监督管理办法 Art 70);
- extensions (贷款通则 Art 12): short-term loans by at most the original term, medium-term by at most
  half of it, long-term by at most three years; only before maturity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from jiefen.common import rules
from jiefen.common.money import CENT, fmt, quantize

ZERO = Decimal("0")
HUNDRED = Decimal("100")

KIND_LABELS = {
    "instalments": "个性化分期",
    "waiver": "部分息费减免",
    "extension": "展期",
    "guarantee_change": "变更担保条件",
    "grace": "宽限本息偿还计划",
    "restructuring": "债务重组",
    "rate_adjustment": "调整授信利率",
}
REASON_LABELS = {
    "illness": "重大疾病或意外伤害",
    "income_loss": "失业或收入大幅下降",
    "business_downturn": "生产经营困难",
    "disaster": "自然灾害等突发事件",
    "family": "家庭重大变故",
    "force_majeure": "疫情等不可抗力",
    "other": "其他原因",
}
SIZE_LABELS = {"micro": "微型企业", "small": "小型企业", "medium": "中型企业", "large": "大型企业"}
# Kinds that reschedule the balance and therefore need a number of months.
SCHEDULED_KINDS = frozenset(KIND_LABELS) - {"waiver"}


@dataclass(frozen=True)
class DebtFacts:
    key: str
    institution_id: int
    institution_name: str
    product_line: str
    principal: Decimal
    interest: Decimal = ZERO
    penalty: Decimal = ZERO
    fees: Decimal = ZERO
    overdue_days: int = 0
    original_term_months: int | None = None
    matured: bool = False

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fees


@dataclass(frozen=True)
class Hardship:
    reasons: frozenset[str] = frozenset()
    monthly_income: Decimal | None = None
    essential_expenses: Decimal | None = None
    available_cash: Decimal | None = None
    enterprise_size: str = ""
    willing_to_repay: bool = True

    @property
    def affordable(self) -> Decimal | None:
        """What is left each month for repayments, when the person told us income and expenses."""
        if self.monthly_income is None or self.essential_expenses is None:
            return None
        return max(ZERO, quantize(self.monthly_income - self.essential_expenses))


@dataclass(frozen=True)
class MeasureTerms:
    id: int
    institution_id: int
    product_line: str
    kind: str
    name: str
    max_months: int | None = None
    grace_months: int = 0
    interest_waiver_pct: Decimal = ZERO
    penalty_waiver_pct: Decimal = ZERO
    fee_waiver_pct: Decimal = ZERO
    min_down_payment_pct: Decimal = ZERO
    annual_rate_pct: Decimal = ZERO
    monthly_fee_pct: Decimal = ZERO
    hardship_reasons: tuple[str, ...] = ()
    min_overdue_days: int | None = None
    max_overdue_days: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    enterprise_sizes: tuple[str, ...] = ()
    requires_willingness: bool = True
    institution_name: str = ""

    @classmethod
    def from_model(cls, m) -> MeasureTerms:
        return cls(
            id=m.pk,
            institution_id=m.institution_id,
            product_line=m.product_line,
            kind=m.kind,
            name=m.name,
            max_months=m.max_months,
            grace_months=m.grace_months,
            interest_waiver_pct=m.interest_waiver_pct,
            penalty_waiver_pct=m.penalty_waiver_pct,
            fee_waiver_pct=m.fee_waiver_pct,
            min_down_payment_pct=m.min_down_payment_pct,
            annual_rate_pct=m.annual_rate_pct,
            monthly_fee_pct=m.monthly_fee_pct,
            hardship_reasons=tuple(m.hardship_reasons or ()),
            min_overdue_days=m.min_overdue_days,
            max_overdue_days=m.max_overdue_days,
            min_amount=m.min_amount,
            max_amount=m.max_amount,
            enterprise_sizes=tuple(m.enterprise_sizes or ()),
            requires_willingness=m.requires_willingness,
            institution_name=str(m.institution),
        )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass
class Option:
    measure: MeasureTerms
    debt: DebtFacts
    offered: bool
    satisfied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    months: int = 0
    grace_months: int = 0
    waived: Decimal = ZERO
    down_payment: Decimal = ZERO
    monthly_payment: Decimal = ZERO
    total_cost: Decimal = ZERO
    saving: Decimal = ZERO
    payments: list[Decimal] = field(default_factory=list)
    affordable: bool | None = None

    @property
    def baseline(self) -> Decimal:
        return self.debt.total

    @property
    def schedule(self) -> list[tuple[int, Decimal]]:
        """(month offset, amount): offset 0 is the down payment, then one row per month."""
        rows = [(0, self.down_payment)] if self.down_payment > 0 else []
        return rows + [(n, amount) for n, amount in enumerate(self.payments, start=1)]


# --- legal limits ------------------------------------------------------------------------------


def card_instalment_cap() -> int:
    return rules.amount("card.max_instalments")


def extension_cap(original_term_months: int) -> tuple[int, str]:
    """贷款通则 Art 12: cumulative extension ≤ original term (short-term loans), ≤ half of it
    (medium-term), ≤ 3 years (long-term). Term classes by Art 9: short ≤ 1 year, medium ≤ 5 years."""
    if original_term_months < 1:
        raise ValueError("original term must be at least one month")
    short_max = rules.amount("loan.short_term_max")
    medium_max = rules.amount("loan.medium_term_max")
    if original_term_months <= short_max:
        return (
            original_term_months,
            f"短期贷款展期不超过原贷款期限（{original_term_months}个月，贷款通则第12条）",
        )
    if original_term_months <= medium_max:
        half = original_term_months // 2
        return half, f"中期贷款展期不超过原贷款期限的一半（{half}个月，贷款通则第12条）"
    long_max = rules.amount("loan.extension_long_max")
    return long_max, f"长期贷款展期不超过3年（{long_max}个月，贷款通则第12条）"


def month_cap(measure: MeasureTerms, debt: DebtFacts) -> tuple[int, list[str], list[str]]:
    """The most months this measure may run for this debt: (cap, limits applied, refusals)."""
    limits: list[str] = []
    refused: list[str] = []
    if measure.kind in SCHEDULED_KINDS:
        cap = measure.max_months or 0
        if cap < 1:
            refused.append("举措未设定期数")
    else:
        cap = measure.max_months or 1
    if measure.kind == "extension":
        if debt.matured:
            refused.append("贷款已到期：展期须在到期前申请（贷款通则第12条）")
        elif not debt.original_term_months:
            refused.append("需要原贷款期限才能计算展期上限，请补充")
        else:
            legal, text = extension_cap(debt.original_term_months)
            if legal < cap:
                cap = legal
                limits.append(text)
    if debt.product_line == "credit_card":
        legal = card_instalment_cap()
        if cap > legal:
            cap = legal
            limits.append(f"信用卡个性化分期最长{legal}期（商业银行信用卡业务监督管理办法第70条）")
    return cap, limits, refused


# --- eligibility -------------------------------------------------------------------------------


def eligibility(measure: MeasureTerms, debt: DebtFacts, hardship: Hardship) -> tuple[list[str], list[str]]:
    """(conditions satisfied, reasons the measure is not offered), each as a sentence for the person."""
    ok: list[str] = []
    no: list[str] = []
    if measure.hardship_reasons:
        wanted = [REASON_LABELS.get(r, r) for r in measure.hardship_reasons]
        matched = [REASON_LABELS.get(r, r) for r in measure.hardship_reasons if r in hardship.reasons]
        if matched:
            ok.append("困难原因符合：" + "、".join(matched))
        else:
            no.append("本举措适用于：" + "、".join(wanted) + "；您填写的困难原因不在其中")
    days = debt.overdue_days
    if measure.min_overdue_days is not None:
        if days >= measure.min_overdue_days:
            ok.append(f"逾期{days}天，达到{measure.min_overdue_days}天的条件")
        else:
            no.append(f"要求逾期至少{measure.min_overdue_days}天（您逾期{days}天）")
    if measure.max_overdue_days is not None:
        if days <= measure.max_overdue_days:
            ok.append(f"逾期{days}天，未超过{measure.max_overdue_days}天")
        else:
            no.append(f"仅适用于逾期不超过{measure.max_overdue_days}天（您已逾期{days}天）")
    total = debt.total
    if measure.min_amount is not None:
        if total >= measure.min_amount:
            ok.append(f"欠款{fmt(total)}，不低于{fmt(measure.min_amount)}")
        else:
            no.append(f"欠款须不低于{fmt(measure.min_amount)}（您的欠款{fmt(total)}）")
    if measure.max_amount is not None:
        if total <= measure.max_amount:
            ok.append(f"欠款{fmt(total)}，不超过{fmt(measure.max_amount)}")
        else:
            no.append(f"欠款须不超过{fmt(measure.max_amount)}（您的欠款{fmt(total)}）")
    if measure.enterprise_sizes:
        wanted = "、".join(SIZE_LABELS.get(s, s) for s in measure.enterprise_sizes)
        if hardship.enterprise_size in measure.enterprise_sizes:
            ok.append(f"企业规模符合（{SIZE_LABELS.get(hardship.enterprise_size, '')}）")
        else:
            mine = SIZE_LABELS.get(hardship.enterprise_size, "未填写")
            no.append(f"仅适用于：{wanted}（您的企业规模：{mine}）")
    if measure.requires_willingness:
        if hardship.willing_to_repay:
            ok.append("有还款意愿")
        else:
            basis = "（商业银行信用卡业务监督管理办法第70条）" if measure.kind == "instalments" else ""
            no.append("须有还款意愿" + basis)
    return ok, no


# --- arithmetic --------------------------------------------------------------------------------


def pct_of(amount: Decimal, pct: Decimal) -> Decimal:
    return quantize(amount * pct / HUNDRED)


def schedule_payments(
    balance: Decimal, months: int, *, grace: int = 0, annual_rate_pct: Decimal = ZERO, fee_pct: Decimal = ZERO
) -> list[Decimal]:
    """Monthly payments repaying `balance` in `months` equal principal parts after `grace` interest-only
    months; interest on the remaining principal, a flat instalment fee on the rescheduled balance."""
    if balance < 0 or months < 0 or grace < 0:
        raise ValueError("negative balance or months")
    if balance == 0:
        return []
    if months < 1:
        raise ValueError("a positive balance needs at least one month")
    rate = annual_rate_pct / HUNDRED / 12
    fee = pct_of(balance, fee_pct)
    per = (balance / months).quantize(CENT, rounding=ROUND_DOWN)
    payments = [quantize(balance * rate) for _ in range(grace)]
    remaining = balance
    for k in range(1, months + 1):
        principal = per if k < months else remaining
        payments.append(principal + quantize(remaining * rate) + fee)
        remaining -= principal
    return payments


def _max_payment(balance: Decimal, months: int, grace: int, rate: Decimal, fee: Decimal) -> Decimal:
    """The largest payment of schedule_payments() without building it: the first amortizing month
    (interest on the whole balance) or the last (it carries the rounding remainder)."""
    per = (balance / months).quantize(CENT, rounding=ROUND_DOWN)
    first = per + quantize(balance * rate) + fee
    last_principal = balance - per * (months - 1)
    last = last_principal + quantize(last_principal * rate) + fee
    grace_payment = quantize(balance * rate) if grace else ZERO
    return max(first, last, grace_payment)


def evaluate(
    measure: MeasureTerms, debt: DebtFacts, hardship: Hardship, *, budget: Decimal | None = None
) -> Option:
    """One measure applied to one debt: offered or not (and why), and if offered its plan. `budget` is
    what the person can pay for this debt each month (default: all they can afford)."""
    ok, no = eligibility(measure, debt, hardship)
    cap, limits, refused = month_cap(measure, debt)
    no += refused
    option = Option(measure=measure, debt=debt, offered=False, satisfied=ok, refused=no, limits=limits)

    waived = (
        pct_of(debt.interest, measure.interest_waiver_pct)
        + pct_of(debt.penalty, measure.penalty_waiver_pct)
        + pct_of(debt.fees, measure.fee_waiver_pct)
    )
    after_waiver = debt.total - waived
    down = pct_of(after_waiver, measure.min_down_payment_pct)
    if hardship.available_cash is not None and down > hardship.available_cash:
        no.append(f"首付款{fmt(down)}超过您可一次性筹措的{fmt(hardship.available_cash)}")
    if no:
        return option

    balance = after_waiver - down
    grace = measure.grace_months if balance > 0 else 0
    rate = measure.annual_rate_pct / HUNDRED / 12
    fee = pct_of(balance, measure.monthly_fee_pct)
    affordable_amount = hardship.affordable if budget is None else budget
    months = 0
    if balance > 0:
        months = cap
        if affordable_amount is not None:
            # The shortest plan the person can afford costs the least interest and fees.
            for n in range(1, cap + 1):
                if _max_payment(balance, n, grace, rate, fee) <= affordable_amount:
                    months = n
                    break
    payments = schedule_payments(
        balance,
        months,
        grace=grace,
        annual_rate_pct=measure.annual_rate_pct,
        fee_pct=measure.monthly_fee_pct,
    )
    option.offered = True
    option.months = months
    option.grace_months = grace
    option.waived = waived
    option.down_payment = down
    option.payments = payments
    option.monthly_payment = max(payments, default=ZERO)
    option.total_cost = down + sum(payments, ZERO)
    option.saving = debt.total - option.total_cost
    if affordable_amount is not None:
        option.affordable = option.monthly_payment <= affordable_amount
    return option


def rank_key(option: Option):
    return (
        not option.offered,
        option.affordable is False,
        option.total_cost,
        option.monthly_payment,
        option.measure.id,
    )


@dataclass
class DebtResult:
    debt: DebtFacts
    options: list[Option]
    budget: Decimal | None = None

    @property
    def offered(self) -> list[Option]:
        return [o for o in self.options if o.offered]

    @property
    def refused(self) -> list[Option]:
        return [o for o in self.options if not o.offered]

    @property
    def best(self) -> Option | None:
        offered = self.offered
        return offered[0] if offered else None


@dataclass
class Recommendation:
    debts: list[DebtResult]
    hardship: Hardship

    @property
    def best(self) -> list[Option]:
        return [r.best for r in self.debts if r.best is not None]

    @property
    def monthly_payment(self) -> Decimal:
        # Conservative: the largest payment of every debt as if they fell in the same month.
        return sum((o.monthly_payment for o in self.best), ZERO)

    @property
    def total_cost(self) -> Decimal:
        return sum((o.total_cost for o in self.best), ZERO)

    @property
    def saving(self) -> Decimal:
        return sum((o.saving for o in self.best), ZERO)

    @property
    def affordable(self) -> bool | None:
        amount = self.hardship.affordable
        return None if amount is None else self.monthly_payment <= amount


def budgets(debts: list[DebtFacts], affordable: Decimal | None) -> list[Decimal | None]:
    """The monthly capacity shared among the debts in proportion to their size (rounded down, so the
    shares never add up to more than the person can pay)."""
    if affordable is None:
        return [None] * len(debts)
    whole = sum((d.total for d in debts), ZERO)
    if whole <= 0:
        return [affordable] * len(debts)
    return [(affordable * d.total / whole).quantize(CENT, rounding=ROUND_DOWN) for d in debts]


def recommend(debts: list[DebtFacts], measures: list[MeasureTerms], hardship: Hardship) -> Recommendation:
    """Every measure of the debt's institution and product line, offered ones ranked first: the person
    can afford it, then the lowest total cost, then the lowest monthly payment."""
    results = []
    for debt, budget in zip(debts, budgets(debts, hardship.affordable), strict=True):
        relevant = [
            m
            for m in measures
            if m.institution_id == debt.institution_id and m.product_line == debt.product_line
        ]
        options = sorted((evaluate(m, debt, hardship, budget=budget) for m in relevant), key=rank_key)
        results.append(DebtResult(debt=debt, options=options, budget=budget))
    return Recommendation(debts=results, hardship=hardship)
