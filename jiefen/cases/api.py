from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status

from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.models import Institution

from . import services
from .selectors import CaseFilters, allowed_transitions, case_get_for_user, case_list

router = Router(tags=["案件"])


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    institution: str
    institution_name: str
    branch: str | None
    product_type: str
    contract_no: str
    debtor_name: str
    debtor_id_masked: str
    principal: Decimal
    interest: Decimal
    penalty_interest: Decimal
    compound_interest: Decimal
    fees: Decimal
    claim_total: Decimal
    overdue_since: dt.date | None
    complexity: str
    stage_due_on: dt.date | None
    version: int
    created_at: dt.datetime


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    reason: str
    due_on: dt.date | None
    at: dt.datetime


class CaseDetailOut(CaseOut):
    allowed_actions: list[str]
    events: list[EventOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_before: int | None = Field(None, description="下一页：把它作为 before 参数传回")


def case_out(case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "institution": case.institution.code,
        "institution_name": case.institution.name,
        "branch": case.branch.code if case.branch_id else None,
        "product_type": case.product_type,
        "contract_no": case.contract_no,
        "debtor_name": case.debtor.name,
        "debtor_id_masked": case.debtor.masked_id,
        "principal": case.principal,
        "interest": case.interest,
        "penalty_interest": case.penalty_interest,
        "compound_interest": case.compound_interest,
        "fees": case.fees,
        "claim_total": case.claim_total,
        "overdue_since": case.overdue_since,
        "complexity": case.complexity,
        "stage_due_on": case.stage_due_on,
        "version": case.version,
        "created_at": case.created_at,
    }


class ListParams(Schema):
    status: str = ""
    product_type: str = ""
    institution: str = Field("", description="机构代码")
    overdue: bool = False
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("", response=CasePage)
def list_cases(request, params: Query[ListParams]):
    """The viewer's cases, newest first; another institution's cases never appear."""
    inst_id = None
    if params.institution:
        inst = Institution.objects.filter(code=params.institution).first()
        if inst is None:
            return {"items": [], "next_before": None}
        inst_id = inst.pk
    rows, next_before = case_list(
        request.user,
        CaseFilters(
            status=params.status,
            product_type=params.product_type,
            institution=inst_id,
            overdue=params.overdue,
        ),
        before_id=params.before,
        limit=params.limit,
    )
    return {"items": [case_out(c) for c in rows], "next_before": next_before}


@router.get("/{int:case_id}", response=CaseDetailOut)
def get_case(request, case_id: int):
    case = case_get_for_user(request.user, case_id)
    data = case_out(case)
    data["allowed_actions"] = [t.action for t in allowed_transitions(request.user, case)]
    data["events"] = [
        {
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor_label,
            "reason": e.reason,
            "due_on": e.due_on,
            "at": e.at,
        }
        for e in case.events.all()
    ]
    return data


class CaseIn(Schema):
    institution: str = Field(..., description="债权机构代码")
    branch: str | None = Field(None, description="网点代码")
    debtor_kind: str = "individual"
    debtor_name: str
    debtor_id_number: str
    debtor_phones: list[str] = []
    product_type: str
    contract_no: str
    principal: Decimal = Field(Decimal("0"), ge=0)
    interest: Decimal = Field(Decimal("0"), ge=0)
    penalty_interest: Decimal = Field(Decimal("0"), ge=0)
    compound_interest: Decimal = Field(Decimal("0"), ge=0)
    fees: Decimal = Field(Decimal("0"), ge=0)
    overdue_since: dt.date | None = None


@router.post("", response={201: CaseOut})
def create_case(request, payload: CaseIn):
    inst = Institution.objects.filter(code=payload.institution).first()
    if inst is None:
        raise ApplicationError(f"没有代码为“{payload.institution}”的机构", code="invalid_institution")
    branch = None
    if payload.branch:
        branch = inst.branches.filter(code=payload.branch).first()
        if branch is None:
            raise ApplicationError(f"机构下没有代码为“{payload.branch}”的网点", code="invalid_branch")
    case = services.case_create(
        actor=request.user,
        institution=inst,
        branch=branch,
        debtor_kind=payload.debtor_kind,
        debtor_name=payload.debtor_name,
        debtor_id_number=payload.debtor_id_number,
        debtor_phones=payload.debtor_phones,
        product_type=payload.product_type,
        contract_no=payload.contract_no,
        claim={k: getattr(payload, k) for k in services.CLAIM_FIELDS},
        overdue_since=payload.overdue_since,
        reason="接口录入",
    )
    return Status(201, case_out(case))


class TransitionIn(Schema):
    action: str
    reason: str
    expected_version: int | None = None
    court: str | None = Field(None, description="法院机构代码（移送诉讼、申请司法确认时）")


@router.post("/{int:case_id}/transition", response=CaseDetailOut)
def transition_case(request, case_id: int, payload: TransitionIn):
    court = None
    if payload.court:
        court = Institution.objects.filter(code=payload.court, kind=Institution.Kind.COURT).first()
        if court is None:
            raise NotFound(f"没有代码为“{payload.court}”的法院")
    services.case_transition(
        actor=request.user,
        case_id=case_id,
        action=payload.action,
        reason=payload.reason,
        expected_version=payload.expected_version,
        court=court,
    )
    return get_case(request, case_id)
