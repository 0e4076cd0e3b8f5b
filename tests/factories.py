"""Personas in two institutions, and cases, built through the real services."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from jiefen.accounts.models import User
from jiefen.cases.services import case_assign, case_create, case_transition
from jiefen.demo.fake import id_number, mobile, person_name
from jiefen.orgs.models import Branch, Institution, Membership
from jiefen.orgs.roles import Role

_seq = itertools.count(1)
K = Institution.Kind


def institution(code: str, kind: str = K.BANK, name: str | None = None) -> Institution:
    inst, _ = Institution.objects.get_or_create(
        code=code, defaults={"name": name or code, "kind": kind, "region_code": "350500"}
    )
    return inst


def user(username: str, inst: Institution, role: str, **extra) -> User:
    u = User.objects.create_user(username=username, password="pw-" + username, display_name=username, **extra)
    Membership.objects.create(user=u, institution=inst, role=role)
    return u


class World:
    """center, bank_a, bank_b, court, pbc, regulator, mediation org — and one person per role."""

    def __init__(self):
        self.center = institution("CENTER", K.CENTER)
        self.bank_a = institution("BANK-A", K.BANK, "甲银行")
        self.bank_b = institution("BANK-B", K.BANK, "乙银行")
        self.court = institution("COURT", K.COURT, "丰泽法院")
        self.court2 = institution("COURT2", K.COURT, "另一法院")
        self.pbc = institution("PBC", K.PBC)
        self.regulator = institution("REG", K.REGULATOR)
        self.med_org = institution("MED", K.MEDIATION_ORG)
        self.branch_a = Branch.objects.create(
            institution=self.bank_a, code="A-01", name="甲银行丰泽支行", region_code="350503"
        )
        self.branch_b = Branch.objects.create(
            institution=self.bank_b, code="B-01", name="乙银行晋江支行", region_code="350582"
        )
        self.center_admin = user("center_admin", self.center, Role.CENTER_ADMIN, is_staff=True)
        self.center_staff = user("center_staff", self.center, Role.CENTER_STAFF)
        self.a_staff = user("a_staff", self.bank_a, Role.DISPOSAL_STAFF)
        self.a_manager = user("a_manager", self.bank_a, Role.INST_MANAGER)
        self.a_liaison = user("a_liaison", self.bank_a, Role.DISPUTE_LIAISON)
        self.b_staff = user("b_staff", self.bank_b, Role.DISPOSAL_STAFF)
        self.mediator = user("mediator", self.med_org, Role.MEDIATOR)
        self.mediator2 = user("mediator2", self.med_org, Role.MEDIATOR)
        self.judge = user("judge", self.court, Role.JUDGE)
        self.judge2 = user("judge2", self.court2, Role.JUDGE)
        self.pbc_officer = user("pbc_officer", self.pbc, Role.PBC_OFFICER)
        self.viewer = user("viewer", self.regulator, Role.VIEWER)

    def case(
        self,
        inst: Institution | None = None,
        *,
        path: list[str] = (),
        product: str = "credit_card",
        principal="10000",
        phones=None,
        actor=None,
    ):
        inst = inst or self.bank_a
        rng = random.Random(next(_seq))
        c = case_create(
            actor=actor,
            institution=inst,
            branch=inst.branches.first(),
            debtor_kind="individual",
            debtor_name=person_name(rng),
            debtor_id_number=id_number(rng),
            debtor_phones=[mobile(rng)] if phones is None else phones,
            product_type=product,
            contract_no=f"C-{next(_seq):06d}",
            claim={
                "principal": Decimal(principal),
                "interest": Decimal("500.00"),
                "penalty_interest": Decimal("120.50"),
            },
        )
        bank_staff = self.a_staff if inst == self.bank_a else self.b_staff
        for action in path:
            if action == "@mediator":
                case_assign(actor=self.center_admin, case_id=c.pk, mediator=self.mediator, reason="指定")
                continue
            actor = {
                "triage_simple": self.center_staff,
                "triage_complex": self.center_staff,
                "start_mediation": self.mediator,
                "mediation_agreed": self.mediator,
                "mediation_fail": self.mediator,
                "confirm": self.judge,
                "reject_confirmation": self.judge,
                "judge": self.judge,
                "close_enforcement": self.judge,
            }.get(action, bank_staff)
            c = case_transition(actor=actor, case_id=c.pk, action=action, reason="测试", court=self.court)
        return c
