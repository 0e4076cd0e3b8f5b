"""The disposal desk: triage, reminders, calls, contact recovery and outcomes. Every change is here.

Import services live in imports.py; the conduct rules of collection in jiefen.outreach.compliance.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from jiefen.audit.models import RevealLog
from jiefen.cases.machine import STAGE_DEADLINE, TERMINAL, Status
from jiefen.cases.models import Case, CaseEvent
from jiefen.cases.selectors import acting_roles, case_get_for_user, case_queryset_for
from jiefen.cases.services import case_assign, case_transition
from jiefen.common import clock, rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.common.identifiers import IdentifierError, mask_phone, normalize_mobile
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import CENTER_ROLES, Role
from jiefen.outreach import compliance
from jiefen.outreach.models import OutboundMessage, SmsBatch, SmsTemplate
from jiefen.outreach.services import sms_send_templated
from jiefen.outreach.templates import context_for_case
from jiefen.parties.models import PartyPhone
from jiefen.parties.services import party_add_phone

from .models import ContactAttempt, PhoneRelation, RecoveryBatch, RecoveryItem, TriageLog, TriageRule
from .triage import Decision, Facts, RuleSet

DESK_ROLES = frozenset(CENTER_ROLES | {Role.INST_MANAGER, Role.DISPOSAL_STAFF})
# Collection happens in disposal (and after a broken plan); it pauses while the case is being
# mediated or a signed plan is being honoured (信用卡业务监督管理办法第70条: collection stops after signing).
COLLECTING = frozenset({Status.DISPOSAL, Status.DEFAULTED})
PAUSED = frozenset(
    {
        Status.MEDIATION_PENDING,
        Status.MEDIATING,
        Status.AGREED,
        Status.CONFIRMATION_PENDING,
        Status.CONFIRMED,
        Status.PERFORMING,
    }
)
OC = ContactAttempt.Outcome
CALL_OUTCOMES = (OC.REACHED, OC.PROMISED, OC.REFUSED, OC.WRONG_NUMBER, OC.NO_ANSWER, OC.THIRD_PARTY)
SYSTEM_LABEL = "系统（智能初筛）"


def _desk_case(actor, case_id: int, *, for_update: bool = False) -> Case:
    """The case, if the actor may work it at the desk (404 for another tenant's case)."""
    viewer = viewer_for(actor)
    case = case_get_for_user(viewer, case_id)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能办理案件")
    if not acting_roles(viewer, case) & DESK_ROLES:
        raise PermissionDenied("您的角色不能在处置台办理该案件")
    return case


def _require_center(actor) -> Viewer:
    viewer = viewer_for(actor)
    if not viewer.is_center or viewer.read_only:
        raise PermissionDenied("只有调处中心可以执行此操作")
    return viewer


def _event(case: Case, action: str, *, actor, reason: str, data: dict | None = None, at=None, to_status=None):
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=to_status or case.status,
        actor=actor,
        actor_label=str(actor) if actor is not None else "系统",
        reason=reason,
        data=data or {},
        at=at or timezone.now(),
    )


# ---- triage ------------------------------------------------------------------------------------


def _log(action: str, actor, data: dict) -> None:
    TriageLog.objects.create(action=action, actor=actor, data=json.loads(json.dumps(data, default=str)))


@transaction.atomic
def triage_rule_save(
    *,
    actor,
    rule_id: int | None = None,
    kind: str,
    product_type: str = "",
    threshold: Decimal | str | int = 0,
    min_creditors: int = 1,
    order: int = 10,
    active: bool = True,
    note: str = "",
) -> TriageRule:
    _require_center(actor)
    from jiefen.cases.models import ProductType

    if kind not in TriageRule.Kind.values:
        raise ApplicationError("未知的规则类型", code="invalid_rule")
    if product_type and product_type not in ProductType.values:
        raise ApplicationError("未知的产品类型", code="invalid_product_type")
    try:
        threshold = Decimal(str(threshold or 0)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ApplicationError("金额阈值格式不正确", code="invalid_threshold") from None
    if threshold < 0:
        raise ApplicationError("金额阈值不能为负数", code="invalid_threshold")
    if kind == TriageRule.Kind.AMOUNT and threshold <= 0:
        raise ApplicationError("金额规则须填写大于零的阈值", code="invalid_threshold")
    if int(min_creditors) < 1:
        raise ApplicationError("其他债权机构数至少为1", code="invalid_rule")
    values = {
        "kind": kind,
        "product_type": product_type,
        "threshold": threshold,
        "min_creditors": int(min_creditors),
        "order": int(order),
        "active": bool(active),
        "note": note[:200],
        "updated_by": actor,
    }
    if rule_id:
        rule = TriageRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound("规则不存在")
        before = {k: str(getattr(rule, k)) for k in values if k != "updated_by"}
        for key, value in values.items():
            setattr(rule, key, value)
        rule.save()
        _log(
            "rule_update",
            actor,
            {
                "rule": rule.pk,
                "before": before,
                "after": {k: str(v) for k, v in values.items() if k != "updated_by"},
            },
        )
    else:
        rule = TriageRule.objects.create(**values)
        _log(
            "rule_create",
            actor,
            {"rule": rule.pk, "after": {k: str(v) for k, v in values.items() if k != "updated_by"}},
        )
    return rule


@transaction.atomic
def triage_rule_delete(*, actor, rule_id: int) -> None:
    _require_center(actor)
    rule = TriageRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("规则不存在")
    _log("rule_delete", actor, {"rule": rule_id, "label": str(rule)})
    rule.delete()


def _other_creditors(cases: list[Case]) -> dict[int, int]:
    """case id → how many other institutions have open cases against the same person."""
    hashes = {c.debtor.id_hash for c in cases if c.debtor.id_hash}
    if not hashes:
        return {}
    rows = (
        Case.objects.filter(debtor__id_hash__in=hashes)
        .exclude(status__in=TERMINAL)
        .values_list("debtor__id_hash", "institution_id")
        .distinct()
    )
    by_hash: dict[str, set[int]] = {}
    for digest, inst in rows:
        by_hash.setdefault(digest, set()).add(inst)
    return {c.pk: len(by_hash.get(c.debtor.id_hash, set()) - {c.institution_id}) for c in cases}


def triage_decide(case: Case, ruleset: RuleSet | None = None, others: int | None = None) -> Decision:
    ruleset = ruleset or RuleSet.load()
    if others is None:
        others = _other_creditors([case]).get(case.pk, 0)
    return ruleset.evaluate(
        Facts(
            case.product_type,
            case.claim_total,
            case.debtor.kind,
            case.involves_litigation,
            case.involves_petition,
            case.prior_negotiation_failed,
            others,
        )
    )


def _lost_contact_now(case: Case) -> bool:
    return not PartyPhone.objects.filter(party_id=case.debtor_id, is_valid=True).exists()


@transaction.atomic
def triage_case(*, actor, case_id: int, now: dt.datetime | None = None) -> Case:
    """Apply the centre's rules to one new case (cases entered one by one, or left untriaged)."""
    _require_center(actor)
    case = case_get_for_user(actor, case_id)
    if case.status != Status.NEW:
        raise ApplicationError("只有待分流的案件可以初筛", code="invalid_state")
    decision = triage_decide(case)
    lost = _lost_contact_now(case)
    if lost != case.lost_contact:
        Case.objects.filter(pk=case.pk).update(lost_contact=lost)
    reason = decision.reason + ("；无有效手机号，标记失联" if lost else "")
    return case_transition(
        actor=actor,
        case_id=case.pk,
        action=decision.action,
        reason=reason,
        data=decision.data(lost_contact=lost),
        at=now,
    )


def _retarget(
    case: Case, *, target: str, action: str, actor, actor_label: str, reason: str, data: dict, at: dt.datetime
) -> bool:
    """Move a case between the two triage outcomes (disposal ↔ mediation_pending), compare-and-set.

    The state machine has no transition for a re-triage of a case already triaged; until it has one,
    the desk moves it here under the same rules as case_transition (version check, event, deadline).
    """
    key = STAGE_DEADLINE.get(target)
    due = rules.due(key, at) if key else None
    updated = Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(
        status=target,
        complexity="complex" if target == Status.MEDIATION_PENDING else "simple",
        status_changed_at=at,
        stage_due_on=due,
        version=F("version") + 1,
        updated_at=at,
    )
    if updated != 1:
        return False
    CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=target,
        actor=actor,
        actor_label=actor_label,
        reason=reason,
        due_on=due,
        data=data,
        at=at,
    )
    return True


@transaction.atomic
def triage_override(*, actor, case_id: int, to: str, reason: str, now: dt.datetime | None = None) -> Case:
    """A person overrules the rules: simple ↔ complex, with a reason on the record."""
    viewer = _require_center(actor)
    case = case_get_for_user(viewer, case_id)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApplicationError("改变初筛结果须填写理由", code="reason_required")
    if to not in {"simple", "complex"}:
        raise ApplicationError("只能改为简易或复杂", code="invalid_target")
    target = Status.DISPOSAL if to == "simple" else Status.MEDIATION_PENDING
    previous = triage_explanation(case)
    data = {"override": True, "result": to, "previous": previous.get("data") if previous else None}
    at = now or timezone.now()
    if case.status == Status.NEW:
        return case_transition(
            actor=actor,
            case_id=case.pk,
            action="triage_simple" if to == "simple" else "triage_complex",
            reason=f"人工初筛：{reason}",
            data=data,
            at=at,
        )
    if case.status not in {Status.DISPOSAL, Status.MEDIATION_PENDING}:
        raise ApplicationError(
            f"案件当前为“{case.get_status_display()}”，初筛结果不能再改变", code="invalid_state"
        )
    if case.status == target:
        raise ApplicationError("案件已经是该初筛结果", code="no_change")
    if target == Status.DISPOSAL and case.mediator_id:
        raise ApplicationError("案件已指定调解员，不能改回机构处置", code="invalid_state")
    if not _retarget(
        case,
        target=target,
        action="triage_override",
        actor=actor,
        actor_label=str(actor),
        reason=f"人工调整初筛结果：{reason}",
        data=data,
        at=at,
    ):
        raise Conflict("案件已被他人更新，请刷新后重试")
    return case_get_for_user(viewer, case.pk)


def triage_explanation(case: Case) -> dict | None:
    """The decision on record: the latest triage event (rule, result, sentence, who, when)."""
    event = CaseEvent.objects.filter(case=case, action__in=TRIAGE_ACTIONS).order_by("-at", "-id").first()
    if event is None:
        return None
    return {
        "action": event.action,
        "reason": event.reason,
        "data": event.data,
        "at": event.at,
        "actor": event.actor_label,
        "override": bool(event.data.get("override")),
        "rerun": event.action == "triage_rerun",
    }


TRIAGE_ACTIONS = ("triage_simple", "triage_complex", "triage_override", "triage_rerun")


def triage_explanations(case_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for event in CaseEvent.objects.filter(case_id__in=case_ids, action__in=TRIAGE_ACTIONS).order_by(
        "at", "id"
    ):
        out[event.case_id] = {
            "reason": event.reason,
            "data": event.data,
            "override": bool(event.data.get("override")),
        }
    return out


def triage_rerun(
    *, actor, institution: Institution | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> dict[str, int]:
    """Apply the current rules again: to new cases, and to triaged cases nobody has started on
    (no contact, no assignee or mediator, no manual override). Logged, and each move is on the case."""
    _require_center(actor)
    at = now or timezone.now()
    ruleset = RuleSet.load()
    overridden = CaseEvent.objects.filter(case=OuterRef("pk"), action="triage_override")
    contacted = ContactAttempt.objects.filter(case=OuterRef("pk"))
    qs = (
        Case.objects.filter(
            Q(status=Status.NEW)
            | Q(status=Status.DISPOSAL, assignee__isnull=True)
            | Q(status=Status.MEDIATION_PENDING, mediator__isnull=True)
        )
        .annotate(overridden=Exists(overridden), contacted=Exists(contacted))
        .filter(overridden=False, contacted=False)
        .select_related("debtor")
        .order_by("pk")
    )
    if institution is not None:
        qs = qs.filter(institution=institution)
    counts = {"checked": 0, "triaged": 0, "to_mediation": 0, "to_disposal": 0, "unchanged": 0, "conflicts": 0}
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:1000])
        if not batch:
            break
        last = batch[-1].pk
        others = _other_creditors(batch)
        for case in batch:
            counts["checked"] += 1
            decision = triage_decide(case, ruleset, others.get(case.pk, 0))
            if case.status == Status.NEW:
                counts["triaged"] += 1
                if not dry_run:
                    try:
                        triage_case(actor=actor, case_id=case.pk, now=at)
                    except ApplicationError:
                        counts["conflicts"] += 1
                continue
            if case.status == decision.target:
                counts["unchanged"] += 1
                continue
            counts["to_mediation" if decision.complex else "to_disposal"] += 1
            if dry_run:
                continue
            with transaction.atomic():
                moved = _retarget(
                    case,
                    target=decision.target,
                    action="triage_rerun",
                    actor=actor,
                    actor_label=SYSTEM_LABEL,
                    reason="规则调整后重新初筛：" + decision.detail,
                    data=decision.data(rerun=True),
                    at=at,
                )
            if not moved:
                counts["conflicts"] += 1
    if not dry_run:
        _log("rerun", actor, {"institution": institution.code if institution else None, **counts})
    return counts


# ---- conduct -----------------------------------------------------------------------------------


def collection_refusal(case: Case) -> str | None:
    """Why nobody may send reminders or call about this case now, or None."""
    if case.status in PAUSED:
        return f"案件处于“{case.get_status_display()}”阶段，调解或履行协议期间暂停催收"
    if case.status not in COLLECTING:
        return f"案件当前为“{case.get_status_display()}”，不在催收阶段"
    return None


def _local_day(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = at.astimezone(clock.SHANGHAI)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def unanswered_today(institution_id: int, number_hash: str, at: dt.datetime) -> int:
    start, end = _local_day(at)
    return ContactAttempt.objects.filter(
        institution_id=institution_id,
        number_hash=number_hash,
        channel=ContactAttempt.Channel.CALL,
        outcome=OC.NO_ANSWER,
        at__gte=start,
        at__lt=end,
    ).count()


def call_refusal(case: Case, phone: PartyPhone, at: dt.datetime) -> str | None:
    refusal = collection_refusal(case) or compliance.quiet_hours_refusal(at)
    if refusal:
        return refusal
    if not phone.is_valid:
        return "该号码已标记为无效"
    limit = rules.get("collection.max_unanswered_calls").amount
    if unanswered_today(case.institution_id, phone.number_hash, at) >= limit:
        return (
            f"今日已向{phone.masked}拨打{limit}次均未接通，按《金融机构个人消费类贷款催收工作指引（试行）》"
            "当日不得再拨打该号码"
        )
    return None


def _phone_of(case: Case, phone_id: int) -> PartyPhone:
    phone = PartyPhone.objects.filter(pk=phone_id, party_id=case.debtor_id).select_related("relation").first()
    if phone is None:
        raise NotFound("没有这个号码")
    return phone


def _is_third_party(phone: PartyPhone) -> bool:
    try:
        return phone.relation.third_party
    except PhoneRelation.DoesNotExist:
        return False


# ---- calls -------------------------------------------------------------------------------------


@transaction.atomic
def contact_dial(
    *, actor, case_id: int, phone_id: int, now: dt.datetime | None = None, ip: str | None = None
) -> str:
    """Click-to-call: check the conduct rules, then give the full number for the tel: link.

    The full number is shown only now, and the reveal is logged (PIPL Art 51)."""
    case = _desk_case(actor, case_id)
    phone = _phone_of(case, phone_id)
    at = now or compliance.now()
    refusal = call_refusal(case, phone, at)
    if refusal:
        raise ApplicationError(refusal, code="conduct")
    RevealLog.objects.create(
        actor=actor, party_id=case.debtor_id, field="phone", reason=f"拨打电话（{case.number}）", ip=ip
    )
    return phone.number


@transaction.atomic
def contact_call_log(
    *,
    actor,
    case_id: int,
    phone_id: int,
    outcome: str,
    note: str = "",
    next_contact_on: dt.date | None = None,
    promised_amount: Decimal | None = None,
    promised_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ContactAttempt:
    """Record a call and its outcome; a wrong number is marked invalid, and a debtor with no valid
    number left is marked lost-contact (失联) so the case can go to contact recovery."""
    case = _desk_case(actor, case_id)
    phone = _phone_of(case, phone_id)
    at = now or compliance.now()
    if outcome not in CALL_OUTCOMES:
        raise ApplicationError("请选择通话结果", code="invalid_outcome")
    refusal = call_refusal(case, phone, at)
    if refusal:
        raise ApplicationError(refusal, code="conduct")
    today = clock.local_date(at)
    if next_contact_on and next_contact_on < today:
        raise ApplicationError("下次联系日期不能早于今天", code="invalid_date")
    if outcome == OC.PROMISED:
        if promised_amount is None or promised_amount <= 0:
            raise ApplicationError("承诺还款须填写金额", code="promise_amount")
        if promised_on is None or promised_on < today:
            raise ApplicationError("承诺还款须填写不早于今天的日期", code="promise_date")
    attempt = ContactAttempt.objects.create(
        case=case,
        institution_id=case.institution_id,
        phone=phone,
        number_hash=phone.number_hash,
        channel=ContactAttempt.Channel.CALL,
        outcome=outcome,
        note=note[:500],
        next_contact_on=next_contact_on,
        promised_amount=promised_amount if outcome == OC.PROMISED else None,
        promised_on=promised_on if outcome == OC.PROMISED else None,
        actor=actor,
        at=at,
    )
    label = OC(outcome).label
    text = f"电话联系{phone.masked}：{label}"
    if outcome == OC.PROMISED:
        text += f"，承诺{promised_on:%Y-%m-%d}前还款¥{promised_amount:,.2f}"
    if note:
        text += f"。{note[:200]}"
    _event(
        case,
        "contact_call",
        actor=actor,
        reason=text,
        data={"attempt": attempt.pk, "outcome": outcome},
        at=at,
    )
    if outcome == OC.WRONG_NUMBER:
        PartyPhone.objects.filter(pk=phone.pk).update(is_valid=False)
        if _lost_contact_now(case) and not case.lost_contact:
            Case.objects.filter(pk=case.pk).update(lost_contact=True)
            _event(case, "lost_contact", actor=actor, reason="债务人已无有效号码，标记失联", at=at)
    return attempt


# ---- reminder SMS ------------------------------------------------------------------------------


def _sms_target(case: Case) -> PartyPhone | None:
    """The debtor's own first valid number that has not opted out."""
    phones = PartyPhone.objects.filter(
        party_id=case.debtor_id, is_valid=True, opted_out=False
    ).select_related("relation")
    for phone in phones.order_by("id"):
        if not _is_third_party(phone):
            return phone
    return None


def _sms_one(
    *,
    actor,
    case: Case,
    template: SmsTemplate,
    phone: PartyPhone | None,
    batch: SmsBatch | None,
    at: dt.datetime,
) -> ContactAttempt:
    """One reminder, or one blocked attempt with the reason (kept: the refusal is part of the record)."""
    refusal = collection_refusal(case)
    if refusal is None and phone is None:
        refusal = "没有可发送的本人有效手机号（失联或已退订）"
    third_party = phone is not None and _is_third_party(phone)
    message = None
    if refusal is None:
        try:
            message = sms_send_templated(
                to=phone.number,
                template=template,
                context=context_for_case(case),
                institution=case.institution,
                actor=actor,
                subject=f"case:{case.pk}",
                third_party=third_party,
                now=at,
            )
        except ApplicationError as exc:
            refusal = exc.message
    if refusal is not None:
        outcome = OC.BLOCKED
    elif message.status == OutboundMessage.Status.FAILED:
        outcome = OC.FAILED
    else:
        outcome = OC.SENT
    attempt = ContactAttempt.objects.create(
        case=case,
        institution_id=case.institution_id,
        phone=phone,
        number_hash=phone.number_hash if phone else "",
        channel=ContactAttempt.Channel.SMS,
        outcome=outcome,
        message=message,
        batch=batch,
        blocked_reason=(refusal or "")[:200],
        actor=actor,
        at=at,
    )
    if outcome != OC.BLOCKED:
        _event(
            case,
            "contact_sms",
            actor=actor,
            reason=f"催告短信（{template.name}）发送至{phone.masked}：{message.get_status_display()}",
            data={"attempt": attempt.pk, "message": message.pk},
            at=at,
        )
    return attempt


def _template(template_id) -> SmsTemplate:
    template = SmsTemplate.objects.filter(pk=template_id, active=True).first()
    if template is None:
        raise NotFound("短信模板不存在或已停用")
    return template


@transaction.atomic
def sms_send_case(
    *, actor, case_id: int, template_id: int, phone_id: int | None = None, now: dt.datetime | None = None
) -> ContactAttempt:
    """One reminder about one case. A refusal by the conduct rules is raised (and not sent)."""
    case = _desk_case(actor, case_id)
    template = _template(template_id)
    at = now or compliance.now()
    refusal = compliance.quiet_hours_refusal(at) or collection_refusal(case)
    if refusal:
        raise ApplicationError(refusal, code="conduct")
    phone = _phone_of(case, phone_id) if phone_id else _sms_target(case)
    if phone is not None and (not phone.is_valid):
        raise ApplicationError("该号码已标记为无效", code="conduct")
    if phone is not None and phone.opted_out:
        raise ApplicationError(f"号码{phone.masked}已退订短信，不得再发送", code="opted_out")
    attempt = _sms_one(actor=actor, case=case, template=template, phone=phone, batch=None, at=at)
    if attempt.outcome == OC.BLOCKED:
        raise ApplicationError(attempt.blocked_reason, code="conduct")
    return attempt


BATCH_INLINE = 500


def sms_batch_create(
    *, actor, case_ids: list[int], template_id: int, now: dt.datetime | None = None
) -> SmsBatch:
    """Reminders to many cases at once. Outside the permitted hours the whole batch is refused;
    otherwise each case is sent or blocked with its own reason (paused, no number, opted out)."""
    viewer = viewer_for(actor)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能发送短信")
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        raise ApplicationError("请先勾选案件", code="nothing_selected")
    if len(ids) > 5000:
        raise ApplicationError("单批最多5000件", code="too_many")
    template = _template(template_id)
    at = now or compliance.now()
    refusal = compliance.quiet_hours_refusal(at)
    if refusal:
        raise ApplicationError(refusal, code="quiet_hours")
    visible = list(case_queryset_for(viewer).filter(pk__in=ids).values_list("pk", "institution_id"))
    if len(visible) != len(ids):
        raise NotFound("部分案件不存在或您无权查看")
    institutions = {inst for _, inst in visible}
    if not viewer.is_center and not institutions <= viewer.institution_ids(
        frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
    ):
        raise PermissionDenied("您的角色不能发送催告短信")
    batch = SmsBatch.objects.create(
        institution_id=next(iter(institutions)) if len(institutions) == 1 else None,
        template=template,
        actor=actor,
        total=len(ids),
    )
    if len(ids) <= BATCH_INLINE:
        sms_batch_deliver(batch_id=batch.pk, case_ids=ids, actor_id=actor.pk, now=at)
    else:
        from .tasks import send_sms_batch

        send_sms_batch.enqueue(batch.pk, ids, actor.pk)
    batch.refresh_from_db()
    return batch


def sms_batch_deliver(
    *, batch_id: int, case_ids: list[int], actor_id: int | None, now: dt.datetime | None = None
) -> None:
    batch = SmsBatch.objects.select_related("template").get(pk=batch_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    cases = Case.objects.filter(pk__in=case_ids).select_related("debtor", "institution")
    for case in cases.order_by("pk"):
        at = now or compliance.now()
        with transaction.atomic():
            attempt = _sms_one(
                actor=actor, case=case, template=batch.template, phone=_sms_target(case), batch=batch, at=at
            )
        field = {OC.SENT: "sent", OC.BLOCKED: "blocked", OC.FAILED: "failed"}[attempt.outcome]
        SmsBatch.objects.filter(pk=batch.pk).update(**{field: F(field) + 1})


@transaction.atomic
def phone_opt_out(*, actor, case_id: int, phone_id: int, reason: str = "") -> PartyPhone:
    from jiefen.outreach.services import sms_opt_out

    case = _desk_case(actor, case_id)
    phone = _phone_of(case, phone_id)
    sms_opt_out(number=phone.number, actor=actor, source="staff", reason=reason or "本人要求不再接收短信")
    _event(
        case,
        "sms_opt_out",
        actor=actor,
        reason=f"号码{phone.masked}退订催告短信" + (f"：{reason}" if reason else ""),
    )
    phone.refresh_from_db()
    return phone


@transaction.atomic
def phone_add(
    *, actor, case_id: int, number: str, relation: str = PhoneRelation.Relation.SELF, contact_name: str = ""
) -> PartyPhone:
    """A number the staff learnt (the debtor called back, a relative gave it)."""
    case = _desk_case(actor, case_id)
    if relation not in PhoneRelation.Relation.values:
        raise ApplicationError("未知的号码关系", code="invalid_relation")
    phone = party_add_phone(party=case.debtor, number=number, source=PartyPhone.Source.STAFF)
    if relation != PhoneRelation.Relation.SELF:
        PhoneRelation.objects.update_or_create(
            phone=phone, defaults={"relation": relation, "contact_name": contact_name[:50]}
        )
    if case.lost_contact and relation == PhoneRelation.Relation.SELF:
        Case.objects.filter(pk=case.pk).update(lost_contact=False)
    _event(
        case,
        "phone_added",
        actor=actor,
        reason=f"新增号码{phone.masked}（{PhoneRelation.Relation(relation).label}）",
    )
    return phone


# ---- assignment --------------------------------------------------------------------------------


def disposal_assign(*, actor, case_ids: list[int], assignee, reason: str) -> int:
    """Give several cases to one disposal officer (each through case_assign, so each is logged)."""
    done = 0
    for case_id in sorted({int(i) for i in case_ids}):
        with transaction.atomic():
            case_assign(actor=actor, case_id=case_id, assignee=assignee, reason=reason)
        done += 1
    return done


# ---- contact recovery --------------------------------------------------------------------------


@transaction.atomic
def recovery_batch_create(*, actor, case_ids: list[int], note: str = "") -> RecoveryBatch:
    """Send lost-contact cases of one institution to the contact-recovery provider."""
    viewer = viewer_for(actor)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能发起失联修复")
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        raise ApplicationError("请先勾选失联案件", code="nothing_selected")
    cases = list(
        case_queryset_for(viewer).filter(pk__in=ids).select_related("debtor", "institution").order_by("pk")
    )
    if len(cases) != len(ids):
        raise NotFound("部分案件不存在或您无权查看")
    institutions = {c.institution_id for c in cases}
    if len(institutions) != 1:
        raise ApplicationError("一个修复批次只能包含同一家机构的案件", code="mixed_institutions")
    for case in cases:
        if not acting_roles(viewer, case) & DESK_ROLES:
            raise PermissionDenied("您的角色不能发起失联修复")
        if not case.lost_contact:
            raise ApplicationError(f"案件{case.number}不是失联案件", code="not_lost")
        if case.status in TERMINAL:
            raise ApplicationError(f"案件{case.number}已结束", code="invalid_state")
    pending = RecoveryItem.objects.filter(case_id__in=ids, status=RecoveryItem.Status.PENDING).values_list(
        "case__number", flat=True
    )
    if pending:
        raise ApplicationError(f"案件{pending[0]}已在修复中", code="already_pending")
    from jiefen.common.models import Counter

    seq = Counter.reserve("recovery")
    now = timezone.now()
    batch = RecoveryBatch.objects.create(
        number=f"XF{clock.local_date(now):%Y%m%d}{seq:05d}",
        institution_id=institutions.pop(),
        backend=recovery_backend().name,
        note=note[:200],
        created_by=actor,
    )
    RecoveryItem.objects.bulk_create(
        [RecoveryItem(batch=batch, case=c, seq=n) for n, c in enumerate(cases, start=1)]
    )
    for case in cases:
        _event(case, "recovery_requested", actor=actor, reason=f"发起失联修复（批次{batch.number}）", at=now)
    return batch


def recovery_backend():
    from .recovery import get_backend

    return get_backend()


def recovery_batch_get_for_user(user, batch_id: int) -> RecoveryBatch:
    viewer = viewer_for(user)
    qs = RecoveryBatch.objects.select_related("institution")
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    batch = qs.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("修复批次不存在或您无权查看")
    return batch


@transaction.atomic
def recovery_request_file(*, actor, batch_id: int, ip: str | None = None) -> tuple[str, bytes]:
    """The request file for the provider. It carries full ID numbers (the provider matches on
    them), so each export is logged as a reveal of every person in it."""
    batch = recovery_batch_get_for_user(actor, batch_id)
    viewer = viewer_for(actor)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能导出修复请求")
    items = list(batch.items.select_related("case__debtor").order_by("seq"))
    filename, content = recovery_backend().request_file(batch, items)
    RevealLog.objects.bulk_create(
        [
            RevealLog(
                actor=actor,
                party_id=item.case.debtor_id,
                field="id_number",
                reason=f"失联修复请求（{batch.number}）",
                ip=ip,
            )
            for item in items
        ]
    )
    if batch.status == RecoveryBatch.Status.CREATED:
        RecoveryBatch.objects.filter(pk=batch.pk).update(
            status=RecoveryBatch.Status.SENT, exported_at=timezone.now()
        )
    return filename, content


@transaction.atomic
def recovery_import_result(
    *, actor, batch_id: int, data: bytes, filename: str = "result.csv"
) -> RecoveryBatch:
    """Read the provider's answer: new numbers join the debtor's record (source 失联修复), the case
    leaves the lost-contact list and is back in the desk's queue."""
    batch = recovery_batch_get_for_user(actor, batch_id)
    viewer = viewer_for(actor)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能导入修复结果")
    if batch.status == RecoveryBatch.Status.DONE:
        raise ApplicationError("该批次已回盘", code="already_done")
    results = recovery_backend().parse_result(data, filename)
    items = {item.seq: item for item in batch.items.select_related("case__debtor")}
    found: dict[int, list[tuple[str, str, str]]] = {}
    for seq, number, relation, contact in results:
        if seq not in items:
            raise ApplicationError(f"结果文件中的序号{seq}不在本批次中", code="unknown_seq")
        try:
            number = normalize_mobile(number)
        except IdentifierError:
            continue
        found.setdefault(seq, []).append((number, relation, contact))
    now = timezone.now()
    added_total = 0
    for seq, item in items.items():
        numbers = found.get(seq, [])
        case = item.case
        added = 0
        own = False
        for number, relation, contact in numbers:
            existed = PartyPhone.objects.filter(
                party_id=case.debtor_id, number_hash=lookup_hash(number)
            ).exists()
            phone = party_add_phone(party=case.debtor, number=number, source=PartyPhone.Source.RECOVERY)
            if not existed:
                added += 1
            if relation != PhoneRelation.Relation.SELF:
                PhoneRelation.objects.update_or_create(
                    phone=phone, defaults={"relation": relation, "contact_name": contact[:50]}
                )
            else:
                own = True
                if not phone.is_valid:
                    PartyPhone.objects.filter(pk=phone.pk).update(is_valid=True)
        status = RecoveryItem.Status.FOUND if numbers else RecoveryItem.Status.NOT_FOUND
        RecoveryItem.objects.filter(pk=item.pk).update(status=status, numbers_added=added)
        added_total += added
        if numbers:
            if own:
                Case.objects.filter(pk=case.pk).update(lost_contact=False)
            _event(
                case,
                "recovery_result",
                actor=actor,
                reason=f"失联修复（批次{batch.number}）：新增{added}个号码"
                + ("，恢复联系，回到处置队列" if own else "，仅获得第三人号码（只可用于寻找债务人）"),
                data={"batch": batch.pk, "added": added, "masked": [mask_phone(n) for n, _, _ in numbers]},
                at=now,
            )
        else:
            _event(
                case, "recovery_result", actor=actor, reason=f"失联修复（批次{batch.number}）：未修复", at=now
            )
    RecoveryBatch.objects.filter(pk=batch.pk).update(
        status=RecoveryBatch.Status.DONE,
        resolved_at=now,
        found=sum(1 for s in items if found.get(s)),
        not_found=sum(1 for s in items if not found.get(s)),
        numbers_added=added_total,
    )
    batch.refresh_from_db()
    return batch


# ---- outcomes ----------------------------------------------------------------------------------

OUTCOMES = {
    "paid": ("settle_paid", "已全额还款，结案"),
    "plan": ("plan_agreed", "已协商还款方案（进入协议阶段）"),
    "mediation": ("handover_mediation", "一键移送调解"),
    "litigation": ("handover_litigation", "一键移送诉讼"),
}


def disposal_outcome(
    *,
    actor,
    case_id: int,
    outcome: str,
    reason: str,
    court: Institution | None = None,
    expected_version: int | None = None,
    promised_amount: Decimal | None = None,
    promised_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """End the disposal stage (paid, plan agreed, handed to mediation or litigation) through the state
    machine, or record a repayment promise (the case stays on the desk)."""
    case = _desk_case(actor, case_id)
    if outcome == "promise":
        reason = (reason or "").strip()
        today = clock.local_date(now or timezone.now())
        if promised_amount is None or promised_amount <= 0:
            raise ApplicationError("请填写承诺还款金额", code="promise_amount")
        if promised_on is None or promised_on < today:
            raise ApplicationError("请填写不早于今天的承诺还款日", code="promise_date")
        with transaction.atomic():
            _event(
                case,
                "promise",
                actor=actor,
                reason=f"承诺{promised_on:%Y-%m-%d}前还款¥{promised_amount:,.2f}"
                + (f"：{reason}" if reason else ""),
                data={"amount": str(promised_amount), "on": promised_on.isoformat()},
                at=now,
            )
        return case
    if outcome not in OUTCOMES:
        raise ApplicationError("未知的处置结果", code="invalid_outcome")
    action, _label = OUTCOMES[outcome]
    return case_transition(
        actor=actor,
        case_id=case.pk,
        action=action,
        reason=reason,
        expected_version=expected_version,
        court=court,
        data={"desk": True},
        at=now,
    )


def desk_counts(viewer: Viewer, institution_id: int | None = None) -> dict[str, int]:
    qs = case_queryset_for(viewer).filter(status=Status.DISPOSAL)
    if institution_id:
        qs = qs.filter(institution_id=institution_id)
    return qs.aggregate(
        total=Count("pk"),
        lost=Count("pk", filter=Q(lost_contact=True)),
        mine=Count("pk", filter=Q(assignee_id=viewer.user_id)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
