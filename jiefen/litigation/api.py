from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from jiefen.cases.selectors import case_get_for_user
from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.models import Institution

from . import services
from .selectors import (
    confirmation_get_for_user,
    confirmations_for,
    enforcement_get_for_user,
    small_claims_assessment,
    threshold_for,
    transfer_get_for_user,
    transfers_for,
)

router = Router(tags=["诉讼与执行"])


class ThresholdOut(Schema):
    province_code: str
    province_name: str
    year: int
    wage_year: int
    average_wage: Decimal
    threshold: Decimal
    verified: bool
    source: str


class AssessmentOut(Schema):
    case: str
    claim_total: Decimal
    result: str
    text: str


class ConfirmationIn(Schema):
    institution: str = Field(..., description="法院或公证处的机构代码")
    route: str = Field("court", description="court（司法确认）| notary（赋强公证）")


class DecisionIn(Schema):
    decision: str = Field(..., description="accept | confirm | reject")
    reasons: str = ""


class ConfirmationOut(Schema):
    id: int
    case: str
    route: str
    institution: str
    state: str
    apply_due: dt.date
    applied_at: dt.datetime
    decide_due: dt.date | None
    ruling_number: str
    ruling_sha256: str | None


class TransferIn(Schema):
    institution: str = Field(..., description="法院或仲裁委员会的机构代码")
    route: str = Field("court", description="court | arbitration")
    reason: str = ""


class TransferOut(Schema):
    id: int
    case: str
    route: str
    institution: str
    state: str
    claim_total: Decimal
    small_claims: str
    small_claims_text: str
    package_sha256: str
    filing_number: str
    procedure: str
    trial_due: dt.date | None
    judgment_on: dt.date | None
    judgment_amount: Decimal | None


class FilingIn(Schema):
    filing_number: str
    filed_on: dt.date
    procedure: str = Field(..., description="small_claims | simplified | ordinary | arbitration")


class JudgmentIn(Schema):
    judgment_on: dt.date
    amount: Decimal = Field(..., ge=0)
    summary: str
    perform_by: dt.date | None = None


class EnforcementIn(Schema):
    amount: Decimal | None = Field(None, gt=0)


class EnforcementOut(Schema):
    id: int
    case: str
    court: str
    basis: str
    basis_ref: str
    state: str
    amount_sought: Decimal
    amount_enforced: Decimal
    last_performance_day: dt.date
    apply_due: dt.date


class InquiryIn(Schema):
    kinds: list[str] = Field(..., description="bank | real_estate | vehicle | securities")


class InquiryOut(Schema):
    id: int
    kind: str
    state: str
    request_ref: str
    result_summary: str


def _institution(code: str, kinds: list[str]) -> Institution:
    inst = Institution.objects.filter(code=code, kind__in=kinds).first()
    if inst is None:
        raise NotFound(f"没有代码为“{code}”的受理机构")
    return inst


def confirmation_out(a) -> dict:
    return {
        "id": a.pk,
        "case": a.case.number,
        "route": a.route,
        "institution": a.institution.code,
        "state": a.state,
        "apply_due": a.apply_due,
        "applied_at": a.applied_at,
        "decide_due": a.decide_due,
        "ruling_number": a.ruling_number,
        "ruling_sha256": a.ruling_document.sha256 if a.ruling_document_id else None,
    }


def transfer_out(t) -> dict:
    return {
        "id": t.pk,
        "case": t.case.number,
        "route": t.route,
        "institution": t.institution.code,
        "state": t.state,
        "claim_total": t.claim_total,
        "small_claims": t.small_claims,
        "small_claims_text": t.small_claims_text,
        "package_sha256": t.package.sha256,
        "filing_number": t.filing_number,
        "procedure": t.procedure,
        "trial_due": t.trial_due,
        "judgment_on": t.judgment_on,
        "judgment_amount": t.judgment_amount,
    }


def enforcement_out(e) -> dict:
    return {
        "id": e.pk,
        "case": e.case.number,
        "court": e.court.code,
        "basis": e.basis,
        "basis_ref": e.basis_ref,
        "state": e.state,
        "amount_sought": e.amount_sought,
        "amount_enforced": e.amount_enforced,
        "last_performance_day": e.last_performance_day,
        "apply_due": e.apply_due,
    }


@router.get("/small-claims/{province_code}", response=ThresholdOut)
def small_claims(request, province_code: str, year: int | None = None):
    """The small-claims limit of a province for a year (民诉法 Art 165: 50% of the previous-year wage)."""
    row = threshold_for(province_code, year or clock.local_today().year)
    if row is None:
        raise NotFound("未录入该省的小额诉讼标准")
    return {
        "province_code": row.province_code,
        "province_name": row.province_name,
        "year": row.year,
        "wage_year": row.wage_year,
        "average_wage": row.average_wage,
        "threshold": row.threshold,
        "verified": row.verified,
        "source": row.source,
    }


@router.get("/cases/{int:case_id}/small-claims", response=AssessmentOut)
def assess(request, case_id: int, court: str | None = None):
    case = case_get_for_user(request.user, case_id)
    target = _institution(court, [Institution.Kind.COURT]) if court else case.court
    result, text, _ = small_claims_assessment(case, target)
    return {"case": case.number, "claim_total": case.claim_total, "result": result, "text": text}


@router.get("/confirmations", response=list[ConfirmationOut])
def list_confirmations(request, state: str = ""):
    qs = confirmations_for(request.user)
    if state:
        qs = qs.filter(state=state)
    return [confirmation_out(a) for a in qs.order_by("-applied_at")[:200]]


@router.post("/cases/{int:case_id}/confirmations", response={201: ConfirmationOut})
def apply_confirmation(request, case_id: int, payload: ConfirmationIn):
    inst = _institution(payload.institution, [Institution.Kind.COURT, Institution.Kind.NOTARY])
    application = services.confirmation_apply(
        actor=request.user, case_id=case_id, institution=inst, route=payload.route
    )
    return Status(201, confirmation_out(application))


@router.post("/confirmations/{int:application_id}/decision", response=ConfirmationOut)
def decide_confirmation(request, application_id: int, payload: DecisionIn):
    if payload.decision == "accept":
        services.confirmation_accept(actor=request.user, application_id=application_id)
    elif payload.decision == "confirm":
        services.confirmation_confirm(
            actor=request.user,
            application_id=application_id,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
    elif payload.decision == "reject":
        services.confirmation_reject(
            actor=request.user, application_id=application_id, reasons=payload.reasons
        )
    else:
        raise ApplicationError("decision 应为 accept、confirm 或 reject", code="invalid_decision")
    return confirmation_out(confirmation_get_for_user(request.user, application_id))


@router.get("/transfers", response=list[TransferOut])
def list_transfers(request, state: str = ""):
    qs = transfers_for(request.user).select_related("package")
    if state:
        qs = qs.filter(state=state)
    return [transfer_out(t) for t in qs.order_by("-sent_at")[:200]]


@router.post("/cases/{int:case_id}/transfer", response={201: TransferOut})
def transfer(request, case_id: int, payload: TransferIn):
    """One-click transfer of a failed case: the package is built, hashed into the ledger and queued."""
    inst = _institution(payload.institution, [Institution.Kind.COURT, Institution.Kind.ARBITRATION])
    t = services.transfer_create(
        actor=request.user, case_id=case_id, institution=inst, route=payload.route, reason=payload.reason
    )
    return Status(201, transfer_out(t))


@router.get("/transfers/{int:transfer_id}", response=TransferOut)
def get_transfer(request, transfer_id: int):
    return transfer_out(transfer_get_for_user(request.user, transfer_id))


@router.post("/transfers/{int:transfer_id}/filing", response=TransferOut)
def file_transfer(request, transfer_id: int, payload: FilingIn):
    services.transfer_file(
        actor=request.user,
        transfer_id=transfer_id,
        filing_number=payload.filing_number,
        filed_on=payload.filed_on,
        procedure=payload.procedure,
    )
    return transfer_out(transfer_get_for_user(request.user, transfer_id))


@router.post("/transfers/{int:transfer_id}/judgment", response=TransferOut)
def judgment(request, transfer_id: int, payload: JudgmentIn):
    services.transfer_judgment(
        actor=request.user,
        transfer_id=transfer_id,
        judgment_on=payload.judgment_on,
        amount=payload.amount,
        summary=payload.summary,
        perform_by=payload.perform_by,
    )
    return transfer_out(transfer_get_for_user(request.user, transfer_id))


@router.post("/cases/{int:case_id}/enforcement", response={201: EnforcementOut})
def apply_enforcement(request, case_id: int, payload: EnforcementIn):
    e = services.enforcement_apply(actor=request.user, case_id=case_id, amount=payload.amount)
    return Status(201, enforcement_out(e))


@router.get("/enforcements/{int:enforcement_id}", response=EnforcementOut)
def get_enforcement(request, enforcement_id: int):
    return enforcement_out(enforcement_get_for_user(request.user, enforcement_id))


@router.post("/enforcements/{int:enforcement_id}/asset-inquiries", response={201: list[InquiryOut]})
def inquire(request, enforcement_id: int, payload: InquiryIn):
    rows = services.asset_inquiry_request(
        actor=request.user, enforcement_id=enforcement_id, kinds=payload.kinds
    )
    return Status(
        201,
        [
            {
                "id": q.pk,
                "kind": q.kind,
                "state": q.state,
                "request_ref": q.request_ref,
                "result_summary": q.result_summary,
            }
            for q in rows
        ],
    )
