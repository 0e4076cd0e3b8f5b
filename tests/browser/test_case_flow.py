import pytest

from jiefen.cases.models import Case
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bank_clerk_filters_opens_a_case_and_settles_it(page, live_server, world):
    mine = world.case(world.bank_a, path=["triage_simple"], product="small_loan")
    other_product = world.case(world.bank_a, path=["triage_simple"], product="credit_card")
    foreign = world.case(world.bank_b, path=["triage_simple"], product="small_loan")

    login(page, live_server, "a_staff", "pw-a_staff")
    page.click("text=案件")
    page.select_option("#f-product", "small_loan")
    page.wait_for_url("**product_type=small_loan**")
    results = page.locator("#results")
    results.get_by_text(mine.number).wait_for()
    assert other_product.number not in results.inner_text()
    assert foreign.number not in page.content()

    page.click(f"text={mine.number}")
    page.wait_for_url(f"**/cases/{mine.pk}/")
    assert mine.debtor.id_number not in page.content()
    page.click("summary:has-text('已全额还款，结案')")
    page.fill("details[open] textarea[name=reason]", "债务人已到柜面一次性结清")
    page.click("details[open] button[type=submit]")
    page.get_by_text("已办理").wait_for()
    assert "已结案" in page.inner_text("h1")
    assert "债务人已到柜面一次性结清" in page.inner_text("ol.timeline")
    assert Case.objects.get(pk=mine.pk).status == "closed"


def test_a_destructive_step_asks_for_confirmation(page, live_server, world):
    case = world.case(world.bank_a, path=["triage_simple"])
    login(page, live_server, "a_staff", "pw-a_staff")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.click("summary:has-text('撤回')")
    page.fill("details[open] textarea[name=reason]", "误推送")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("details[open] button[type=submit]")
    page.wait_for_timeout(300)
    assert Case.objects.get(pk=case.pk).status == "disposal"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("details[open] button[type=submit]")
    page.get_by_text("已办理").wait_for()
    assert Case.objects.get(pk=case.pk).status == "withdrawn"


def test_the_case_page_works_on_a_phone(phone_page, live_server, world):
    case = world.case(world.bank_a, path=["triage_simple"])
    login(phone_page, live_server, "a_staff", "pw-a_staff")
    phone_page.goto(f"{live_server.url}/cases/{case.pk}/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page is {width}px wide on a 375px phone"
    phone_page.click("summary:has-text('查看完整')")
    phone_page.fill("details[open] input[name=reason]", "电话核实身份")
    phone_page.click("details[open] button:has-text('查看')")
    phone_page.get_by_text(case.debtor.id_number).wait_for()
