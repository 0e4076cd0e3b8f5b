from __future__ import annotations

from django.utils import timezone

from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError
from jiefen.common.identifiers import IdentifierError, normalize_mobile

from .backends import get_backend
from .models import OutboundMessage

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
    result = backend.send(number, body)
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


def outbox_for_phone(phone: str, *, purpose: str | None = None):
    qs = OutboundMessage.objects.filter(to_hash=lookup_hash(normalize_mobile(phone)))
    return qs.filter(purpose=purpose) if purpose else qs
