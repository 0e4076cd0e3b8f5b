"""Tried as a new user would, on a phone-sized browser (375 px, inside WeChat in real life):
a dispute and a statement, the bank's answer on day 12 and the reply letter; a two-bank plan chosen,
signed with a phone code, confirmed, its reporting-update tasks done; a task left undone escalates."""

import datetime as dt
import re

import pytest
from django.db.models import F

from jiefen.common import clock, rules
from jiefen.credit import services
from jiefen.credit.models import CreditDispute, Escalation, ReportingTask
from jiefen.outreach.services import outbox_for_phone
from jiefen.public.models import PhoneChallenge
from tests.browser.conftest import login

from .conftest import ID_A, PHONE_A, PHONE_B, at, last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page is {width}px wide on a 375px phone"


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    login(page, live_server, username, f"pw-{username}")


def verify_phone(page, phone):
    """The portal's one-time code: the person reads it from their phone (here, the offline outbox)."""
    page.wait_for_url("**/p/verify/**")
    page.fill("input[name=phone]", phone)
    page.click("button:has-text('获取验证码')")
    page.fill("input[name=code]", last_code(phone))
    page.click("button:has-text('验证并继续')")


def test_a_person_files_a_dispute_and_a_statement_and_the_reply_letter_arrives_on_day_12(
    phone_page, page, live_server, station
):
    p = phone_page
    p.goto(live_server.url + "/p/")
    p.click("text=信用救助申请")
    fits(p)
    p.click("text=征信异议")
    verify_phone(p, PHONE_A)
    p.wait_for_url("**/credit/p/apply/dispute/")
    fits(p)
    p.fill("input[name=name]", "陈晓东")
    p.fill("input[name=id_number]", ID_A)
    p.select_option("select[name=institution]", label="甲银行")
    p.fill("input[name=item-1-account_ref]", "卡尾号1234")
    p.fill("textarea[name=item-1-description]", "2025年6月的逾期记录不属实，当月已按时还款")
    p.set_input_files(
        "input[name=item-1-files]",
        files=[{"name": "还款流水.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 demo"}],
    )
    p.check("input[name=consent]")
    p.check("input[name=sensitive_consent]")
    p.click("button:has-text('提交')")
    p.wait_for_url("**/credit/p/a/XY*/")
    number = p.inner_text("#app-number")
    body = p.inner_text("body")
    assert "收到后第 0 天" in body and "征信权益告知单" in body and "收费“征信修复”" in body
    fits(p)
    dispute = CreditDispute.objects.get(application__number=number)
    assert dispute.annotation == "marked"
    assert bytes(dispute.items.get().attachments.get().content) == b"%PDF-1.4 demo"
    assert "已受理" in outbox_for_phone(PHONE_A, purpose="credit").latest("id").text

    # The same person adds a personal statement from the portal's statement form.
    p.goto(live_server.url + "/credit/p/apply/statement/")
    p.fill("input[name=name]", "陈晓东")
    p.fill("input[name=id_number]", ID_A)
    p.select_option("select[name=institution]", label="甲银行")
    p.fill("textarea[name=text]", "2024年3月至5月住院治疗，未能按时还款，出院后已全部结清。")
    p.check("input[name=consent]")
    p.check("input[name=sensitive_consent]")
    p.click("button:has-text('提交')")
    p.wait_for_url("**/credit/p/a/XY*/")
    assert "待审核" in p.inner_text("#statements")

    # Twelve days pass (the record is moved back in time, as the clock would have counted it).
    received = dispute.received_at - dt.timedelta(days=12)
    CreditDispute.objects.filter(pk=dispute.pk).update(
        received_at=received,
        due_on=rules.due("credit.dispute_reply", received),
        escalate_on=services.dispute_escalate_on(received),
    )
    dispute.refresh_from_db()

    # Day 12: bank A's liaison answers from the desk.
    sign_in(page, live_server, "a_liaison")
    page.click("text=征信异议")
    page.click(f"text={number}")
    assert "收到后第 12 天" in page.inner_text("#clock")
    page.select_option("select[name^=outcome-]", "corrected")
    page.fill("textarea[name^=note-]", "调取还款流水核对：当月已足额还款，系扣款系统故障")
    page.fill("textarea[name=reply_text]", "经核查，该期逾期记录有误，已更正为正常还款。")
    page.click("button:has-text('提交书面答复')")
    page.get_by_text("已书面答复").first.wait_for()
    assert CreditDispute.objects.get(pk=dispute.pk).answered_on_time

    # The reply letter arrives by SMS: the person opens the link on the phone.
    sms = outbox_for_phone(PHONE_A, purpose="credit").latest("id").text
    link = re.search(r"(/credit/p/letter/[^/\s]+/)", sms).group(1)
    p.goto(live_server.url + link)
    assert "征信异议处理答复函" in p.inner_text("body") and "已更正" in p.inner_text("body")
    fits(p)
    pdf = p.request.get(live_server.url + p.get_attribute("a:has-text('.pdf')", "href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    # On the application page: satisfied, done.
    p.goto(f"{live_server.url}/credit/p/a/{number}/")
    p.click("button:has-text('满意，办结')")
    p.get_by_text("已收到您的反馈").wait_for()
    assert CreditDispute.objects.get(pk=dispute.pk).status == "closed"

    # The PBOC officer accepts the statement; the person sees it.
    sign_in(page, live_server, "pbc_officer")
    page.goto(live_server.url + "/credit/statements/")
    page.click("button:has-text('采纳')")
    page.get_by_text("已审核").wait_for()
    p.goto(live_server.url + "/credit/p/track/")
    p.click("p:has-text('个人声明') a")
    assert "已采纳" in p.inner_text("#statements")


def test_a_two_bank_plan_is_chosen_signed_confirmed_and_its_reporting_tasks_are_done(
    phone_page, page, live_server, station
):
    p = phone_page
    p.goto(live_server.url + "/credit/p/apply/rescue/")
    verify_phone(p, PHONE_B)
    p.wait_for_url("**/credit/p/apply/rescue/")
    p.fill("input[name=name]", "林美玲")
    p.fill("input[name=id_number]", "350503198502021235")
    p.select_option("select[name=debt-1-institution]", label="甲银行")
    p.select_option("select[name=debt-1-product_line]", "credit_card")
    p.fill("input[name=debt-1-principal]", "30000")
    p.fill("input[name=debt-1-interest]", "2400")
    p.fill("input[name=debt-1-penalty]", "1200")
    p.fill("input[name=debt-1-overdue_days]", "75")
    p.select_option("select[name=debt-2-institution]", label="乙银行")
    p.select_option("select[name=debt-2-product_line]", "personal_loan")
    p.fill("input[name=debt-2-principal]", "60000")
    p.fill("input[name=debt-2-overdue_days]", "45")
    p.fill("input[name=debt-2-original_term_months]", "24")
    p.check("input[name=reasons][value=income_loss]")
    p.fill("input[name=monthly_income]", "9000")
    p.fill("input[name=essential_expenses]", "4500")
    p.check("input[name=consent]")
    p.check("input[name=sensitive_consent]")
    fits(p)
    p.click("button:has-text('提交')")

    # The ranked plan: the recommended measure first, and why the others are not offered.
    p.wait_for_url("**/plan/")
    body = p.inner_text("body")
    assert "推荐 · 甲行信用卡个性化分期" in body and "推荐 · 乙行" in body
    assert "未向您提供的举措及原因" in body
    fits(p)
    p.click("button:has-text('选定方案')")

    # One code signs both agreements.
    p.wait_for_url("**/sign/")
    assert "个性化还款协议" in p.inner_text("body") and "逾期金额随每期还款逐期核减" in p.inner_text("body")
    fits(p)
    # The portal's code was sent minutes ago in real life; one code a minute per phone.
    PhoneChallenge.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
    p.click("button:has-text('获取验证码')")
    p.fill("input[name=code]", last_code(PHONE_B))
    p.click("button:has-text('确认签署')")
    p.get_by_text("等待金融机构确认").first.wait_for()

    # Each bank confirms on its desk; the reporting-update tasks appear.
    for username, bank in (("a_staff", station.bank_a), ("b_staff", station.bank_b)):
        sign_in(page, live_server, username)
        page.goto(live_server.url + "/credit/agreements/?status=awaiting_institution")
        page.click("td[data-label=协议] a")
        page.click("button:has-text('确认协议')")
        page.get_by_text("协议已生效").wait_for()
        assert ReportingTask.objects.filter(institution=bank).exists()
        page.goto(live_server.url + "/credit/reporting/")
        assert "逾期金额核减至" in page.inner_text("table")
    assert not ReportingTask.objects.filter(institution=station.bank_a).exclude(party__name="林美玲").exists()

    # Bank A completes its first task; the person confirms it on the phone.
    first = ReportingTask.objects.filter(institution=station.bank_a).order_by("seq").first()
    sign_in(page, live_server, "a_staff")
    page.goto(live_server.url + "/credit/reporting/")
    row = page.locator(f"#task-{first.pk}")
    row.locator("summary:has-text('登记更新')").click()
    row.locator("textarea[name=note]").fill("已随月度数据报送，逾期金额已核减")
    row.locator("button:has-text('登记')").click()
    page.get_by_text("已登记征信更新").wait_for()
    p.goto(live_server.url + "/credit/p/track/")
    p.click("button:has-text('信用报告已按约定更新，确认')")
    p.get_by_text("已确认").first.wait_for()
    assert ReportingTask.objects.get(pk=first.pk).status == "confirmed"

    # The second task is left undone: after its deadline the daily job raises it to the PBOC officer.
    second = ReportingTask.objects.filter(institution=station.bank_a).order_by("seq")[1]
    day_after = second.update_due_on + dt.timedelta(days=1)
    assert (
        services.escalations_run(now=at(day_after.year, day_after.month, day_after.day))["reporting_overdue"]
        >= 1
    )
    assert Escalation.objects.filter(subject=f"reporting:{second.pk}", level="overdue").exists()
    sign_in(page, live_server, "pbc_officer")
    page.goto(live_server.url + "/credit/")
    assert "逾期未完成" in page.inner_text("body") and "甲银行" in page.inner_text("body")
    assert clock.local_today() <= day_after  # the escalation was simulated ahead of time
