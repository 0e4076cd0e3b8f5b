"""The two paths of the issue, walked in a real browser by each person in turn.

1. The centre assigns a recommended mediator; the debtor joins from a link on a phone-sized screen;
   evidence is exchanged; a plan with a waiver is computed and signed by code; the judge confirms it;
   a payment is missed and the case moves to enforcement.
2. Another case fails mediation and lands in the court's queue as a package.

The test server speaks only HTTP, so the room falls back to polling here, as it would behind a proxy
without websockets.
"""

import datetime as dt

import pytest

from jiefen.cases.models import Case
from jiefen.evidence.models import EvidenceFile
from jiefen.evidence.services import ledger_verify
from jiefen.litigation.models import EnforcementCase, LitigationTransfer
from jiefen.mediation.models import Agreement, Message
from jiefen.mediation.services import mediation_accept, mediation_assign, performance_check
from tests.browser.conftest import login
from tests.mediation.helpers import debtor_phone, last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def desk(chromium):
    """A fresh desktop browser for each person (their own cookies)."""
    contexts = []

    def open_as(live_server, username):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        login(page, live_server, username, "pw-" + username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page is {width}px wide on a 375px phone"


def test_from_assignment_to_enforcement(desk, phone_page, live_server, world, profiles, tmp_path):
    case = world.case(world.bank_a, path=["triage_complex"])
    phone = debtor_phone(case)

    # The centre assigns the first recommended mediator, seeing why they are recommended.
    centre = desk(live_server, "center_staff")
    centre.goto(f"{live_server.url}/mediation/")
    centre.click(f"text={case.number}")
    first = centre.locator("#recommend .rec").first
    assert "擅长信用卡纠纷" in first.inner_text()
    first.locator("button:has-text('指定')").click()
    centre.get_by_text("已指定调解员").wait_for()
    assert Case.objects.get(pk=case.pk).mediator == world.mediator

    # The mediator accepts and takes the room link to send.
    mediator = desk(live_server, "mediator")
    mediator.goto(f"{live_server.url}/mediation/cases/{case.pk}/")
    mediator.click("button:has-text('接受委派')")
    mediator.get_by_text("已接受委派").wait_for()
    mediator.click("summary:has-text('发送调解室链接')")
    link = mediator.input_value("#room-link")

    # The debtor opens the link on a phone: no password. Messages and evidence go both ways.
    phone_page.goto(link)
    phone_page.get_by_text("线上调解室").first.wait_for()
    fits_the_phone(phone_page)
    phone_page.fill("#room-compose textarea", "我愿意分期，每月能还两千")
    phone_page.click("#room-compose button")
    phone_page.locator("#room-log").get_by_text("我愿意分期").wait_for()
    receipt = tmp_path / "收入证明.pdf"
    receipt.write_bytes(PDF)
    phone_page.set_input_files("input[type=file]", str(receipt))
    phone_page.click("button:has-text('上传并存证')")
    phone_page.get_by_text("证据已提交").wait_for()
    evidence = EvidenceFile.objects.get(case=case)
    assert evidence.sha256 in phone_page.content()

    mediator.goto(f"{live_server.url}/mediation/cases/{case.pk}/room/")
    mediator.locator("#room-log").get_by_text("我愿意分期").wait_for()
    assert "收入证明.pdf" in mediator.content()
    mediator.fill("#room-compose textarea", "收到，按分期方案为您测算")
    mediator.click("#room-compose button")
    # The phone's log refreshes by itself and shows the mediator read the debtor's message.
    phone_page.locator("#room-log").get_by_text("收到，按分期方案为您测算").wait_for(timeout=15_000)
    phone_page.locator("#room-log").get_by_text("调解员已读").first.wait_for(timeout=15_000)

    # The plan: 6 instalments, half the penalty interest waived under the bank's policy.
    mediator.goto(f"{live_server.url}/mediation/cases/{case.pk}/agreement/")
    mediator.fill("input[name=count]", "6")
    mediator.locator("#plan-saving").wait_for()
    assert "60.25" in mediator.inner_text("#plan-saving")
    mediator.click("button:has-text('生成协议')")
    mediator.get_by_text("已生成调解协议").wait_for()
    agreement = Agreement.objects.get(case=case)
    assert agreement.waived_penalty > 0 and agreement.instalments.count() == 6

    # The debtor signs by a code sent to their phone, seeing what they save.
    phone_page.reload()
    phone_page.click("text=查看并签署")
    assert "60.25" in phone_page.inner_text("#saving")
    fits_the_phone(phone_page)
    phone_page.fill("input[name=phone]", phone)
    phone_page.click("button:has-text('获取签署验证码')")
    phone_page.fill("input[name=code]", last_code(phone))
    phone_page.click("button:has-text('确认签署')")
    phone_page.get_by_text("签署成功").wait_for()

    # The bank's representative signs the same way; then the mediator closes the mediation.
    bank = desk(live_server, "a_staff")
    bank.goto(f"{live_server.url}/mediation/agreements/{agreement.pk}/")
    bank.fill("#creditor-sign input[name=phone]", "13900001234")
    bank.click("#creditor-sign button")
    bank.fill("#creditor-sign input[name=code]", last_code("13900001234"))
    bank.click("#creditor-sign button")
    bank.get_by_text("已签署").first.wait_for()
    mediator.goto(f"{live_server.url}/mediation/agreements/{agreement.pk}/")
    mediator.click("button:has-text('确认调解成功')")
    mediator.get_by_text("调解成功").first.wait_for()

    # Joint application for judicial confirmation; the judge confirms.
    mediator.click("text=申请司法确认 / 赋强公证")
    mediator.select_option("select[name=institution]", str(world.court.pk))
    mediator.click("button:has-text('双方共同申请')")
    mediator.get_by_text("已提交司法确认申请").wait_for()
    judge = desk(live_server, "judge")
    judge.goto(f"{live_server.url}/litigation/")
    judge.locator("#confirmations").get_by_text(case.number).click()
    judge.click("button:has-text('裁定确认协议有效')")
    judge.get_by_text("已作出确认").wait_for()
    assert Case.objects.get(pk=case.pk).enforceable

    # Performance: the first instalment is paid, the second is missed.
    bank.goto(f"{live_server.url}/mediation/agreements/{agreement.pk}/")
    bank.click("button:has-text('开始履行')")
    bank.get_by_text("已开始履行").wait_for()
    first_amount = agreement.instalments.get(seq=1).amount
    bank.fill("#payment-form input[name=amount]", str(first_amount))
    bank.click("#payment-form button")
    bank.get_by_text("已登记还款").wait_for()
    # The daily check runs a month after the second due date.
    second_due = agreement.instalments.get(seq=2).due_on
    assert performance_check(today=second_due + dt.timedelta(days=30))["flagged"] == 1
    bank.goto(f"{live_server.url}/mediation/performance/?problems=1")
    bank.get_by_text("违约预警", exact=True).wait_for()
    bank.click(f"text={agreement.number}")
    bank.fill("details[open] textarea[name=reason]", "第2期逾期超过宽限期未还")
    bank.click("button:has-text('登记违约')")
    bank.get_by_text("已登记违约").wait_for()
    bank.click("text=申请强制执行")
    bank.click("button:has-text('申请强制执行')")
    bank.get_by_text("已申请强制执行").wait_for()

    case.refresh_from_db()
    assert case.status == "enforcement"
    enforcement = EnforcementCase.objects.get(case=case)
    assert enforcement.basis == "confirmation" and enforcement.amount_sought == agreement.total - first_amount
    assert Message.objects.filter(mediation__case=case, side="debtor").exists()
    assert ledger_verify().ok


def test_a_failed_mediation_lands_in_the_court_queue_as_a_package(desk, live_server, world, profiles):
    case = world.case(world.bank_a, path=["triage_complex"])
    mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="推荐")
    mediation_accept(actor=world.mediator, case_id=case.pk)

    mediator = desk(live_server, "mediator")
    mediator.goto(f"{live_server.url}/mediation/cases/{case.pk}/")
    mediator.click("summary:has-text('调解不成')")
    mediator.fill("details[open] textarea[name=reason]", "债务人拒绝任何还款方案")
    mediator.click("button:has-text('确认调解不成')")
    mediator.get_by_text("已记录调解不成").wait_for()

    bank = desk(live_server, "a_staff")
    bank.goto(f"{live_server.url}/mediation/cases/{case.pk}/")
    bank.click("text=一键移送诉讼 / 仲裁")
    assert "债务人拒绝任何还款方案" in bank.input_value("textarea[name=reason]")
    bank.select_option("select[name=institution]", str(world.court.pk))
    bank.click("button:has-text('一键移送')")
    bank.get_by_text("材料包已生成并存证").wait_for()

    transfer = LitigationTransfer.objects.get(case=case)
    assert Case.objects.get(pk=case.pk).status == "litigation"

    judge = desk(live_server, "judge")
    judge.goto(f"{live_server.url}/litigation/")
    judge.locator("#transfers").get_by_text(case.number).click()
    with judge.expect_download() as download:
        judge.click(f"text={transfer.package.filename}")
    assert download.value.suggested_filename.endswith(".zip")
    judge.fill("input[name=filing_number]", "（2026）闽0503民初88号")
    judge.click("button:has-text('立案')")
    judge.get_by_text("已登记立案").wait_for()
    assert LitigationTransfer.objects.get(pk=transfer.pk).state == "filed"

    # Another court's judge does not see it.
    other = desk(live_server, "judge2")
    other.goto(f"{live_server.url}/litigation/")
    assert case.number not in other.content()
