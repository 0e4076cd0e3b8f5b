from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from ninja import Field, Router, Schema, Status

from jiefen.cases.selectors import case_get_for_user
from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.orgs.access import viewer_for

from . import services
from .models import Agreement, MediatorProfile, Payment
from .plan import Rates
from .selectors import (
    agreement_get_for_user,
    mediator_recommendations,
    mediator_stats,
    room_get_for_user,
    room_messages,
)

router = Router(tags=["调解"])


class MediatorOut(Schema):
    username: str
    name: str
    organisation: str
    qualifications: list[str]
    specialties: list[str]
    region_code: str
    max_caseload: int
    available: bool
    active: int
    concluded: int
    success_rate: float | None
    average_days: float | None


class RecommendationOut(Schema):
    username: str
    name: str
    score: float
    reasons: list[str]
    excluded: str
    chosen_by_party: bool


class AssignIn(Schema):
    mediator: str = Field(..., description="调解员用户名")
    reason: str


class ReasonIn(Schema):
    reason: str


class PlanIn(Schema):
    kind: str = Field(..., description="lump_sum | instalments | extension")
    count: int = 1
    first_due: dt.date | None = None
    pay_by: dt.date | None = None
    down_payment: Decimal = Decimal("0")
    original_term_months: int | None = Field(None, description="贷款类必填：原贷款期限（月）")
    penalty_pct: Decimal | None = Field(None, description="留空按机构减免政策")
    compound_pct: Decimal | None = None
    fees_pct: Decimal | None = None


class AgreementIn(PlanIn):
    joint_confirmation: bool = True
    extra_terms: str = ""


class LineOut(Schema):
    seq: int
    due_on: dt.date
    amount: Decimal


class PlanOut(Schema):
    kind: str
    claim_total: Decimal
    waived_penalty: Decimal
    waived_compound: Decimal
    waived_fees: Decimal
    total: Decimal
    saving: Decimal
    limit_date: dt.date
    limit_text: str
    schedule: list[LineOut]


class InstalmentOut(Schema):
    seq: int
    due_on: dt.date
    amount: Decimal
    paid: Decimal
    settled: bool


class SignatureOut(Schema):
    side: str
    signer: str
    signed_at: dt.datetime
    document_hash: str


class AgreementOut(Schema):
    id: int
    number: str
    case: str
    kind: str
    state: str
    claim_total: Decimal
    saving: Decimal
    total: Decimal
    paid_total: Decimal
    outstanding: Decimal
    document_hash: str
    effective_at: dt.datetime | None
    default_detected_at: dt.datetime | None
    credit_clause: str
    instalments: list[InstalmentOut]
    signatures: list[SignatureOut]


class PaymentIn(Schema):
    amount: Decimal = Field(..., gt=0)
    paid_on: dt.date
    reference: str = Field("", description="机构流水号：同一流水号重复提交不会重复计入")


class PaymentOut(Schema):
    id: int
    amount: Decimal
    paid_on: dt.date
    reference: str
    outstanding: Decimal


class MessageIn(Schema):
    body: str


class MessageOut(Schema):
    id: int
    side: str
    author: str
    body: str
    evidence_sha256: str | None
    created_at: dt.datetime
    read_by: list[str]


def _rates(payload: PlanIn, case) -> Rates | None:
    if payload.penalty_pct is None and payload.compound_pct is None and payload.fees_pct is None:
        return None
    from .selectors import ceiling, policy_for

    top = ceiling(policy_for(case.institution), payload.kind)
    return Rates(
        payload.penalty_pct if payload.penalty_pct is not None else top.penalty,
        payload.compound_pct if payload.compound_pct is not None else top.compound,
        payload.fees_pct if payload.fees_pct is not None else top.fees,
    )


def _plan_kwargs(payload: PlanIn, case) -> dict:
    return {
        "kind": payload.kind,
        "count": payload.count,
        "first_due": payload.first_due,
        "pay_by": payload.pay_by,
        "down_payment": payload.down_payment,
        "original_term_months": payload.original_term_months,
        "rates": _rates(payload, case),
    }


def agreement_out(agreement: Agreement) -> dict:
    return {
        "id": agreement.pk,
        "number": agreement.number,
        "case": agreement.case.number,
        "kind": agreement.kind,
        "state": agreement.state,
        "claim_total": agreement.claim_total,
        "saving": agreement.saving,
        "total": agreement.total,
        "paid_total": agreement.paid_total,
        "outstanding": agreement.outstanding,
        "document_hash": agreement.document_hash,
        "effective_at": agreement.effective_at,
        "default_detected_at": agreement.default_detected_at,
        "credit_clause": agreement.credit_clause,
        "instalments": [
            {"seq": i.seq, "due_on": i.due_on, "amount": i.amount, "paid": i.paid, "settled": i.settled}
            for i in agreement.instalments.all()
        ],
        "signatures": [
            {
                "side": s.side,
                "signer": s.signer_label,
                "signed_at": s.signed_at,
                "document_hash": s.document_hash,
            }
            for s in agreement.signatures.all()
        ],
    }


@router.get("/mediators", response=list[MediatorOut])
def list_mediators(request):
    """The pool of invited mediators with their caseload and results (centre, oversight and mediators)."""
    viewer = viewer_for(request.user)
    if not (viewer.sees_everything or "mediator" in viewer.roles):
        raise PermissionDenied("无权查看调解员名册")
    profiles = list(MediatorProfile.objects.select_related("user", "organisation"))
    stats = mediator_stats([p.user_id for p in profiles])
    out = []
    for p in profiles:
        s = stats.get(p.user_id)
        out.append(
            {
                "username": p.user.username,
                "name": str(p.user),
                "organisation": str(p.organisation),
                "qualifications": p.qualifications,
                "specialties": p.specialties,
                "region_code": p.region_code,
                "max_caseload": p.max_caseload,
                "available": p.available,
                "active": s.active if s else 0,
                "concluded": s.concluded if s else 0,
                "success_rate": s.success_rate if s else None,
                "average_days": s.average_days if s else None,
            }
        )
    return out


@router.get("/cases/{int:case_id}/recommendations", response=list[RecommendationOut])
def recommendations(request, case_id: int):
    viewer = viewer_for(request.user)
    case = case_get_for_user(viewer, case_id)
    if not viewer.is_center:
        raise PermissionDenied("只有调处中心可以查看推荐")
    return [
        {
            "username": r.user.username,
            "name": str(r.user),
            "score": r.score,
            "reasons": r.reasons,
            "excluded": r.excluded,
            "chosen_by_party": r.chosen_by_party,
        }
        for r in mediator_recommendations(case)
    ]


@router.post("/cases/{int:case_id}/assign", response={200: dict})
def assign(request, case_id: int, payload: AssignIn):
    mediator = get_user_model().objects.filter(username=payload.mediator).first()
    if mediator is None:
        raise NotFound(f"没有用户名为“{payload.mediator}”的调解员")
    mediation = services.mediation_assign(
        actor=request.user, case_id=case_id, mediator=mediator, reason=payload.reason
    )
    return {"case": case_id, "mediator": mediator.username, "accept_due": mediation.accept_due.isoformat()}


@router.post("/cases/{int:case_id}/accept", response={200: dict})
def accept(request, case_id: int):
    mediation = services.mediation_accept(actor=request.user, case_id=case_id)
    return {"case": case_id, "period_due": mediation.period_due.isoformat()}


@router.post("/cases/{int:case_id}/fail", response={200: dict})
def fail(request, case_id: int, payload: ReasonIn):
    services.mediation_fail(actor=request.user, case_id=case_id, reason=payload.reason)
    return {"case": case_id, "status": "mediation_failed"}


@router.post("/cases/{int:case_id}/plan", response=PlanOut)
def preview_plan(request, case_id: int, payload: PlanIn):
    """Compute a plan under the creditor's waiver policy without saving anything."""
    case = case_get_for_user(request.user, case_id)
    plan = services.plan_for(case, **_plan_kwargs(payload, case))
    return {
        "kind": plan.kind,
        "claim_total": plan.claim.total,
        "waived_penalty": plan.waived_penalty,
        "waived_compound": plan.waived_compound,
        "waived_fees": plan.waived_fees,
        "total": plan.total,
        "saving": plan.saving,
        "limit_date": plan.limit_date,
        "limit_text": plan.limit_text,
        "schedule": [{"seq": x.seq, "due_on": x.due_on, "amount": x.amount} for x in plan.schedule],
    }


@router.post("/cases/{int:case_id}/agreements", response={201: AgreementOut})
def create_agreement(request, case_id: int, payload: AgreementIn):
    case = case_get_for_user(request.user, case_id)
    agreement = services.agreement_create(
        actor=request.user,
        case_id=case_id,
        joint_confirmation=payload.joint_confirmation,
        extra_terms=payload.extra_terms,
        **_plan_kwargs(payload, case),
    )
    return Status(201, agreement_out(agreement_get_for_user(request.user, agreement.pk)))


@router.get("/agreements/{int:agreement_id}", response=AgreementOut)
def get_agreement(request, agreement_id: int):
    return agreement_out(agreement_get_for_user(request.user, agreement_id))


@router.post("/agreements/{int:agreement_id}/payments", response={201: PaymentOut})
def record_payment(request, agreement_id: int, payload: PaymentIn):
    """For the creditor's systems: record money received. A repeated `reference` is refused (409)."""
    payment = services.payment_record(
        actor=request.user,
        agreement_id=agreement_id,
        amount=payload.amount,
        paid_on=payload.paid_on,
        source=Payment.Source.API,
        reference=payload.reference,
    )
    agreement = agreement_get_for_user(request.user, agreement_id)
    return Status(
        201,
        {
            "id": payment.pk,
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
            "outstanding": agreement.outstanding,
        },
    )


@router.get("/cases/{int:case_id}/messages", response=list[MessageOut])
def list_messages(request, case_id: int):
    mediation, participant = room_get_for_user(request.user, case_id)
    return [
        {
            "id": e.message.pk,
            "side": e.message.side,
            "author": e.message.author_label,
            "body": e.message.body,
            "evidence_sha256": e.message.evidence.sha256 if e.message.evidence_id else None,
            "created_at": e.message.created_at,
            "read_by": e.read_by,
        }
        for e in room_messages(mediation, participant)
    ]


@router.post("/cases/{int:case_id}/messages", response={201: dict})
def post_message(request, case_id: int, payload: MessageIn):
    mediation, participant = room_get_for_user(request.user, case_id)
    message = services.room_post(mediation=mediation, participant=participant, body=payload.body)
    return Status(201, {"id": message.pk})


@router.post("/performance/check", response=dict)
def performance_check(request, today: dt.date | None = None):
    """Run the daily reminder and default check now (centre only)."""
    if not viewer_for(request.user).is_center:
        raise PermissionDenied("只有调处中心可以运行履约检查")
    if today is not None and today < clock.local_today():
        raise ApplicationError("不能按过去的日期检查", code="invalid_date")
    return services.performance_check(today=today)
