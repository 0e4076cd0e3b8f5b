"""API of the credit rescue station (/api/v1/credit/). Every list is scoped to the caller: a bank's
liaison sees only disputes about its own data; another institution's row is a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status

from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.models import Institution
from jiefen.public.services import public_phone

from . import plans, selectors, services, stats
from .models import (
    CounselingTask,
    CreditDispute,
    PersonalStatement,
    ProductLine,
    ReliefMeasure,
    ReportingTask,
)

router = Router(tags=["信用救助"])


# --- catalog -------------------------------------------------------------------------------------


class MeasureOut(Schema):
    id: int
    institution: str = Field(..., description="机构代码")
    institution_name: str
    product_line: str
    kind: str
    kind_label: str
    name: str
    summary: str
    max_months: int | None
    grace_months: int
    interest_waiver_pct: Decimal
    penalty_waiver_pct: Decimal
    fee_waiver_pct: Decimal
    min_down_payment_pct: Decimal
    annual_rate_pct: Decimal
    monthly_fee_pct: Decimal
    hardship_reasons: list[str]
    min_overdue_days: int | None
    max_overdue_days: int | None
    min_amount: Decimal | None
    max_amount: Decimal | None
    enterprise_sizes: list[str]
    requires_willingness: bool
    is_active: bool
    version: int


def measure_out(m: ReliefMeasure) -> dict:
    return {
        "id": m.pk,
        "institution": m.institution.code,
        "institution_name": m.institution.name,
        "product_line": m.product_line,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "name": m.name,
        "summary": m.summary,
        "max_months": m.max_months,
        "grace_months": m.grace_months,
        "interest_waiver_pct": m.interest_waiver_pct,
        "penalty_waiver_pct": m.penalty_waiver_pct,
        "fee_waiver_pct": m.fee_waiver_pct,
        "min_down_payment_pct": m.min_down_payment_pct,
        "annual_rate_pct": m.annual_rate_pct,
        "monthly_fee_pct": m.monthly_fee_pct,
        "hardship_reasons": list(m.hardship_reasons or []),
        "min_overdue_days": m.min_overdue_days,
        "max_overdue_days": m.max_overdue_days,
        "min_amount": m.min_amount,
        "max_amount": m.max_amount,
        "enterprise_sizes": list(m.enterprise_sizes or []),
        "requires_willingness": m.requires_willingness,
        "is_active": m.is_active,
        "version": m.version,
    }


class MeasureParams(Schema):
    product_line: str = Field("", description="credit_card | personal_loan | enterprise_loan")
    institution: str = Field("", description="机构代码")
    kind: str = ""


def _institution(code: str) -> Institution:
    inst = Institution.objects.filter(code=code).first()
    if inst is None:
        raise NotFound(f"没有代码为“{code}”的机构")
    return inst


@router.get("/measures", response=list[MeasureOut])
def list_measures(request, params: Query[MeasureParams]):
    """The relief-measure catalog (public information: every signed-in caller sees all of it)."""
    if params.product_line and params.product_line not in ProductLine.values:
        raise ApplicationError(
            "product_line 应为 credit_card、personal_loan 或 enterprise_loan", code="invalid_filter"
        )
    inst_id = _institution(params.institution).pk if params.institution else None
    return [
        measure_out(m)
        for m in selectors.measure_list(
            product_line=params.product_line, institution_id=inst_id, kind=params.kind
        )
    ]


@router.get("/measures/{int:measure_id}", response=MeasureOut)
def get_measure(request, measure_id: int):
    m = ReliefMeasure.objects.select_related("institution").filter(pk=measure_id).first()
    if m is None:
        raise NotFound("举措不存在")
    return measure_out(m)


class MeasureIn(Schema):
    institution: str
    product_line: str
    kind: str
    name: str
    summary: str = ""
    max_months: int | None = None
    grace_months: int = 0
    interest_waiver_pct: Decimal = Decimal("0")
    penalty_waiver_pct: Decimal = Decimal("0")
    fee_waiver_pct: Decimal = Decimal("0")
    min_down_payment_pct: Decimal = Decimal("0")
    annual_rate_pct: Decimal = Decimal("0")
    monthly_fee_pct: Decimal = Decimal("0")
    hardship_reasons: list[str] = []
    min_overdue_days: int | None = None
    max_overdue_days: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    enterprise_sizes: list[str] = []
    requires_willingness: bool = True
    source: str = ""
    expected_version: int | None = None


@router.post("/measures", response={201: MeasureOut})
def create_measure(request, payload: MeasureIn):
    data = payload.dict(exclude={"institution", "expected_version"})
    m = services.measure_save(
        actor=request.user, institution_id=_institution(payload.institution).pk, data=data
    )
    return Status(201, measure_out(m))


@router.put("/measures/{int:measure_id}", response=MeasureOut)
def update_measure(request, measure_id: int, payload: MeasureIn):
    data = payload.dict(exclude={"institution", "expected_version"})
    m = services.measure_save(
        actor=request.user,
        institution_id=_institution(payload.institution).pk,
        data=data,
        measure_id=measure_id,
        expected_version=payload.expected_version,
    )
    return measure_out(m)


# --- plan calculator -----------------------------------------------------------------------------


class DebtCalcIn(Schema):
    institution: str
    product_line: str
    principal: Decimal = Field(..., gt=0)
    interest: Decimal = Field(Decimal("0"), ge=0)
    penalty: Decimal = Field(Decimal("0"), ge=0)
    fees: Decimal = Field(Decimal("0"), ge=0)
    overdue_days: int = Field(0, ge=0)
    original_term_months: int | None = Field(None, ge=1)
    matured: bool = False


class RecommendIn(Schema):
    debts: list[DebtCalcIn] = Field(..., min_length=1, max_length=10)
    hardship_reasons: list[str] = []
    monthly_income: Decimal | None = Field(None, ge=0)
    essential_expenses: Decimal | None = Field(None, ge=0)
    available_cash: Decimal | None = Field(None, ge=0)
    enterprise_size: str = ""
    willing_to_repay: bool = True


class OptionOut(Schema):
    measure_id: int
    measure: str
    kind: str
    offered: bool
    months: int
    grace_months: int
    waived: Decimal
    down_payment: Decimal
    monthly_payment: Decimal
    total_cost: Decimal
    saving: Decimal
    affordable: bool | None
    satisfied: list[str]
    refused: list[str]
    limits: list[str]


class DebtPlanOut(Schema):
    institution: str
    product_line: str
    total: Decimal
    options: list[OptionOut]


class RecommendOut(Schema):
    affordable_monthly: Decimal | None
    monthly_payment: Decimal
    total_cost: Decimal
    saving: Decimal
    affordable: bool | None
    debts: list[DebtPlanOut]


def option_out(o: plans.Option) -> dict:
    return {
        "measure_id": o.measure.id,
        "measure": o.measure.name,
        "kind": o.measure.kind,
        "offered": o.offered,
        "months": o.months,
        "grace_months": o.grace_months,
        "waived": o.waived,
        "down_payment": o.down_payment,
        "monthly_payment": o.monthly_payment,
        "total_cost": o.total_cost,
        "saving": o.saving,
        "affordable": o.affordable,
        "satisfied": o.satisfied,
        "refused": o.refused,
        "limits": o.limits,
    }


def recommendation_out(rec: plans.Recommendation, codes: dict[int, str]) -> dict:
    return {
        "affordable_monthly": rec.hardship.affordable,
        "monthly_payment": rec.monthly_payment,
        "total_cost": rec.total_cost,
        "saving": rec.saving,
        "affordable": rec.affordable,
        "debts": [
            {
                "institution": codes.get(r.debt.institution_id, ""),
                "product_line": r.debt.product_line,
                "total": r.debt.total,
                "options": [option_out(o) for o in r.options],
            }
            for r in rec.debts
        ],
    }


@router.post("/recommend", auth=None, response=RecommendOut)
def recommend(request, payload: RecommendIn):
    """The plan calculator, open to anyone (nothing is stored): feasible measures ranked with their
    monthly payment, total cost and saving, and why the others are not offered."""
    debts = []
    codes: dict[int, str] = {}
    for n, d in enumerate(payload.debts, start=1):
        if d.product_line not in ProductLine.values:
            raise ApplicationError("product_line 不正确", code="invalid_product_line")
        inst = _institution(d.institution)
        codes[inst.pk] = inst.code
        debts.append(
            plans.DebtFacts(
                key=str(n),
                institution_id=inst.pk,
                institution_name=str(inst),
                product_line=d.product_line,
                principal=d.principal,
                interest=d.interest,
                penalty=d.penalty,
                fees=d.fees,
                overdue_days=d.overdue_days,
                original_term_months=d.original_term_months,
                matured=d.matured,
            )
        )
    measures = [
        plans.MeasureTerms.from_model(m)
        for m in ReliefMeasure.objects.filter(institution_id__in=codes, is_active=True).select_related(
            "institution"
        )
    ]
    hardship = plans.Hardship(
        reasons=frozenset(payload.hardship_reasons),
        monthly_income=payload.monthly_income,
        essential_expenses=payload.essential_expenses,
        available_cash=payload.available_cash,
        enterprise_size=payload.enterprise_size,
        willing_to_repay=payload.willing_to_repay,
    )
    return recommendation_out(plans.recommend(debts, measures, hardship), codes)


# --- disputes ------------------------------------------------------------------------------------


class DisputeOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    received_at: dt.datetime
    due_at: dt.date = Field(..., description="法定答复期限（收到之日起20日，末日遇节假日顺延）")
    days_left: int
    escalate_on: dt.date
    institution: str = Field(..., description="数据报送机构代码")
    institution_name: str
    applicant: str
    applicant_kind: str
    annotation: str
    outcome: str
    answered_at: dt.datetime | None
    answered_on_time: bool | None
    version: int


class ItemOut(Schema):
    id: int
    kind: str
    account_ref: str
    description: str
    expected: str
    outcome: str
    outcome_note: str
    attachments: list[str]


class DisputeDetailOut(DisputeOut):
    items: list[ItemOut]
    reply_text: str


def dispute_out(d: CreditDispute, today: dt.date) -> dict:
    from jiefen.common.identifiers import mask_name

    return {
        "id": d.pk,
        "number": d.application.number,
        "status": d.status,
        "status_label": d.get_status_display(),
        "received_at": d.received_at,
        "due_at": d.due_on,
        "days_left": clock.days_left(d.due_on, today),
        "escalate_on": d.escalate_on,
        "institution": d.institution.code,
        "institution_name": d.institution.name,
        "applicant": mask_name(d.application.party.name)
        if d.application.party.kind == "individual"
        else d.application.party.name,
        "applicant_kind": d.application.party.kind,
        "annotation": d.annotation,
        "outcome": d.outcome,
        "answered_at": d.answered_at,
        "answered_on_time": d.answered_on_time,
        "version": d.version,
    }


class DisputeParams(Schema):
    status: str = ""
    escalated: bool = False
    limit: int = Field(100, ge=1, le=500)


@router.get("/disputes", response=list[DisputeOut])
def list_disputes(request, params: Query[DisputeParams]):
    """Disputes the caller may see: a bank's liaison only those where the bank is the data provider."""
    if params.status and params.status not in CreditDispute.Status.values:
        raise ApplicationError("status 不正确", code="invalid_filter")
    today = clock.local_today()
    rows = selectors.dispute_list(
        request.user, status=params.status, escalated=params.escalated, limit=params.limit
    )
    return [dispute_out(d, today) for d in rows]


@router.get("/disputes/{int:dispute_id}", response=DisputeDetailOut)
def get_dispute(request, dispute_id: int):
    d = selectors.dispute_get_for_user(request.user, dispute_id)
    data = dispute_out(d, clock.local_today())
    data["reply_text"] = d.reply_text
    data["items"] = [
        {
            "id": i.pk,
            "kind": i.kind,
            "account_ref": i.account_ref,
            "description": i.description,
            "expected": i.expected,
            "outcome": i.outcome,
            "outcome_note": i.outcome_note,
            "attachments": [a.filename for a in i.attachments.all()],
        }
        for i in d.items.prefetch_related("attachments")
    ]
    return data


class ItemOutcome(Schema):
    item_id: int
    outcome: str = Field(..., description="corrected | no_error | unconfirmed")
    note: str


class AnswerIn(Schema):
    outcomes: list[ItemOutcome]
    reply_text: str
    expected_version: int | None = None


@router.post("/disputes/{int:dispute_id}/answer", response=DisputeDetailOut)
def answer_dispute(request, dispute_id: int, payload: AnswerIn):
    services.dispute_answer(
        actor=request.user,
        dispute_id=dispute_id,
        outcomes=[
            services.ItemOutcomeIn(item_id=o.item_id, outcome=o.outcome, note=o.note)
            for o in payload.outcomes
        ],
        reply_text=payload.reply_text,
        expected_version=payload.expected_version,
    )
    return get_dispute(request, dispute_id)


# --- statements ----------------------------------------------------------------------------------


class StatementOut(Schema):
    id: int
    number: str
    status: str
    item_kind: str
    institution: str | None
    account_ref: str
    text: str
    revision: int
    replaces: int | None
    submitted_at: dt.datetime
    review_due: dt.date
    review_reason: str
    version: int


def statement_out(s: PersonalStatement) -> dict:
    return {
        "id": s.pk,
        "number": s.application.number,
        "status": s.status,
        "item_kind": s.item_kind,
        "institution": s.institution.code if s.institution_id else None,
        "account_ref": s.account_ref,
        "text": s.text,
        "revision": s.revision,
        "replaces": s.replaces_id,
        "submitted_at": s.submitted_at,
        "review_due": s.review_due,
        "review_reason": s.review_reason,
        "version": s.version,
    }


@router.get("/statements", response=list[StatementOut])
def list_statements(request, status: str = ""):
    qs = selectors.statement_queryset_for(request.user)
    if status:
        if status not in PersonalStatement.Status.values:
            raise ApplicationError("status 不正确", code="invalid_filter")
        qs = qs.filter(status=status)
    return [statement_out(s) for s in qs.order_by("review_due", "id")[:500]]


class ReviewIn(Schema):
    decision: str = Field(..., description="accept | reject | request_change")
    reason: str = ""
    expected_version: int | None = None


@router.post("/statements/{int:statement_id}/review", response=StatementOut)
def review_statement(request, statement_id: int, payload: ReviewIn):
    s = services.statement_review(
        actor=request.user,
        statement_id=statement_id,
        decision=payload.decision,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return statement_out(s)


# --- reporting-update tasks ----------------------------------------------------------------------


class ReportingTaskOut(Schema):
    id: int
    institution: str
    source: str
    seq: int
    of_total: int
    payment_due_on: dt.date
    payment_amount: Decimal
    remaining_after: Decimal
    expected_report: str
    update_due_on: dt.date
    status: str
    payment_received: bool | None
    updated_at: dt.datetime | None
    overdue: bool
    version: int


def task_out(t: ReportingTask, today: dt.date) -> dict:
    return {
        "id": t.pk,
        "institution": t.institution.code,
        "source": t.source_label,
        "seq": t.seq,
        "of_total": t.of_total,
        "payment_due_on": t.payment_due_on,
        "payment_amount": t.payment_amount,
        "remaining_after": t.remaining_after,
        "expected_report": t.expected_report,
        "update_due_on": t.update_due_on,
        "status": t.status,
        "payment_received": t.payment_received,
        "updated_at": t.updated_at_report,
        "overdue": t.status in {"pending", "disputed"} and t.update_due_on < today,
        "version": t.version,
    }


@router.get("/reporting-tasks", response=list[ReportingTaskOut])
def list_reporting_tasks(request, status: str = "", overdue: bool = False):
    today = clock.local_today()
    qs = selectors.reporting_queryset_for(request.user)
    if status:
        if status not in ReportingTask.Status.values:
            raise ApplicationError("status 不正确", code="invalid_filter")
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=["pending", "disputed"], update_due_on__lt=today)
    return [task_out(t, today) for t in qs.order_by("update_due_on", "id")[:500]]


class RecordIn(Schema):
    payment_received: bool
    note: str
    expected_version: int | None = None


@router.post("/reporting-tasks/{int:task_id}/record", response=ReportingTaskOut)
def record_reporting_task(request, task_id: int, payload: RecordIn):
    t = services.reporting_task_record(
        actor=request.user,
        task_id=task_id,
        payment_received=payload.payment_received,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return task_out(t, clock.local_today())


# --- counseling ----------------------------------------------------------------------------------


class FlagRow(Schema):
    borrower_name: str
    phone: str
    product_line: str = Field(..., description="credit_card | personal_loan | enterprise_loan")
    account_ref: str
    first_overdue_on: dt.date
    overdue_amount: Decimal = Field(..., ge=0)
    id_number: str = ""
    next_due_on: dt.date | None = None


class FlagsIn(Schema):
    institution: str
    rows: list[FlagRow] = Field(..., min_length=1, max_length=5000)


class RowError(Schema):
    row: int
    message: str


class FlagsOut(Schema):
    rows: int
    created: int
    skipped: int
    errors: list[RowError]


@router.post("/counseling/flags", response={201: FlagsOut})
def flag_first_overdue(request, payload: FlagsIn):
    """An institution's system flags borrowers at their first overdue; each becomes a counseling task."""
    result = services.counseling_flag(
        actor=request.user,
        institution_id=_institution(payload.institution).pk,
        flags=[services.FlagIn(**row.dict()) for row in payload.rows],
        source="api",
    )
    return Status(201, result)


class CounselingOut(Schema):
    id: int
    institution: str
    borrower_name: str
    phone_masked: str
    product_line: str
    account_ref: str
    first_overdue_on: dt.date
    overdue_amount: Decimal
    contact_due: dt.date
    status: str
    reason: str
    outcome: str
    followup_on: dt.date | None
    still_current: bool | None


@router.get("/counseling", response=list[CounselingOut])
def list_counseling(request, status: str = ""):
    qs = selectors.counseling_queryset_for(request.user)
    if status:
        if status not in CounselingTask.Status.values:
            raise ApplicationError("status 不正确", code="invalid_filter")
        qs = qs.filter(status=status)
    return [
        {
            "id": t.pk,
            "institution": t.institution.code,
            "borrower_name": t.borrower_name,
            "phone_masked": t.masked_phone,
            "product_line": t.product_line,
            "account_ref": t.account_ref,
            "first_overdue_on": t.first_overdue_on,
            "overdue_amount": t.overdue_amount,
            "contact_due": t.contact_due,
            "status": t.status,
            "reason": t.reason,
            "outcome": t.outcome,
            "followup_on": t.followup_on,
            "still_current": t.still_current,
        }
        for t in qs.order_by("-id")[:500]
    ]


# --- statistics ----------------------------------------------------------------------------------


class CountOut(Schema):
    key: str
    label: str
    count: int


class StatsOut(Schema):
    today: dt.date
    scope: str
    applications: list[CountOut]
    individuals_helped: int
    enterprises_helped: int
    individual_debt: Decimal
    enterprise_debt: Decimal
    measures_used: list[CountOut]
    disputes_total: int
    disputes_open: int
    disputes_overdue: int
    disputes_answered: int
    disputes_on_time: int
    disputes_on_time_rate: float | None
    dispute_outcomes: list[CountOut]
    statements: list[CountOut]
    counseling_total: int
    counseling_outcomes: list[CountOut]
    counseling_followed: int
    counseling_still_current: int
    counseling_still_current_rate: float | None
    reporting_total: int
    reporting_done: int
    reporting_confirmed: int
    reporting_overdue: int
    escalations_open: int
    escalations_total: int
    catalog: list[CountOut]
    catalog_total: int
    catalog_institutions: int


@router.get("/stats", response=StatsOut)
def station_statistics(request):
    """The station's figures: the centre, the PBOC and the regulator see all; an institution its own."""
    return stats.station_stats(request.user)


# --- the applicant (session of a proven phone) ---------------------------------------------------


class PublicEventOut(Schema):
    action: str
    note: str
    at: dt.datetime


class PublicApplicationOut(Schema):
    number: str
    kind: str
    status: str
    status_label: str
    created_at: dt.datetime
    dispute_status: str | None
    due_at: dt.date | None
    events: list[PublicEventOut]


@router.get("/public/applications/{number}", auth=None, response=PublicApplicationOut)
def public_application(request, number: str):
    """The applicant's own application, for the browser session that proved the phone by code."""
    app = selectors.application_get_for_phone(number, public_phone(request))
    dispute = getattr(app, "dispute", None)
    return {
        "number": app.number,
        "kind": app.kind,
        "status": app.status,
        "status_label": app.get_status_display(),
        "created_at": app.created_at,
        "dispute_status": dispute.status if dispute else None,
        "due_at": dispute.due_on if dispute else None,
        "events": [{"action": e.action, "note": e.note, "at": e.at} for e in app.events.filter(public=True)],
    }
