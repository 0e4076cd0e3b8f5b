"""Every change to a case goes through here: validate, write in one transaction, log who and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, Conflict, PermissionDenied
from jiefen.common.models import Counter
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import CENTER_ROLES, INSTITUTION_ROLES, Role
from jiefen.parties.services import party_get_or_create

from .machine import BY_ACTION, STAGE_DEADLINE, TERMINAL, Status
from .models import Case, CaseEvent, ProductType
from .selectors import acting_roles, case_get_for_user, transition_refusal

# Steps that send the case to a court and so need to know which court.
COURT_ACTIONS = frozenset({"request_confirmation", "handover_litigation", "transfer_litigation"})
CLAIM_FIELDS = ("principal", "interest", "penalty_interest", "compound_interest", "fees")


def case_number(year: int, seq: int) -> str:
    return f"JF{year}{seq:07d}"


def stage_due(status: str, entered: dt.datetime) -> dt.date | None:
    key = STAGE_DEADLINE.get(status)
    return rules.due(key, entered) if key else None


def _actor_label(actor) -> str:
    return str(actor) if actor is not None else "系统"


@transaction.atomic
def case_create(
    *,
    actor,
    institution: Institution,
    debtor_kind: str,
    debtor_name: str,
    debtor_id_number: str,
    debtor_phones: list[str],
    product_type: str,
    contract_no: str,
    claim: dict[str, Decimal],
    overdue_since: dt.date | None = None,
    branch=None,
    flags: dict[str, bool] | None = None,
    reason: str = "机构录入",
    at: dt.datetime | None = None,
) -> Case:
    viewer = viewer_for(actor) if actor is not None else None
    if (
        viewer is not None
        and not viewer.is_center
        and institution.pk not in viewer.institution_ids(INSTITUTION_ROLES)
    ):
        raise PermissionDenied("只能为本机构录入案件")
    if not institution.is_creditor:
        raise ApplicationError("债权机构必须是银行或其他金融机构", code="invalid_institution")
    if product_type not in ProductType.values:
        raise ApplicationError(f"未知的产品类型“{product_type}”", code="invalid_product_type")
    contract_no = contract_no.strip()
    if not contract_no:
        raise ApplicationError("合同编号不能为空", code="invalid_contract_no")
    if branch is not None and branch.institution_id != institution.pk:
        raise ApplicationError("网点不属于该机构", code="invalid_branch")
    if Case.objects.filter(institution=institution, contract_no=contract_no).exists():
        raise ApplicationError(f"合同编号“{contract_no}”的案件已存在", code="duplicate_contract", status=409)
    amounts = {}
    for name in CLAIM_FIELDS:
        value = Decimal(claim.get(name, 0) or 0)
        if value < 0:
            raise ApplicationError("金额不能为负数", code="invalid_amount", extra={"field": name})
        amounts[name] = value
    now = at or timezone.now()
    debtor = party_get_or_create(
        owner=institution,
        kind=debtor_kind,
        name=debtor_name,
        id_number=debtor_id_number,
        phones=debtor_phones,
    )
    seq = Counter.reserve(f"case-{now.year}")
    case = Case.objects.create(
        number=case_number(now.year, seq),
        institution=institution,
        branch=branch,
        debtor=debtor,
        product_type=product_type,
        contract_no=contract_no,
        region_code=(branch.region_code if branch else institution.region_code),
        overdue_since=overdue_since,
        status=Status.NEW,
        status_changed_at=now,
        created_at=now,
        lost_contact=not debtor_phones,
        **amounts,
        **(flags or {}),
    )
    CaseEvent.objects.create(
        case=case,
        action="create",
        to_status=Status.NEW,
        actor=actor,
        actor_label=_actor_label(actor),
        reason=reason,
        at=now,
    )
    return case


@transaction.atomic
def case_transition(
    *,
    actor,
    case_id: int,
    action: str,
    reason: str,
    expected_version: int | None = None,
    court: Institution | None = None,
    at: dt.datetime | None = None,
    data: dict | None = None,
) -> Case:
    """Move a case one step along the closed loop.

    The write is a compare-and-set on (status, version): if two people act on the same case at once,
    exactly one wins and the other gets a Conflict telling them to reload.
    """
    viewer = viewer_for(actor)
    case = case_get_for_user(viewer, case_id)
    transition = BY_ACTION.get(action)
    if transition is None:
        raise ApplicationError(f"未知的操作“{action}”", code="invalid_action")
    if viewer.read_only:
        raise PermissionDenied("只读账号不能办理案件")
    if expected_version is not None and expected_version != case.version:
        raise Conflict("案件已被他人更新，请刷新后重试")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("请填写办理事由", code="reason_required")
    if action in COURT_ACTIONS:
        court = court or case.court
        if court is None or court.kind != Institution.Kind.COURT:
            raise ApplicationError("请选择受理法院", code="court_required")
        case.court = court
    refusal = transition_refusal(viewer, case, transition)
    if refusal:
        status = 403 if "角色" in refusal else 400
        raise ApplicationError(refusal, code="transition_refused", status=status)

    now = at or timezone.now()
    if now < case.status_changed_at:
        raise ApplicationError("办理时间不能早于上一步", code="invalid_time")
    due = stage_due(transition.target, now)
    changes: dict = {
        "status": transition.target,
        "status_changed_at": now,
        "stage_due_on": due,
        "version": case.version + 1,
        "court": case.court,
    }
    if action == "confirm":
        changes["enforceable"] = True
    if action in {"triage_simple", "triage_complex"}:
        changes["complexity"] = "simple" if action == "triage_simple" else "complex"
    if transition.target in TERMINAL:
        changes["closed_at"] = now
        changes["outcome"] = transition.outcome
    updated = Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(**changes)
    if updated != 1:
        raise Conflict("案件已被他人更新，请刷新后重试")
    CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=transition.target,
        actor=actor,
        actor_label=_actor_label(actor),
        reason=reason,
        due_on=due,
        data=data or {},
        at=now,
    )
    for key, value in changes.items():
        setattr(case, key, value)
    return case


@transaction.atomic
def case_assign(*, actor, case_id: int, reason: str, assignee=None, mediator=None) -> Case:
    """Give the case to a disposal officer (the institution or the centre) or a mediator (the centre)."""
    viewer = viewer_for(actor)
    case = case_get_for_user(viewer, case_id)
    roles = acting_roles(viewer, case)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("请填写办理事由", code="reason_required")
    if case.status in TERMINAL:
        raise ApplicationError("案件已结束，不能再分配", code="case_closed")
    data: dict = {}
    if assignee is not None:
        if not roles & (CENTER_ROLES | {Role.INST_MANAGER, Role.DISPOSAL_STAFF}):
            raise ApplicationError("您的角色不能分配经办人", code="forbidden", status=403)
        if not assignee.memberships.filter(
            institution_id=case.institution_id, role=Role.DISPOSAL_STAFF
        ).exists():
            raise ApplicationError("经办人必须是该机构的处置人员", code="invalid_assignee")
        case.assignee = assignee
        data["assignee"] = str(assignee)
    if mediator is not None:
        if not roles & CENTER_ROLES:
            raise ApplicationError("只有调处中心可以指定调解员", code="forbidden", status=403)
        if not mediator.memberships.filter(role=Role.MEDIATOR).exists():
            raise ApplicationError("所选人员不是特邀调解员", code="invalid_mediator")
        if case.status not in {Status.MEDIATION_PENDING, Status.MEDIATING}:
            raise ApplicationError("只有待调解或调解中的案件可以指定调解员", code="invalid_state")
        case.mediator = mediator
        data["mediator"] = str(mediator)
    if not data:
        raise ApplicationError("请选择经办人或调解员", code="nothing_to_assign")
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        assignee=case.assignee, mediator=case.mediator, version=case.version + 1
    )
    if updated != 1:
        raise Conflict("案件已被他人更新，请刷新后重试")
    case.version += 1
    now = timezone.now()
    CaseEvent.objects.create(
        case=case,
        action="assign",
        from_status=case.status,
        to_status=case.status,
        actor=actor,
        actor_label=_actor_label(actor),
        reason=reason,
        data=data,
        at=now,
    )
    return case


def case_overdue(case: Case, today: dt.date | None = None) -> bool:
    return bool(
        case.stage_due_on
        and case.status not in TERMINAL
        and case.stage_due_on < (today or clock.local_today())
    )
