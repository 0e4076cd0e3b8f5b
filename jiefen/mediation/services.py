"""Every change in mediation: assignment and acceptance, the room, sessions, agreements and their
signatures, payments and defaults. Each service writes its rows, the case transition (through
jiefen.cases.services) and its evidence-ledger entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from jiefen.cases.machine import Status
from jiefen.cases.models import Case
from jiefen.cases.selectors import acting_roles, case_get_for_user
from jiefen.cases.services import case_assign, case_transition
from jiefen.common import clock, rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.common.identifiers import mask_phone
from jiefen.common.models import Counter
from jiefen.common.money import CENT, fmt
from jiefen.evidence import chain
from jiefen.evidence.services import evidence_upload, ledger_append, ledger_record
from jiefen.orgs.access import viewer_for
from jiefen.orgs.roles import CENTER_ROLES, Role

from . import documents
from .backends import video_backend
from .models import (
    Agreement,
    Extension,
    Instalment,
    Mediation,
    MediatorProfile,
    Message,
    Payment,
    ReadMark,
    Session,
    Signature,
)
from .plan import Claim, Plan, PlanKind, Rates, compute
from .realtime import notify_room
from .selectors import (
    Participant,
    ceiling,
    current_agreement,
    grace_days,
    mediation_for_case,
    mediator_recommendations,
    policy_for,
    room_is_open,
    shortlist,
)

# Sent after a payment is recorded, inside its transaction: the credit station tracks from it that the
# creditor updates what it reports (see the agreement's credit-report clause).
payment_recorded = Signal()
# Sent when a case starts performing an agreement, inside the transaction: the credit station gives the
# creditor one reporting-update task per instalment (the credit station depends on mediation, not back).
performance_started = Signal()

MAX_MESSAGE = 2000


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError("请填写事由", code="reason_required")
    return text


def _roles(actor, case: Case) -> set[str]:
    viewer = viewer_for(actor)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能办理")
    return acting_roles(viewer, case)


def _system(mediation: Mediation, text: str, *, at: dt.datetime | None = None) -> Message:
    message = Message.objects.create(
        mediation=mediation,
        side=Message.Side.SYSTEM,
        author_label="系统",
        body=text,
        created_at=at or timezone.now(),
    )
    notify_room(mediation.pk, message.pk)
    return message


# --- assignment -----------------------------------------------------------------------------------


@transaction.atomic
def mediation_assign(
    *, actor, case_id: int, mediator, reason: str, at: dt.datetime | None = None
) -> Mediation:
    """The centre gives the case to a mediator. A declared conflict, a full caseload or a paused
    mediator refuses the assignment, whatever the list said when the page was drawn."""
    case = case_get_for_user(actor, case_id)
    profile = MediatorProfile.objects.filter(user=mediator).first()
    if profile is None:
        raise ApplicationError("所选人员没有特邀调解员档案", code="invalid_mediator")
    rec = next((r for r in mediator_recommendations(case) if r.profile.pk == profile.pk), None)
    if rec is not None and rec.excluded:
        raise ApplicationError(f"不能指定{mediator}：{rec.excluded}", code="mediator_excluded")
    case = case_assign(actor=actor, case_id=case_id, mediator=mediator, reason=_reason(reason))
    now = at or timezone.now()
    mediation = mediation_for_case(case)
    mediation.mediator = mediator
    mediation.assigned_at = now
    mediation.accept_due = rules.due("mediation.accept", now)
    mediation.save(update_fields=["mediator", "assigned_at", "accept_due"])
    ledger_record(
        kind="mediation.assign",
        subject=f"case:{case.pk}",
        record={
            "case": case.number,
            "mediator": str(mediator),
            "reason": reason,
            "accept_due": mediation.accept_due,
        },
        actor=actor,
        at=now,
    )
    _system(
        mediation,
        f"调处中心指定调解员 {mediator}；请于 {mediation.accept_due:%Y-%m-%d} 前接受委派。",
        at=now,
    )
    return mediation


@transaction.atomic
def mediation_choose(*, mediation: Mediation, mediator_id: int) -> Mediation:
    """The debtor picks a mediator from the shortlist; the centre then confirms the assignment."""
    case = mediation.case
    if case.status != Status.MEDIATION_PENDING or case.mediator_id is not None:
        raise ApplicationError("本案已指定调解员，不能再选择", code="invalid_state")
    choice = next((r for r in shortlist(case) if r.user.pk == mediator_id), None)
    if choice is None:
        raise ApplicationError("只能从推荐名单中选择调解员", code="invalid_mediator")
    mediation.party_choice = choice.user
    mediation.party_choice_at = timezone.now()
    mediation.save(update_fields=["party_choice", "party_choice_at"])
    _system(mediation, f"债务人从推荐名单中选择调解员 {choice.user}，待调处中心确认指定。")
    return mediation


@transaction.atomic
def mediation_accept(*, actor, case_id: int, at: dt.datetime | None = None) -> Mediation:
    case = case_get_for_user(actor, case_id)
    mediation = mediation_for_case(case)
    if actor.pk in mediation.declined_by and mediation.mediator_id != actor.pk:
        raise ApplicationError("您已拒绝本案委派", code="declined")
    case = case_transition(
        actor=actor, case_id=case_id, action="start_mediation", reason="调解员已签收案件材料，接受委派", at=at
    )
    mediation.accepted_at = case.status_changed_at
    mediation.period_due = case.stage_due_on
    mediation.save(update_fields=["accepted_at", "period_due"])
    ledger_record(
        kind="mediation.accept",
        subject=f"case:{case.pk}",
        record={"case": case.number, "mediator": str(actor), "period_due": mediation.period_due},
        actor=actor,
        at=case.status_changed_at,
    )
    _system(
        mediation,
        f"调解员 {actor} 已接受委派，调解开始；调解期限至 {mediation.period_due:%Y-%m-%d}。调解期间暂停催收。",
        at=case.status_changed_at,
    )
    return mediation


@transaction.atomic
def mediation_decline(*, actor, case_id: int, reason: str) -> Mediation:
    case = case_get_for_user(actor, case_id)
    if case.mediator_id != actor.pk or case.status != Status.MEDIATION_PENDING:
        raise PermissionDenied("只有被指定的调解员可以在接受前拒绝委派")
    mediation = mediation_for_case(case)
    if actor.pk not in mediation.declined_by:
        mediation.declined_by = [*mediation.declined_by, actor.pk]
    mediation.mediator = None
    mediation.accept_due = None
    mediation.save(update_fields=["declined_by", "mediator", "accept_due"])
    _system(mediation, f"调解员 {actor} 拒绝委派：{_reason(reason)}。请调处中心重新指定。")
    return mediation


@transaction.atomic
def mediation_extend(
    *, actor, case_id: int, days: int, reason: str, creditor_consent: str, debtor_consent: str
) -> Extension:
    case = case_get_for_user(actor, case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以延长调解期限")
    if case.status != Status.MEDIATING:
        raise ApplicationError("只有调解中的案件可以延长期限", code="invalid_state")
    limit = rules.amount("mediation.extension_max")
    if not 1 <= days <= limit:
        raise ApplicationError(f"每次延长 1 至 {limit} 日", code="invalid_days")
    if not (creditor_consent or "").strip() or not (debtor_consent or "").strip():
        raise ApplicationError(
            "延长调解期限须经双方当事人同意，请记录双方同意的方式", code="consent_required"
        )
    mediation = mediation_for_case(case)
    old = mediation.period_due or case.stage_due_on or clock.local_today()
    now = timezone.now()
    ext = Extension.objects.create(
        mediation=mediation,
        days=days,
        reason=_reason(reason),
        creditor_consent=creditor_consent.strip()[:200],
        debtor_consent=debtor_consent.strip()[:200],
        old_due=old,
        new_due=clock.add_days(old, days),
        actor=actor,
        at=now,
    )
    mediation.period_due = ext.new_due
    mediation.save(update_fields=["period_due"])
    ledger_record(
        kind="mediation.extend",
        subject=f"case:{case.pk}",
        record={
            "case": case.number,
            "days": days,
            "old_due": old,
            "new_due": ext.new_due,
            "creditor_consent": ext.creditor_consent,
            "debtor_consent": ext.debtor_consent,
        },
        actor=actor,
        at=now,
    )
    _system(
        mediation, f"经双方同意，调解期限延长 {days} 日至 {ext.new_due:%Y-%m-%d}（{ext.reason}）。", at=now
    )
    return ext


@transaction.atomic
def mediation_fail(*, actor, case_id: int, reason: str, at: dt.datetime | None = None) -> Mediation:
    reason = _reason(reason)
    case = case_transition(actor=actor, case_id=case_id, action="mediation_fail", reason=reason, at=at)
    mediation = mediation_for_case(case)
    mediation.failure_reason = reason
    mediation.ended_at = case.status_changed_at
    mediation.save(update_fields=["failure_reason", "ended_at"])
    ledger_record(
        kind="mediation.fail",
        subject=f"case:{case.pk}",
        record={"case": case.number, "reason": reason},
        actor=actor,
        at=case.status_changed_at,
    )
    _system(mediation, f"调解不成：{reason}。可一键移送诉讼或仲裁。", at=case.status_changed_at)
    return mediation


# --- the room ---------------------------------------------------------------------------------------


@transaction.atomic
def room_post(
    *, mediation: Mediation, participant: Participant, body: str, at: dt.datetime | None = None
) -> Message:
    body = (body or "").strip()
    if not body:
        raise ApplicationError("消息不能为空", code="empty_message")
    if len(body) > MAX_MESSAGE:
        raise ApplicationError(f"消息不能超过 {MAX_MESSAGE} 字", code="message_too_long")
    if not room_is_open(mediation):
        raise ApplicationError("调解已结束，调解室只能查看", code="room_closed")
    now = at or timezone.now()
    message = Message.objects.create(
        mediation=mediation,
        side=participant.side,
        author=participant.user if getattr(participant.user, "pk", None) else None,
        author_label=participant.label,
        body=body,
        created_at=now,
    )
    ledger_record(
        kind="room.message",
        subject=f"case:{mediation.case_id}",
        record={
            "message": message.pk,
            "side": participant.side,
            "body_sha256": chain.sha256_bytes(body.encode()),
        },
        actor=participant.user,
        actor_label=participant.label,
        at=now,
    )
    _mark(mediation, participant, message.pk)
    notify_room(mediation.pk, message.pk)
    return message


def _mark(mediation: Mediation, participant: Participant, last_id: int) -> None:
    mark, created = ReadMark.objects.get_or_create(
        mediation=mediation,
        reader=participant.reader,
        defaults={"side": participant.side, "last_read_id": last_id, "at": timezone.now()},
    )
    if not created and last_id > mark.last_read_id:
        ReadMark.objects.filter(pk=mark.pk, last_read_id__lt=last_id).update(
            last_read_id=last_id, at=timezone.now()
        )


@transaction.atomic
def room_mark_read(*, mediation: Mediation, participant: Participant, last_id: int | None = None) -> int:
    """Read receipts: the participant has seen everything up to `last_id` (default: the newest)."""
    newest = mediation.messages.order_by("-id").values_list("id", flat=True).first() or 0
    last = min(last_id if last_id is not None else newest, newest)
    before = (
        ReadMark.objects.filter(mediation=mediation, reader=participant.reader)
        .values_list("last_read_id", flat=True)
        .first()
    )
    if before is None or last > before:
        _mark(mediation, participant, last)
        if before is not None:
            notify_room(mediation.pk, newest)
    return last


@transaction.atomic
def room_upload(
    *,
    mediation: Mediation,
    participant: Participant,
    filename: str,
    content: bytes,
    description: str = "",
    at: dt.datetime | None = None,
) -> Message:
    if not room_is_open(mediation):
        raise ApplicationError("调解已结束，不能再提交证据", code="room_closed")
    evidence = evidence_upload(
        case=mediation.case,
        side=participant.side if participant.side != Message.Side.SYSTEM else "center",
        filename=filename,
        content=content,
        actor=participant.user,
        actor_label=participant.label,
        description=description,
        at=at,
    )
    message = Message.objects.create(
        mediation=mediation,
        side=participant.side,
        author=participant.user if getattr(participant.user, "pk", None) else None,
        author_label=participant.label,
        body=f"提交证据：{evidence.filename}"
        + (f"（{evidence.description}）" if evidence.description else ""),
        evidence=evidence,
        created_at=evidence.created_at,
    )
    _mark(mediation, participant, message.pk)
    notify_room(mediation.pk, message.pk)
    return message


def room_link_send(*, actor, case_id: int, url: str) -> str:
    """Send the debtor the room link by SMS (to the first valid phone on record)."""
    from jiefen.outreach.services import sms_send

    case = case_get_for_user(actor, case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以发送调解室链接")
    phone = case.debtor.primary_phone
    if phone is None:
        raise ApplicationError("债务人没有有效的手机号码", code="no_phone")
    with transaction.atomic():
        sms_send(
            to=phone.number,
            text=f"{case.debtor.name}您好，您与{case.institution}的纠纷已进入线上调解，请点击进入调解室：{url} 。"
            "调解免费，工作人员不会索要验证码或要求转账。",
            purpose="mediation_room",
            institution=case.institution,
            actor=actor,
            subject=f"case:{case.pk}",
        )
        _system(mediation_for_case(case), f"已向债务人手机 {phone.masked} 发送调解室链接。")
    return phone.masked


@transaction.atomic
def room_link_revoke(*, actor, case_id: int) -> Mediation:
    case = case_get_for_user(actor, case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以作废链接")
    mediation = mediation_for_case(case)
    mediation.link_nonce = secrets.token_hex(4)
    mediation.save(update_fields=["link_nonce"])
    _system(mediation, "此前发送的调解室链接已作废。")
    return mediation


# --- sessions -------------------------------------------------------------------------------------


@transaction.atomic
def session_schedule(
    *, actor, case_id: int, mode: str, starts_at: dt.datetime, location: str = ""
) -> Session:
    case = case_get_for_user(actor, case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以安排调解会议")
    if case.status not in {Status.MEDIATION_PENDING, Status.MEDIATING}:
        raise ApplicationError("只有调解中的案件可以安排调解会议", code="invalid_state")
    if mode not in Session.Mode.values:
        raise ApplicationError("请选择线上或现场", code="invalid_mode")
    if starts_at < timezone.now() - dt.timedelta(hours=1):
        raise ApplicationError("会议时间不能早于现在", code="invalid_time")
    if mode == Session.Mode.IN_PERSON and not (location or "").strip():
        raise ApplicationError("现场调解请填写地点", code="location_required")
    mediation = mediation_for_case(case)
    session = Session.objects.create(
        mediation=mediation,
        mode=mode,
        starts_at=starts_at,
        location=(location or "").strip()[:200],
        created_by=actor,
    )
    if mode == Session.Mode.ONLINE:
        session.video_url = video_backend().room_url(session)
        session.save(update_fields=["video_url"])
    where = "线上视频（链接见调解室）" if mode == Session.Mode.ONLINE else session.location
    _system(mediation, f"已安排调解会议：{timezone.localtime(starts_at):%Y-%m-%d %H:%M}，{where}。")
    return session


@transaction.atomic
def session_minutes(*, actor, session_id: int, minutes: str, state: str = Session.State.HELD) -> Session:
    session = Session.objects.select_related("mediation").filter(pk=session_id).first()
    if session is None:
        raise NotFound("会议不存在")
    case = case_get_for_user(actor, session.mediation.case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以填写会议记录")
    if state not in {Session.State.HELD, Session.State.CANCELLED}:
        raise ApplicationError("无效的会议状态", code="invalid_state")
    minutes = (minutes or "").strip()
    if state == Session.State.HELD and not minutes:
        raise ApplicationError("请填写会议记录", code="minutes_required")
    now = timezone.now()
    session.minutes, session.state, session.minutes_at = minutes, state, now
    session.save(update_fields=["minutes", "state", "minutes_at"])
    if minutes:
        ledger_record(
            kind="mediation.session",
            subject=f"case:{case.pk}",
            record={
                "session": session.pk,
                "state": state,
                "minutes_sha256": chain.sha256_bytes(minutes.encode()),
            },
            actor=actor,
            at=now,
        )
    _system(
        session.mediation,
        f"调解会议（{timezone.localtime(session.starts_at):%m-%d %H:%M}）{session.get_state_display()}，记录已归档。",
    )
    return session


# --- agreements -----------------------------------------------------------------------------------


def plan_for(
    case: Case,
    *,
    kind: str,
    count: int = 1,
    first_due: dt.date | None = None,
    pay_by: dt.date | None = None,
    down_payment: Decimal = Decimal("0"),
    original_term_months: int | None = None,
    rates: Rates | None = None,
    start: dt.date | None = None,
) -> Plan:
    """Compute a plan under the creditor's waiver policy; asked-for rates may be lower, never higher."""
    policy_rates = ceiling(policy_for(case.institution), kind)
    if rates is None:
        rates = policy_rates
    elif not rates.within(policy_rates):
        raise ApplicationError(
            f"减免比例超过{case.institution}的减免政策上限（罚息{policy_rates.penalty}%、复利{policy_rates.compound}%、"
            f"费用{policy_rates.fees}%）",
            code="beyond_policy",
        )
    return compute(
        kind=kind,
        claim=Claim.of(case),
        rates=rates,
        start=start or clock.local_today(),
        product_type=case.product_type,
        count=count,
        first_due=first_due,
        pay_by=pay_by,
        down_payment=down_payment,
        original_term_months=original_term_months,
    )


def plan_options(case: Case, *, count: int = 12, original_term_months: int | None = None) -> list[Plan]:
    """What the debtor would pay under each kind of plan, for the side-by-side comparison."""
    out = []
    for kind, n in ((PlanKind.LUMP_SUM, 1), (PlanKind.INSTALMENTS, count)):
        try:
            out.append(plan_for(case, kind=kind, count=n, original_term_months=original_term_months))
        except ApplicationError:
            continue
    return out


@transaction.atomic
def agreement_create(
    *,
    actor,
    case_id: int,
    kind: str,
    count: int = 1,
    first_due: dt.date | None = None,
    pay_by: dt.date | None = None,
    down_payment: Decimal = Decimal("0"),
    original_term_months: int | None = None,
    rates: Rates | None = None,
    joint_confirmation: bool = True,
    extra_terms: str = "",
    render: str = "auto",
    at: dt.datetime | None = None,
    _internal: bool = False,
) -> Agreement:
    """Draw up the agreement from the plan, print it, and put the printed text's hash in the ledger:
    that text is what both parties then sign."""
    case = case_get_for_user(actor, case_id)
    if not _internal:
        if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
            raise PermissionDenied("只有调解员或调处中心可以制作调解协议")
        if case.status != Status.MEDIATING:
            raise ApplicationError("只有调解中的案件可以制作调解协议", code="invalid_state")
    now = at or timezone.now()
    plan = plan_for(
        case,
        kind=kind,
        count=count,
        first_due=first_due,
        pay_by=pay_by,
        down_payment=down_payment,
        original_term_months=original_term_months,
        rates=rates,
        start=clock.local_date(now),
    )
    for old in case.agreements.filter(state=Agreement.State.SIGNING):
        old.state, old.void_reason = Agreement.State.VOID, "已被新版本取代"
        old.save(update_fields=["state", "void_reason"])
    policy = policy_for(case.institution)
    seq = Counter.reserve(f"agreement-{now.year}")
    number = f"TJ{now.year}{seq:06d}"
    grace = grace_days(policy)
    worded = documents.agreement_clauses(case, number=number, grace_days=grace)
    agreement = Agreement.objects.create(
        case=case,
        number=number,
        kind=kind,
        principal=case.principal,
        interest=case.interest,
        penalty_interest=case.penalty_interest,
        compound_interest=case.compound_interest,
        fees=case.fees,
        waived_penalty=plan.waived_penalty,
        waived_compound=plan.waived_compound,
        waived_fees=plan.waived_fees,
        total=plan.total,
        down_payment=plan.down_payment,
        original_term_months=original_term_months if case.product_type != "credit_card" else None,
        term_class=plan.term_class,
        limit_text=plan.limit_text[:200],
        limit_date=plan.limit_date,
        grace_days=grace,
        joint_confirmation=joint_confirmation,
        credit_clause=worded["credit_report"],
        clauses=worded,
        extra_terms=(extra_terms or "").strip()[:4000],
        document_hash="",
        created_by=actor,
        created_at=now,
    )
    Instalment.objects.bulk_create(
        [
            Instalment(agreement=agreement, seq=line.seq, due_on=line.due_on, amount=line.amount)
            for line in plan.schedule
        ]
    )
    _issue(agreement, actor=actor, fmt_=documents.best_format() if render == "auto" else render, at=now)
    _system(
        mediation_for_case(case),
        f"调解员已生成调解协议 {number}：{plan.summary()}，为债务人减免 {fmt(plan.saving)}。请双方核对后以短信验证码签署。",
        at=now,
    )
    return agreement


def _issue(agreement: Agreement, *, actor, fmt_: str, at: dt.datetime) -> None:
    from jiefen.documents.services import document_store

    agreement.case = Case.objects.select_related("institution", "debtor", "mediator").get(
        pk=agreement.case_id
    )
    blocks = documents.agreement_blocks(agreement)
    content = documents.render(blocks, title=f"调解协议书 {agreement.number}", fmt_=fmt_)
    stored = document_store(
        kind="agreement",
        subject=f"agreement:{agreement.pk}",
        filename=f"调解协议书-{agreement.number}.{fmt_}",
        content=content,
        actor=actor,
    )
    agreement.document, agreement.document_hash = stored, stored.sha256
    agreement.save(update_fields=["document", "document_hash"])
    ledger_append(
        kind="agreement.issue",
        subject=f"agreement:{agreement.pk}",
        content_hash=stored.sha256,
        actor=actor,
        data={"case": agreement.case.number, "number": agreement.number, "total": agreement.total},
        file_path=stored.path,
        at=at,
    )


@transaction.atomic
def agreement_void(*, actor, agreement_id: int, reason: str) -> Agreement:
    agreement = Agreement.objects.select_for_update().filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("协议不存在")
    case = case_get_for_user(actor, agreement.case_id)
    if not _roles(actor, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("只有调解员或调处中心可以作废协议")
    if agreement.state != Agreement.State.SIGNING:
        raise ApplicationError("只有待签署的协议可以作废", code="invalid_state")
    agreement.state, agreement.void_reason = Agreement.State.VOID, _reason(reason)[:200]
    agreement.save(update_fields=["state", "void_reason"])
    _system(mediation_for_case(case), f"协议 {agreement.number} 已作废：{agreement.void_reason}")
    return agreement


def _debtor_phone_ok(case: Case, phone: str) -> bool:
    h = lookup_hash(phone)
    return case.debtor.phones.filter(number_hash=h, is_valid=True).exists()


def agreement_sign_request(*, agreement: Agreement, side: str, phone: str, ip: str | None = None) -> None:
    """Send the signing code. The debtor must use a phone on record for them."""
    from jiefen.common.identifiers import IdentifierError, normalize_mobile
    from jiefen.public.services import otp_request

    if agreement.state != Agreement.State.SIGNING:
        raise ApplicationError("该协议当前不能签署", code="invalid_state")
    if agreement.signatures.filter(side=side).exists():
        raise ApplicationError("您已签署该协议", code="already_signed")
    try:
        phone = normalize_mobile(phone)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    if side == Signature.Side.DEBTOR and not _debtor_phone_ok(agreement.case, phone):
        raise ApplicationError("该号码不是本案债务人预留的手机号码", code="phone_mismatch")
    otp_request(phone=phone, purpose="sign", ip=ip)


@transaction.atomic
def agreement_sign(
    *,
    agreement_id: int,
    side: str,
    phone: str,
    code: str,
    ip: str | None = None,
    user_agent: str = "",
    user=None,
) -> Signature:
    """A party confirms the printed agreement with the one-time code sent to their phone.

    Recorded: time, IP, browser, the phone (hashed), the code (hashed) and the document hash they
    confirmed; the record's own hash goes into the ledger in the same transaction.
    """
    from jiefen.public.models import PhoneChallenge
    from jiefen.public.services import otp_verify

    agreement = (
        Agreement.objects.select_for_update()
        .select_related("case", "case__institution", "case__debtor")
        .filter(pk=agreement_id)
        .first()
    )
    if agreement is None:
        raise NotFound("协议不存在")
    case = agreement.case
    if side not in Signature.Side.values:
        raise ApplicationError("无效的签署方", code="invalid_side")
    if side == Signature.Side.CREDITOR and (
        user is None
        or not (_roles(user, case_get_for_user(user, case.pk)) & {Role.INST_MANAGER, Role.DISPOSAL_STAFF})
    ):
        raise PermissionDenied("只有债权机构的人员可以代表债权人签署")
    if agreement.state != Agreement.State.SIGNING:
        raise ApplicationError("该协议当前不能签署", code="invalid_state")
    if agreement.signatures.filter(side=side).exists():
        raise ApplicationError("您已签署该协议", code="already_signed")
    verified = otp_verify(phone=phone, code=code, purpose="sign")
    if side == Signature.Side.DEBTOR and not _debtor_phone_ok(case, verified):
        raise ApplicationError("该号码不是本案债务人预留的手机号码", code="phone_mismatch")
    phone_hash = lookup_hash(verified)
    challenge = (
        PhoneChallenge.objects.filter(phone_hash=phone_hash, purpose="sign", used_at__isnull=False)
        .order_by("-used_at")
        .first()
    )
    label = case.debtor.name if side == Signature.Side.DEBTOR else f"{user}（{case.institution}）"
    return signature_record(
        agreement=agreement,
        side=side,
        label=label,
        phone_hash=phone_hash,
        phone_masked=mask_phone(verified),
        code_hash=challenge.code_hash if challenge else "",
        ip=ip,
        user_agent=user_agent,
        user=user,
    )


def signature_record(
    *,
    agreement: Agreement,
    side: str,
    label: str,
    phone_hash: str,
    phone_masked: str,
    code_hash: str,
    ip: str | None = None,
    user_agent: str = "",
    user=None,
    at: dt.datetime | None = None,
) -> Signature:
    """Write a verified signature, its ledger entry and, with the second party, the agreement's effect.
    Callers have checked the code (agreement_sign) — or are the demo loader replaying history."""
    now = at or timezone.now()
    record = {
        "agreement": agreement.number,
        "side": side,
        "signer": label,
        "document_sha256": agreement.document_hash,
        "phone_hash": phone_hash,
        "code_hash": code_hash,
        "ip": ip or "",
        "user_agent": (user_agent or "")[:300],
        "signed_at": now.isoformat(),
    }
    entry = ledger_record(
        kind="agreement.sign",
        subject=f"agreement:{agreement.pk}",
        record=record,
        actor=user,
        actor_label=label,
        at=now,
    )
    signature = Signature.objects.create(
        agreement=agreement,
        side=side,
        signer_label=label[:100],
        user=user,
        phone_hash=phone_hash,
        phone_masked=phone_masked,
        code_hash=code_hash,
        ip=ip,
        user_agent=record["user_agent"],
        document_hash=agreement.document_hash,
        signed_at=now,
        ledger_entry=entry,
    )
    mediation = mediation_for_case(agreement.case)
    _system(
        mediation,
        f"{signature.get_side_display()} {label} 已以短信验证码签署协议 {agreement.number}。",
        at=now,
    )
    if set(agreement.signatures.values_list("side", flat=True)) >= {
        Signature.Side.DEBTOR,
        Signature.Side.CREDITOR,
    }:
        agreement.state, agreement.effective_at = Agreement.State.EFFECTIVE, now
        agreement.save(update_fields=["state", "effective_at"])
        ledger_record(
            kind="agreement.effective",
            subject=f"agreement:{agreement.pk}",
            record={
                "agreement": agreement.number,
                "document_sha256": agreement.document_hash,
                "effective_at": now.isoformat(),
            },
            actor_label="系统",
            at=now,
        )
        _system(
            mediation,
            f"双方均已签署，协议 {agreement.number} 自 {timezone.localtime(now):%Y-%m-%d %H:%M} 起生效。",
            at=now,
        )
    return signature


@transaction.atomic
def agreement_conclude(*, actor, agreement_id: int, base_url: str = "") -> Agreement:
    """The mediator closes the mediation as a success once both parties have signed. The case's stage
    clock (30 days to apply for confirmation) runs from the moment the agreement took effect. With a
    base URL the signed agreement is also served on the debtor electronically (电子送达)."""
    agreement = Agreement.objects.filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("协议不存在")
    case = case_get_for_user(actor, agreement.case_id)
    if agreement.state != Agreement.State.EFFECTIVE:
        raise ApplicationError("双方签署后协议方生效，才能确认调解成功", code="not_effective")
    case = case_transition(
        actor=actor,
        case_id=case.pk,
        action="mediation_agreed",
        reason=f"双方已签署调解协议 {agreement.number}，协议生效",
        at=max(agreement.effective_at, case.status_changed_at),
        data={"agreement": agreement.number},
    )
    mediation = mediation_for_case(case)
    mediation.ended_at = case.status_changed_at
    mediation.save(update_fields=["ended_at"])
    _system(mediation, f"调解成功。可于 {case.stage_due_on:%Y-%m-%d} 前共同申请司法确认，或直接开始履行。")
    agreement.case = case
    if base_url and agreement.document_id and case.debtor.primary_phone is not None:
        # Imported here: the court end builds on mediation, not the other way round.
        from jiefen.litigation.services import service_send

        service_send(
            actor=actor,
            case=case,
            kind="agreement",
            title=f"调解协议书 {agreement.number}",
            document=agreement.document,
            base_url=base_url,
        )
    return agreement


# --- performance ---------------------------------------------------------------------------------


@transaction.atomic
def performance_start(*, actor, case_id: int) -> Case:
    case = case_transition(
        actor=actor, case_id=case_id, action="start_performance", reason="协议生效，开始按期还款"
    )
    agreement = current_agreement(case)
    if agreement is not None and agreement.state == Agreement.State.EFFECTIVE:
        performance_started.send(sender=Agreement, agreement=agreement, case=case, actor=actor)
    return case


@transaction.atomic
def payment_record(
    *,
    actor,
    agreement_id: int,
    amount: Decimal,
    paid_on: dt.date,
    source: str = Payment.Source.STAFF,
    reference: str = "",
    at: dt.datetime | None = None,
) -> Payment:
    """Record money received and apply it to the oldest unpaid instalments first."""
    agreement = Agreement.objects.select_for_update().filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("协议不存在")
    case = case_get_for_user(actor, agreement.case_id)
    roles = _roles(actor, case)
    if not roles & (CENTER_ROLES | {Role.INST_MANAGER, Role.DISPOSAL_STAFF}):
        raise PermissionDenied("只有债权机构或调处中心可以登记还款")
    if agreement.state not in {Agreement.State.EFFECTIVE, Agreement.State.DEFAULTED}:
        raise ApplicationError("协议未生效或已履行完毕，不能登记还款", code="invalid_state")
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise ApplicationError("还款金额必须大于零", code="invalid_amount")
    if paid_on > clock.local_today():
        raise ApplicationError("还款日期不能晚于今天", code="invalid_date")
    reference = (reference or "").strip()[:64]
    if reference and agreement.payments.filter(reference=reference).exists():
        raise Conflict(f"流水号“{reference}”已登记，未重复计入")
    instalments = list(agreement.instalments.select_for_update().order_by("seq"))
    outstanding = sum((i.remaining for i in instalments), Decimal("0.00"))
    if amount > outstanding:
        raise ApplicationError(f"还款金额超过剩余应还 {fmt(outstanding)}", code="overpayment")
    now = at or timezone.now()
    payment = Payment.objects.create(
        agreement=agreement,
        amount=amount,
        paid_on=paid_on,
        source=source,
        reference=reference,
        recorded_by=actor,
        created_at=now,
    )
    left = amount
    for inst in instalments:
        if left <= 0:
            break
        take = min(inst.remaining, left)
        if take <= 0:
            continue
        inst.paid += take
        left -= take
        if inst.settled:
            inst.paid_on = paid_on
        inst.save(update_fields=["paid", "paid_on"])
    ledger_record(
        kind="payment.record",
        subject=f"agreement:{agreement.pk}",
        record={
            "agreement": agreement.number,
            "amount": amount,
            "paid_on": paid_on,
            "source": source,
            "reference": reference,
        },
        actor=actor,
        at=now,
    )
    mediation = mediation_for_case(case)
    _system(
        mediation,
        f"已登记还款 {fmt(amount)}（{paid_on:%Y-%m-%d}），剩余应还 {fmt(outstanding - amount)}。",
        at=now,
    )
    payment_recorded.send(sender=Payment, payment=payment, agreement=agreement, case=case)
    if outstanding - amount == 0:
        agreement.state, agreement.completed_at = Agreement.State.COMPLETED, now
        agreement.save(update_fields=["state", "completed_at"])
        if case.status == Status.PERFORMING and roles & (
            CENTER_ROLES | {Role.INST_MANAGER, Role.DISPOSAL_STAFF}
        ):
            case_transition(
                actor=actor,
                case_id=case.pk,
                action="plan_completed",
                reason=f"协议 {agreement.number} 全部款项已还清",
            )
    else:
        # Late money may cure a detected (not yet registered) default.
        today = clock.local_today()
        if (
            agreement.default_detected_at
            and agreement.state == Agreement.State.EFFECTIVE
            and not _late(instalments, agreement.grace_days, today)
        ):
            agreement.default_detected_at = None
            agreement.save(update_fields=["default_detected_at"])
    return payment


def _late(instalments, grace: int, today: dt.date) -> list[Instalment]:
    return (
        [i for i in instalments if not i.settled and clock.add_days(i.due_on, grace) < today]
        if grace
        else [i for i in instalments if not i.settled and i.due_on < today]
    )


def performance_check(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: remind debtors before each due date, and flag agreements whose instalment is
    unpaid past the grace days, telling the mediator and the creditor in the room."""
    from jiefen.outreach.services import sms_send

    today = today or clock.local_today()
    ahead = rules.amount("performance.reminder")
    reminded = flagged = 0
    due_soon = (
        Instalment.objects.filter(
            agreement__state=Agreement.State.EFFECTIVE,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=ahead),
            reminded_at__isnull=True,
        )
        .select_related(
            "agreement", "agreement__case", "agreement__case__debtor", "agreement__case__institution"
        )
        .order_by("due_on")
    )
    for inst in due_soon:
        if inst.settled:
            continue
        case = inst.agreement.case
        phone = case.debtor.primary_phone
        with transaction.atomic():
            if phone is not None and not phone.opted_out:
                sms_send(
                    to=phone.number,
                    text=f"{case.debtor.name}您好，您的调解协议{inst.agreement.number}第{inst.seq}期应于"
                    f"{inst.due_on:%m月%d日}还款{fmt(inst.remaining)}。按时还款后机构将更新征信记录。",
                    purpose="instalment_reminder",
                    institution=case.institution,
                    subject=f"case:{case.pk}",
                )
            Instalment.objects.filter(pk=inst.pk).update(reminded_at=timezone.now())
            reminded += 1
    candidates = Agreement.objects.filter(
        state=Agreement.State.EFFECTIVE, default_detected_at__isnull=True, instalments__due_on__lt=today
    ).distinct()
    for agreement in candidates.select_related("case"):
        late = _late(list(agreement.instalments.all()), agreement.grace_days, today)
        if not late:
            continue
        with transaction.atomic():
            updated = Agreement.objects.filter(pk=agreement.pk, default_detected_at__isnull=True).update(
                default_detected_at=timezone.now()
            )
            if not updated:
                continue
            first = late[0]
            _system(
                mediation_for_case(agreement.case),
                f"履约预警：协议 {agreement.number} 第{first.seq}期（{first.due_on:%Y-%m-%d}，{fmt(first.remaining)}）"
                f"逾期超过{agreement.grace_days}日未还。请债权机构确认是否登记违约，并申请强制执行或移送诉讼。",
            )
            flagged += 1
    return {"reminded": reminded, "flagged": flagged}


@transaction.atomic
def agreement_register_default(*, actor, agreement_id: int, reason: str) -> Agreement:
    agreement = Agreement.objects.select_for_update().filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("协议不存在")
    case = case_get_for_user(actor, agreement.case_id)
    if agreement.state != Agreement.State.EFFECTIVE:
        raise ApplicationError("只有生效中的协议可以登记违约", code="invalid_state")
    today = clock.local_today()
    instalments = list(agreement.instalments.all())
    # The daily check may have flagged it already (it runs with its own idea of "today").
    late = _late(instalments, agreement.grace_days, today) or (
        [i for i in instalments if not i.settled][:1] if agreement.default_detected_at else []
    )
    if not late:
        raise ApplicationError(
            f"没有逾期超过宽限期（{agreement.grace_days}日）的分期，不能认定违约", code="no_default"
        )
    reason = _reason(reason)
    case = case_transition(actor=actor, case_id=case.pk, action="plan_default", reason=reason)
    now = timezone.now()
    agreement.state, agreement.defaulted_at = Agreement.State.DEFAULTED, now
    agreement.default_detected_at = agreement.default_detected_at or now
    agreement.save(update_fields=["state", "defaulted_at", "default_detected_at"])
    ledger_record(
        kind="agreement.default",
        subject=f"agreement:{agreement.pk}",
        record={
            "agreement": agreement.number,
            "late": [{"seq": i.seq, "due_on": i.due_on, "remaining": i.remaining} for i in late],
            "reason": reason,
        },
        actor=actor,
        at=now,
    )
    _system(mediation_for_case(case), f"债权机构登记违约：{reason}")
    return agreement


def payment_import(*, actor, content: bytes) -> dict:
    """Record a creditor's repayment file (CSV: 协议编号,金额,还款日期,流水号). Each row stands alone: a
    bad or repeated row is reported and skipped; the others are recorded."""
    import csv
    import io

    from jiefen.common.money import parse_amount

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError("文件须为 UTF-8 编码的 CSV", code="invalid_file") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"协议编号", "金额", "还款日期"}
    if not need <= set(reader.fieldnames or []):
        raise ApplicationError("表头须包含：协议编号、金额、还款日期（可选：流水号）", code="invalid_file")
    recorded, skipped = 0, []
    for line, row in enumerate(reader, start=2):
        try:
            agreement = Agreement.objects.filter(number=(row["协议编号"] or "").strip()).first()
            if agreement is None:
                raise NotFound("协议不存在")
            paid_on = dt.date.fromisoformat((row["还款日期"] or "").strip())
            payment_record(
                actor=actor,
                agreement_id=agreement.pk,
                amount=parse_amount(row["金额"]),
                paid_on=paid_on,
                source=Payment.Source.IMPORT,
                reference=(row.get("流水号") or "").strip(),
            )
            recorded += 1
        except ApplicationError as exc:
            skipped.append(f"第{line}行：{exc.message}")
        except ValueError as exc:
            skipped.append(f"第{line}行：{exc}")
    return {"recorded": recorded, "skipped": skipped}
