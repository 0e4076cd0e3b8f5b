"""SMS gateways behind one small interface.

The default, `OutboxBackend`, delivers nowhere: messages stay in the platform's outbox (visible in the
admin and, in demo mode, to whoever needs the code), so the whole platform runs offline. Adapters for
real providers subclass `SmsBackend` and are picked with JIEFEN_SMS_BACKEND (a dotted path).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    delivered: bool = False  # True when the gateway confirms delivery synchronously


class SmsBackend:
    name = "base"

    def send(self, to: str, text: str) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError


class OutboxBackend(SmsBackend):
    """Offline: the message is stored and shown in the outbox; nothing leaves the machine."""

    name = "outbox"

    def send(self, to: str, text: str) -> SendResult:
        return SendResult(ok=True, provider_id="outbox-" + uuid.uuid4().hex[:12], delivered=True)


_backend: SmsBackend | None = None


def get_backend() -> SmsBackend:
    global _backend
    path = getattr(settings, "JIEFEN_SMS_BACKEND", "jiefen.outreach.backends.OutboxBackend")
    if _backend is None or f"{type(_backend).__module__}.{type(_backend).__qualname__}" != path:
        _backend = import_string(path)()
    return _backend
