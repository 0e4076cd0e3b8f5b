"""SMS gateways behind one small interface.

The default, `OutboxBackend`, delivers nowhere: messages stay in the platform's outbox (visible in the
admin and, in demo mode, to whoever needs the code), so the whole platform runs offline. Adapters for
real providers subclass `SmsBackend` and are picked with JIEFEN_SMS_BACKEND (a dotted path):
`jiefen.outreach.providers.AliyunSmsBackend` or `jiefen.outreach.providers.TencentSmsBackend`.

Chinese gateways send approved templates, not free text: a templated send passes a `TemplateRef`
(the provider's template code and the variables); a plain-text send (one-time codes) goes through the
provider's one-variable text template named in the environment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    delivered: bool = False  # True when the gateway confirms delivery synchronously


@dataclass
class TemplateRef:
    """A provider-side template: codes per provider and the variables in the template's order."""

    aliyun_code: str = ""
    tencent_id: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class DeliveryReport:
    provider_id: str
    delivered: bool
    error: str = ""


class SmsBackend:
    name = "base"

    def send(
        self, to: str, text: str, *, template: TemplateRef | None = None
    ) -> SendResult:  # pragma: no cover
        raise NotImplementedError

    def delivery_reports(self, messages) -> list[DeliveryReport]:
        """Ask the gateway what became of messages it accepted (those still `sent`)."""
        return []


class OutboxBackend(SmsBackend):
    """Offline: the message is stored and shown in the outbox; nothing leaves the machine."""

    name = "outbox"

    def send(self, to: str, text: str, *, template: TemplateRef | None = None) -> SendResult:
        return SendResult(ok=True, provider_id="outbox-" + uuid.uuid4().hex[:12], delivered=True)


_backend: SmsBackend | None = None


def get_backend() -> SmsBackend:
    global _backend
    path = getattr(settings, "JIEFEN_SMS_BACKEND", "jiefen.outreach.backends.OutboxBackend")
    if _backend is None or f"{type(_backend).__module__}.{type(_backend).__qualname__}" != path:
        _backend = import_string(path)()
    return _backend
