"""Fixtures of the credit station: a second bank's liaison, a small relief catalog, applicants."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from jiefen.common.clock import SHANGHAI
from jiefen.credit import services
from jiefen.credit.models import ReliefMeasure
from jiefen.orgs.roles import Role
from jiefen.outreach.services import outbox_for_phone
from tests.factories import user

ID_A = "350503199001011236"  # valid GB 11643 check character (Quanzhou, Fengze)
PHONE_A = "13800138000"
PHONE_B = "13900139000"
USCC = "91350500MA2Y0XXY4L"


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> dt.datetime:
    """An aware Shanghai time: the station's days are Shanghai days."""
    return dt.datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


def last_code(phone: str) -> str:
    """The one-time code the phone received (the offline outbox keeps it, as the demo does)."""
    text = outbox_for_phone(phone, purpose="otp").order_by("-id").first().text
    return re.search(r"验证码(\d{6})", text).group(1)


def person(name: str = "陈晓东", id_number: str = ID_A) -> services.ApplicantIn:
    return services.ApplicantIn(kind="individual", name=name, id_number=id_number)


def consent() -> services.ConsentIn:
    return services.ConsentIn(general=True, sensitive=True, ip="10.0.0.8")


def file_dispute(inst, *, phone: str = PHONE_A, now=None, items=None, applicant=None):
    return services.dispute_submit(
        phone=phone,
        applicant=applicant or person(),
        consent=consent(),
        institution_id=inst.pk,
        items=items
        or [
            services.ItemIn(
                kind="credit_transaction",
                description="2025年6月的逾期记录不属实，当月已按时还款",
                account_ref="卡尾号1234",
            )
        ],
        now=now,
    )


def measure(inst, line: str, kind: str, name: str, **fields) -> ReliefMeasure:
    data = {"product_line": line, "kind": kind, "name": name, **fields}
    return ReliefMeasure.objects.create(institution=inst, **services.measure_clean(data))


@pytest.fixture
def station(world):
    """The world plus bank B's liaison and manager, and a small catalog at both banks."""
    world.b_liaison = user("b_liaison", world.bank_b, Role.DISPUTE_LIAISON)
    world.b_manager = user("b_manager", world.bank_b, Role.INST_MANAGER)
    world.a_card_instalments = measure(
        world.bank_a,
        "credit_card",
        "instalments",
        "甲行信用卡个性化分期",
        max_months=60,
        monthly_fee_pct="0.25",
        penalty_waiver_pct="100",
        hardship_reasons=["illness", "income_loss"],
        min_overdue_days=30,
    )
    world.a_card_waiver = measure(
        world.bank_a,
        "credit_card",
        "waiver",
        "甲行一次性结清减免",
        interest_waiver_pct="50",
        penalty_waiver_pct="100",
        fee_waiver_pct="100",
        min_overdue_days=90,
    )
    world.b_loan_extension = measure(
        world.bank_b,
        "personal_loan",
        "extension",
        "乙行个人贷款展期",
        max_months=36,
        annual_rate_pct="3.6",
        max_overdue_days=90,
    )
    world.b_loan_grace = measure(
        world.bank_b,
        "personal_loan",
        "grace",
        "乙行宽限本息偿还计划",
        max_months=24,
        grace_months=3,
        annual_rate_pct="4.2",
        hardship_reasons=["income_loss"],
    )
    return world


def two_bank_debts(world) -> list[services.DebtIn]:
    return [
        services.DebtIn(
            institution_id=world.bank_a.pk,
            product_line="credit_card",
            principal="30000",
            interest="2400",
            penalty="1200",
            fees="300",
            overdue_days=75,
            contract_ref="卡尾号8888",
        ),
        services.DebtIn(
            institution_id=world.bank_b.pk,
            product_line="personal_loan",
            principal="60000",
            interest="1800",
            penalty="600",
            overdue_days=45,
            original_term_months=24,
            contract_ref="乙贷2024-001",
        ),
    ]


def hardship(**kw) -> services.HardshipIn:
    defaults = {"reasons": ["income_loss"], "monthly_income": "9000", "essential_expenses": "4500"}
    return services.HardshipIn(**{**defaults, **kw})
