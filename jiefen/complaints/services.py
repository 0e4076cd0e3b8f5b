"""Every change to a complaint goes through here: validate, write in one transaction, log who and why.

Times are injectable (`at=` / `now=`) so that the statutory clock can be walked in tests and demos.
The clock (银行保险机构消费投诉处理管理办法, 2020): decide within 15 days of receipt; a complex case may be
extended to 30 days, a specially complex one to 60 days at most with senior approval, telling the
complainant each time. Days are counted by jiefen.common.clock (receipt day not counted; a last day
falling on a rest day moves to the next working day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jiefen.common import clock, rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.common.identifiers import IdentifierError, normalize_mobile
from jiefen.common.models import Counter
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Branch, Institution
from jiefen.outreach.services import sms_send
from jiefen.public.services import read_signed_token, signed_token

from .models import (
    AWAITING_DECISION,
    Category,
    Complaint,
    ComplaintAttachment,
    ComplaintCallback,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintExtension,
    ComplaintReminder,
    Outcome,
    Status,
)
from .selectors import acting_roles, complaint_get_for_user

log = logging.getLogger(__name__)

# The notice the complainant agrees to (PIPL Arts 14, 17, 29, 30); bump the version when the text changes.
CONSENT_VERSION = "2026.1"
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Extension -> (content type, leading bytes). The bytes are checked as well: a renamed .exe is refused.
ATTACHMENT_TYPES = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
}
LINK_TTL = dt.timedelta(days=90)
# Against a verified session used to flood a branch; real complainants rarely file more than one.
MAX_PER_PHONE_PER_DAY = 10
PUBLIC_LABEL = "投诉人"
SYSTEM_LABEL = "系统"

MANAGING = frozenset({"center", "manager", "handler"})


# --- channels (QR codes) ---------------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(12)


def channel_for_branch(branch: Branch) -> ComplaintChannel:
    channel = ComplaintChannel.objects.filter(branch=branch).first()
    if channel:
        return channel
    try:
        with transaction.atomic():
            return ComplaintChannel.objects.create(
                institution_id=branch.institution_id, branch=branch, token=_new_token()
            )
    except IntegrityError:  # two printers at once: the other one created it
        return ComplaintChannel.objects.get(branch=branch)


def channel_for_institution(institution: Institution) -> ComplaintChannel:
    channel = ComplaintChannel.objects.filter(institution=institution, branch__isnull=True).first()
    if channel:
        return channel
    try:
        with transaction.atomic():
            return ComplaintChannel.objects.create(institution=institution, branch=None, token=_new_token())
    except IntegrityError:
        return ComplaintChannel.objects.get(institution=institution, branch__isnull=True)


def channel_by_token(token: str) -> ComplaintChannel:
    channel = (
        ComplaintChannel.objects.select_related("institution", "branch")
        .filter(token=token or "", is_active=True)
        .first()
    )
    if channel is None or not channel.institution.is_active:
        raise NotFound("二维码无效或已停用，请联系网点工作人员")
    return channel


@transaction.atomic
def channel_rotate(*, actor, channel_id: int) -> ComplaintChannel:
    """A new token for a code that leaked or was defaced; the old printed codes stop working."""
    viewer = viewer_for(actor)
    channel = ComplaintChannel.objects.select_related("branch").filter(pk=channel_id).first()
    if channel is None:
        raise NotFound("二维码不存在")
    from .selectors import branches_for_viewer, institutions_for_viewer

    allowed = (
        branches_for_viewer(viewer).filter(pk=channel.branch_id).exists()
        if channel.branch_id
        else institutions_for_viewer(viewer).filter(pk=channel.institution_id).exists()
    )
    if not allowed:
        raise NotFound("二维码不存在")
    if viewer.read_only:
        raise PermissionDenied("只读账号不能更换二维码")
    channel.token = _new_token()
    channel.save(update_fields=["token"])
    return channel


# --- helpers --------------------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _label(actor) -> str:
    return str(actor) if actor is not None else SYSTEM_LABEL


def _site(site: str) -> str:
    return (site or getattr(settings, "JIEFEN_PUBLIC_URL", "") or "").rstrip("/")


def due_for(started: dt.datetime, days: int) -> dt.date:
    return clock.add_days(started, days)


def _move(
    complaint: Complaint,
    *,
    action: str,
    at: dt.datetime,
    actor=None,
    actor_label: str | None = None,
    to_status: str | None = None,
    reason: str = "",
    changes: dict | None = None,
    data: dict | None = None,
    due_on: dt.date | None = None,
) -> Complaint:
    """Compare-and-set on (id, status, version), then the timeline row. Two handlers acting at once:
    exactly one wins, the other gets Conflict and reloads."""
    if at < complaint.status_changed_at:
        raise ApplicationError("办理时间不能早于上一步", code="invalid_time")
    to_status = to_status or complaint.status
    fields = {"status": to_status, "version": complaint.version + 1, **(changes or {})}
    if to_status != complaint.status:
        fields["status_changed_at"] = at
    updated = Complaint.objects.filter(
        pk=complaint.pk, status=complaint.status, version=complaint.version
    ).update(**fields)
    if updated != 1:
        raise Conflict("投诉已被他人更新，请刷新后重试")
    ComplaintEvent.objects.create(
        complaint=complaint,
        action=action,
        from_status=complaint.status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label or _label(actor),
        reason=reason,
        due_on=due_on,
        data=data or {},
        at=at,
    )
    for key, value in fields.items():
        setattr(complaint, key, value)
    return complaint


def _for_staff(actor, complaint_id: int, *, expected_version: int | None = None):
    viewer = viewer_for(actor)
    complaint = complaint_get_for_user(viewer, complaint_id)
    if viewer.read_only:
        raise PermissionDenied("只读账号不能办理投诉")
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict("投诉已被他人更新，请刷新后重试")
    return viewer, complaint, acting_roles(viewer, complaint)


def _require(roles: set[str], allowed: Iterable[str], what: str) -> None:
    if not roles & set(allowed):
        raise PermissionDenied(f"您的角色不能{what}")


def _text(value: str, *, label: str, low: int = 1, high: int = 5000) -> str:
    value = (value or "").strip()
    if len(value) < low:
        raise ApplicationError(f"请填写{label}" if low <= 1 else f"{label}至少{low}个字", code="invalid_text")
    if len(value) > high:
        raise ApplicationError(f"{label}不能超过{high}个字", code="invalid_text")
    return value


def _notify(complaint: Complaint, text: str, *, purpose: str, actor=None) -> None:
    """SMS to the complainant once the transaction has committed (no message for a rolled-back change)."""
    phone, inst = complaint.phone, complaint.institution

    def send():
        try:
            sms_send(
                to=phone,
                text=text,
                purpose=purpose,
                institution=inst,
                actor=actor,
                subject=f"complaint:{complaint.pk}",
            )
        except ApplicationError:
            log.warning("complaint %s: SMS not sent", complaint.pk)

    transaction.on_commit(send)


def public_link(complaint: Complaint, *, site: str = "") -> str:
    """A signed link that opens this complaint's page without a code (sent only to its phone)."""
    token = signed_token("complaint", {"c": complaint.pk, "h": complaint.phone_hash[:16]})
    return _site(site) + reverse("complaints_public_link", args=[token])


def complaint_from_link(token: str) -> Complaint:
    payload = read_signed_token("complaint", token, max_age=LINK_TTL)
    complaint = Complaint.objects.select_related("institution", "branch").filter(pk=payload.get("c")).first()
    if complaint is None or complaint.phone_hash[:16] != payload.get("h"):
        raise ApplicationError("链接无效", code="link_invalid", status=403)
    return complaint


# --- submission -----------------------------------------------------------------------------------


def _detect_scam(text: str):
    """The assistant's detector flags paid-agent complaints (代理维权). It is optional: without it (or if
    it fails) the complaint is filed unflagged, because a citizen's complaint must never be lost."""
    try:
        from jiefen.assistant.scam import detect_scam
    except ImportError:
        return None
    try:
        return detect_scam(text)
    except Exception:
        log.exception("scam detector failed; complaint filed without a flag")
        return None


_CARD_LIKE = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def _mentions_sensitive(text: str) -> bool:
    """A bank-card or ID number in free text is sensitive data (PIPL Art 28) and needs the separate consent."""
    from stdnum import luhn

    if _ID_LIKE.search(text):
        return True
    return any(luhn.is_valid(m) for m in _CARD_LIKE.findall(text))


def _check_attachment(upload) -> tuple[str, str]:
    name = Path(upload.name or "").name[:200]
    ext = Path(name).suffix.lower()
    if ext not in ATTACHMENT_TYPES:
        raise ApplicationError(
            f"附件“{name}”的格式不支持：只能上传 JPG、PNG 图片或 PDF 文件", code="bad_attachment"
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ApplicationError(
            f"附件“{name}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB", code="attachment_too_large"
        )
    if upload.size == 0:
        raise ApplicationError(f"附件“{name}”是空文件", code="bad_attachment")
    content_type, magics = ATTACHMENT_TYPES[ext]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        raise ApplicationError(f"附件“{name}”的内容与扩展名不符，请上传原始文件", code="bad_attachment")
    return name, content_type


def _store_attachment(complaint: Complaint, upload, name: str, content_type: str) -> ComplaintAttachment:
    now = timezone.now()
    relative = (
        Path("complaints") / f"{now:%Y}" / f"{now:%m}" / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    )
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return ComplaintAttachment.objects.create(
        complaint=complaint,
        filename=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        path=str(relative),
    )


def attachment_path(attachment: ComplaintAttachment) -> Path:
    return Path(settings.MEDIA_ROOT) / attachment.path


@transaction.atomic
def complaint_submit(
    *,
    channel: ComplaintChannel,
    phone: str,
    category: str,
    description: str,
    request: str,
    consent_personal: bool,
    consent_sensitive: bool = False,
    name: str = "",
    branch: Branch | None = None,
    attachments: Iterable = (),
    at: dt.datetime | None = None,
    site: str = "",
) -> Complaint:
    """File a complaint from the public form (phone already proven by a one-time code)."""
    now = _now(at)
    if not channel.is_active:
        raise NotFound("二维码无效或已停用，请联系网点工作人员")
    if channel.branch_id:
        branch = channel.branch
    elif branch is not None and branch.institution_id != channel.institution_id:
        raise ApplicationError("所选网点不属于该机构", code="invalid_branch")
    if category not in Category.values:
        raise ApplicationError("请选择投诉类别", code="invalid_category")
    description = _text(description, label="事情经过", low=10, high=5000)
    request = _text(request, label="诉求", low=2, high=1000)
    name = (name or "").strip()[:50]
    if not consent_personal:
        raise ApplicationError("请阅读并同意《个人信息处理告知书》后再提交", code="consent_required")
    if not consent_sensitive and _mentions_sensitive(description + " " + request):
        raise ApplicationError(
            "您填写的内容包含银行卡号或身份证号等敏感个人信息：请勾选单独同意处理敏感个人信息，或删去这些号码后再提交",
            code="sensitive_consent_required",
        )
    try:
        phone = normalize_mobile(phone)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    recent = Complaint.objects.filter(
        phone_hash=lookup_hash(phone), received_at__gte=now - dt.timedelta(days=1)
    )
    if recent.count() >= MAX_PER_PHONE_PER_DAY:
        raise ApplicationError(
            "同一手机号一天内提交的投诉过多，请明天再试或拨打热线", code="too_many", status=429
        )
    uploads = [u for u in attachments if u]
    if len(uploads) > MAX_ATTACHMENTS:
        raise ApplicationError(f"附件最多 {MAX_ATTACHMENTS} 个", code="too_many_attachments")
    checked = [(u, *_check_attachment(u)) for u in uploads]

    scam = _detect_scam(description + "\n" + request)
    seq = Counter.reserve(f"complaint-{now:%Y}")
    period = rules.amount("complaint.decide")
    due = due_for(now, period)
    complaint = Complaint.objects.create(
        number=f"TS{now:%Y}{seq:06d}",
        channel=channel,
        institution_id=channel.institution_id,
        branch=branch,
        category=category,
        description=description,
        request=request,
        name=name,
        phone=phone,
        phone_hash=lookup_hash(phone),
        consent_personal_at=now,
        consent_sensitive_at=now if consent_sensitive else None,
        consent_version=CONSENT_VERSION,
        scam_flagged=bool(scam and scam.flagged),
        scam_reasons=list(scam.reasons) if scam and scam.flagged else [],
        scam_score=float(scam.score) if scam and scam.flagged else 0.0,
        status=Status.RECEIVED,
        received_at=now,
        clock_started_at=now,
        status_changed_at=now,
        period_days=period,
        due_at=due,
    )
    for upload, fname, content_type in checked:
        _store_attachment(complaint, upload, fname, content_type)
    ComplaintEvent.objects.create(
        complaint=complaint,
        action="submit",
        to_status=Status.RECEIVED,
        actor_label=PUBLIC_LABEL,
        reason="扫码提交投诉" if channel.branch_id else "在线提交投诉",
        due_on=due,
        data={"attachments": len(checked), "consent_version": CONSENT_VERSION},
        at=now,
    )
    where = str(branch or channel.institution)
    _notify(
        complaint,
        f"您对{where}的投诉已受理，编号{complaint.number}，将于{due:%Y年%m月%d日}前答复您。"
        f"查看进度：{public_link(complaint, site=site)}",
        purpose="complaint",
    )
    return complaint


# --- the institution's work -----------------------------------------------------------------------


@transaction.atomic
def complaint_accept(
    *, actor, complaint_id: int, note: str = "", at: dt.datetime | None = None, expected_version=None
) -> Complaint:
    _viewer, complaint, roles = _for_staff(actor, complaint_id, expected_version=expected_version)
    _require(roles, MANAGING, "办理这件投诉")
    if complaint.status != Status.RECEIVED:
        raise ApplicationError("只有待处理的投诉可以签收", code="invalid_state")
    return _move(
        complaint,
        action="accept",
        to_status=Status.PROCESSING,
        actor=actor,
        at=_now(at),
        reason=note or "签收工单",
    )


@transaction.atomic
def complaint_log_callback(
    *,
    actor,
    complaint_id: int,
    note: str,
    reached: bool = True,
    minutes: int | None = None,
    at: dt.datetime | None = None,
) -> ComplaintCallback:
    """The executive or the desk phoned the complainant. A first call also takes the work order."""
    _viewer, complaint, roles = _for_staff(actor, complaint_id)
    _require(roles, MANAGING, "回访这件投诉")
    if complaint.status in {Status.CONVERTED, Status.WITHDRAWN}:
        raise ApplicationError("该投诉已结束，不能再登记回访", code="invalid_state")
    note = _text(note, label="回访记录", high=2000)
    if minutes is not None and not 0 <= minutes <= 600:
        raise ApplicationError("通话时长应在0至600分钟之间", code="invalid_minutes")
    now = _now(at)
    callback = ComplaintCallback.objects.create(
        complaint=complaint, by=actor, at=now, reached=reached, minutes=minutes, note=note
    )
    _move(
        complaint,
        action="callback",
        to_status=Status.PROCESSING if complaint.status == Status.RECEIVED else None,
        actor=actor,
        at=now,
        reason=("电话回访（已接通）：" if reached else "电话回访（未接通）：") + note,
        data={"callback": callback.pk, "reached": reached, "minutes": minutes},
    )
    return callback


@transaction.atomic
def complaint_reply(
    *,
    actor,
    complaint_id: int,
    text: str,
    at: dt.datetime | None = None,
    expected_version=None,
    site: str = "",
) -> Complaint:
    """The institution's decision. Whether it came by the due date is kept for the on-time rate."""
    _viewer, complaint, roles = _for_staff(actor, complaint_id, expected_version=expected_version)
    _require(roles, MANAGING, "答复这件投诉")
    if complaint.status not in AWAITING_DECISION:
        raise ApplicationError("这件投诉当前不需要答复", code="invalid_state")
    text = _text(text, label="答复内容", low=5, high=5000)
    now = _now(at)
    on_time = clock.local_date(now) <= complaint.due_at
    _move(
        complaint,
        action="reply",
        to_status=Status.REPLIED,
        actor=actor,
        at=now,
        reason=text,
        changes={"reply_text": text, "replied_at": now, "on_time": on_time},
        data={"on_time": on_time, "due_at": complaint.due_at.isoformat()},
    )
    ComplaintExtension.objects.filter(complaint=complaint, state=ComplaintExtension.State.PENDING).update(
        state=ComplaintExtension.State.REJECTED, decided_at=now, decision_note="已答复，申请自动失效"
    )
    window = rules.amount("complaint.confirm_window")
    _notify(
        complaint,
        f"您的投诉{complaint.number}已有答复，请在{window}日内确认是否解决并评价：{public_link(complaint, site=site)}",
        purpose="complaint",
        actor=actor,
    )
    return complaint


@transaction.atomic
def complaint_extension_request(
    *, actor, complaint_id: int, to_days: int, reason: str, at: dt.datetime | None = None
) -> ComplaintExtension:
    """Ask to extend the decision period. Up to `complaint.extend_to` days for a complex case; beyond
    that, up to `complaint.max`, only once already at `extend_to` and with senior approval."""
    _viewer, complaint, roles = _for_staff(actor, complaint_id)
    _require(roles, MANAGING, "申请延长处理期限")
    if complaint.status not in AWAITING_DECISION:
        raise ApplicationError("只有尚未答复的投诉可以申请延期", code="invalid_state")
    now = _now(at)
    if clock.local_date(now) > complaint.due_at:
        raise ApplicationError("处理期限已过，不能再申请延期：请尽快答复", code="deadline_passed")
    if complaint.extensions.filter(state=ComplaintExtension.State.PENDING).exists():
        raise ApplicationError("已有一项延期申请待审批", code="extension_pending")
    reason = _text(reason, label="延期理由", low=4, high=2000)
    extend_to = rules.amount("complaint.extend_to")
    maximum = rules.amount("complaint.max")
    try:
        to_days = int(to_days)
    except (TypeError, ValueError):
        raise ApplicationError("请填写延长后的期限天数", code="invalid_days") from None
    if to_days <= complaint.period_days:
        raise ApplicationError(f"延长后的期限应超过现有的{complaint.period_days}日", code="invalid_days")
    if to_days > maximum:
        raise ApplicationError(f"处理期限最长{maximum}日，不能延长至{to_days}日", code="beyond_max")
    special = to_days > extend_to
    if special and complaint.period_days < extend_to:
        raise ApplicationError(
            f"复杂投诉先延长至{extend_to}日；特别复杂的，再经上级批准延长，最长{maximum}日",
            code="extend_in_steps",
        )
    ext = ComplaintExtension.objects.create(
        complaint=complaint,
        from_days=complaint.period_days,
        to_days=to_days,
        special=special,
        reason=reason,
        requested_by=actor,
        requested_at=now,
    )
    _move(
        complaint,
        action="extension_request",
        actor=actor,
        at=now,
        reason=reason,
        data={"extension": ext.pk, "to_days": to_days, "special": special},
    )
    return ext


@transaction.atomic
def complaint_extension_decide(
    *,
    actor,
    extension_id: int,
    approve: bool,
    note: str = "",
    at: dt.datetime | None = None,
) -> ComplaintExtension:
    """Approve or refuse an extension. Not by the person who asked; beyond `extend_to` only the
    institution's head office or the centre may approve (上级审批)."""
    ext = ComplaintExtension.objects.select_related("complaint").filter(pk=extension_id).first()
    if ext is None:
        raise NotFound("延期申请不存在")
    _viewer, complaint, roles = _for_staff(actor, ext.complaint_id)
    if ext.state != ComplaintExtension.State.PENDING:
        raise ApplicationError("该延期申请已审批", code="already_decided")
    if ext.requested_by_id == actor.pk:
        raise PermissionDenied("不能审批本人提出的延期申请")
    if ext.special:
        _require(roles, {"center", "head_office"}, "审批特别复杂投诉的延期（须总行或调处中心审批）")
    else:
        _require(roles, {"center", "manager"}, "审批延期（须行长或调处中心审批）")
    if complaint.status not in AWAITING_DECISION:
        raise ApplicationError("投诉已答复或已结束，无需延期", code="invalid_state")
    now = _now(at)
    note = (note or "").strip()
    if not approve and not note:
        raise ApplicationError("不批准时请写明意见", code="note_required")
    state = ComplaintExtension.State.APPROVED if approve else ComplaintExtension.State.REJECTED
    if (
        ComplaintExtension.objects.filter(pk=ext.pk, state=ComplaintExtension.State.PENDING).update(
            state=state, decided_by=actor, decided_at=now, decision_note=note
        )
        != 1
    ):
        raise Conflict("该延期申请已被他人审批，请刷新")
    ext.state, ext.decided_by, ext.decided_at, ext.decision_note = state, actor, now, note
    if not approve:
        _move(
            complaint,
            action="extension_rejected",
            actor=actor,
            at=now,
            reason=note,
            data={"extension": ext.pk},
        )
        return ext
    due = due_for(complaint.clock_started_at, ext.to_days)
    _move(
        complaint,
        action="extend",
        actor=actor,
        at=now,
        reason=f"批准延长至{ext.to_days}日：{ext.reason}" + (f"（{note}）" if note else ""),
        changes={"period_days": ext.to_days, "due_at": due},
        due_on=due,
        data={"extension": ext.pk, "from_days": ext.from_days, "to_days": ext.to_days},
    )
    # The rules require telling the complainant of every extension.
    _notify(
        complaint,
        f"您的投诉{complaint.number}情况较复杂，处理期限延长至{due:%Y年%m月%d日}。理由：{ext.reason[:60]}",
        purpose="complaint",
        actor=actor,
    )
    return ext


@transaction.atomic
def complaint_convert(*, actor, complaint_id: int, reason: str, at: dt.datetime | None = None):
    """An unresolved complaint becomes a mediation case in one step: created and sent to the mediation
    queue, with the complaint's timeline attached to the case's first step. The centre triages, so the
    centre converts (case_transition("triage_complex") is a centre action)."""
    from jiefen.cases.models import ProductType
    from jiefen.cases.services import case_create, case_transition

    _viewer, complaint, roles = _for_staff(actor, complaint_id)
    _require(roles, {"center"}, "将投诉转为调解案件（由调处中心办理）")
    if complaint.status not in {Status.UNRESOLVED, Status.RECEIVED, Status.PROCESSING, Status.REPLIED}:
        raise ApplicationError("该投诉当前不能转为调解案件", code="invalid_state")
    if not complaint.institution.is_creditor:
        raise ApplicationError("被投诉机构不是金融机构，不能转为调解案件", code="invalid_institution")
    reason = _text(reason, label="转调解事由", high=2000)
    now = _now(at)
    product = {
        Category.CARD: ProductType.CREDIT_CARD,
        Category.LOAN: ProductType.CONSUMER_LOAN,
    }.get(complaint.category, ProductType.OTHER)
    history = [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "to": e.to_status,
            "by": e.actor_label,
            "reason": e.reason[:200],
        }
        for e in complaint.events.all()
    ]
    case = case_create(
        actor=actor,
        institution=complaint.institution,
        branch=complaint.branch,
        debtor_kind="individual",
        debtor_name=complaint.name or f"投诉人{complaint.masked_phone}",
        debtor_id_number="",
        debtor_phones=[complaint.phone],
        product_type=product,
        contract_no=complaint.number,
        claim={},
        reason=f"由行长直通车投诉{complaint.number}转入：{reason}",
        at=now,
    )
    case = case_transition(
        actor=actor,
        case_id=case.pk,
        action="triage_complex",
        reason=f"投诉{complaint.number}未能化解，转调解",
        at=now,
        data={
            "complaint": complaint.number,
            "category": complaint.get_category_display(),
            "description": complaint.description,
            "request": complaint.request,
            "reply": complaint.reply_text,
            "history": history,
        },
    )
    _move(
        complaint,
        action="convert",
        to_status=Status.CONVERTED,
        actor=actor,
        at=now,
        reason=reason,
        changes={"case": case, "closed_at": now, "outcome": Outcome.CONVERTED},
        data={"case": case.number},
    )
    _notify(
        complaint,
        f"您的投诉{complaint.number}已转为调解案件{case.number}，调解员将与您联系。调解免费。",
        purpose="complaint",
        actor=actor,
    )
    return case


# --- the complainant ------------------------------------------------------------------------------


def _own(complaint_id: int, phone: str) -> Complaint:
    complaint = Complaint.objects.select_related("institution").filter(pk=complaint_id).first()
    if complaint is None or complaint.phone_hash != lookup_hash(phone or ""):
        raise NotFound("投诉不存在")
    return complaint


@transaction.atomic
def complaint_confirm(
    *,
    complaint_id: int,
    phone: str,
    resolved: bool,
    rating: int,
    comment: str = "",
    request_mediation: bool = False,
    at: dt.datetime | None = None,
) -> Complaint:
    """The complainant says whether the reply solved it and rates the handling (1–5)."""
    complaint = _own(complaint_id, phone)
    if complaint.status != Status.REPLIED:
        raise ApplicationError("该投诉当前不能评价", code="invalid_state")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ApplicationError("请选择1至5星的满意度", code="invalid_rating")
    comment = (comment or "").strip()[:500]
    now = _now(at)
    changes = {"resolved": resolved, "rating": rating, "rating_comment": comment, "rated_at": now}
    if resolved:
        changes.update({"closed_at": now, "outcome": Outcome.RESOLVED})
    else:
        changes["mediation_requested"] = bool(request_mediation)
    return _move(
        complaint,
        action="confirm_resolved" if resolved else "confirm_unresolved",
        to_status=Status.CLOSED if resolved else Status.UNRESOLVED,
        actor_label=PUBLIC_LABEL,
        at=now,
        reason=comment or ("已解决" if resolved else "未解决"),
        changes=changes,
        data={"rating": rating, "request_mediation": bool(request_mediation) and not resolved},
    )


def reopen_deadline(complaint: Complaint) -> dt.date | None:
    """Last day the complainant may ask for the complaint to be handled again, or None if not possible."""
    if complaint.status == Status.CLOSED and complaint.closed_at:
        return rules.due("complaint.reopen_window", complaint.closed_at)
    if complaint.status == Status.UNRESOLVED:
        return rules.due("complaint.reopen_window", complaint.status_changed_at)
    return None


@transaction.atomic
def complaint_reopen(
    *, complaint_id: int, phone: str, reason: str, at: dt.datetime | None = None
) -> Complaint:
    """Within the window the complainant sends the complaint back; the decision period starts again."""
    complaint = _own(complaint_id, phone)
    last = reopen_deadline(complaint)
    now = _now(at)
    if last is None:
        raise ApplicationError("该投诉当前不能申请重新处理", code="invalid_state")
    if clock.local_date(now) > last:
        raise ApplicationError(
            f"重新处理须在{last:%Y年%m月%d日}前申请，已超过期限", code="reopen_window_passed"
        )
    reason = _text(reason, label="重新处理的理由", low=4, high=2000)
    period = rules.amount("complaint.decide")
    due = due_for(now, period)
    return _move(
        complaint,
        action="reopen",
        to_status=Status.PROCESSING,
        actor_label=PUBLIC_LABEL,
        at=now,
        reason=reason,
        changes={
            "clock_started_at": now,
            "period_days": period,
            "due_at": due,
            "on_time": None,
            "resolved": None,
            "rating": None,
            "rating_comment": "",
            "rated_at": None,
            "closed_at": None,
            "outcome": "",
            "escalation_level": 0,
            "escalated_at": None,
            "reopen_count": complaint.reopen_count + 1,
        },
        due_on=due,
        data={"previous_rating": complaint.rating, "previous_reply": complaint.reply_text[:500]},
    )


@transaction.atomic
def complaint_withdraw(
    *, complaint_id: int, phone: str, reason: str = "", at: dt.datetime | None = None
) -> Complaint:
    complaint = _own(complaint_id, phone)
    if complaint.status not in {Status.RECEIVED, Status.PROCESSING, Status.REPLIED, Status.UNRESOLVED}:
        raise ApplicationError("该投诉当前不能撤回", code="invalid_state")
    now = _now(at)
    return _move(
        complaint,
        action="withdraw",
        to_status=Status.WITHDRAWN,
        actor_label=PUBLIC_LABEL,
        at=now,
        reason=(reason or "").strip()[:500] or "投诉人撤回",
        changes={"closed_at": now, "outcome": Outcome.WITHDRAWN},
    )


# --- reminders, escalation, auto-closing ----------------------------------------------------------


def _once(complaint: Complaint, kind: str, at: dt.datetime) -> bool:
    """Record that this reminder was made for this due date; False if it already was (idempotency)."""
    try:
        with transaction.atomic():
            ComplaintReminder.objects.create(
                complaint=complaint, kind=kind, due_on=complaint.due_at, created_at=at
            )
    except IntegrityError:
        return False
    return True


def complaint_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind before the due date, escalate once it passes (head office, then the centre), and close
    replies the complainant never rated. Safe to run any number of times a day: each reminder is
    made once per complaint, kind and due date."""
    now = _now(now)
    today = clock.local_date(now)
    before = rules.amount("complaint.remind_before")
    counts = {"reminded": 0, "head_office": 0, "center": 0, "auto_closed": 0}
    open_qs = Complaint.objects.filter(
        status__in=AWAITING_DECISION, due_at__lte=today + dt.timedelta(days=before)
    )
    for complaint in open_qs.select_related("institution").order_by("due_at", "pk").iterator():
        counts_for = _sweep_one(complaint, now, today)
        for key, value in counts_for.items():
            counts[key] += value
    window = rules.amount("complaint.confirm_window")
    stale = Complaint.objects.filter(
        status=Status.REPLIED, replied_at__lt=now - dt.timedelta(days=window)
    ).order_by("pk")
    for complaint in stale.iterator():
        if today <= rules.due("complaint.confirm_window", complaint.replied_at):
            continue
        try:
            with transaction.atomic():
                _move(
                    complaint,
                    action="auto_close",
                    to_status=Status.CLOSED,
                    at=now,
                    reason=f"答复后{window}日内投诉人未确认，视为办结",
                    changes={"closed_at": now, "outcome": Outcome.NO_RESPONSE},
                )
            counts["auto_closed"] += 1
        except Conflict:
            continue  # the complainant rated it at this very moment
    return counts


def _sweep_one(complaint: Complaint, now: dt.datetime, today: dt.date) -> dict[str, int]:
    out = {"reminded": 0, "head_office": 0, "center": 0}
    if today <= complaint.due_at:
        with transaction.atomic():
            if _once(complaint, ComplaintReminder.Kind.DUE_SOON, now):
                left = (complaint.due_at - today).days
                _event(complaint, "remind", now, f"距答复期限还有{left}日，请及时答复", {"days_left": left})
                out["reminded"] = 1
        return out
    with transaction.atomic():
        if _once(complaint, ComplaintReminder.Kind.HEAD_OFFICE, now):
            _escalate(complaint, 1, now, f"已超过答复期限{complaint.due_at:%Y-%m-%d}，升级至总行（总部）督办")
            out["head_office"] = 1
    if today > rules.due("complaint.escalate_center_after", complaint.due_at):
        with transaction.atomic():
            if _once(complaint, ComplaintReminder.Kind.CENTER, now):
                _escalate(complaint, 2, now, "超期仍未答复，升级至调处中心督办")
                out["center"] = 1
    return out


def _event(complaint: Complaint, action: str, at: dt.datetime, reason: str, data: dict, actor=None) -> None:
    """A timeline row that changes nothing on the complaint (a reminder, a reported lead)."""
    ComplaintEvent.objects.create(
        complaint=complaint,
        action=action,
        from_status=complaint.status,
        to_status=complaint.status,
        actor=actor,
        actor_label=_label(actor),
        reason=reason,
        data=data,
        at=at,
    )


def _escalate(complaint: Complaint, level: int, at: dt.datetime, reason: str) -> None:
    # A plain update, not compare-and-set: escalation must land even if a handler is acting right now.
    Complaint.objects.filter(pk=complaint.pk, escalation_level__lt=level).update(
        escalation_level=level, escalated_at=at
    )
    complaint.escalation_level = max(complaint.escalation_level, level)
    _event(complaint, "escalate", at, reason, {"level": level})


# --- leads for the scam-entity registry -----------------------------------------------------------


@transaction.atomic
def complaint_report_scam_lead(*, actor, complaint_id: int, name: str, identifiers: str = "", note: str = ""):
    """The handler thinks a paid agent is behind the complaint: put it on the registry's lead list."""
    from jiefen.education.services import scam_lead_create

    _viewer, complaint, roles = _for_staff(actor, complaint_id)
    _require(roles, MANAGING, "报告线索")
    lead = scam_lead_create(
        actor=actor,
        name=name or f"代理维权线索（投诉{complaint.number}）",
        identifiers=identifiers,
        source="complaint",
        source_ref=complaint.number,
        note=note or "；".join(complaint.scam_reasons),
        region_code=complaint.branch.region_code
        if complaint.branch_id
        else complaint.institution.region_code,
        check_access=False,
    )
    _event(
        complaint,
        "scam_lead",
        timezone.now(),
        f"已报告黑灰产线索 {lead.number}",
        {"lead": lead.number},
        actor=actor,
    )
    return lead
