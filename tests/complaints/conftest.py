import datetime as dt

import pytest

from jiefen.common.clock import SHANGHAI
from jiefen.complaints.services import channel_for_branch, complaint_submit
from jiefen.orgs.models import Branch, Membership
from jiefen.orgs.roles import Role
from tests.factories import user

PHONE = "13800138000"


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in Shanghai, e.g. at("2026-03-02")."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=SHANGHAI)


class Desk:
    """Bank A's complaint people: the 丰泽 branch executive, a second branch and its executive, the
    complaint desk, and the head office (world.a_manager, a manager without a branch)."""

    def __init__(self, world):
        self.world = world
        self.branch = world.branch_a
        self.branch2 = Branch.objects.create(
            institution=world.bank_a, code="A-02", name="甲银行鲤城支行", region_code="350502"
        )
        self.exec = user("a_branch_exec", world.bank_a, Role.INST_MANAGER)
        Membership.objects.filter(user=self.exec).update(branch=self.branch)
        self.exec2 = user("a_branch2_exec", world.bank_a, Role.INST_MANAGER)
        Membership.objects.filter(user=self.exec2).update(branch=self.branch2)
        self.handler = user("a_handler", world.bank_a, Role.COMPLAINT_HANDLER)
        self.head = world.a_manager
        self.b_manager = user("b_manager", world.bank_b, Role.INST_MANAGER)

    def file(self, *, branch=None, when=None, phone=PHONE, text=None, **extra):
        channel = channel_for_branch(branch or self.branch)
        return complaint_submit(
            channel=channel,
            phone=phone,
            category=extra.pop("category", "business"),
            description=text or "我到网点办理对公账户变更，因为资料不齐被拒绝办理，柜员态度也不好。",
            request=extra.pop("request", "希望告知需要补充哪些资料，尽快办理"),
            consent_personal=True,
            at=when or at("2026-03-02"),
            **extra,
        )


@pytest.fixture
def desk(world):
    return Desk(world)


def latest_code(phone: str) -> str:
    import re

    from jiefen.outreach.services import outbox_for_phone

    message = outbox_for_phone(phone, purpose="otp").order_by("-id").first()
    return re.search(r"验证码(\d{6})", message.text).group(1)


def verify_phone(browser_page, phone: str) -> None:
    """On the public code page: ask for a code, read it from the offline SMS outbox, enter it."""
    browser_page.wait_for_url("**/p/verify/**")
    browser_page.fill("input[name=phone]", phone)
    browser_page.click("button:has-text('获取验证码')")
    browser_page.wait_for_selector("input[name=code]")
    browser_page.fill("input[name=code]", latest_code(phone))
    browser_page.click("button:has-text('验证并继续')")
