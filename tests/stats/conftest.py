"""Cases with a controlled timeline, so every figure can be computed by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest

from jiefen.cases.models import Case
from jiefen.cases.services import case_assign, case_create, case_transition
from jiefen.common.clock import SHANGHAI
from jiefen.demo.fake import id_number, mobile, person_name

_seq = itertools.count(1)


def local(y, m, d, h=10, mi=0) -> dt.datetime:
    """An aware datetime at Shanghai wall-clock time."""
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def on(day: dt.date, h=10, mi=0) -> dt.datetime:
    return local(day.year, day.month, day.day, h, mi)


class Timeline:
    def __init__(self, world):
        self.world = world

    def case(self, inst=None, *, at, product="credit_card", principal="1000.00", interest="0", steps=()):
        """A case created at `at`, then moved through `steps`: (action, when) pairs, or a callable
        (case) -> (action, when) for steps that depend on the case's deadline."""
        w = self.world
        inst = inst or w.bank_a
        rng = random.Random(next(_seq))
        case = case_create(
            actor=None,
            institution=inst,
            branch=inst.branches.first(),
            debtor_kind="individual",
            debtor_name=person_name(rng),
            debtor_id_number=id_number(rng),
            debtor_phones=[mobile(rng)],
            product_type=product,
            contract_no=f"T-{next(_seq):06d}",
            claim={"principal": Decimal(principal), "interest": Decimal(interest)},
            at=at,
        )
        staff = w.a_staff if inst == w.bank_a else w.b_staff
        for step in steps:
            if callable(step):
                step = step(Case.objects.get(pk=case.pk))
            action, when = step
            if action == "start_mediation":
                case_assign(actor=w.center_admin, case_id=case.pk, mediator=w.mediator, reason="指定")
            actor = {
                "triage_simple": w.center_staff,
                "triage_complex": w.center_staff,
                "start_mediation": w.mediator,
                "mediation_agreed": w.mediator,
                "mediation_fail": w.mediator,
                "confirm": w.judge,
                "reject_confirmation": w.judge,
                "judge": w.judge,
                "close_enforcement": w.judge,
            }.get(action, staff)
            case = case_transition(
                actor=actor, case_id=case.pk, action=action, reason="测试", court=w.court, at=when
            )
        return Case.objects.get(pk=case.pk)


@pytest.fixture
def timeline(world):
    return Timeline(world)


def due_plus(days: int, h=10):
    """A step taken `days` after the current stage's deadline (0 = on the deadline day itself)."""

    def step(action):
        return lambda case: (action, on(case.stage_due_on + dt.timedelta(days=days), h))

    return step
