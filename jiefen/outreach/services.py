from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.common.identifiers import IdentifierError, mask_phone, normalize_mobile
from jiefen.orgs.access import viewer_for

from . import compliance
from .backends import DeliveryReport, TemplateRef, get_backend
from .models import OutboundMessage, SmsOptOut, SmsTemplate
from .templates import params_for, render, template_check

SIGNATURE = "【解纷】"


def sms_send(
    *, to: str, text: str, purpose: str, institution=None, actor=None, subject: str = "", secret: str = ""
) -> OutboundMessage:
    """Send one SMS through the configured gateway and keep it in the outbox with its status.

    `secret` (a one-time code in `text`) is kept in the stored copy only for the offline outbox, which
    is how demo users receive it; with a real gateway the stored copy has it masked.
    """
    try:
        number = normalize_mobile(to)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    backend = get_backend()
    body = text if text.startswith("【") else SIGNATURE + text
    stored = body.replace(secret, "*" * len(secret)) if secret and backend.name != "outbox" else body
    return _deliver(
        backend,
        number=number,
        body=body,
        stored=stored,
        purpose=purpose,
        institution=institution,
        actor=actor,
        subject=subject,
    )


def _deliver(
    backend,
    *,
    number: str,
    body: str,
    stored: str,
    purpose: str,
    institution,
    actor,
    subject: str,
    template: TemplateRef | None = None,
) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        to=number,
        to_hash=lookup_hash(number),
        text=stored,
        purpose=purpose,
        institution=institution,
        subject=subject,
        backend=backend.name,
        actor=actor,
    )
    result = (
        backend.send(number, body, template=template) if template is not None else backend.send(number, body)
    )
    message.status = (
        OutboundMessage.Status.DELIVERED
        if result.ok and result.delivered
        else OutboundMessage.Status.SENT
        if result.ok
        else OutboundMessage.Status.FAILED
    )
    message.provider_id, message.error, message.sent_at = (
        result.provider_id,
        result.error[:200],
        timezone.now(),
    )
    message.save(update_fields=["status", "provider_id", "error", "sent_at"])
    return message


def sms_opted_out(number: str) -> bool:
    return SmsOptOut.objects.filter(number_hash=lookup_hash(number)).exists()


def sms_send_templated(
    *,
    to: str,
    template: SmsTemplate,
    context: dict[str, str],
    purpose: str = "",
    institution=None,
    actor=None,
    subject: str = "",
    third_party: bool = False,
    now: dt.datetime | None = None,
) -> OutboundMessage:
    """A collection message: checked against the conduct rules before anything is sent.

    Refusals raise ApplicationError(code="conduct") with the reason in Chinese; nothing is stored.
    """
    try:
        number = normalize_mobile(to)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    if not template.active:
        raise ApplicationError("该短信模板已停用", code="template_inactive")
    refusal = compliance.quiet_hours_refusal(now or compliance.now())
    if refusal:
        raise ApplicationError(refusal, code="quiet_hours")
    if sms_opted_out(number):
        raise ApplicationError(f"号码{mask_phone(number)}已退订短信，不得再发送", code="opted_out")
    text = render(template.body, context)
    if third_party:
        if template.audience != SmsTemplate.Audience.THIRD_PARTY:
            raise ApplicationError(
                "该号码不是债务人本人：只能使用“第三人”模板，不得向第三人透露债务信息",
                code="third_party_disclosure",
            )
        refusal = compliance.disclosure_refusal(text)
        if refusal:
            raise ApplicationError(refusal, code="third_party_disclosure")
    backend = get_backend()
    body = SIGNATURE + text
    ref = TemplateRef(
        aliyun_code=template.aliyun_template_code,
        tencent_id=template.tencent_template_id,
        params=params_for(template.body, context),
    )
    return _deliver(
        backend,
        number=number,
        body=body,
        stored=body,
        purpose=purpose or template.purpose,
        institution=institution,
        actor=actor,
        subject=subject,
        template=ref,
    )


@transaction.atomic
def sms_opt_out(*, number: str, actor=None, source: str = "staff", reason: str = "") -> SmsOptOut:
    """Stop every reminder to this number, whoever sends it (replies 退订/TD land here too)."""
    try:
        number = normalize_mobile(number)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    row, _ = SmsOptOut.objects.get_or_create(
        number_hash=lookup_hash(number),
        defaults={"masked": mask_phone(number), "source": source, "reason": reason[:200], "actor": actor},
    )
    from jiefen.parties.models import PartyPhone

    PartyPhone.objects.filter(number_hash=row.number_hash).update(opted_out=True)
    return row


@transaction.atomic
def sms_opt_in(*, number: str, actor) -> int:
    """The person asked to receive messages again (recorded by staff)."""
    number = normalize_mobile(number)
    digest = lookup_hash(number)
    removed, _ = SmsOptOut.objects.filter(number_hash=digest).delete()
    from jiefen.parties.models import PartyPhone

    PartyPhone.objects.filter(number_hash=digest).update(opted_out=False)
    return removed


OPT_OUT_WORDS = frozenset({"TD", "T", "N", "退订", "退", "0000", "取消"})


def sms_inbound(*, number: str, text: str) -> bool:
    """A reply from a phone (provider uplink). Returns True when it was an opt-out."""
    if text.strip().upper() in OPT_OUT_WORDS:
        sms_opt_out(number=number, source="reply", reason=f"回复“{text.strip()[:10]}”")
        return True
    return False


def sms_delivery_apply(reports: list[DeliveryReport], *, backend: str | None = None) -> int:
    """Record delivery receipts (pushed by the provider or pulled from it)."""
    changed = 0
    for report in reports:
        qs = OutboundMessage.objects.filter(
            provider_id=report.provider_id, status=OutboundMessage.Status.SENT
        )
        if backend:
            qs = qs.filter(backend=backend)
        changed += qs.update(
            status=OutboundMessage.Status.DELIVERED if report.delivered else OutboundMessage.Status.FAILED,
            error="" if report.delivered else report.error[:200],
        )
    return changed


def sms_delivery_refresh(*, limit: int = 200) -> int:
    """Poll the gateway for messages still waiting for a receipt."""
    backend = get_backend()
    pending = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT, backend=backend.name).order_by(
            "id"
        )[:limit]
    )
    if not pending:
        return 0
    return sms_delivery_apply(backend.delivery_reports(pending), backend=backend.name)


@transaction.atomic
def sms_template_save(
    *,
    actor,
    code: str,
    name: str,
    body: str,
    audience: str = SmsTemplate.Audience.DEBTOR,
    purpose: str = "reminder",
    aliyun_template_code: str = "",
    tencent_template_id: str = "",
    active: bool = True,
) -> SmsTemplate:
    """Create or change a template. Only the centre edits templates: every bank's reminders go out
    under the centre's signature."""
    viewer = viewer_for(actor) if actor is not None else None
    if viewer is not None and (not viewer.is_center or viewer.read_only):
        raise PermissionDenied("只有调处中心可以维护短信模板")
    if audience not in SmsTemplate.Audience.values:
        raise ApplicationError("未知的发送对象", code="invalid_audience")
    template_check(body=body, audience=audience)
    code = (code or "").strip()
    if not code or not name.strip():
        raise ApplicationError("请填写模板代码和名称", code="invalid_template")
    template, _ = SmsTemplate.objects.update_or_create(
        code=code,
        defaults={
            "name": name.strip()[:60],
            "body": body.strip(),
            "audience": audience,
            "purpose": purpose,
            "aliyun_template_code": aliyun_template_code.strip(),
            "tencent_template_id": tencent_template_id.strip(),
            "active": active,
        },
    )
    return template


def outbox_for_phone(phone: str, *, purpose: str | None = None):
    qs = OutboundMessage.objects.filter(to_hash=lookup_hash(normalize_mobile(phone)))
    return qs.filter(purpose=purpose) if purpose else qs
