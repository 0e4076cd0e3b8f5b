"""Identity for the public: a one-time code to the phone (no passwords), kept in the session.

Also signed links (a mediation room, a document to be served) that open without any login.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.core import signing
from django.db import transaction
from django.utils import timezone

from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError
from jiefen.common.identifiers import IdentifierError, normalize_mobile
from jiefen.outreach.services import sms_send

from .models import PhoneChallenge

CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5  # wrong guesses per code
MAX_CODES_PER_HOUR = 5  # per phone, against SMS bombing
SESSION_TTL = dt.timedelta(hours=2)
PURPOSE_TEXT = {
    "portal": "登录解纷公众服务",
    "complaint": "提交投诉",
    "mediation": "进入调解室",
    "sign": "签署文书",
    "service": "确认送达",
}


def _phone(raw: str) -> str:
    try:
        return normalize_mobile(raw)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc


def _hash_code(phone: str, code: str) -> str:
    return lookup_hash(f"otp:{phone}:{code}")


@transaction.atomic
def otp_request(*, phone: str, purpose: str = "portal", ip: str | None = None) -> PhoneChallenge:
    phone = _phone(phone)
    now = timezone.now()
    recent = PhoneChallenge.objects.filter(
        phone_hash=lookup_hash(phone), created_at__gte=now - dt.timedelta(hours=1)
    )
    if recent.count() >= MAX_CODES_PER_HOUR:
        raise ApplicationError("验证码发送过于频繁，请一小时后再试", code="otp_rate_limited", status=429)
    last = recent.order_by("-created_at").first()
    if last and (now - last.created_at).total_seconds() < 60:
        raise ApplicationError("验证码已发送，请60秒后再重新获取", code="otp_too_soon", status=429)
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = PhoneChallenge.objects.create(
        phone_hash=lookup_hash(phone),
        purpose=purpose,
        code_hash=_hash_code(phone, code),
        ip=ip,
        expires_at=now + CODE_TTL,
    )
    action = PURPOSE_TEXT.get(purpose, "验证身份")
    sms_send(
        to=phone,
        text=f"您正在{action}，验证码{code}，5分钟内有效。工作人员不会索要验证码，请勿告诉他人。",
        purpose="otp",
        secret=code,
    )
    return challenge


def otp_verify(*, phone: str, code: str, purpose: str = "portal") -> str:
    """Check the code; return the normalised phone. Each code works once, for five minutes, five tries."""
    phone = _phone(phone)
    # The failed attempt must be counted even though the call fails: decide inside the transaction,
    # raise after it has committed.
    with transaction.atomic():
        challenge = (
            PhoneChallenge.objects.select_for_update()
            .filter(phone_hash=lookup_hash(phone), purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if challenge is None or challenge.expires_at < timezone.now():
            failure = ("验证码已过期，请重新获取", "otp_expired")
        elif challenge.attempts >= MAX_ATTEMPTS:
            failure = ("错误次数过多，请重新获取验证码", "otp_locked")
        elif not hmac.compare_digest(challenge.code_hash, _hash_code(phone, (code or "").strip())):
            challenge.attempts += 1
            challenge.save(update_fields=["attempts"])
            failure = ("验证码不正确", "otp_wrong")
        else:
            challenge.used_at = timezone.now()
            challenge.save(update_fields=["used_at"])
            failure = None
    if failure:
        raise ApplicationError(failure[0], code=failure[1])
    return phone


def public_login(request, phone: str) -> None:
    request.session.cycle_key()
    request.session["public_phone"] = phone
    request.session["public_phone_at"] = timezone.now().isoformat()


def public_phone(request) -> str | None:
    """The phone this browser proved within the last two hours, or None."""
    phone = request.session.get("public_phone")
    at = request.session.get("public_phone_at")
    if not phone or not at:
        return None
    if timezone.now() - dt.datetime.fromisoformat(at) > SESSION_TTL:
        return None
    return phone


def public_logout(request) -> None:
    for key in ("public_phone", "public_phone_at"):
        request.session.pop(key, None)


# Signed links: a person opens a room or a document from an SMS without any account.
def signed_token(purpose: str, payload: dict) -> str:
    return signing.dumps(payload, salt=f"jiefen.link.{purpose}", compress=True)


def read_signed_token(purpose: str, token: str, *, max_age: dt.timedelta) -> dict:
    try:
        return signing.loads(token, salt=f"jiefen.link.{purpose}", max_age=max_age)
    except signing.SignatureExpired:
        raise ApplicationError(
            "链接已过期，请联系工作人员重新发送", code="link_expired", status=403
        ) from None
    except signing.BadSignature:
        raise ApplicationError("链接无效", code="link_invalid", status=403) from None
