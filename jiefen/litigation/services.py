"""Every change at the court end. Case transitions go through jiefen.cases.services; the rows and
ledger entries of this app are written in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiefen.cases.machine import Status
from jiefen.cases.models import Case
from jiefen.cases.selectors import acting_roles, case_get_for_user
from jiefen.cases.services import case_transition
from jiefen.common import clock
from jiefen.common import rules as central_rules
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.common.models import Counter
from jiefen.common.money import CENT, fmt
from jiefen.documents.services import document_store
from jiefen.evidence.services import ledger_append, ledger_record
from jiefen.mediation import documents as med_docs
from jiefen.mediation.models import Agreement
from jiefen.mediation.selectors import current_agreement, mediation_for_case
from jiefen.mediation.services import _system
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import CENTER_ROLES, Role

from . import documents
from .backends import asset_backend
from .models import (
    AssetInquiry,
    ConfirmationApplication,
    EnforcementCase,
    LitigationTransfer,
    ServiceAddress,
    ServiceDelivery,
)
from .selectors import (
    confirmation_get_for_user,
    enforcement_get_for_user,
    small_claims_assessment,
    transfer_get_for_user,
    works_queue,
)

K = Institution.Kind
BANK_ROLES = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
SERVICE_LINK_DAYS = 90


def _reason(text: str, what: str = "事由") -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(f"请填写{what}", code="reason_required")
    return text


def _store(kind: str, subject: str, filename: str, content: bytes, actor):
    return document_store(kind=kind, subject=subject, filename=filename, content=content, actor=actor)


def _decider(actor, institution: Institution) -> None:
    viewer = viewer_for(actor)
    if viewer.read_only or not works_queue(viewer, institution):
        raise PermissionDenied(f"只有{institution}的承办人员可以办理")


# --- judicial confirmation / notarisation ----------------------------------------------------------


def confirmation_deadline(agreement: Agreement) -> dt.date:
    """民诉法 Art 205: the joint application within 30 days of the agreement taking effect."""
    return central_rules.due("confirmation.apply", agreement.effective_at)


@transaction.atomic
def confirmation_apply(
    *,
    actor,
    case_id: int,
    institution: Institution,
    route: str = ConfirmationApplication.Route.COURT,
    at=None,
) -> ConfirmationApplication:
    case = case_get_for_user(actor, case_id)
    if not acting_roles(viewer_for(actor), case) & (CENTER_ROLES | BANK_ROLES | {Role.MEDIATOR}):
        raise PermissionDenied("您的角色不能提交申请")
    if case.status != Status.AGREED:
        raise ApplicationError("只有已达成协议的案件可以申请司法确认或赋强公证", code="invalid_state")
    agreement = current_agreement(case)
    if agreement is None or agreement.state != Agreement.State.EFFECTIVE:
        raise ApplicationError("没有已生效的调解协议", code="no_agreement")
    if not agreement.joint_confirmation:
        raise ApplicationError("协议未约定共同申请司法确认，须双方另行书面同意", code="no_joint_consent")
    if case.confirmations.filter(state__in=["pending", "accepted"]).exists():
        raise ApplicationError("已有待处理的申请", code="duplicate")
    expected = K.COURT if route == ConfirmationApplication.Route.COURT else K.NOTARY
    if route not in ConfirmationApplication.Route.values or institution.kind != expected:
        raise ApplicationError("司法确认应向法院申请，赋强公证应向公证机构申请", code="invalid_institution")
    now = at or timezone.now()
    due = confirmation_deadline(agreement)
    if clock.local_date(now) > due:
        raise ApplicationError(
            f"已超过申请期限：应自协议生效之日起30日内（{due:%Y-%m-%d}前）申请（民事诉讼法第205条）。"
            "可以变更原调解协议或者达成新的调解协议，或者提起诉讼。",
            code="confirmation_late",
        )
    application = ConfirmationApplication.objects.create(
        case=case,
        agreement=agreement,
        route=route,
        institution=institution,
        apply_due=due,
        applied_at=now,
        applied_by=actor,
    )
    if route == ConfirmationApplication.Route.COURT:
        case_transition(
            actor=actor,
            case_id=case.pk,
            action="request_confirmation",
            reason=f"双方共同申请司法确认（协议 {agreement.number}）",
            court=institution,
            at=now,
        )
    ledger_record(
        kind="confirmation.apply" if route == "court" else "notary.apply",
        subject=f"case:{case.pk}",
        record={
            "case": case.number,
            "agreement": agreement.number,
            "institution": institution.code,
            "apply_due": due,
        },
        actor=actor,
        at=now,
    )
    _system(
        mediation_for_case(case),
        f"已向{institution}提交{application.get_route_display()}申请（申请期限 {due:%Y-%m-%d}）。",
        at=now,
    )
    return application


@transaction.atomic
def confirmation_accept(*, actor, application_id: int) -> ConfirmationApplication:
    application = confirmation_get_for_user(actor, application_id)
    _decider(actor, application.institution)
    if application.state != ConfirmationApplication.State.PENDING:
        raise ApplicationError("该申请已处理", code="invalid_state")
    now = timezone.now()
    updated = ConfirmationApplication.objects.filter(pk=application.pk, state="pending").update(
        state="accepted", accepted_at=now, decide_due=central_rules.due("confirmation.decide", now)
    )
    if not updated:
        raise ApplicationError("该申请已被他人处理，请刷新", code="conflict", status=409)
    application.refresh_from_db()
    return application


@transaction.atomic
def confirmation_reject(*, actor, application_id: int, reasons: str) -> ConfirmationApplication:
    application = confirmation_get_for_user(actor, application_id)
    _decider(actor, application.institution)
    if application.state not in {"pending", "accepted"}:
        raise ApplicationError("该申请已处理", code="invalid_state")
    reasons = _reason(reasons, "驳回理由")
    now = timezone.now()
    if application.route == "court":
        case_transition(
            actor=actor, case_id=application.case_id, action="reject_confirmation", reason=reasons, at=now
        )
    application.state, application.reasons, application.decided_at, application.decided_by = (
        "rejected",
        reasons,
        now,
        actor,
    )
    application.save(update_fields=["state", "reasons", "decided_at", "decided_by"])
    ledger_record(
        kind="confirmation.decide" if application.route == "court" else "notary.decide",
        subject=f"case:{application.case_id}",
        record={"application": application.pk, "outcome": "rejected", "reasons": reasons},
        actor=actor,
        at=now,
    )
    _system(
        mediation_for_case(application.case),
        f"{application.institution}驳回{application.get_route_display()}申请：{reasons}。双方可变更协议、重新达成协议或提起诉讼。",
        at=now,
    )
    return application


@transaction.atomic
def confirmation_confirm(
    *, actor, application_id: int, base_url: str = "", render: str = "auto"
) -> ConfirmationApplication:
    """The judge rules the agreement valid (the case becomes enforceable), or the notary issues the
    notarised instrument. The ruling is printed, kept, entered in the ledger and served on the debtor."""
    application = confirmation_get_for_user(actor, application_id)
    _decider(actor, application.institution)
    if application.state not in {"pending", "accepted"}:
        raise ApplicationError("该申请已处理", code="invalid_state")
    now = timezone.now()
    inst = application.institution
    seq = Counter.reserve(f"ruling-{inst.pk}-{now.year}")
    if application.route == "court":
        case_transition(
            actor=actor,
            case_id=application.case_id,
            action="confirm",
            reason="经审查协议合法有效，裁定确认",
            at=now,
        )
        application.ruling_number = f"（{now.year}）{documents.court_code(inst)}民特{seq}号"
    else:
        application.ruling_number = f"（{now.year}）{inst.short_name or inst.name}证字第{seq}号"
    application.accepted_at = application.accepted_at or now
    application.state, application.decided_at, application.decided_by = "confirmed", now, actor
    fmt_ = med_docs.best_format() if render == "auto" else render
    content = med_docs.render(
        documents.ruling_blocks(application), title=application.ruling_number, fmt_=fmt_
    )
    kind_name = "民事裁定书" if application.route == "court" else "公证书"
    stored = _store(
        "ruling",
        f"case:{application.case_id}",
        f"{kind_name}-{application.case.number}.{fmt_}",
        content,
        actor,
    )
    application.ruling_document = stored
    application.save(
        update_fields=["state", "decided_at", "decided_by", "ruling_number", "accepted_at", "ruling_document"]
    )
    ledger_append(
        kind="confirmation.ruling",
        subject=f"case:{application.case_id}",
        content_hash=stored.sha256,
        actor=actor,
        data={"ruling": application.ruling_number, "agreement": application.agreement.number},
        file_path=stored.path,
        at=now,
    )
    _system(
        mediation_for_case(application.case),
        f"{inst}{'裁定调解协议有效' if application.route == 'court' else '出具赋强公证书'}（{application.ruling_number}），"
        "协议具有强制执行效力。",
        at=now,
    )
    if base_url and application.case.debtor.primary_phone is not None:
        service_send(
            actor=actor,
            case=application.case,
            kind=ServiceDelivery.Kind.RULING,
            title=f"{kind_name} {application.ruling_number}",
            document=stored,
            base_url=base_url,
        )
    return application


# --- transfer to litigation / arbitration -----------------------------------------------------------


@transaction.atomic
def transfer_create(
    *,
    actor,
    case_id: int,
    institution: Institution,
    route: str = LitigationTransfer.Route.COURT,
    reason: str = "",
    at: dt.datetime | None = None,
) -> LitigationTransfer:
    """One click: assess small claims, build the case-file package, enter it in the ledger, and move
    the case into the receiving court's queue (or the arbitration commission's)."""
    case = case_get_for_user(actor, case_id)
    if not acting_roles(viewer_for(actor), case) & (CENTER_ROLES | BANK_ROLES):
        raise PermissionDenied("只有调处中心或债权机构可以移送")
    expected = K.COURT if route == LitigationTransfer.Route.COURT else K.ARBITRATION
    if route not in LitigationTransfer.Route.values or institution.kind != expected:
        raise ApplicationError("诉讼应移送法院，仲裁应移送仲裁委员会", code="invalid_institution")
    rebuild = case.status == Status.LITIGATION and not case.transfers.exists()
    if case.status not in {Status.MEDIATION_FAILED, Status.DEFAULTED} and not rebuild:
        raise ApplicationError("只有调解不成或协议违约的案件可以移送", code="invalid_state")
    if rebuild and route != LitigationTransfer.Route.COURT:
        raise ApplicationError("该案已在法院，只能补建诉讼材料包", code="invalid_state")
    mediation = mediation_for_case(case)
    reason = (reason or "").strip() or mediation.failure_reason or "协议违约"
    now = at or timezone.now()
    court = case.court if rebuild else institution
    choice, text, _row = small_claims_assessment(case, court, on=clock.local_date(now))
    if route == LitigationTransfer.Route.ARBITRATION:
        choice, text = "no", "仲裁程序不适用小额诉讼"
    transfer = LitigationTransfer(
        case=case,
        route=route,
        institution=court,
        reason=reason,
        claim_total=case.claim_total,
        small_claims=choice,
        small_claims_text=text[:300],
        sent_at=now,
        sent_by=actor,
    )
    content, manifest = documents.build_package(case, transfer)
    stored = _store("transfer_package", f"case:{case.pk}", f"移送材料-{case.number}.zip", content, actor)
    transfer.package = stored
    transfer.save()
    if route == LitigationTransfer.Route.COURT and not rebuild:
        case_transition(
            actor=actor,
            case_id=case.pk,
            action="transfer_litigation",
            reason=f"一键移送诉讼：{reason}",
            court=court,
            at=now,
            data={"package_sha256": stored.sha256},
        )
    ledger_append(
        kind="transfer.package",
        subject=f"case:{case.pk}",
        content_hash=stored.sha256,
        actor=actor,
        data={"route": route, "institution": court.code, "files": len(manifest), "small_claims": choice},
        file_path=stored.path,
        at=now,
    )
    _system(
        mediation,
        f"已{'补建材料包' if rebuild else '一键移送'}{transfer.get_route_display()}：{court}。{text}",
        at=now,
    )
    return transfer


def _receiver(actor, transfer: LitigationTransfer) -> None:
    _decider(actor, transfer.institution)


@transaction.atomic
def transfer_file(
    *, actor, transfer_id: int, filing_number: str, filed_on: dt.date, procedure: str
) -> LitigationTransfer:
    transfer = transfer_get_for_user(actor, transfer_id)
    _receiver(actor, transfer)
    if transfer.state != LitigationTransfer.State.SENT:
        raise ApplicationError("该案已立案或已处理", code="invalid_state")
    if procedure not in LitigationTransfer.Procedure.values:
        raise ApplicationError("请选择审理程序", code="invalid_procedure")
    if (
        transfer.route == "court"
        and procedure == "arbitration"
        or transfer.route == "arbitration"
        and procedure != "arbitration"
    ):
        raise ApplicationError("程序与移送去向不符", code="invalid_procedure")
    filing_number = _reason(filing_number, "案号")[:60]
    if filed_on > clock.local_today():
        raise ApplicationError("立案日期不能晚于今天", code="invalid_date")
    rule = {
        "small_claims": "litigation.small_claims",
        "simplified": "litigation.simplified",
        "ordinary": "litigation.ordinary",
    }
    transfer.filing_number, transfer.filed_on, transfer.procedure = filing_number, filed_on, procedure
    transfer.trial_due = central_rules.due(rule[procedure], filed_on) if procedure in rule else None
    transfer.state = LitigationTransfer.State.FILED
    transfer.save(update_fields=["filing_number", "filed_on", "procedure", "trial_due", "state"])
    ledger_record(
        kind="litigation.record",
        subject=f"case:{transfer.case_id}",
        record={
            "transfer": transfer.pk,
            "event": "filed",
            "filing_number": filing_number,
            "procedure": procedure,
        },
        actor=actor,
    )
    return transfer


@transaction.atomic
def transfer_hearing(
    *, actor, transfer_id: int, hearing_at: dt.datetime, place: str = ""
) -> LitigationTransfer:
    transfer = transfer_get_for_user(actor, transfer_id)
    _receiver(actor, transfer)
    if transfer.state != LitigationTransfer.State.FILED:
        raise ApplicationError("立案后才能安排开庭", code="invalid_state")
    transfer.hearing_at, transfer.hearing_place = hearing_at, (place or "").strip()[:100]
    transfer.save(update_fields=["hearing_at", "hearing_place"])
    ledger_record(
        kind="litigation.record",
        subject=f"case:{transfer.case_id}",
        record={
            "transfer": transfer.pk,
            "event": "hearing",
            "at": hearing_at,
            "place": transfer.hearing_place,
        },
        actor=actor,
    )
    return transfer


@transaction.atomic
def transfer_judgment(
    *,
    actor,
    transfer_id: int,
    judgment_on: dt.date,
    amount: Decimal,
    summary: str,
    perform_by: dt.date | None = None,
    base_url: str = "",
) -> LitigationTransfer:
    transfer = transfer_get_for_user(actor, transfer_id)
    _receiver(actor, transfer)
    if transfer.state != LitigationTransfer.State.FILED:
        raise ApplicationError("立案后才能登记判决", code="invalid_state")
    amount = Decimal(amount).quantize(CENT)
    if amount < 0:
        raise ApplicationError("金额不能为负数", code="invalid_amount")
    if judgment_on > clock.local_today():
        raise ApplicationError("判决日期不能晚于今天", code="invalid_date")
    summary = _reason(summary, "判决主文")
    # The usual wording orders payment within ten days of the judgment taking effect.
    perform_by = perform_by or clock.add_days(judgment_on, 25)
    transfer.judgment_on, transfer.judgment_amount, transfer.judgment_summary, transfer.perform_by = (
        judgment_on,
        amount,
        summary,
        perform_by,
    )
    transfer.state = LitigationTransfer.State.DECIDED
    transfer.save(update_fields=["judgment_on", "judgment_amount", "judgment_summary", "perform_by", "state"])
    if transfer.route == "court" and transfer.case.status == Status.LITIGATION:
        case_transition(
            actor=actor,
            case_id=transfer.case_id,
            action="judge",
            reason=f"（{transfer.filing_number}）判决：{summary}",
            data={"amount": str(amount), "perform_by": perform_by.isoformat()},
        )
    blocks = [
        ("h1", "判决结果通知书" if transfer.route == "court" else "裁决结果通知书"),
        (
            "kv",
            [
                ("案号", transfer.filing_number),
                ("判决日期", f"{judgment_on:%Y-%m-%d}"),
                ("金额", fmt(amount)),
                ("履行期限", f"{perform_by:%Y-%m-%d}"),
            ],
        ),
        ("p", summary),
    ]
    content = med_docs.render(blocks, title="判决结果通知书", fmt_="txt")
    stored = _store(
        "judgment_notice",
        f"case:{transfer.case_id}",
        f"判决结果通知书-{transfer.case.number}.txt",
        content,
        actor,
    )
    ledger_append(
        kind="litigation.record",
        subject=f"case:{transfer.case_id}",
        content_hash=stored.sha256,
        actor=actor,
        data={"transfer": transfer.pk, "event": "judgment", "amount": str(amount)},
        file_path=stored.path,
    )
    if base_url and transfer.case.debtor.primary_phone is not None:
        service_send(
            actor=actor,
            case=transfer.case,
            kind=ServiceDelivery.Kind.JUDGMENT,
            title=f"判决结果通知书（{transfer.filing_number}）",
            document=stored,
            base_url=base_url,
        )
    return transfer


# --- electronic service ----------------------------------------------------------------------------


def service_token(delivery: ServiceDelivery) -> str:
    from jiefen.public.services import signed_token

    return signed_token("service", {"d": delivery.pk, "n": delivery.nonce})


def service_from_token(token: str) -> ServiceDelivery:
    from jiefen.public.services import read_signed_token

    data = read_signed_token("service", token, max_age=dt.timedelta(days=SERVICE_LINK_DAYS))
    delivery = (
        ServiceDelivery.objects.select_related("case", "case__debtor", "document")
        .filter(pk=data.get("d"))
        .first()
    )
    if delivery is None or delivery.nonce != data.get("n"):
        raise ApplicationError("链接无效", code="link_invalid", status=403)
    return delivery


@transaction.atomic
def service_send(*, actor, case: Case, kind: str, title: str, document, base_url: str) -> ServiceDelivery:
    """电子送达: an SMS with a signed link to the document; opening and signing for it are the proof."""
    from django.urls import reverse

    from jiefen.outreach.services import sms_send

    phone = case.debtor.primary_phone
    if phone is None:
        raise ApplicationError("受送达人没有有效的手机号码", code="no_phone")
    now = timezone.now()
    delivery = ServiceDelivery.objects.create(
        case=case,
        kind=kind,
        title=title[:100],
        document=document,
        document_hash=document.sha256,
        phone_hash=phone.number_hash,
        phone_masked=phone.masked,
        nonce=secrets.token_hex(4),
        sent_at=now,
        sent_by=actor,
    )
    url = base_url.rstrip("/") + reverse("litigation_service", args=[service_token(delivery)])
    sms_send(
        to=phone.number,
        text=f"{case.debtor.name}您好，{title}已向您电子送达，请点击查看并签收：{url} 。",
        purpose="service",
        institution=case.court or case.institution,
        actor=actor,
        subject=f"case:{case.pk}",
    )
    ledger_record(
        kind="service.send",
        subject=f"case:{case.pk}",
        record={
            "delivery": delivery.pk,
            "title": delivery.title,
            "document_sha256": document.sha256,
            "phone": phone.masked,
        },
        actor=actor,
        at=now,
    )
    return delivery


@transaction.atomic
def service_open(*, delivery: ServiceDelivery, ip: str | None) -> ServiceDelivery:
    if delivery.opened_at is None:
        now = timezone.now()
        updated = ServiceDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(
            opened_at=now, opened_ip=ip
        )
        if updated:
            ledger_record(
                kind="service.open",
                subject=f"case:{delivery.case_id}",
                record={"delivery": delivery.pk, "ip": ip or "", "at": now.isoformat()},
                actor_label="受送达人",
                at=now,
            )
        delivery.refresh_from_db()
    return delivery


def service_address_for(delivery: ServiceDelivery) -> ServiceAddress | None:
    return ServiceAddress.objects.filter(party=delivery.case.debtor, phone_hash=delivery.phone_hash).first()


@transaction.atomic
def service_confirm_address(
    *, delivery: ServiceDelivery, address: str, email: str = "", ip: str | None = None
) -> ServiceAddress:
    """送达地址确认书, once per party and phone: where paper documents go, and consent to electronic service."""
    address = _reason(address, "送达地址")[:200]
    now = timezone.now()
    row = ServiceAddress.objects.create(
        party=delivery.case.debtor,
        case=delivery.case,
        phone_hash=delivery.phone_hash,
        phone_masked=delivery.phone_masked,
        address=address,
        email=(email or "").strip()[:254],
        accepts_electronic=True,
        confirmed_at=now,
        ip=ip,
    )
    ledger_record(
        kind="service.address",
        subject=f"case:{delivery.case_id}",
        record={
            "party": delivery.case.debtor_id,
            "address": address,
            "email": row.email,
            "ip": ip or "",
            "at": now.isoformat(),
        },
        actor_label="受送达人",
        at=now,
    )
    return row


@transaction.atomic
def service_acknowledge(*, delivery: ServiceDelivery, ip: str | None) -> ServiceDelivery:
    if service_address_for(delivery) is None:
        raise ApplicationError("请先填写送达地址确认书", code="address_required")
    if delivery.acknowledged_at is not None:
        return delivery
    now = timezone.now()
    ServiceDelivery.objects.filter(pk=delivery.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, ack_ip=ip, opened_at=delivery.opened_at or now
    )
    ledger_record(
        kind="service.ack",
        subject=f"case:{delivery.case_id}",
        record={
            "delivery": delivery.pk,
            "document_sha256": delivery.document_hash,
            "ip": ip or "",
            "at": now.isoformat(),
        },
        actor_label="受送达人",
        at=now,
    )
    delivery.refresh_from_db()
    return delivery


# --- enforcement -------------------------------------------------------------------------------------


def enforcement_basis(case: Case) -> tuple[str, str, dt.date, Decimal, Institution | None]:
    """(basis, document number, last day for performance, amount, court) of a case's enforceable title.

    民诉法 Art 250: two years from the last day for performance; for instalments, the last one's due date.
    """
    if case.status == Status.DEFAULTED:
        agreement = case.agreements.filter(state=Agreement.State.DEFAULTED).order_by("-id").first()
        confirmation = case.confirmations.filter(state="confirmed").order_by("-id").first()
        if agreement is None or confirmation is None:
            raise ApplicationError("没有经确认的违约协议", code="no_basis")
        last = agreement.instalments.order_by("-seq").values_list("due_on", flat=True).first()
        basis = (
            EnforcementCase.Basis.CONFIRMATION
            if confirmation.route == "court"
            else EnforcementCase.Basis.NOTARIAL
        )
        return basis, confirmation.ruling_number, last, agreement.outstanding, case.court
    if case.status == Status.JUDGED:
        transfer = case.transfers.filter(state=LitigationTransfer.State.DECIDED).order_by("-id").first()
        if transfer is None:
            raise ApplicationError("没有登记的判决", code="no_basis")
        basis = EnforcementCase.Basis.JUDGMENT if transfer.route == "court" else EnforcementCase.Basis.AWARD
        last = transfer.perform_by or transfer.judgment_on
        return (
            basis,
            transfer.filing_number,
            last,
            transfer.judgment_amount or case.claim_total,
            transfer.institution,
        )
    raise ApplicationError("只有协议违约（经司法确认）或已判决的案件可以申请执行", code="invalid_state")


def enforcement_deadline(last_performance_day: dt.date) -> dt.date:
    return central_rules.due("enforcement.apply", last_performance_day)


@transaction.atomic
def enforcement_apply(
    *, actor, case_id: int, amount: Decimal | None = None, at: dt.datetime | None = None
) -> EnforcementCase:
    case = case_get_for_user(actor, case_id)
    if not acting_roles(viewer_for(actor), case) & (CENTER_ROLES | BANK_ROLES):
        raise PermissionDenied("只有债权机构或调处中心可以申请执行")
    basis, ref, last, default_amount, court = enforcement_basis(case)
    now = at or timezone.now()
    due = enforcement_deadline(last)
    if clock.local_date(now) > due:
        raise ApplicationError(
            f"已超过申请执行期限：履行期限最后一日 {last:%Y-%m-%d} 起2年，至 {due:%Y-%m-%d}（民事诉讼法第250条）",
            code="enforcement_late",
        )
    amount = Decimal(amount if amount is not None else default_amount).quantize(CENT)
    if amount <= 0:
        raise ApplicationError("申请执行金额必须大于零", code="invalid_amount")
    case_transition(
        actor=actor,
        case_id=case.pk,
        action="apply_enforcement",
        reason=f"依据{ref}申请强制执行 {fmt(amount)}",
        at=now,
    )
    enforcement = EnforcementCase.objects.create(
        case=case,
        court=court or case.court,
        basis=basis,
        basis_ref=ref[:60],
        amount_sought=amount,
        last_performance_day=last,
        apply_due=due,
        applied_at=now,
        applied_by=actor,
    )
    ledger_record(
        kind="enforcement.apply",
        subject=f"case:{case.pk}",
        record={"case": case.number, "basis": basis, "ref": ref, "amount": amount, "apply_due": due},
        actor=actor,
        at=now,
    )
    _system(mediation_for_case(case), f"债权机构依据{ref}申请强制执行 {fmt(amount)}。", at=now)
    return enforcement


def _court_only(actor, enforcement: EnforcementCase) -> None:
    _decider(actor, enforcement.court)


@transaction.atomic
def enforcement_file(*, actor, enforcement_id: int, filing_number: str) -> EnforcementCase:
    enforcement = enforcement_get_for_user(actor, enforcement_id)
    _court_only(actor, enforcement)
    if enforcement.state != EnforcementCase.State.APPLIED:
        raise ApplicationError("该执行案件已立案", code="invalid_state")
    enforcement.filing_number, enforcement.filed_at, enforcement.state = (
        _reason(filing_number, "执行案号")[:60],
        timezone.now(),
        "filed",
    )
    enforcement.save(update_fields=["filing_number", "filed_at", "state"])
    ledger_record(
        kind="enforcement.record",
        subject=f"case:{enforcement.case_id}",
        record={"enforcement": enforcement.pk, "event": "filed", "filing_number": enforcement.filing_number},
        actor=actor,
    )
    return enforcement


@transaction.atomic
def asset_inquiry_request(*, actor, enforcement_id: int, kinds: list[str]) -> list[AssetInquiry]:
    enforcement = enforcement_get_for_user(actor, enforcement_id)
    _court_only(actor, enforcement)
    if enforcement.state != EnforcementCase.State.FILED:
        raise ApplicationError("执行立案后才能发起网络查控", code="invalid_state")
    kinds = [k for k in dict.fromkeys(kinds) if k in AssetInquiry.Kind.values]
    if not kinds:
        raise ApplicationError("请选择查询类型", code="kinds_required")
    backend = asset_backend()
    out = []
    for kind in kinds:
        now = timezone.now()
        inquiry = AssetInquiry.objects.create(
            enforcement=enforcement, kind=kind, backend=backend.name, requested_at=now, requested_by=actor
        )
        answer = backend.submit(inquiry)
        inquiry.request_ref = answer.ref[:60]
        if answer.answered or answer.failed:
            inquiry.state = "failed" if answer.failed else "answered"
            inquiry.answered_at, inquiry.result_summary, inquiry.amount_found = (
                now,
                answer.summary,
                answer.amount_found,
            )
        inquiry.save()
        ledger_record(
            kind="asset.inquiry",
            subject=f"case:{enforcement.case_id}",
            record={"inquiry": inquiry.pk, "kind": kind, "ref": inquiry.request_ref, "state": inquiry.state},
            actor=actor,
            at=now,
        )
        out.append(inquiry)
    return out


@transaction.atomic
def asset_inquiry_answer(
    *, actor, inquiry_id: int, summary: str, amount_found: Decimal | None = None, failed: bool = False
) -> AssetInquiry:
    inquiry = AssetInquiry.objects.select_related("enforcement").filter(pk=inquiry_id).first()
    if inquiry is None:
        raise NotFound("查询不存在")
    enforcement = enforcement_get_for_user(actor, inquiry.enforcement_id)
    _court_only(actor, enforcement)
    if inquiry.state != AssetInquiry.State.REQUESTED:
        raise ApplicationError("该查询已有结果", code="invalid_state")
    now = timezone.now()
    inquiry.state = "failed" if failed else "answered"
    inquiry.answered_at, inquiry.result_summary = now, _reason(summary, "查询结果")
    inquiry.amount_found = Decimal(amount_found).quantize(CENT) if amount_found not in (None, "") else None
    inquiry.save(update_fields=["state", "answered_at", "result_summary", "amount_found"])
    ledger_record(
        kind="asset.inquiry",
        subject=f"case:{enforcement.case_id}",
        record={
            "inquiry": inquiry.pk,
            "state": inquiry.state,
            "summary": inquiry.result_summary,
            "amount": inquiry.amount_found,
        },
        actor=actor,
        at=now,
    )
    return inquiry


@transaction.atomic
def enforcement_record(*, actor, enforcement_id: int, amount: Decimal, note: str = "") -> EnforcementCase:
    enforcement = enforcement_get_for_user(actor, enforcement_id)
    _court_only(actor, enforcement)
    if enforcement.state == EnforcementCase.State.CLOSED:
        raise ApplicationError("执行案件已结案", code="invalid_state")
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise ApplicationError("金额必须大于零", code="invalid_amount")
    if enforcement.amount_enforced + amount > enforcement.amount_sought:
        raise ApplicationError("执行到位金额不能超过申请执行金额", code="overpayment")
    EnforcementCase.objects.filter(pk=enforcement.pk).update(
        amount_enforced=enforcement.amount_enforced + amount
    )
    enforcement.refresh_from_db()
    ledger_record(
        kind="enforcement.record",
        subject=f"case:{enforcement.case_id}",
        record={"enforcement": enforcement.pk, "event": "recovered", "amount": amount, "note": note},
        actor=actor,
    )
    return enforcement


@transaction.atomic
def enforcement_close(*, actor, enforcement_id: int, closure: str, note: str) -> EnforcementCase:
    enforcement = enforcement_get_for_user(actor, enforcement_id)
    _court_only(actor, enforcement)
    if enforcement.state == EnforcementCase.State.CLOSED:
        raise ApplicationError("执行案件已结案", code="invalid_state")
    if closure not in EnforcementCase.Closure.values:
        raise ApplicationError("请选择结案方式", code="invalid_closure")
    note = _reason(note, "结案说明")
    now = timezone.now()
    case_transition(
        actor=actor,
        case_id=enforcement.case_id,
        action="close_enforcement",
        reason=f"{EnforcementCase.Closure(closure).label}：{note}",
        at=now,
    )
    enforcement.state, enforcement.closure, enforcement.closure_note, enforcement.closed_at = (
        "closed",
        closure,
        note,
        now,
    )
    enforcement.save(update_fields=["state", "closure", "closure_note", "closed_at"])
    ledger_record(
        kind="enforcement.record",
        subject=f"case:{enforcement.case_id}",
        record={
            "enforcement": enforcement.pk,
            "event": "closed",
            "closure": closure,
            "enforced": enforcement.amount_enforced,
        },
        actor=actor,
        at=now,
    )
    return enforcement
