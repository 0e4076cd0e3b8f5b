from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from jiefen.audit.models import RevealLog
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.common.identifiers import IdentifierError, normalize_id_card, normalize_mobile, normalize_uscc
from jiefen.orgs.access import viewer_for

from .models import Party, PartyPhone


def normalize_party_id(kind: str, raw: str) -> str:
    if not raw:
        return ""
    try:
        return normalize_uscc(raw) if kind == Party.Kind.ENTERPRISE else normalize_id_card(raw)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_id") from exc


def party_get_or_create(
    *,
    owner,
    kind: str,
    name: str,
    id_number: str = "",
    phones: Sequence[str] = (),
    source: str = PartyPhone.Source.IMPORT,
) -> Party:
    """Find the owner's record of this person by ID (keyed hash), or create it; add new phones."""
    id_number = normalize_party_id(kind, id_number)
    name = name.strip()
    if not name:
        raise ApplicationError("姓名/名称不能为空", code="invalid_name")
    party = None
    id_hash = lookup_hash(id_number)
    if id_hash:
        party = Party.objects.filter(owner=owner, id_hash=id_hash).first()
    if party is None:
        party = Party.objects.create(owner=owner, kind=kind, name=name, id_number=id_number, id_hash=id_hash)
    for raw in phones:
        party_add_phone(party=party, number=raw, source=source)
    return party


def party_add_phone(*, party: Party, number: str, source: str) -> PartyPhone:
    try:
        number = normalize_mobile(number)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    phone, _ = PartyPhone.objects.get_or_create(
        party=party, number_hash=lookup_hash(number), defaults={"number": number, "source": source}
    )
    return phone


REVEALABLE = {"id_number": "证件号码", "phone": "联系电话"}


def party_get_for_user(user, party_id: int) -> Party:
    """A party is visible to whoever can see one of its cases (and to the centre)."""
    from jiefen.cases.selectors import case_queryset_for

    viewer = viewer_for(user)
    qs = Party.objects.all()
    if not viewer.sees_everything:
        qs = qs.filter(pk__in=case_queryset_for(viewer).values("debtor_id"))
    try:
        return qs.get(pk=party_id)
    except (Party.DoesNotExist, ValueError):
        raise NotFound("当事人不存在或您无权查看") from None


@transaction.atomic
def party_reveal(
    *, actor, party_id: int, field: str, reason: str, ip: str | None = None, phone_id: int | None = None
) -> str:
    """Show one full identifier, and write down who saw it, when and why (PIPL Art 51)."""
    if field not in REVEALABLE:
        raise ApplicationError("不能查看该字段", code="invalid_field")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApplicationError("查看完整信息须填写事由", code="reason_required")
    viewer = viewer_for(actor)
    if viewer.roles <= {"viewer"} and not viewer.is_center:
        raise NotFound("当事人不存在或您无权查看")
    party = party_get_for_user(actor, party_id)
    if field == "id_number":
        value = party.id_number
    else:
        phone = party.phones.filter(pk=phone_id).first() if phone_id else party.phones.first()
        if phone is None:
            raise NotFound("没有这个号码")
        value = phone.number
    RevealLog.objects.create(actor=actor, party=party, field=field, reason=reason[:200], ip=ip)
    return value
