"""Shared steps for the mediation, litigation and evidence tests: real services, real clocks."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from decimal import Decimal

from jiefen.cases.services import case_create, case_transition
from jiefen.common.clock import SHANGHAI
from jiefen.demo.fake import id_number, mobile, person_name
from jiefen.mediation.models import MediatorProfile
from jiefen.mediation.services import (
    agreement_conclude,
    agreement_create,
    agreement_sign,
    agreement_sign_request,
    mediation_accept,
    mediation_assign,
)
from jiefen.outreach.models import OutboundMessage

_counter = itertools.count(500)


def make_profiles(world):
    p1 = MediatorProfile.objects.create(
        user=world.mediator,
        organisation=world.med_org,
        qualifications=["law"],
        specialties=["credit_card"],
        region_code="350503",
        max_caseload=5,
    )
    p2 = MediatorProfile.objects.create(
        user=world.mediator2,
        organisation=world.med_org,
        qualifications=["finance"],
        specialties=["small_loan"],
        region_code="350582",
        max_caseload=5,
    )
    return p1, p2


def last_code(phone: str) -> str:
    for m in OutboundMessage.objects.order_by("-id"):
        if m.to == phone and "验证码" in m.text:
            return re.search(r"验证码(\d{6})", m.text).group(1)
    raise AssertionError("no code sent")


def shanghai(y, m, d, hour=10) -> dt.datetime:
    return dt.datetime(y, m, d, hour, tzinfo=SHANGHAI)


def pending_case_at(world, at: dt.datetime, *, product: str = "credit_card", inst=None):
    """A case created and sent to mediation at a given (past) moment, so clocks can be pinned."""
    n = next(_counter)
    rng = random.Random(n)
    inst = inst or world.bank_a
    case = case_create(
        actor=None,
        institution=inst,
        branch=inst.branches.first(),
        debtor_kind="individual",
        debtor_name=person_name(rng),
        debtor_id_number=id_number(rng),
        debtor_phones=[mobile(rng)],
        product_type=product,
        contract_no=f"P-{n:06d}",
        claim={
            "principal": Decimal("10000"),
            "interest": Decimal("500"),
            "penalty_interest": Decimal("120.50"),
        },
        at=at,
    )
    return case_transition(
        actor=world.center_staff, case_id=case.pk, action="triage_complex", reason="复杂", at=at
    )


def mediating_case(world, **kw):
    case = world.case(world.bank_a, path=["triage_complex"], **kw)
    mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐第一位")
    mediation_accept(actor=world.mediator, case_id=case.pk)
    case.refresh_from_db()
    return case


def debtor_phone(case) -> str:
    return case.debtor.phones.first().number


def sign_both(world, agreement, *, creditor_phone="13900000001"):
    phone = debtor_phone(agreement.case)
    agreement_sign_request(agreement=agreement, side="debtor", phone=phone)
    agreement_sign(
        agreement_id=agreement.pk, side="debtor", phone=phone, code=last_code(phone), ip="10.0.0.8"
    )
    agreement_sign_request(agreement=agreement, side="creditor", phone=creditor_phone)
    agreement_sign(
        agreement_id=agreement.pk,
        side="creditor",
        phone=creditor_phone,
        code=last_code(creditor_phone),
        user=world.a_staff,
    )
    agreement.refresh_from_db()
    return agreement


def agreed_case(world, *, kind="instalments", count=6, render="txt"):
    case = mediating_case(world)
    agreement = agreement_create(actor=world.mediator, case_id=case.pk, kind=kind, count=count, render=render)
    sign_both(world, agreement)
    agreement_conclude(actor=world.mediator, agreement_id=agreement.pk)
    case.refresh_from_db()
    agreement.refresh_from_db()
    return case, agreement


def agreed_case_at(world, effective_at: dt.datetime, *, count: int = 3):
    """A case whose agreement took effect at a pinned moment (signatures replayed without codes)."""
    from jiefen.mediation.services import signature_record

    start = effective_at - dt.timedelta(days=10)
    case = pending_case_at(world, start)
    mediation_assign(
        actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="指定", at=start
    )
    mediation_accept(actor=world.mediator, case_id=case.pk, at=start + dt.timedelta(days=1))
    agreement = agreement_create(
        actor=world.mediator,
        case_id=case.pk,
        kind="instalments",
        count=count,
        render="txt",
        at=effective_at - dt.timedelta(days=2),
    )
    for side in ("debtor", "creditor"):
        signature_record(
            agreement=agreement,
            side=side,
            label=side,
            phone_hash="0" * 64,
            phone_masked="138****0000",
            code_hash="1" * 64,
            at=effective_at,
        )
    agreement_conclude(actor=world.mediator, agreement_id=agreement.pk)
    case.refresh_from_db()
    agreement.refresh_from_db()
    return case, agreement
