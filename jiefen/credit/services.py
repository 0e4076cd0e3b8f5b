"""Every change at the credit rescue station goes through here: validate, write in one transaction,
log who and why (an `Event` row), tell the applicant by SMS.

`now=` lets callers (tests, the demo, the escalation job) say what time it is; nothing here reads
the wall clock except through `_now()`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jiefen.common import clock, rules
from jiefen.common import rules as central_rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.common.identifiers import IdentifierError, normalize_id_card, normalize_mobile, normalize_uscc
from jiefen.common.models import Counter
from jiefen.common.money import fmt, quantize
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import CENTER_ROLES, Role
from jiefen.outreach.services import sms_send
from jiefen.parties.models import Party, PartyPhone
from jiefen.parties.services import party_get_or_create

from . import plans
from .models import (
    Application,
    Attachment,
    CounselingBatch,
    CounselingContact,
    CounselingTask,
    CreditAgreement,
    CreditDispute,
    CreditFile,
    Debt,
    DisputeItem,
    Escalation,
    Event,
    HardshipReason,
    ItemKind,
    PersonalStatement,
    PlanLine,
    ProductLine,
    ReliefMeasure,
    ReliefPlan,
    ReportingTask,
    RescueProfile,
)
from .selectors import (
    AGREEMENT_ROLES,
    CATALOG_ROLES,
    COUNSELING_ROLES,
    DISPUTE_ROLES,
    REPORTING_ROLES,
    agreement_get_for_user,
    application_get_for_phone,
    application_get_for_user,
    counseling_get_for_user,
    dispute_get_for_user,
    holds,
    is_pbc,
    reporting_get_for_user,
    statement_get_for_user,
)

CONSENT_VERSION = "2026-01"
MAX_ITEMS = 10
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MAX_DEBTS = 10
SMS_PURPOSE = "credit"
# How a debt of the station maps onto a case of the closed loop when it goes to mediation.
CASE_PRODUCT = {
    ProductLine.CREDIT_CARD: "credit_card",
    ProductLine.PERSONAL_LOAN: "consumer_loan",
    ProductLine.ENTERPRISE_LOAN: "sme_loan",
}

log = logging.getLogger(__name__)


# --- helpers -------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _label(actor) -> str:
    return str(actor) if actor is not None else "系统"


def _event(
    *,
    subject: str,
    action: str,
    at: dt.datetime,
    application: Application | None = None,
    actor=None,
    actor_label: str = "",
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    public: bool = True,
    data: dict | None = None,
) -> Event:
    return Event.objects.create(
        application=application,
        subject=subject,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label or _label(actor),
        note=note,
        public=public,
        data=data or {},
        at=at,
    )


def public_url(path: str) -> str:
    """Links in SMS: absolute when the public address is configured, else the path."""
    base = getattr(settings, "JIEFEN_PUBLIC_URL", "") or ""
    return base.rstrip("/") + path


def _sms_to(phone: str, text: str, *, subject: str, actor=None, institution=None) -> None:
    """Send once the step is committed; a failed SMS never undoes the step (the outbox keeps the error)."""
    if not phone:
        return

    def send():
        with contextlib.suppress(ApplicationError):
            sms_send(
                to=phone,
                text=text,
                purpose=SMS_PURPOSE,
                institution=institution,
                actor=actor,
                subject=subject,
            )

    transaction.on_commit(send)


def _sms(app: Application, text: str, *, actor=None, institution=None) -> None:
    _sms_to(app.phone, text, subject=f"credit:{app.number}", actor=actor, institution=institution)


def _reason(text: str, message: str = "请填写办理事由") -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(message, code="reason_required")
    return text


def _cas(model, obj, *, expected_version: int | None = None, from_status: str | None = None, **changes):
    """Compare-and-set: the row changes only if nobody moved it since it was read."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict("记录已被他人更新，请刷新后重试")
    filters = {"pk": obj.pk, "version": obj.version}
    if from_status is not None:
        filters["status"] = from_status
    updated = model.objects.filter(**filters).update(version=obj.version + 1, **changes)
    if updated != 1:
        raise Conflict("记录已被他人更新，请刷新后重试")
    for key, value in changes.items():
        setattr(obj, key, value)
    obj.version += 1
    return obj


def _app_status(app: Application, status: str, at: dt.datetime) -> None:
    if app.status == status:
        return
    changes: dict = {"status": status}
    if status in {Application.Status.CLOSED, Application.Status.CONVERTED, Application.Status.WITHDRAWN}:
        changes["closed_at"] = at
    _cas(Application, app, **changes)


def _money(value, name: str, *, required: bool = False) -> Decimal | None:
    from jiefen.common.money import parse_amount

    if value is None or value == "":
        if required:
            raise ApplicationError(f"请填写{name}", code="invalid_amount")
        return None
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise ApplicationError(f"{name}：{exc}", code="invalid_amount") from exc


def _int(value, name: str, *, required: bool = False, low: int = 0, high: int = 100_000) -> int | None:
    if value is None or value == "":
        if required:
            raise ApplicationError(f"请填写{name}", code="invalid_number")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ApplicationError(f"{name}应为整数", code="invalid_number") from None
    if not low <= number <= high:
        raise ApplicationError(f"{name}应在{low}至{high}之间", code="invalid_number")
    return number


# --- applications from the public -----------------------------------------------------------------


@dataclass
class ApplicantIn:
    kind: str  # individual | enterprise
    name: str
    id_number: str = ""
    legal_rep: str = ""


@dataclass
class ConsentIn:
    general: bool
    sensitive: bool
    ip: str | None = None


@dataclass
class UploadIn:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ItemIn:
    kind: str
    description: str
    account_ref: str = ""
    expected: str = ""
    attachments: list[UploadIn] = field(default_factory=list)


@dataclass
class DebtIn:
    institution_id: int
    product_line: str
    principal: object
    interest: object = 0
    penalty: object = 0
    fees: object = 0
    overdue_days: object = 0
    original_term_months: object = None
    matured: bool = False
    contract_ref: str = ""


@dataclass
class HardshipIn:
    reasons: list[str]
    note: str = ""
    monthly_income: object = None
    essential_expenses: object = None
    available_cash: object = None
    enterprise_size: str = ""
    willing_to_repay: bool = True


def _applicant_party(applicant: ApplicantIn, phone: str, *, id_required: bool) -> Party:
    kind = applicant.kind
    if kind not in Party.Kind.values:
        raise ApplicationError("请选择个人或企业", code="invalid_applicant")
    name = (applicant.name or "").strip()
    if not name:
        raise ApplicationError("请填写姓名或企业名称", code="invalid_name")
    raw = (applicant.id_number or "").strip()
    if not raw and id_required:
        raise ApplicationError(
            "请填写统一社会信用代码" if kind == "enterprise" else "请填写身份证号", code="invalid_id"
        )
    try:
        id_number = (normalize_uscc(raw) if kind == "enterprise" else normalize_id_card(raw)) if raw else ""
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_id") from exc
    legal_rep = (applicant.legal_rep or "").strip()
    if kind == "enterprise" and not legal_rep:
        raise ApplicationError("企业申请须填写法定代表人姓名", code="legal_rep_required")
    party = party_get_or_create(
        owner=None, kind=kind, name=name, id_number=id_number, phones=[phone], source=PartyPhone.Source.SELF
    )
    if kind == "enterprise" and party.legal_rep != legal_rep:
        party.legal_rep = legal_rep
        party.save(update_fields=["legal_rep"])
    return party


def _phone(raw: str | None) -> str:
    if not raw:
        raise PermissionDenied("请先验证手机号")
    try:
        return normalize_mobile(raw)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc


def _detect_scam(text: str):
    """Flag applications that look brought by a paid agent. Never blocks: an application is not lost
    because the detector failed."""
    from jiefen.assistant.scam import detect_scam

    try:
        return detect_scam(text or "")
    except Exception:
        log.exception("scam detector failed; application filed without a flag")
        return None


def _create_application(
    *,
    kind: str,
    phone: str,
    applicant: ApplicantIn,
    consent: ConsentIn,
    summary: str,
    at: dt.datetime,
    converted_from: Application | None = None,
    screen_text: str | None = None,
) -> Application:
    phone = _phone(phone)
    sensitive_needed = kind != Application.Kind.CONSULTATION
    if not consent.general:
        raise ApplicationError("请阅读并同意个人信息处理告知", code="consent_required")
    if sensitive_needed and not consent.sensitive:
        # PIPL Art 29: ID numbers, financial accounts and the credit report are sensitive data and
        # need a consent of their own, separate from the general one.
        raise ApplicationError(
            "办理本业务需要处理您的敏感个人信息，请单独勾选同意", code="sensitive_consent_required"
        )
    party = _applicant_party(applicant, phone, id_required=sensitive_needed)
    scam = _detect_scam(summary if screen_text is None else screen_text)
    seq = Counter.reserve(f"credit-app-{at.year}")
    app = Application.objects.create(
        number=f"XY{at.year}{seq:06d}",
        kind=kind,
        party=party,
        phone=phone,
        phone_hash=lookup_hash(phone),
        summary=(summary or "").strip()[:4000],
        consent_at=at,
        sensitive_consent_at=at if consent.sensitive else None,
        consent_ip=consent.ip,
        consent_version=CONSENT_VERSION,
        notice_issued_at=at,
        converted_from=converted_from,
        created_at=at,
        scam_flagged=bool(scam and scam.flagged),
        scam_reasons=list(scam.reasons) if scam and scam.flagged else [],
    )
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="submit" if converted_from is None else "converted_in",
        to_status=app.status,
        actor_label=app.party.name if converted_from is None else "系统",
        note=f"提交{app.get_kind_display()}申请"
        if converted_from is None
        else f"由{converted_from.number}转入",
        at=at,
    )
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="notice",
        actor_label="系统",
        note="已出具《征信权益告知单》：四种免费维权渠道及“征信修复”骗局提示",
        at=at,
    )
    return app


def _validate_upload(upload: UploadIn) -> UploadIn:
    if upload.content_type not in ATTACHMENT_TYPES:
        raise ApplicationError("附件只能是 PDF、JPG 或 PNG", code="invalid_attachment")
    if len(upload.content) > MAX_ATTACHMENT_BYTES:
        raise ApplicationError("每个附件不能超过5MB", code="attachment_too_large")
    if not upload.content:
        raise ApplicationError("附件是空文件", code="invalid_attachment")
    return upload


def _institution(institution_id, *, creditor: bool = True) -> Institution:
    inst = Institution.objects.filter(pk=institution_id, is_active=True).first() if institution_id else None
    if inst is None or (creditor and not inst.is_creditor):
        raise ApplicationError("请选择金融机构", code="invalid_institution")
    return inst


@transaction.atomic
def dispute_submit(
    *,
    phone: str,
    applicant: ApplicantIn,
    consent: ConsentIn,
    institution_id: int,
    items: list[ItemIn],
    now: dt.datetime | None = None,
) -> Application:
    """File a dispute with the data provider. It is received on submission: the annotation is marked
    at once and the 20-day clock (征信业管理条例 Art 25) starts the day after."""
    at = _now(now)
    inst = _institution(institution_id)
    items = [i for i in items if (i.description or "").strip() or i.attachments]
    if not items:
        raise ApplicationError("请至少填写一项异议内容", code="items_required")
    if len(items) > MAX_ITEMS:
        raise ApplicationError(f"一次最多提出{MAX_ITEMS}项异议", code="too_many_items")
    for item in items:
        if item.kind not in ItemKind.values:
            raise ApplicationError("请选择异议信息的类别", code="invalid_item_kind")
        if not (item.description or "").strip():
            raise ApplicationError("请说明每一项异议的内容", code="description_required")
        if len(item.attachments) > MAX_ATTACHMENTS:
            raise ApplicationError(f"每项异议最多{MAX_ATTACHMENTS}个附件", code="too_many_attachments")
        for upload in item.attachments:
            _validate_upload(upload)
    summary = "；".join(f"{ItemKind(i.kind).label}：{i.description.strip()[:60]}" for i in items)
    app = _create_application(
        kind=Application.Kind.DISPUTE,
        phone=phone,
        applicant=applicant,
        consent=consent,
        summary=summary,
        at=at,
        screen_text="\n".join(i.description for i in items),
    )
    dispute = CreditDispute.objects.create(
        application=app,
        institution=inst,
        received_at=at,
        due_on=central_rules.due("credit.dispute_reply", at),
        escalate_on=dispute_escalate_on(at),
        annotation=CreditDispute.Annotation.MARKED,
        annotation_changed_at=at,
    )
    for position, item in enumerate(items, start=1):
        row = DisputeItem.objects.create(
            dispute=dispute,
            position=position,
            kind=item.kind,
            account_ref=(item.account_ref or "").strip()[:60],
            description=item.description.strip()[:2000],
            expected=(item.expected or "").strip()[:2000],
        )
        for upload in item.attachments:
            Attachment.objects.create(
                item=row,
                filename=upload.filename[-120:] or "附件",
                content_type=upload.content_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                uploaded_at=at,
            )
    _app_status(app, Application.Status.IN_PROGRESS, at)
    subject = f"dispute:{dispute.pk}"
    _event(
        application=app,
        subject=subject,
        action="dispute_received",
        to_status=dispute.status,
        actor_label="系统",
        note=f"已转{inst}异议联络专员核查，答复期限{dispute.due_on:%Y-%m-%d}",
        at=at,
    )
    _event(
        application=app,
        subject=subject,
        action="annotation_marked",
        actor_label=str(inst),
        note="已对异议信息添加异议标注",
        at=at,
    )
    _sms(
        app,
        f"您的征信异议（编号{app.number}）已受理，已转{inst}核查并添加异议标注，将于"
        f"{dispute.due_on:%Y年%m月%d日}前书面答复。凭编号和本手机号可查询进度。本服务免费，谨防“征信修复”诈骗。",
        institution=inst,
    )
    return app


def dispute_escalate_on(received_at: dt.datetime) -> dt.date:
    """The day an unanswered dispute is raised to the PBOC officer: day N counted like the clock
    (day 1 is the day after receipt). A trigger, not a deadline: it does not move off rest days."""
    return clock.local_date(received_at) + dt.timedelta(days=rules.amount("credit.dispute_escalate_day"))


@transaction.atomic
def statement_submit(
    *,
    phone: str,
    applicant: ApplicantIn | None,
    consent: ConsentIn | None,
    item_kind: str,
    text: str,
    institution_id: int | None = None,
    account_ref: str = "",
    number: str = "",
    now: dt.datetime | None = None,
) -> PersonalStatement:
    """A personal statement, either as a new application or added to an existing one (`number`),
    typically after a dispute that could not be confirmed."""
    at = _now(now)
    if number:
        app = application_get_for_phone(number, phone)
        if app.status == Application.Status.WITHDRAWN:
            raise ApplicationError("申请已撤回", code="invalid_state")
    else:
        if applicant is None or consent is None:
            raise ApplicationError("请填写申请人信息", code="applicant_required")
        app = _create_application(
            kind=Application.Kind.STATEMENT,
            phone=phone,
            applicant=applicant,
            consent=consent,
            summary=(text or "")[:200],
            at=at,
        )
    statement = _statement_create(
        app=app,
        item_kind=item_kind,
        text=text,
        institution_id=institution_id,
        account_ref=account_ref,
        at=at,
        dispute=getattr(app, "dispute", None) if app.kind == Application.Kind.DISPUTE else None,
    )
    if app.kind == Application.Kind.STATEMENT:
        _app_status(app, Application.Status.IN_PROGRESS, at)
    _sms(
        app,
        f"您的个人声明已提交（申请编号{app.number}），将由人民银行征信管理人员审核，"
        f"预计{statement.review_due:%Y年%m月%d日}前答复。",
    )
    return statement


def _statement_create(
    *,
    app: Application,
    item_kind: str,
    text: str,
    institution_id,
    account_ref: str,
    at: dt.datetime,
    dispute: CreditDispute | None = None,
    replaces: PersonalStatement | None = None,
) -> PersonalStatement:
    if item_kind not in ItemKind.values:
        raise ApplicationError("请选择声明所针对的信息类别", code="invalid_item_kind")
    text = (text or "").strip()
    limit = rules.amount("credit.statement_max_chars")
    if not text:
        raise ApplicationError("请填写声明内容", code="text_required")
    if len(text) > limit:
        raise ApplicationError(f"声明内容不能超过{limit}字（当前{len(text)}字）", code="text_too_long")
    inst = None
    if item_kind in {ItemKind.CREDIT, ItemKind.NON_CREDIT} or institution_id:
        # A statement must relate to a specific item (old 异议处理规程 ch. 5): for transaction
        # records that means the institution that reported it.
        inst = _institution(institution_id, creditor=False)
    statement = PersonalStatement.objects.create(
        application=app,
        dispute=dispute,
        institution=inst,
        item_kind=item_kind,
        account_ref=(account_ref or "").strip()[:60],
        text=text,
        revision=(replaces.revision + 1) if replaces else 1,
        replaces=replaces,
        submitted_at=at,
        review_due=rules.due("credit.statement_review", at),
    )
    _event(
        application=app,
        subject=f"statement:{statement.pk}",
        action="statement_submitted" if replaces is None else "statement_replaced",
        to_status=statement.status,
        actor_label=app.party.name,
        note=f"提交个人声明（第{statement.revision}版）",
        at=at,
    )
    return statement


@transaction.atomic
def consultation_submit(
    *, phone: str, applicant: ApplicantIn, consent: ConsentIn, question: str, now: dt.datetime | None = None
) -> Application:
    at = _now(now)
    question = (question or "").strip()
    if len(question) < 4:
        raise ApplicationError("请把问题写得具体一些", code="question_required")
    app = _create_application(
        kind=Application.Kind.CONSULTATION,
        phone=phone,
        applicant=applicant,
        consent=consent,
        summary=question,
        at=at,
    )
    _sms(app, f"您的征信咨询（编号{app.number}）已收到，工作人员将尽快答复。本服务免费。")
    return app


@transaction.atomic
def consultation_answer(
    *, actor, application_id: int, answer: str, now: dt.datetime | None = None
) -> Application:
    viewer = viewer_for(actor)
    if not (viewer.is_center or is_pbc(viewer)):
        raise PermissionDenied("只有调处中心或人民银行征信人员可以答复咨询")
    app = application_get_for_user(viewer, application_id)
    if app.kind != Application.Kind.CONSULTATION:
        raise ApplicationError("这不是咨询申请", code="invalid_kind")
    if app.status in {Application.Status.ANSWERED, Application.Status.CLOSED}:
        raise ApplicationError("该咨询已答复", code="invalid_state")
    answer = _reason(answer, "请填写答复内容")
    at = _now(now)
    before = app.status
    _cas(Application, app, answer=answer, status=Application.Status.ANSWERED)
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="answered",
        from_status=before,
        to_status=app.status,
        actor=actor,
        note=answer,
        at=at,
    )
    _sms(app, f"您的征信咨询（编号{app.number}）已答复，请凭编号和本手机号查看。", actor=actor)
    return app


def _debts_and_hardship(app: Application, debts: list[DebtIn], hardship: HardshipIn):
    if not debts:
        raise ApplicationError("请至少填写一笔债务", code="debts_required")
    if len(debts) > MAX_DEBTS:
        raise ApplicationError(f"最多填写{MAX_DEBTS}笔债务", code="too_many_debts")
    reasons = [r for r in hardship.reasons if r]
    unknown = set(reasons) - set(HardshipReason.values)
    if unknown or not reasons:
        raise ApplicationError("请选择困难原因", code="reasons_required")
    enterprise = app.party.kind == Party.Kind.ENTERPRISE
    size = hardship.enterprise_size or ""
    if size and size not in {"micro", "small", "medium", "large"}:
        raise ApplicationError("企业规模不正确", code="invalid_size")
    if enterprise and not size:
        raise ApplicationError("请选择企业规模", code="size_required")
    rows = []
    for position, debt in enumerate(debts, start=1):
        inst = _institution(debt.institution_id)
        if debt.product_line not in ProductLine.values:
            raise ApplicationError("请选择业务类型", code="invalid_product_line")
        if (debt.product_line == ProductLine.ENTERPRISE_LOAN) != enterprise:
            raise ApplicationError(
                "企业贷款只能由企业申请，个人请选择信用卡或个人贷款", code="invalid_product_line"
            )
        principal = _money(debt.principal, f"第{position}笔债务的本金", required=True)
        if principal <= 0:
            raise ApplicationError(f"第{position}笔债务的本金应大于0", code="invalid_amount")
        rows.append(
            Debt(
                application=app,
                position=position,
                institution=inst,
                product_line=debt.product_line,
                contract_ref=(debt.contract_ref or "").strip()[:40],
                principal=principal,
                interest=_money(debt.interest, "利息") or Decimal("0"),
                penalty=_money(debt.penalty, "罚息及复利") or Decimal("0"),
                fees=_money(debt.fees, "费用及违约金") or Decimal("0"),
                overdue_days=_int(debt.overdue_days, "逾期天数", high=36500) or 0,
                original_term_months=_int(debt.original_term_months, "原贷款期限（月）", low=1, high=600),
                matured=bool(debt.matured),
            )
        )
    app.debts.all().delete()
    Debt.objects.bulk_create(rows)
    RescueProfile.objects.update_or_create(
        application=app,
        defaults={
            "hardship_reasons": reasons,
            "hardship_note": (hardship.note or "").strip()[:2000],
            "monthly_income": _money(hardship.monthly_income, "月收入"),
            "essential_expenses": _money(hardship.essential_expenses, "月必要支出"),
            "available_cash": _money(hardship.available_cash, "可一次性筹措金额"),
            "enterprise_size": size,
            "willing_to_repay": bool(hardship.willing_to_repay),
        },
    )


@transaction.atomic
def rescue_submit(
    *,
    phone: str,
    applicant: ApplicantIn,
    consent: ConsentIn,
    debts: list[DebtIn],
    hardship: HardshipIn,
    now: dt.datetime | None = None,
) -> Application:
    """A request for help with repayment difficulty: debts (possibly at several institutions) and
    hardship facts, from which the recommender ranks the relief measures."""
    at = _now(now)
    app = _create_application(
        kind=Application.Kind.RESCUE,
        phone=phone,
        applicant=applicant,
        consent=consent,
        summary=(hardship.note or "")[:400],
        at=at,
    )
    _debts_and_hardship(app, debts, hardship)
    _app_status(app, Application.Status.IN_PROGRESS, at)
    _sms(
        app,
        f"您的信用救助申请（编号{app.number}）已受理。可凭编号和本手机号查看为您推荐的脱困方案。本服务免费。",
    )
    return app


@transaction.atomic
def rescue_update_facts(
    *, phone: str, number: str, debts: list[DebtIn], hardship: HardshipIn, now: dt.datetime | None = None
) -> Application:
    """The applicant completes or corrects debts and hardship (e.g. after a dispute was converted)."""
    at = _now(now)
    app = application_get_for_phone(number, phone)
    if app.kind != Application.Kind.RESCUE:
        raise ApplicationError("这不是信用救助申请", code="invalid_kind")
    if app.plans.filter(status__in=[ReliefPlan.Status.EFFECTIVE, ReliefPlan.Status.MEDIATION]).exists():
        raise ApplicationError("方案已生效或已转调解，不能再修改债务信息", code="invalid_state")
    app.plans.filter(status__in=[ReliefPlan.Status.CHOSEN, ReliefPlan.Status.SIGNING]).update(
        status=ReliefPlan.Status.CANCELLED
    )
    _debts_and_hardship(app, debts, hardship)
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="facts_updated",
        actor_label=app.party.name,
        note="更新债务和困难情况",
        at=at,
    )
    return app


@transaction.atomic
def application_withdraw(*, phone: str, number: str, now: dt.datetime | None = None) -> Application:
    at = _now(now)
    app = application_get_for_phone(number, phone)
    if app.status in {Application.Status.CLOSED, Application.Status.CONVERTED, Application.Status.WITHDRAWN}:
        raise ApplicationError("该申请已办结，不能撤回", code="invalid_state")
    dispute = getattr(app, "dispute", None)
    if dispute is not None and dispute.status == CreditDispute.Status.RECEIVED:
        _cas(
            CreditDispute,
            dispute,
            from_status=dispute.status,
            status=CreditDispute.Status.WITHDRAWN,
            annotation=CreditDispute.Annotation.REMOVED,
            annotation_changed_at=at,
        )
        _resolve_escalations(f"dispute:{dispute.pk}", at)
    if app.plans.filter(status=ReliefPlan.Status.EFFECTIVE).exists():
        raise ApplicationError("协议已生效，不能撤回申请", code="invalid_state")
    before = app.status
    _app_status(app, Application.Status.WITHDRAWN, at)
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="withdrawn",
        from_status=before,
        to_status=app.status,
        actor_label=app.party.name,
        note="申请人撤回申请",
        at=at,
    )
    return app


# --- disputes: the data provider's side ----------------------------------------------------------


def _dispute_for_liaison(actor, dispute_id) -> tuple[Viewer, CreditDispute]:
    viewer = viewer_for(actor)
    dispute = dispute_get_for_user(viewer, dispute_id)
    if not holds(viewer, dispute.institution_id, DISPUTE_ROLES):
        raise PermissionDenied("只有数据报送机构的异议联络专员可以办理")
    return viewer, dispute


@dataclass
class ItemOutcomeIn:
    item_id: int
    outcome: str
    note: str = ""


def combined_outcome(outcomes: Iterable[str]) -> str:
    distinct = set(outcomes)
    if len(distinct) == 1:
        return distinct.pop()
    return CreditDispute.Outcome.MIXED


def annotation_after(outcomes: Iterable[str]) -> str:
    """征信业管理条例 Art 25: wrong → corrected (the annotation goes); not wrong → annotation removed;
    cannot be confirmed → the check and the applicant's claim are recorded in its place."""
    if CreditDispute.Outcome.UNCONFIRMED in set(outcomes):
        return CreditDispute.Annotation.RECORDED
    return CreditDispute.Annotation.REMOVED


@transaction.atomic
def dispute_answer(
    *,
    actor,
    dispute_id: int,
    outcomes: list[ItemOutcomeIn],
    reply_text: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CreditDispute:
    """The written answer: an outcome per item, the reply letter (DOCX and PDF) generated and sent
    to the applicant by SMS with a signed download link."""
    at = _now(now)
    viewer, dispute = _dispute_for_liaison(actor, dispute_id)
    if dispute.status != CreditDispute.Status.RECEIVED:
        raise ApplicationError("该异议已答复或已结束", code="invalid_state")
    if at < dispute.received_at:
        raise ApplicationError("答复时间不能早于收到异议的时间", code="invalid_time")
    items = {i.pk: i for i in dispute.items.all()}
    given = {o.item_id: o for o in outcomes}
    if set(given) != set(items):
        raise ApplicationError("请逐项填写核查结果", code="outcomes_required")
    for o in given.values():
        if o.outcome not in {
            CreditDispute.Outcome.CORRECTED,
            CreditDispute.Outcome.NO_ERROR,
            CreditDispute.Outcome.UNCONFIRMED,
        }:
            raise ApplicationError("核查结果不正确", code="invalid_outcome")
        if not (o.note or "").strip():
            raise ApplicationError("请逐项说明核查情况", code="note_required")
    reply_text = _reason(reply_text, "请填写书面答复意见")
    for item_id, o in given.items():
        item = items[item_id]
        item.outcome, item.outcome_note = o.outcome, o.note.strip()[:2000]
        item.save(update_fields=["outcome", "outcome_note"])
    outcome = combined_outcome(o.outcome for o in given.values())
    annotation = annotation_after(o.outcome for o in given.values())
    before = dispute.status
    _cas(
        CreditDispute,
        dispute,
        expected_version=expected_version,
        from_status=before,
        status=CreditDispute.Status.ANSWERED,
        outcome=outcome,
        reply_text=reply_text,
        answered_at=at,
        answered_by=actor,
        liaison=dispute.liaison or actor,
        annotation=annotation,
        annotation_changed_at=at,
    )
    app = dispute.application
    _app_status(app, Application.Status.ANSWERED, at)
    _resolve_escalations(f"dispute:{dispute.pk}", at)
    late = clock.local_date(at) > dispute.due_on
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="dispute_answered",
        from_status=before,
        to_status=dispute.status,
        actor=actor,
        note=f"{dispute.get_outcome_display()}。{reply_text}" + ("（已超过法定答复期限）" if late else ""),
        data={"late": late},
        at=at,
    )
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="annotation_" + annotation,
        actor=actor,
        note=dispute.get_annotation_display(),
        at=at,
    )
    reply_letter_store(dispute=dispute, at=at)
    link = public_url(reverse("credit_public_letter", args=[letter_token(dispute)]))
    _sms(
        app,
        f"您的征信异议（编号{app.number}）已由{dispute.institution}书面答复：{dispute.get_outcome_display()}。"
        f"答复函下载：{link} 如不满意，可向人民银行投诉或向法院起诉。",
        actor=actor,
        institution=dispute.institution,
    )
    return dispute


def letter_token(dispute: CreditDispute) -> str:
    from jiefen.public.services import signed_token

    return signed_token("credit-letter", {"d": dispute.pk})


LETTER_LINK_AGE = dt.timedelta(days=60)


def dispute_from_letter_token(token: str) -> CreditDispute:
    from jiefen.public.services import read_signed_token

    payload = read_signed_token("credit-letter", token, max_age=LETTER_LINK_AGE)
    dispute = (
        CreditDispute.objects.select_related("application", "institution").filter(pk=payload.get("d")).first()
    )
    if dispute is None or dispute.answered_at is None:
        raise NotFound("答复函不存在")
    return dispute


def reply_letter_store(*, dispute: CreditDispute, at: dt.datetime) -> CreditFile:
    """Keep the exact reply letter sent, with its hash: the DOCX now, the PDF by the background worker
    (WeasyPrint takes about a second; the liaison does not wait for it)."""
    from . import letters
    from .tasks import render_reply_letter_pdf

    subject = f"dispute:{dispute.pk}"
    docx = letters.reply_letter_docx(dispute)
    stored = _file_store(
        dispute.application,
        CreditFile.Kind.REPLY_LETTER,
        subject,
        f"异议答复函-{dispute.application.number}.docx",
        docx,
        at,
    )
    transaction.on_commit(lambda: render_reply_letter_pdf.enqueue(dispute.pk))
    return stored


def reply_letter_pdf_ensure(*, dispute_id: int) -> CreditFile | None:
    """The PDF of an answered dispute's reply letter, rendered once; None without Pango."""
    from . import letters

    dispute = (
        CreditDispute.objects.select_related("application__party", "institution")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None or dispute.answered_at is None:
        return None
    subject = f"dispute:{dispute.pk}"
    existing = CreditFile.objects.filter(
        subject=subject, kind=CreditFile.Kind.REPLY_LETTER, content_type="application/pdf"
    ).first()
    if existing is not None:
        return existing
    try:
        pdf = letters.reply_letter_pdf(dispute)
    except ApplicationError:
        return None
    return _file_store(
        dispute.application,
        CreditFile.Kind.REPLY_LETTER,
        subject,
        f"异议答复函-{dispute.application.number}.pdf",
        pdf,
        dispute.answered_at,
    )


def _file_store(app, kind, subject, filename, content: bytes, at) -> CreditFile:
    content_type = (
        "application/pdf"
        if filename.endswith(".pdf")
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return CreditFile.objects.create(
        application=app,
        kind=kind,
        subject=subject,
        filename=filename,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_at=at,
    )


@transaction.atomic
def dispute_respond(
    *, phone: str, number: str, satisfied: bool, note: str = "", now: dt.datetime | None = None
) -> CreditDispute:
    """The applicant says whether the answer settles it. Satisfied closes the dispute; otherwise the
    next steps are offered: a complaint to the PBOC branch (30 days) or a lawsuit."""
    at = _now(now)
    app = application_get_for_phone(number, phone)
    dispute = getattr(app, "dispute", None)
    if dispute is None or dispute.status != CreditDispute.Status.ANSWERED:
        raise ApplicationError("异议尚未答复或已办结", code="invalid_state")
    changes: dict = {"satisfied": satisfied, "responded_at": at}
    if satisfied:
        changes["status"] = CreditDispute.Status.CLOSED
    before = dispute.status
    _cas(CreditDispute, dispute, from_status=before, **changes)
    if satisfied:
        _app_status(app, Application.Status.CLOSED, at)
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="applicant_satisfied" if satisfied else "applicant_unsatisfied",
        from_status=before,
        to_status=dispute.status,
        actor_label=app.party.name,
        note=(note or "").strip()[:1000] or ("对答复满意" if satisfied else "对答复不满意"),
        at=at,
    )
    return dispute


@transaction.atomic
def dispute_complain_to_pbc(
    *, phone: str, number: str, reason: str, now: dt.datetime | None = None
) -> CreditDispute:
    """征信业管理条例 Art 26: a complaint to the local PBOC branch, answered in writing within 30 days
    of acceptance (accepted on submission through the station)."""
    at = _now(now)
    app = application_get_for_phone(number, phone)
    dispute = getattr(app, "dispute", None)
    if dispute is None or dispute.status != CreditDispute.Status.ANSWERED:
        raise ApplicationError("只有已答复的异议可以向人民银行投诉", code="invalid_state")
    reason = _reason(reason, "请说明投诉理由")
    before = dispute.status
    _cas(
        CreditDispute,
        dispute,
        from_status=before,
        status=CreditDispute.Status.PBC_COMPLAINT,
        satisfied=False,
        responded_at=at,
        pbc_complaint_at=at,
        pbc_complaint_due=central_rules.due("credit.pbc_complaint_reply", at),
    )
    _app_status(app, Application.Status.IN_PROGRESS, at)
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="pbc_complaint",
        from_status=before,
        to_status=dispute.status,
        actor_label=app.party.name,
        note=f"{reason}（人民银行答复期限{dispute.pbc_complaint_due:%Y-%m-%d}）",
        at=at,
    )
    _sms(
        app,
        f"您对征信异议（编号{app.number}）的投诉已转人民银行征信管理部门，将于"
        f"{dispute.pbc_complaint_due:%Y年%m月%d日}前书面答复。",
    )
    return dispute


@transaction.atomic
def dispute_pbc_reply(*, actor, dispute_id: int, reply: str, now: dt.datetime | None = None) -> CreditDispute:
    at = _now(now)
    viewer = viewer_for(actor)
    dispute = dispute_get_for_user(viewer, dispute_id)
    if not is_pbc(viewer):
        raise PermissionDenied("只有人民银行征信人员可以答复投诉")
    if dispute.status != CreditDispute.Status.PBC_COMPLAINT:
        raise ApplicationError("该异议没有待答复的投诉", code="invalid_state")
    reply = _reason(reply, "请填写答复内容")
    before = dispute.status
    _cas(
        CreditDispute,
        dispute,
        from_status=before,
        status=CreditDispute.Status.CLOSED,
        pbc_reply=reply,
        pbc_replied_at=at,
    )
    app = dispute.application
    _app_status(app, Application.Status.CLOSED, at)
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="pbc_replied",
        from_status=before,
        to_status=dispute.status,
        actor=actor,
        note=reply,
        at=at,
    )
    _sms(
        app,
        f"人民银行已对您的征信投诉（编号{app.number}）作出书面答复，请凭编号和本手机号查看。仍有异议的，可依法向法院起诉。",
        actor=actor,
    )
    return dispute


@dataclass
class ClaimIn:
    product_line: str
    principal: object
    interest: object = 0
    penalty: object = 0
    fees: object = 0
    contract_ref: str = ""
    overdue_days: object = 0


@transaction.atomic
def dispute_convert(
    *,
    actor,
    dispute_id: int,
    to: str,
    reason: str,
    claim: ClaimIn | None = None,
    now: dt.datetime | None = None,
) -> Application:
    """A "dispute" that is really repayment difficulty, turned in one step into a rescue application
    (the liaison or the centre) or a mediation case (the centre). The dispute and its timeline stay;
    both sides link to each other."""
    at = _now(now)
    viewer = viewer_for(actor)
    dispute = dispute_get_for_user(viewer, dispute_id)
    if to == "mediation":
        if not viewer.is_center:
            raise PermissionDenied("只有调处中心可以转为调解案件")
    elif to == "rescue":
        if not (viewer.is_center or holds(viewer, dispute.institution_id, DISPUTE_ROLES)):
            raise PermissionDenied("您不能办理该异议")
    else:
        raise ApplicationError("请选择转为信用救助申请或调解案件", code="invalid_target")
    if dispute.status not in {CreditDispute.Status.RECEIVED, CreditDispute.Status.ANSWERED}:
        raise ApplicationError("该异议已办结，不能再转办", code="invalid_state")
    reason = _reason(reason)
    app = dispute.application
    before = dispute.status
    # The dispute is withdrawn as a dispute: the annotation comes off, the clock stops.
    _cas(
        CreditDispute,
        dispute,
        from_status=before,
        status=CreditDispute.Status.CONVERTED,
        annotation=CreditDispute.Annotation.REMOVED,
        annotation_changed_at=at,
    )
    _resolve_escalations(f"dispute:{dispute.pk}", at)
    if to == "rescue":
        target = Application.objects.create(
            number=_next_number(at),
            kind=Application.Kind.RESCUE,
            status=Application.Status.IN_PROGRESS,
            party=app.party,
            phone=app.phone,
            phone_hash=app.phone_hash,
            summary=f"由征信异议{app.number}转入：{reason}",
            consent_at=app.consent_at,
            sensitive_consent_at=app.sensitive_consent_at,
            consent_ip=app.consent_ip,
            consent_version=app.consent_version,
            notice_issued_at=at,
            converted_from=app,
            created_at=at,
        )
        if claim is not None:
            _debts_and_hardship(
                target,
                [
                    DebtIn(
                        institution_id=dispute.institution_id,
                        product_line=claim.product_line,
                        principal=claim.principal,
                        interest=claim.interest,
                        penalty=claim.penalty,
                        fees=claim.fees,
                        overdue_days=claim.overdue_days,
                        contract_ref=claim.contract_ref,
                    )
                ],
                HardshipIn(reasons=[HardshipReason.OTHER]),
            )
        _event(
            application=target,
            subject=f"application:{target.pk}",
            action="converted_in",
            to_status=target.status,
            actor=actor,
            note=f"由征信异议{app.number}转入：{reason}",
            at=at,
        )
        note = f"转为信用救助申请{target.number}：{reason}"
        sms = (
            f"您的征信异议（编号{app.number}）经核实属于还款困难，已转为信用救助申请{target.number}，"
            "请凭新编号和本手机号补充困难情况，查看为您推荐的脱困方案。"
        )
    else:
        if claim is None:
            raise ApplicationError("转调解须填写债务金额", code="claim_required")
        case = _mediation_case(
            actor=actor, app=app, institution=dispute.institution, claim=claim, reason=reason, at=at
        )
        app.cases.add(case)
        target = app
        note = f"转为调解案件{case.number}：{reason}"
        sms = f"您的征信异议（编号{app.number}）已转为调解案件{case.number}，调解员将与您联系。调解免费。"
    _app_status(app, Application.Status.CONVERTED, at)
    _event(
        application=app,
        subject=f"dispute:{dispute.pk}",
        action="converted",
        from_status=before,
        to_status=dispute.status,
        actor=actor,
        note=note,
        at=at,
    )
    _sms(app, sms, actor=actor)
    return target


def _next_number(at: dt.datetime) -> str:
    return f"XY{at.year}{Counter.reserve(f'credit-app-{at.year}'):06d}"


def _mediation_case(*, actor, app: Application, institution: Institution, claim: ClaimIn, reason: str, at):
    from jiefen.cases.services import case_create, case_transition

    if claim.product_line not in ProductLine.values:
        raise ApplicationError("请选择业务类型", code="invalid_product_line")
    principal = _money(claim.principal, "本金", required=True)
    contract = (claim.contract_ref or "").strip() or f"{app.number}-{institution.code}"
    from jiefen.cases.models import Case

    existing = Case.objects.filter(institution=institution, contract_no=contract).first()
    if existing is not None:
        # The bank already brought this debt to the centre: link that case rather than open a second.
        return existing
    overdue_days = _int(claim.overdue_days, "逾期天数", high=36500) or 0
    case = case_create(
        actor=actor,
        institution=institution,
        debtor_kind=app.party.kind,
        debtor_name=app.party.name,
        debtor_id_number=app.party.id_number,
        debtor_phones=[app.phone],
        product_type=CASE_PRODUCT[claim.product_line],
        contract_no=contract,
        claim={
            "principal": principal,
            "interest": _money(claim.interest, "利息") or Decimal("0"),
            "penalty_interest": _money(claim.penalty, "罚息") or Decimal("0"),
            "fees": _money(claim.fees, "费用") or Decimal("0"),
        },
        overdue_since=(clock.local_date(at) - dt.timedelta(days=overdue_days)) if overdue_days else None,
        flags={"vulnerable": True},
        reason=f"金融信用助航站{app.number}转入：{reason}",
        at=at,
    )
    return case_transition(
        actor=actor, case_id=case.pk, action="triage_complex", reason=f"信用救助转调解：{reason}", at=at
    )


# --- personal statements -------------------------------------------------------------------------


@transaction.atomic
def statement_review(
    *,
    actor,
    statement_id: int,
    decision: str,
    reason: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> PersonalStatement:
    """The PBOC credit officer accepts, rejects (with a reason) or asks for a change."""
    at = _now(now)
    viewer = viewer_for(actor)
    statement = statement_get_for_user(viewer, statement_id)
    if not is_pbc(viewer):
        raise PermissionDenied("只有人民银行征信人员可以审核个人声明")
    targets = {
        "accept": PersonalStatement.Status.ACCEPTED,
        "reject": PersonalStatement.Status.REJECTED,
        "request_change": PersonalStatement.Status.CHANGE_REQUESTED,
    }
    if decision not in targets:
        raise ApplicationError("请选择审核结论", code="invalid_decision")
    if statement.status != PersonalStatement.Status.SUBMITTED:
        raise ApplicationError("该声明不在待审核状态", code="invalid_state")
    reason = (reason or "").strip()
    if decision != "accept" and not reason:
        raise ApplicationError("未采纳或请修改时须说明理由", code="reason_required")
    before = statement.status
    _cas(
        PersonalStatement,
        statement,
        expected_version=expected_version,
        from_status=before,
        status=targets[decision],
        reviewed_at=at,
        reviewer=actor,
        review_reason=reason,
    )
    app = statement.application
    _event(
        application=app,
        subject=f"statement:{statement.pk}",
        action=f"statement_{decision}",
        from_status=before,
        to_status=statement.status,
        actor=actor,
        note=reason or "声明已采纳",
        at=at,
    )
    if app.kind == Application.Kind.STATEMENT and decision != "request_change":
        _app_status(app, Application.Status.ANSWERED, at)
    text = {
        "accept": "已采纳",
        "reject": f"未采纳，理由：{reason}",
        "request_change": f"需要修改后重新提交：{reason}",
    }[decision]
    _sms(app, f"您的个人声明（申请编号{app.number}）{text}", actor=actor)
    return statement


@transaction.atomic
def statement_withdraw(*, phone: str, statement_id: int, now: dt.datetime | None = None) -> PersonalStatement:
    at = _now(now)
    statement = _own_statement(phone, statement_id)
    if statement.status not in {
        PersonalStatement.Status.SUBMITTED,
        PersonalStatement.Status.ACCEPTED,
        PersonalStatement.Status.CHANGE_REQUESTED,
    }:
        raise ApplicationError("该声明不能撤回", code="invalid_state")
    before = statement.status
    _cas(PersonalStatement, statement, from_status=before, status=PersonalStatement.Status.WITHDRAWN)
    _event(
        application=statement.application,
        subject=f"statement:{statement.pk}",
        action="statement_withdrawn",
        from_status=before,
        to_status=statement.status,
        actor_label=statement.application.party.name,
        note="申请人撤回个人声明",
        at=at,
    )
    return statement


@transaction.atomic
def statement_replace(
    *, phone: str, statement_id: int, text: str, now: dt.datetime | None = None
) -> PersonalStatement:
    """A new version replaces the old one, which is kept (status `replaced`) with its review."""
    at = _now(now)
    old = _own_statement(phone, statement_id)
    if old.status in {PersonalStatement.Status.WITHDRAWN, PersonalStatement.Status.REPLACED}:
        raise ApplicationError("该声明已撤回或已被替换", code="invalid_state")
    before = old.status
    _cas(PersonalStatement, old, from_status=before, status=PersonalStatement.Status.REPLACED)
    new = _statement_create(
        app=old.application,
        item_kind=old.item_kind,
        text=text,
        institution_id=old.institution_id,
        account_ref=old.account_ref,
        at=at,
        dispute=old.dispute,
        replaces=old,
    )
    if old.application.kind == Application.Kind.STATEMENT:
        _app_status(old.application, Application.Status.IN_PROGRESS, at)
    return new


def _own_statement(phone: str, statement_id) -> PersonalStatement:
    statement = (
        PersonalStatement.objects.select_related("application__party")
        .filter(pk=statement_id, application__phone_hash=lookup_hash(_phone(phone)))
        .first()
    )
    if statement is None:
        raise NotFound("声明不存在")
    return statement


# --- relief catalog ------------------------------------------------------------------------------

MEASURE_FIELDS = (
    "product_line",
    "kind",
    "name",
    "summary",
    "max_months",
    "grace_months",
    "interest_waiver_pct",
    "penalty_waiver_pct",
    "fee_waiver_pct",
    "min_down_payment_pct",
    "annual_rate_pct",
    "monthly_fee_pct",
    "hardship_reasons",
    "min_overdue_days",
    "max_overdue_days",
    "min_amount",
    "max_amount",
    "enterprise_sizes",
    "requires_willingness",
    "source",
)


def _pct(value, name: str, high: Decimal = Decimal("100")) -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else "0"))
    except Exception:
        raise ApplicationError(f"{name}应为数字", code="invalid_number") from None
    if not number.is_finite() or not Decimal("0") <= number <= high:
        raise ApplicationError(f"{name}应在0至{high}之间", code="invalid_number")
    return number


def measure_clean(data: dict) -> dict:
    """Validate a measure as structured data, with the legal limits on months (card instalments ≤ 60,
    extensions ≤ 3 years)."""
    out: dict = {}
    line = data.get("product_line", "")
    if line not in ProductLine.values:
        raise ApplicationError("请选择业务条线", code="invalid_product_line")
    kind = data.get("kind", "")
    if kind not in ReliefMeasure.Kind.values:
        raise ApplicationError("请选择举措类型", code="invalid_kind")
    name = (data.get("name") or "").strip()
    if not name:
        raise ApplicationError("请填写举措名称", code="name_required")
    out.update(
        product_line=line, kind=kind, name=name[:80], summary=(data.get("summary") or "").strip()[:300]
    )
    out["max_months"] = _int(data.get("max_months"), "最长期数", low=1, high=360)
    out["grace_months"] = _int(data.get("grace_months"), "宽限期", high=60) or 0
    if kind in plans.SCHEDULED_KINDS and not out["max_months"]:
        raise ApplicationError("请填写最长期数", code="months_required")
    card_cap = plans.card_instalment_cap()
    if line == ProductLine.CREDIT_CARD and (out["max_months"] or 0) > card_cap:
        raise ApplicationError(
            f"信用卡个性化分期最长{card_cap}期（商业银行信用卡业务监督管理办法第70条）",
            code="months_over_limit",
        )
    ext_cap = rules.amount("loan.extension_long_max")
    if kind == ReliefMeasure.Kind.EXTENSION and (out["max_months"] or 0) > ext_cap:
        raise ApplicationError(f"展期累计不得超过{ext_cap}个月（贷款通则第12条）", code="months_over_limit")
    for key, label in (
        ("interest_waiver_pct", "利息减免比例"),
        ("penalty_waiver_pct", "罚息复利减免比例"),
        ("fee_waiver_pct", "费用违约金减免比例"),
        ("min_down_payment_pct", "最低首付比例"),
    ):
        out[key] = _pct(data.get(key), label)
    out["annual_rate_pct"] = _pct(data.get("annual_rate_pct"), "年利率", Decimal("24"))
    out["monthly_fee_pct"] = _pct(data.get("monthly_fee_pct"), "每期手续费", Decimal("2"))
    reasons = [r for r in (data.get("hardship_reasons") or []) if r]
    if set(reasons) - set(HardshipReason.values):
        raise ApplicationError("困难原因不正确", code="invalid_reason")
    out["hardship_reasons"] = reasons
    sizes = [s for s in (data.get("enterprise_sizes") or []) if s]
    if set(sizes) - {"micro", "small", "medium", "large"}:
        raise ApplicationError("企业规模不正确", code="invalid_size")
    if sizes and line != ProductLine.ENTERPRISE_LOAN:
        raise ApplicationError("企业规模条件只适用于企业贷款", code="invalid_size")
    out["enterprise_sizes"] = sizes
    out["min_overdue_days"] = _int(data.get("min_overdue_days"), "最短逾期天数", high=36500)
    out["max_overdue_days"] = _int(data.get("max_overdue_days"), "最长逾期天数", high=36500)
    if (
        out["min_overdue_days"] is not None
        and out["max_overdue_days"] is not None
        and out["min_overdue_days"] > out["max_overdue_days"]
    ):
        raise ApplicationError("最短逾期天数不能大于最长逾期天数", code="invalid_range")
    out["min_amount"] = _money(data.get("min_amount"), "欠款下限")
    out["max_amount"] = _money(data.get("max_amount"), "欠款上限")
    if (
        out["min_amount"] is not None
        and out["max_amount"] is not None
        and out["min_amount"] > out["max_amount"]
    ):
        raise ApplicationError("欠款下限不能大于上限", code="invalid_range")
    out["requires_willingness"] = bool(data.get("requires_willingness", True))
    out["source"] = (data.get("source") or "").strip()[:120]
    return out


@transaction.atomic
def measure_save(
    *,
    actor,
    institution_id: int,
    data: dict,
    measure_id: int | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ReliefMeasure:
    """Create or edit a measure: the institution's manager for its own catalog, or the centre."""
    at = _now(now)
    viewer = viewer_for(actor)
    inst = _institution(institution_id)
    if not (viewer.is_center or holds(viewer, inst.pk, CATALOG_ROLES)):
        raise PermissionDenied("只能维护本机构的脱困举措")
    clean = measure_clean(data)
    if measure_id is None:
        measure = ReliefMeasure.objects.create(institution=inst, updated_by=actor, **clean)
        changes = {k: str(v) for k, v in clean.items()}
        action = "measure_created"
    else:
        measure = ReliefMeasure.objects.filter(pk=measure_id).first()
        if measure is None or not (viewer.is_center or holds(viewer, measure.institution_id, CATALOG_ROLES)):
            raise NotFound("举措不存在或您无权修改")
        if measure.institution_id != inst.pk:
            raise ApplicationError("不能把举措改到其他机构名下", code="invalid_institution")
        changes = {k: str(v) for k, v in clean.items() if getattr(measure, k) != v}
        _cas(ReliefMeasure, measure, expected_version=expected_version, updated_by=actor, **clean)
        action = "measure_updated"
    _event(
        subject=f"measure:{measure.pk}",
        action=action,
        actor=actor,
        note=measure.name,
        public=False,
        data=changes,
        at=at,
    )
    return measure


@transaction.atomic
def measure_set_active(
    *, actor, measure_id: int, active: bool, now: dt.datetime | None = None
) -> ReliefMeasure:
    at = _now(now)
    viewer = viewer_for(actor)
    measure = ReliefMeasure.objects.filter(pk=measure_id).first()
    if measure is None or not (viewer.is_center or holds(viewer, measure.institution_id, CATALOG_ROLES)):
        raise NotFound("举措不存在或您无权修改")
    _cas(ReliefMeasure, measure, is_active=active, updated_by=actor)
    _event(
        subject=f"measure:{measure.pk}",
        action="measure_enabled" if active else "measure_disabled",
        actor=actor,
        note=measure.name,
        public=False,
        at=at,
    )
    return measure


# --- plans and agreements ------------------------------------------------------------------------


def debt_facts(debt: Debt) -> plans.DebtFacts:
    return plans.DebtFacts(
        key=str(debt.pk),
        institution_id=debt.institution_id,
        institution_name=str(debt.institution),
        product_line=debt.product_line,
        principal=debt.principal,
        interest=debt.interest,
        penalty=debt.penalty,
        fees=debt.fees,
        overdue_days=debt.overdue_days,
        original_term_months=debt.original_term_months,
        matured=debt.matured,
    )


def hardship_facts(profile: RescueProfile | None) -> plans.Hardship:
    if profile is None:
        return plans.Hardship()
    return plans.Hardship(
        reasons=frozenset(profile.hardship_reasons or ()),
        monthly_income=profile.monthly_income,
        essential_expenses=profile.essential_expenses,
        available_cash=profile.available_cash,
        enterprise_size=profile.enterprise_size,
        willing_to_repay=profile.willing_to_repay,
    )


def recommend_for_application(app: Application) -> plans.Recommendation:
    debts = list(app.debts.select_related("institution"))
    inst_ids = {d.institution_id for d in debts}
    measures = [
        plans.MeasureTerms.from_model(m)
        for m in ReliefMeasure.objects.filter(institution_id__in=inst_ids, is_active=True).select_related(
            "institution"
        )
    ]
    profile = RescueProfile.objects.filter(application=app).first()
    return plans.recommend([debt_facts(d) for d in debts], measures, hardship_facts(profile))


def _option_snapshot(option: plans.Option) -> dict:
    return {
        "measure": option.measure.id,
        "name": option.measure.name,
        "kind": option.measure.kind,
        "offered": option.offered,
        "months": option.months,
        "monthly_payment": str(option.monthly_payment),
        "total_cost": str(option.total_cost),
        "saving": str(option.saving),
        "satisfied": option.satisfied,
        "refused": option.refused,
        "limits": option.limits,
    }


@transaction.atomic
def plan_choose(
    *,
    phone: str,
    number: str,
    route: str,
    choices: dict[int, int] | None = None,
    now: dt.datetime | None = None,
) -> ReliefPlan:
    """The applicant picks a measure per debt (default: the top-ranked one) and how to proceed: a
    direct agreement with each institution, or mediation by the centre."""
    at = _now(now)
    app = application_get_for_phone(number, phone)
    if app.kind != Application.Kind.RESCUE or app.status in {
        Application.Status.CLOSED,
        Application.Status.WITHDRAWN,
        Application.Status.CONVERTED,
    }:
        raise ApplicationError("该申请不能选择方案", code="invalid_state")
    if route not in ReliefPlan.Route.values:
        raise ApplicationError("请选择与机构直接签订协议或申请调解", code="invalid_route")
    if app.plans.filter(status__in=[ReliefPlan.Status.EFFECTIVE, ReliefPlan.Status.MEDIATION]).exists():
        raise ApplicationError("已有生效或已转调解的方案", code="invalid_state")
    if CreditAgreement.objects.filter(
        plan__application=app, status=CreditAgreement.Status.AWAITING_INSTITUTION
    ).exists():
        raise ApplicationError("已签署的协议正在等待机构确认，暂不能更换方案", code="invalid_state")
    recommendation = recommend_for_application(app)
    choices = choices or {}
    picked: list[plans.Option] = []
    for result in recommendation.debts:
        wanted = choices.get(int(result.debt.key))
        if wanted is None:
            option = result.best
            if option is None:
                if route == ReliefPlan.Route.DIRECT:
                    raise ApplicationError(
                        f"{result.debt.institution_name}暂无适合您的脱困举措，请选择申请调解",
                        code="no_measure",
                    )
                continue
        else:
            option = next((o for o in result.options if o.measure.id == int(wanted)), None)
            if option is None or not option.offered:
                raise ApplicationError("所选举措不适用于该笔债务", code="measure_not_offered")
        picked.append(option)
    if not picked and route == ReliefPlan.Route.DIRECT:
        raise ApplicationError("没有可以选择的举措", code="no_measure")
    app.plans.filter(status__in=[ReliefPlan.Status.CHOSEN, ReliefPlan.Status.SIGNING]).update(
        status=ReliefPlan.Status.CANCELLED
    )
    CreditAgreement.objects.filter(
        plan__application=app, status=CreditAgreement.Status.AWAITING_APPLICANT
    ).update(status=CreditAgreement.Status.CANCELLED)
    monthly = sum((o.monthly_payment for o in picked), Decimal("0"))
    affordable = recommendation.hardship.affordable
    plan = ReliefPlan.objects.create(
        application=app,
        route=route,
        status=ReliefPlan.Status.SIGNING if route == ReliefPlan.Route.DIRECT else ReliefPlan.Status.MEDIATION,
        monthly_payment=monthly,
        total_cost=sum((o.total_cost for o in picked), Decimal("0")),
        saving=sum((o.saving for o in picked), Decimal("0")),
        affordable=None if affordable is None else monthly <= affordable,
        snapshot={
            "debts": [
                {"debt": r.debt.key, "options": [_option_snapshot(o) for o in r.options]}
                for r in recommendation.debts
            ]
        },
        chosen_at=at,
    )
    lines = []
    for option in picked:
        lines.append(
            PlanLine.objects.create(
                plan=plan,
                debt_id=int(option.debt.key),
                measure_id=option.measure.id,
                months=option.months,
                grace_months=option.grace_months,
                waived=option.waived,
                down_payment=option.down_payment,
                monthly_payment=option.monthly_payment,
                total_cost=option.total_cost,
                saving=option.saving,
                schedule=[[n, str(amount)] for n, amount in option.schedule],
            )
        )
    _event(
        application=app,
        subject=f"plan:{plan.pk}",
        action="plan_chosen",
        to_status=plan.status,
        actor_label=app.party.name,
        note="；".join(f"{o.debt.institution_name}：{o.measure.name}" for o in picked)
        + f"（{plan.get_route_display()}）",
        at=at,
    )
    if route == ReliefPlan.Route.DIRECT:
        by_inst: dict[int, list[PlanLine]] = {}
        for line in lines:
            by_inst.setdefault(line.debt.institution_id, []).append(line)
        for inst_id, inst_lines in by_inst.items():
            seq = Counter.reserve(f"credit-agreement-{at.year}")
            agreement = CreditAgreement.objects.create(
                plan=plan,
                institution_id=inst_id,
                number=f"XA{at.year}{seq:06d}",
                document_sha256="",
                created_at=at,
            )
            PlanLine.objects.filter(pk__in=[line.pk for line in inst_lines]).update(agreement=agreement)
            agreement.document_sha256 = agreement_document_hash(agreement)
            agreement.save(update_fields=["document_sha256"])
        _sms(app, f"您已选定脱困方案（申请编号{app.number}），请凭编号和本手机号查看协议并用短信验证码签署。")
    else:
        _sms(app, f"您已申请调解（申请编号{app.number}），调处中心将安排调解员与您联系。调解免费。")
    return plan


def agreement_lines(agreement: CreditAgreement) -> list[PlanLine]:
    return list(agreement.lines.select_related("debt__institution", "measure").order_by("id"))


def agreement_document_hash(agreement: CreditAgreement) -> str:
    from . import letters

    return hashlib.sha256(letters.agreement_text(agreement).encode("utf-8")).hexdigest()


def own_agreement(phone: str, agreement_id) -> CreditAgreement:
    agreement = (
        CreditAgreement.objects.select_related("plan__application__party", "institution")
        .filter(pk=agreement_id, plan__application__phone_hash=lookup_hash(_phone(phone)))
        .first()
    )
    if agreement is None:
        raise NotFound("协议不存在")
    return agreement


def own_plan(phone: str, plan_id) -> ReliefPlan:
    plan = (
        ReliefPlan.objects.select_related("application__party")
        .filter(pk=plan_id, application__phone_hash=lookup_hash(_phone(phone)))
        .first()
    )
    if plan is None:
        raise NotFound("方案不存在")
    return plan


def plan_awaiting_signature(plan: ReliefPlan) -> list[CreditAgreement]:
    return list(
        plan.agreements.filter(status=CreditAgreement.Status.AWAITING_APPLICANT)
        .select_related("institution")
        .order_by("id")
    )


def plan_sign_request(*, phone: str, plan_id: int, ip: str | None = None):
    """Send the one-time code that signs every agreement of the plan at once."""
    from jiefen.public.services import otp_request

    plan = own_plan(phone, plan_id)
    if not plan_awaiting_signature(plan):
        raise ApplicationError("没有待签署的协议", code="invalid_state")
    return otp_request(phone=phone, purpose="sign", ip=ip)


def plan_sign(
    *,
    phone: str,
    plan_id: int,
    code: str,
    document_hashes: dict[int, str],
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> list[CreditAgreement]:
    """The applicant signs the plan's agreements with one code sent to their phone. Kept as proof for
    each: time, address, a keyed hash of the code, and the hash of the exact text they were shown,
    which must still be the current text."""
    from jiefen.public.services import otp_verify

    at = _now(now)
    plan = own_plan(phone, plan_id)
    agreements = plan_awaiting_signature(plan)
    if not agreements:
        raise ApplicationError("没有待签署的协议", code="invalid_state")
    hashes = {}
    for agreement in agreements:
        current = agreement_document_hash(agreement)
        if document_hashes.get(agreement.pk) != current or current != agreement.document_sha256:
            raise Conflict("协议内容已变化，请重新阅读后签署")
        hashes[agreement.pk] = current
    # Outside the transaction below: a wrong code must stay counted against the five attempts.
    verified = otp_verify(phone=phone, code=code, purpose="sign")
    app = plan.application
    with transaction.atomic():
        for agreement in agreements:
            before = agreement.status
            _cas(
                CreditAgreement,
                agreement,
                from_status=before,
                status=CreditAgreement.Status.AWAITING_INSTITUTION,
                signed_at=at,
                signed_ip=ip,
                signed_code_hash=lookup_hash(f"sign:{agreement.number}:{verified}:{(code or '').strip()}"),
                signed_document_sha256=hashes[agreement.pk],
            )
            _event(
                application=app,
                subject=f"agreement:{agreement.pk}",
                action="agreement_signed",
                from_status=before,
                to_status=agreement.status,
                actor_label=app.party.name,
                note=f"申请人以短信验证码签署协议{agreement.number}（{agreement.institution}）",
                data={"ip": ip, "document_sha256": hashes[agreement.pk]},
                at=at,
            )
        _sms(
            app,
            "您已签署协议" + "、".join(a.number for a in agreements) + "，等待金融机构确认后生效。",
        )
    return agreements


def _agreement_for_staff(actor, agreement_id) -> tuple[Viewer, CreditAgreement]:
    viewer = viewer_for(actor)
    agreement = agreement_get_for_user(viewer, agreement_id)
    if not holds(viewer, agreement.institution_id, AGREEMENT_ROLES):
        raise PermissionDenied("只有该机构的负责人或处置人员可以确认协议")
    return viewer, agreement


@transaction.atomic
def agreement_confirm(
    *, actor, agreement_id: int, expected_version: int | None = None, now: dt.datetime | None = None
) -> CreditAgreement:
    """The institution confirms the signed agreement: it takes effect and the reporting-update tasks
    for every payment are created."""
    at = _now(now)
    _, agreement = _agreement_for_staff(actor, agreement_id)
    if agreement.status != CreditAgreement.Status.AWAITING_INSTITUTION:
        raise ApplicationError("该协议不在待机构确认状态", code="invalid_state")
    before = agreement.status
    _cas(
        CreditAgreement,
        agreement,
        expected_version=expected_version,
        from_status=before,
        status=CreditAgreement.Status.EFFECTIVE,
        confirmed_at=at,
        confirmed_by=actor,
        effective_at=at,
    )
    app = agreement.plan.application
    start = clock.local_date(at)
    schedule: list[tuple[dt.date, Decimal]] = []
    for line in agreement_lines(agreement):
        for offset, amount in line.schedule:
            due_on = start if int(offset) == 0 else clock.add_months(start, int(offset))
            schedule.append((due_on, Decimal(amount)))
    schedule = _merge_schedule(schedule)
    _reporting_tasks(
        institution=agreement.institution,
        party=app.party,
        phone=app.phone,
        schedule=schedule,
        agreement=agreement,
        application=app,
        actor=actor,
        at=at,
    )
    _event(
        application=app,
        subject=f"agreement:{agreement.pk}",
        action="agreement_effective",
        from_status=before,
        to_status=agreement.status,
        actor=actor,
        note=f"{agreement.institution}确认协议{agreement.number}，协议生效；已生成{len(schedule)}项征信更新任务",
        at=at,
    )
    plan = agreement.plan
    if not plan.agreements.exclude(
        status__in=[CreditAgreement.Status.EFFECTIVE, CreditAgreement.Status.CANCELLED]
    ).exists():
        ReliefPlan.objects.filter(pk=plan.pk).update(
            status=ReliefPlan.Status.EFFECTIVE, version=plan.version + 1
        )
    first = schedule[0] if schedule else None
    _sms(
        app,
        f"协议{agreement.number}已生效。"
        + (f"首期{fmt(first[1])}应于{first[0]:%Y年%m月%d日}前还款。" if first else "")
        + "每期还款后，机构将按约更新您的征信记录，届时请登录确认。",
        actor=actor,
        institution=agreement.institution,
    )
    return agreement


def _merge_schedule(schedule: list[tuple[dt.date, Decimal]]) -> list[tuple[dt.date, Decimal]]:
    """Payments of several debts at one institution falling on the same day are one payment."""
    merged: dict[dt.date, Decimal] = {}
    for day, amount in schedule:
        merged[day] = merged.get(day, Decimal("0")) + amount
    return sorted((d, a) for d, a in merged.items() if a > 0)


@transaction.atomic
def agreement_decline(
    *, actor, agreement_id: int, reason: str, now: dt.datetime | None = None
) -> CreditAgreement:
    at = _now(now)
    _, agreement = _agreement_for_staff(actor, agreement_id)
    if agreement.status not in {
        CreditAgreement.Status.AWAITING_APPLICANT,
        CreditAgreement.Status.AWAITING_INSTITUTION,
    }:
        raise ApplicationError("该协议不能再拒绝", code="invalid_state")
    reason = _reason(reason, "请说明不同意的理由")
    before = agreement.status
    _cas(
        CreditAgreement,
        agreement,
        from_status=before,
        status=CreditAgreement.Status.DECLINED,
        decline_reason=reason,
    )
    plan = agreement.plan
    if not plan.agreements.exclude(
        status__in=[CreditAgreement.Status.DECLINED, CreditAgreement.Status.CANCELLED]
    ).exists():
        # Nothing left to sign or perform: the applicant chooses again or asks for mediation.
        _cas(ReliefPlan, plan, status=ReliefPlan.Status.CANCELLED)
    app = plan.application
    _event(
        application=app,
        subject=f"agreement:{agreement.pk}",
        action="agreement_declined",
        from_status=before,
        to_status=agreement.status,
        actor=actor,
        note=reason,
        at=at,
    )
    _sms(
        app,
        f"{agreement.institution}未同意协议{agreement.number}：{reason}。您可以重新选择方案或申请调处中心调解。",
        actor=actor,
        institution=agreement.institution,
    )
    return agreement


@transaction.atomic
def rescue_to_mediation(*, actor, application_id: int, reason: str, now: dt.datetime | None = None) -> list:
    """The centre turns a rescue application (the plan route "mediation", or a declined agreement)
    into mediation cases, one per institution, with the chosen measures noted."""
    at = _now(now)
    viewer = viewer_for(actor)
    if not viewer.is_center:
        raise PermissionDenied("只有调处中心可以转为调解案件")
    app = application_get_for_user(viewer, application_id)
    if app.kind != Application.Kind.RESCUE:
        raise ApplicationError("这不是信用救助申请", code="invalid_kind")
    if app.cases.exists():
        raise ApplicationError("该申请已转为调解案件", code="invalid_state")
    reason = _reason(reason)
    plan = app.plans.filter(status=ReliefPlan.Status.MEDIATION).first()
    chosen = {line.debt_id: line for line in plan.lines.select_related("measure")} if plan else {}
    cases = []
    for debt in app.debts.select_related("institution"):
        line = chosen.get(debt.pk)
        note = f"；申请人倾向举措：{line.measure.name}" if line else ""
        case = _mediation_case(
            actor=actor,
            app=app,
            institution=debt.institution,
            claim=ClaimIn(
                product_line=debt.product_line,
                principal=debt.principal,
                interest=debt.interest,
                penalty=debt.penalty,
                fees=debt.fees,
                contract_ref=debt.contract_ref or f"{app.number}-{debt.position}",
                overdue_days=debt.overdue_days,
            ),
            reason=reason + note,
            at=at,
        )
        app.cases.add(case)
        cases.append(case)
    _event(
        application=app,
        subject=f"application:{app.pk}",
        action="to_mediation",
        actor=actor,
        note="转为调解案件：" + "、".join(c.number for c in cases),
        at=at,
    )
    _sms(app, f"您的信用救助申请（编号{app.number}）已转调解，调解员将与您联系。调解免费。", actor=actor)
    return cases


# --- reporting-update tasks ----------------------------------------------------------------------


def expected_report(remaining: Decimal, last: bool) -> str:
    """What the credit report should show after a payment (seed 000: the overdue amount is reduced
    with each payment; paid off → settled)."""
    if last or remaining <= 0:
        return "账户状态：结清；逾期金额：0"
    return f"逾期金额核减至{fmt(remaining)}；账户状态：按协议还款"


def _reporting_tasks(
    *,
    institution: Institution,
    party: Party,
    phone: str,
    schedule: list[tuple[dt.date, Decimal]],
    actor,
    at: dt.datetime,
    agreement: CreditAgreement | None = None,
    case=None,
    application: Application | None = None,
) -> list[ReportingTask]:
    if not schedule:
        raise ApplicationError("还款计划为空", code="schedule_required")
    days = [d for d, _ in schedule]
    if days != sorted(days):
        raise ApplicationError("还款计划须按日期先后排列", code="schedule_order")
    amounts = [quantize(a) for _, a in schedule]
    if any(a <= 0 for a in amounts):
        raise ApplicationError("每期还款金额应大于0", code="invalid_amount")
    remaining = sum(amounts, Decimal("0"))
    tasks = []
    total = len(schedule)
    for seq, (day, amount) in enumerate(zip(days, amounts, strict=True), start=1):
        remaining -= amount
        tasks.append(
            ReportingTask(
                institution=institution,
                agreement=agreement,
                case=case,
                application=application,
                party=party,
                phone=phone,
                phone_hash=lookup_hash(phone) if phone else "",
                seq=seq,
                of_total=total,
                payment_due_on=day,
                payment_amount=amount,
                remaining_after=remaining,
                expected_report=expected_report(remaining, seq == total),
                update_due_on=rules.due("credit.reporting_update", day),
            )
        )
    created = ReportingTask.objects.bulk_create(tasks)
    subject = f"agreement:{agreement.pk}" if agreement else f"case:{case.pk}"
    _event(
        application=application,
        subject=subject,
        action="reporting_tasks_created",
        actor=actor,
        note=f"已为{institution}生成{total}项征信更新任务",
        public=application is not None,
        at=at,
    )
    return created


@transaction.atomic
def reporting_tasks_create_for_agreement(
    *, case, schedule: list[tuple[dt.date, Decimal]], actor, now: dt.datetime | None = None
) -> list[ReportingTask]:
    """For agreements reached outside the station (mediation): the creditor of `case` gets one
    reporting-update task per payment of `schedule` [(due date, amount), ...], in date order.

    The actor must be able to act on the case (the centre, the case's mediator or the creditor's
    staff). Calling it again with the same schedule returns the existing tasks; a different schedule
    for a case that already has tasks is a Conflict (replace the agreement first).
    """
    from jiefen.cases.selectors import acting_roles, case_get_for_user

    at = _now(now)
    viewer = viewer_for(actor)
    case = case_get_for_user(viewer, case.pk)
    if viewer.read_only or not acting_roles(viewer, case):
        raise PermissionDenied("您不能为该案件生成征信更新任务")
    normalized = [(d, quantize(Decimal(a))) for d, a in schedule]
    existing = list(ReportingTask.objects.filter(case=case).order_by("seq"))
    if existing:
        if [(t.payment_due_on, t.payment_amount) for t in existing] == normalized:
            return existing
        raise Conflict("该案件已生成征信更新任务")
    phone = case.debtor.primary_phone
    return _reporting_tasks(
        institution=case.institution,
        party=case.debtor,
        phone=phone.number if phone else "",
        schedule=normalized,
        case=case,
        actor=actor,
        at=at,
    )


@transaction.atomic
def reporting_task_record(
    *,
    actor,
    task_id: int,
    payment_received: bool,
    note: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ReportingTask:
    """The institution records that it updated what it reports for this payment (or that the payment
    did not come, so the record stays as it is)."""
    at = _now(now)
    viewer = viewer_for(actor)
    task = reporting_get_for_user(viewer, task_id)
    if not holds(viewer, task.institution_id, REPORTING_ROLES):
        raise PermissionDenied("只有该机构的工作人员可以登记征信更新")
    if task.status not in {ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED}:
        raise ApplicationError("该任务已登记更新", code="invalid_state")
    if not payment_received and clock.local_date(at) <= task.payment_due_on:
        raise ApplicationError(
            f"还款日（{task.payment_due_on:%Y-%m-%d}）尚未过，不能登记未还款", code="too_early"
        )
    note = _reason(note, "请填写报送说明（更新内容、报送日期）")
    before = task.status
    _cas(
        ReportingTask,
        task,
        expected_version=expected_version,
        from_status=before,
        status=ReportingTask.Status.UPDATED,
        payment_received=payment_received,
        reported_note=note,
        updated_at_report=at,
        updated_by=actor,
    )
    _resolve_escalations(f"reporting:{task.pk}", at)
    _event(
        application=task.application,
        subject=f"reporting:{task.pk}",
        action="reporting_updated",
        from_status=before,
        to_status=task.status,
        actor=actor,
        note=f"第{task.seq}/{task.of_total}期："
        + ("已收到还款，" if payment_received else "未收到还款，")
        + note,
        public=task.application_id is not None,
        at=at,
    )
    if task.phone:
        text = (
            f"{task.institution}已按第{task.seq}期还款更新征信报送：{task.expected_report}。请登录“查询办理进度”确认，如有出入可提出异议。"
            if payment_received
            else f"{task.institution}登记第{task.seq}期（{task.payment_due_on:%m月%d日}）未收到还款，请尽快还款以免影响信用记录。"
        )
        _sms_to(task.phone, text, subject=f"credit-task:{task.pk}", actor=actor, institution=task.institution)
    return task


@transaction.atomic
def reporting_task_respond(
    *, phone: str, task_id: int, confirm: bool, note: str = "", now: dt.datetime | None = None
) -> ReportingTask:
    """The person confirms that their report shows what was agreed, or disputes it: a disputed update
    goes back to the institution to check and record again."""
    at = _now(now)
    task = (
        ReportingTask.objects.select_related("institution")
        .filter(pk=task_id, phone_hash=lookup_hash(_phone(phone)))
        .first()
    )
    if task is None:
        raise NotFound("任务不存在")
    if task.status != ReportingTask.Status.UPDATED:
        raise ApplicationError("机构尚未登记更新，暂不能确认", code="invalid_state")
    note = (note or "").strip()
    if not confirm and not note:
        raise ApplicationError("请说明信用报告与约定不一致之处", code="note_required")
    before = task.status
    target = ReportingTask.Status.CONFIRMED if confirm else ReportingTask.Status.DISPUTED
    changes: dict = {"status": target, "applicant_note": note[:1000], "applicant_responded_at": at}
    if not confirm:
        # The institution gets the same time again to check and correct; a new round, so a miss
        # escalates again.
        changes.update(update_due_on=rules.due("credit.reporting_update", at), rounds=task.rounds + 1)
    _cas(ReportingTask, task, from_status=before, **changes)
    _event(
        application=task.application,
        subject=f"reporting:{task.pk}",
        action="reporting_confirmed" if confirm else "reporting_disputed",
        from_status=before,
        to_status=target,
        actor_label=task.party.name,
        note=note or "申请人确认信用报告已按约定更新",
        public=task.application_id is not None,
        at=at,
    )
    if confirm and task.application_id:
        app = task.application
        if (
            not ReportingTask.objects.filter(application=app)
            .exclude(status=ReportingTask.Status.CONFIRMED)
            .exists()
        ):
            _app_status(app, Application.Status.CLOSED, at)
    return task


# --- escalation ----------------------------------------------------------------------------------


def _resolve_escalations(subject: str, at: dt.datetime) -> None:
    """Close the open escalations of one subject (including later rounds: `reporting:5:1`)."""
    from django.db.models import Q

    Escalation.objects.filter(
        Q(subject=subject) | Q(subject__startswith=subject + ":"), resolved_at__isnull=True
    ).update(resolved_at=at)


def _escalate(*, subject: str, level: str, institution_id: int, application, title: str, due_on, at) -> bool:
    """Raise once: the unique (subject, level) makes a second run, or a concurrent one, a no-op."""
    if Escalation.objects.filter(subject=subject, level=level).exists():
        return False
    try:
        with transaction.atomic():
            Escalation.objects.create(
                subject=subject,
                level=level,
                institution_id=institution_id,
                application=application,
                title=title,
                due_on=due_on,
                at=at,
            )
    except IntegrityError:
        return False
    _event(
        application=application,
        subject=subject,
        action=f"escalated_{level}",
        actor_label="系统",
        note=f"{title}：已报人民银行征信管理人员督办（期限{due_on:%Y-%m-%d}）",
        public=False,
        at=at,
    )
    return True


def escalations_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Raise to the PBOC credit officer: disputes unanswered on the warning day and past the 20-day
    limit, and reporting-update tasks past their deadline. Safe to run any number of times."""
    at = _now(now)
    today = clock.local_date(at)
    counts = {"dispute_warning": 0, "dispute_overdue": 0, "reporting_overdue": 0}
    open_disputes = CreditDispute.objects.filter(status=CreditDispute.Status.RECEIVED).select_related(
        "application", "institution"
    )
    for dispute in open_disputes.filter(escalate_on__lte=today):
        overdue = today > dispute.due_on
        level = Escalation.Level.OVERDUE if overdue else Escalation.Level.WARNING
        title = f"征信异议{dispute.application.number}（{dispute.institution}）" + (
            "已超过20日未答复"
            if overdue
            else f"收到已{(today - clock.local_date(dispute.received_at)).days}日未答复"
        )
        if _escalate(
            subject=f"dispute:{dispute.pk}",
            level=level,
            institution_id=dispute.institution_id,
            application=dispute.application,
            title=title,
            due_on=dispute.due_on,
            at=at,
        ):
            counts["dispute_overdue" if overdue else "dispute_warning"] += 1
    tasks = ReportingTask.objects.filter(
        status__in=[ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED], update_due_on__lt=today
    ).select_related("institution", "party")
    for task in tasks:
        if _escalate(
            subject=task.escalation_subject,
            level=Escalation.Level.OVERDUE,
            institution_id=task.institution_id,
            application=task.application,
            title=f"{task.institution}征信更新任务（{task.party.name}，第{task.seq}/{task.of_total}期）逾期未完成",
            due_on=task.update_due_on,
            at=at,
        ):
            counts["reporting_overdue"] += 1
    return counts


# --- first-overdue counseling --------------------------------------------------------------------

PRODUCT_ALIASES = {
    "credit_card": ProductLine.CREDIT_CARD,
    "信用卡": ProductLine.CREDIT_CARD,
    "personal_loan": ProductLine.PERSONAL_LOAN,
    "个人贷款": ProductLine.PERSONAL_LOAN,
    "enterprise_loan": ProductLine.ENTERPRISE_LOAN,
    "企业贷款": ProductLine.ENTERPRISE_LOAN,
}


@dataclass
class FlagIn:
    borrower_name: str
    phone: str
    product_line: str
    account_ref: str
    first_overdue_on: object
    overdue_amount: object
    id_number: str = ""
    next_due_on: object = None


def _date(value, name: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ApplicationError(f"请填写{name}", code="invalid_date")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt_ in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[:10], fmt_).date()
        except ValueError:
            continue
    raise ApplicationError(f"{name}“{value}”不是有效日期", code="invalid_date")


def _counseling_row(flag: FlagIn) -> dict:
    name = (flag.borrower_name or "").strip()
    if not name:
        raise ApplicationError("借款人姓名为空", code="invalid_name")
    try:
        phone = normalize_mobile(flag.phone)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    id_number = ""
    if (flag.id_number or "").strip():
        try:
            id_number = normalize_id_card(flag.id_number)
        except IdentifierError:
            try:
                id_number = normalize_uscc(flag.id_number)
            except IdentifierError as exc:
                raise ApplicationError(f"证件号码不正确：{exc}", code="invalid_id") from exc
    line = PRODUCT_ALIASES.get(str(flag.product_line or "").strip())
    if line is None:
        raise ApplicationError(
            f"业务条线“{flag.product_line}”应为信用卡、个人贷款或企业贷款", code="invalid_product_line"
        )
    account = str(flag.account_ref or "").strip()
    if not account:
        raise ApplicationError("账户/合同号为空", code="invalid_account")
    amount = _money(flag.overdue_amount, "逾期金额", required=True)
    return {
        "borrower_name": name[:100],
        "phone": phone,
        "phone_hash": lookup_hash(phone),
        "id_number": id_number,
        "id_hash": lookup_hash(id_number),
        "product_line": line,
        "account_ref": account[:40],
        "first_overdue_on": _date(flag.first_overdue_on, "首次逾期日"),
        "overdue_amount": amount,
        "next_due_on": _date(flag.next_due_on, "下一还款日", required=False),
    }


@transaction.atomic
def counseling_flag(
    *,
    actor,
    institution_id: int,
    flags: list[FlagIn],
    source: str = "api",
    batch: CounselingBatch | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """An institution flags borrowers at their first overdue; each becomes a counseling task. A row
    already flagged (same account and first-overdue day) is skipped. Returns counts and row errors."""
    at = _now(now)
    viewer = viewer_for(actor)
    inst = _institution(institution_id)
    if not holds(viewer, inst.pk, COUNSELING_ROLES):
        raise PermissionDenied("只能为本机构标记首逾客户")
    created, skipped, errors = 0, 0, []
    contact_due = rules.due("credit.counseling_contact", at)
    for n, flag in enumerate(flags, start=1):
        try:
            row = _counseling_row(flag)
        except ApplicationError as exc:
            errors.append({"row": n, "message": exc.message})
            continue
        if CounselingTask.objects.filter(
            institution=inst, account_ref=row["account_ref"], first_overdue_on=row["first_overdue_on"]
        ).exists():
            skipped += 1
            continue
        task = CounselingTask.objects.create(
            institution=inst, batch=batch, source=source, contact_due=contact_due, created_at=at, **row
        )
        _event(
            subject=f"counseling:{task.pk}",
            action="counseling_flagged",
            to_status=task.status,
            actor=actor,
            note=f"首期逾期：{task.get_product_line_display()} {fmt(task.overdue_amount)}",
            public=False,
            at=at,
        )
        created += 1
    return {"rows": len(flags), "created": created, "skipped": skipped, "errors": errors}


UPLOAD_COLUMNS = {
    "姓名": "borrower_name",
    "借款人": "borrower_name",
    "证件号码": "id_number",
    "身份证号": "id_number",
    "手机号": "phone",
    "业务条线": "product_line",
    "产品": "product_line",
    "账户/合同号": "account_ref",
    "合同号": "account_ref",
    "账号": "account_ref",
    "首次逾期日": "first_overdue_on",
    "逾期金额": "overdue_amount",
    "下一还款日": "next_due_on",
}
REQUIRED_COLUMNS = {
    "borrower_name",
    "phone",
    "product_line",
    "account_ref",
    "first_overdue_on",
    "overdue_amount",
}
MAX_UPLOAD_ROWS = 20_000


def read_table(filename: str, content: bytes) -> list[list]:
    """Rows of a CSV (UTF-8 or GBK, as bank exports come) or an Excel workbook's first sheet."""
    import csv
    import io

    name = filename.lower()
    if name.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            return book.get_sheet_by_index(0).to_python(skip_empty_area=True)
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise ApplicationError("无法读取该Excel文件", code="invalid_file") from exc
    if name.endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ApplicationError("无法识别CSV文件的编码", code="invalid_file")
        return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    raise ApplicationError("只支持 CSV 或 Excel（.xlsx）文件", code="invalid_file")


@transaction.atomic
def counseling_import(
    *, actor, institution_id: int, filename: str, content: bytes, now: dt.datetime | None = None
) -> CounselingBatch:
    at = _now(now)
    rows = read_table(filename, content)
    if not rows:
        raise ApplicationError("文件是空的", code="empty_file")
    header = [UPLOAD_COLUMNS.get(str(c).strip(), "") for c in rows[0]]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        labels = {v: k for k, v in reversed(list(UPLOAD_COLUMNS.items()))}
        raise ApplicationError(
            "缺少列：" + "、".join(sorted(labels[m] for m in missing)), code="missing_columns"
        )
    body = rows[1:]
    if len(body) > MAX_UPLOAD_ROWS:
        raise ApplicationError(f"一次最多导入{MAX_UPLOAD_ROWS}行", code="too_many_rows")
    flags = []
    for row in body:
        values = {key: row[i] for i, key in enumerate(header) if key and i < len(row)}
        flags.append(
            FlagIn(
                borrower_name=str(values.get("borrower_name", "") or ""),
                phone=str(values.get("phone", "") or "").split(".")[0],
                product_line=str(values.get("product_line", "") or ""),
                account_ref=str(values.get("account_ref", "") or ""),
                first_overdue_on=values.get("first_overdue_on"),
                overdue_amount=values.get("overdue_amount"),
                id_number=str(values.get("id_number", "") or ""),
                next_due_on=values.get("next_due_on"),
            )
        )
    batch = CounselingBatch.objects.create(
        institution_id=institution_id, filename=filename[-120:], rows=len(flags), uploaded_by=actor, at=at
    )
    result = counseling_flag(
        actor=actor, institution_id=institution_id, flags=flags, source="upload", batch=batch, now=at
    )
    batch.created, batch.skipped = result["created"], result["skipped"]
    # Row numbers in the file: the header is row 1.
    batch.errors = [{"row": e["row"] + 1, "message": e["message"]} for e in result["errors"]][:500]
    batch.save(update_fields=["created", "skipped", "errors"])
    return batch


def _counseling_for_staff(actor, task_id) -> CounselingTask:
    viewer = viewer_for(actor)
    task = counseling_get_for_user(viewer, task_id)
    if not holds(viewer, task.institution_id, COUNSELING_ROLES):
        raise PermissionDenied("只有该机构的工作人员可以办理辅导")
    return task


@transaction.atomic
def counseling_contact(
    *,
    actor,
    task_id: int,
    channel: str,
    reached: bool,
    note: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> CounselingTask:
    at = _now(now)
    task = _counseling_for_staff(actor, task_id)
    if task.status in {CounselingTask.Status.CLOSED, CounselingTask.Status.FOLLOWED_UP}:
        raise ApplicationError("辅导已完成", code="invalid_state")
    if channel not in CounselingContact.Channel.values:
        raise ApplicationError("请选择联系方式", code="invalid_channel")
    if reason and reason not in CounselingTask.Reason.values:
        raise ApplicationError("逾期原因不正确", code="invalid_reason")
    CounselingContact.objects.create(
        task=task, channel=channel, reached=reached, note=(note or "").strip()[:2000], actor=actor, at=at
    )
    changes: dict = {}
    if reached and task.status == CounselingTask.Status.OPEN:
        changes["status"] = CounselingTask.Status.CONTACTED
    if reason:
        changes["reason"] = reason
    if task.assignee_id is None:
        changes["assignee"] = actor
    before = task.status
    if changes:
        _cas(CounselingTask, task, **changes)
    _event(
        subject=f"counseling:{task.pk}",
        action="counseling_contact",
        from_status=before,
        to_status=task.status,
        actor=actor,
        note=f"{CounselingContact.Channel(channel).label}：{'已联系上' if reached else '未联系上'}。{note}".strip(),
        public=False,
        at=at,
    )
    return task


@transaction.atomic
def counseling_remind(*, actor, task_id: int, now: dt.datetime | None = None) -> CounselingTask:
    """A due-date reminder by SMS (the counseling script's "重视还款日期")."""
    at = _now(now)
    task = _counseling_for_staff(actor, task_id)
    if task.next_due_on is None:
        raise ApplicationError("请先登记下一还款日", code="no_due_date")
    text = (
        f"温馨提示：您在{task.institution}的{task.get_product_line_display()}下一还款日为"
        f"{task.next_due_on:%Y年%m月%d日}，请按时足额还款，避免产生罚息和违约金、影响信用记录。"
        "如还款确有困难，可向本行或调处中心金融信用助航站免费申请信用救助。"
    )
    sms_send(
        to=task.phone,
        text=text,
        purpose=SMS_PURPOSE,
        institution=task.institution,
        actor=actor,
        subject=f"counseling:{task.pk}",
    )
    CounselingContact.objects.create(
        task=task, channel="sms", reached=True, note="还款日提醒短信", actor=actor, at=at
    )
    _cas(CounselingTask, task, reminders_sent=task.reminders_sent + 1)
    _event(
        subject=f"counseling:{task.pk}",
        action="counseling_reminder",
        actor=actor,
        note=f"发送还款日提醒（{task.next_due_on:%Y-%m-%d}）",
        public=False,
        at=at,
    )
    return task


@transaction.atomic
def counseling_close(
    *,
    actor,
    task_id: int,
    outcome: str,
    reason: str,
    note: str,
    measure_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> CounselingTask:
    """Record how the counseling ended; the follow-up (still current 3 months later) is scheduled."""
    at = _now(now)
    task = _counseling_for_staff(actor, task_id)
    if task.status in {CounselingTask.Status.CLOSED, CounselingTask.Status.FOLLOWED_UP}:
        raise ApplicationError("辅导已完成", code="invalid_state")
    if outcome not in CounselingTask.Outcome.values:
        raise ApplicationError("请选择辅导结果", code="invalid_outcome")
    if reason not in CounselingTask.Reason.values and outcome != CounselingTask.Outcome.UNREACHABLE:
        raise ApplicationError("请选择逾期原因", code="reason_required")
    note = _reason(note, "请填写辅导记录")
    measures = list(
        ReliefMeasure.objects.filter(pk__in=measure_ids or [], institution=task.institution, is_active=True)
    )
    if outcome == CounselingTask.Outcome.RELIEF and not measures:
        raise ApplicationError("请选择向客户提供的脱困举措", code="measures_required")
    before = task.status
    _cas(
        CounselingTask,
        task,
        status=CounselingTask.Status.CLOSED,
        outcome=outcome,
        reason=reason if reason in CounselingTask.Reason.values else task.reason,
        outcome_note=note,
        outcome_at=at,
        followup_on=rules.due("credit.counseling_followup", at),
        assignee=task.assignee or actor,
    )
    task.relief_measures.set(measures)
    _event(
        subject=f"counseling:{task.pk}",
        action="counseling_closed",
        from_status=before,
        to_status=task.status,
        actor=actor,
        note=f"{task.get_outcome_display()}：{note}",
        public=False,
        at=at,
    )
    if measures:
        names = "、".join(m.name for m in measures[:3])
        text = (
            f"{task.institution}可为您提供脱困举措：{names}。如需办理，请联系本行或在调处中心金融信用助航站免费申请信用救助。"
            "任何收费“征信修复”都是骗局。"
        )
        _sms_to(task.phone, text, subject=f"counseling:{task.pk}", actor=actor, institution=task.institution)
    return task


@transaction.atomic
def counseling_followup(
    *, actor, task_id: int, still_current: bool, note: str = "", now: dt.datetime | None = None
) -> CounselingTask:
    at = _now(now)
    task = _counseling_for_staff(actor, task_id)
    if task.status != CounselingTask.Status.CLOSED:
        raise ApplicationError("辅导尚未完成或已回访", code="invalid_state")
    if clock.local_date(at) < task.followup_on:
        raise ApplicationError(f"回访日为{task.followup_on:%Y-%m-%d}，届时再登记", code="too_early")
    before = task.status
    _cas(
        CounselingTask,
        task,
        status=CounselingTask.Status.FOLLOWED_UP,
        still_current=still_current,
        followed_up_at=at,
    )
    _event(
        subject=f"counseling:{task.pk}",
        action="counseling_followed_up",
        from_status=before,
        to_status=task.status,
        actor=actor,
        note=("三个月后仍正常还款" if still_current else "三个月内再次逾期") + (f"：{note}" if note else ""),
        public=False,
        at=at,
    )
    return task


def applicant_reveal(*, actor, application_id: int, field: str, reason: str, ip: str | None = None) -> str:
    """Show a staff member the full ID number or phone of an applicant, once, with the reason
    recorded (PIPL Art 51), e.g. so the liaison can find the record being disputed."""
    from jiefen.audit.models import RevealLog

    viewer = viewer_for(actor)
    app = application_get_for_user(viewer, application_id)
    # The regulator's read-only view never needs a full identifier.
    if not (
        viewer.is_superuser
        or viewer.roles & (CENTER_ROLES | DISPUTE_ROLES | AGREEMENT_ROLES | {Role.PBC_OFFICER})
    ):
        raise NotFound("申请不存在或您无权查看")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApplicationError("查看完整信息须填写事由", code="reason_required")
    if field == "id_number":
        value = app.party.id_number
    elif field == "phone":
        value = app.phone
    else:
        raise ApplicationError("不能查看该字段", code="invalid_field")
    RevealLog.objects.create(actor=actor, party=app.party, field=field, reason=reason[:200], ip=ip)
    return value
