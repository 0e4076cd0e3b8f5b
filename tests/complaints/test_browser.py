"""The direct line walked in a browser: poster → scan on a phone → complaint → executive → rating;
and a complaint left past its 15 days escalates to the head office."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiefen.common import clock
from jiefen.complaints.models import Complaint
from jiefen.outreach.models import OutboundMessage
from tests.browser.conftest import login

from .conftest import verify_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIZEN = "13912345678"


def backdate(complaint: Complaint, days: int) -> None:
    """Move a fresh complaint `days` into the past, as if it had been filed then."""
    shift = dt.timedelta(days=days)
    received = complaint.received_at - shift
    Complaint.objects.filter(pk=complaint.pk).update(
        received_at=received,
        clock_started_at=received,
        status_changed_at=complaint.status_changed_at - shift,
        due_at=clock.add_days(received, complaint.period_days),
    )
    for event in complaint.events.all():
        event.at -= shift
        event.save(update_fields=["at"])


def test_a_citizen_scans_the_poster_files_and_rates_after_the_executive_replies_on_day_10(
    page, phone_page, live_server, desk, pdf_required
):
    from pypdf import PdfReader

    # The branch executive prints the poster of the branch.
    login(page, live_server, "a_branch_exec", "pw-a_branch_exec")
    page.click("text=直通车工单")
    page.click("text=网点二维码与海报")
    card = page.locator(f"[data-branch='{desk.branch.code}']")
    assert desk.branch2.name not in page.content()
    href = card.locator("a:has-text('A4 海报')").get_attribute("href")
    poster = page.request.get(live_server.url + href)
    assert poster.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(poster.body())).pages[0].extract_text()
    assert desk.branch.name in text
    form_url = re.search(r"https?://\S+/complaints/p/[\w-]+/", text).group(0)

    # A citizen "scans" it: the phone opens the branch's form, proves the phone, files.
    phone_page.goto(form_url)
    verify_phone(phone_page, CITIZEN)
    phone_page.wait_for_selector("#branch-name")
    assert desk.branch.name in phone_page.inner_text("#branch-name")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"form is {width}px wide on a 375px phone"
    phone_page.select_option("select[name=category]", "business")
    phone_page.fill(
        "textarea[name=description]", "到网点办理对公账户变更，因资料不齐无法办理，也没人说清楚还缺什么。"
    )
    phone_page.fill("textarea[name=request]", "一次性告知所需资料，尽快办理")
    phone_page.check("input[name=consent_personal]")
    phone_page.click("button:has-text('一键提交')")
    phone_page.wait_for_selector("#submitted")
    complaint = Complaint.objects.get()
    assert complaint.number in phone_page.inner_text("#submitted")
    assert complaint.branch == desk.branch

    # Ten days later the executive calls back and replies.
    backdate(complaint, 10)
    page.goto(live_server.url + "/complaints/")
    page.click(f"text={complaint.number}")
    assert CITIZEN in page.content()
    page.click("summary:has-text('登记电话回访')")
    page.fill("details[open] textarea[name=note]", "已致电客户，说明需补充营业执照副本和公章")
    page.click("details[open] button:has-text('保存回访')")
    page.get_by_text("已登记电话回访").wait_for()
    page.click("summary:has-text('答复投诉人')")
    page.fill("details[open] textarea[name=text]", "您好，已一次性告知所需资料，并预约明天上午为您优先办理。")
    page.click("details[open] button:has-text('提交答复')")
    page.get_by_text("已答复").first.wait_for()
    complaint.refresh_from_db()
    assert complaint.status == "replied" and complaint.on_time is True
    assert (clock.local_date(complaint.replied_at) - clock.local_date(complaint.received_at)).days == 10

    # The complainant opens the link from the SMS and rates.
    sms = OutboundMessage.objects.filter(subject=f"complaint:{complaint.pk}", text__contains="/p/s/").latest(
        "id"
    )
    link = re.search(r"https?://\S+", sms.text).group(0)
    phone_page.goto(link)
    assert "预约明天上午为您优先办理" in phone_page.inner_text("#reply")
    phone_page.click("#rate label:has-text('已解决')")
    phone_page.click("label[for=star5]")
    phone_page.fill("textarea[name=comment]", "行长亲自打电话，很满意")
    phone_page.click("button:has-text('提交评价')")
    phone_page.get_by_text("感谢您的评价").wait_for()
    assert "已办结" in phone_page.inner_text("#status")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rating, complaint.resolved) == ("closed", 5, True)


def test_a_complaint_left_past_15_days_escalates_to_the_head_office(page, live_server, desk):
    complaint = desk.file(when=timezone.now() - dt.timedelta(days=25))
    quiet = desk.file(phone="13700000000", when=timezone.now())
    call_command("complaints_sweep")
    call_command("complaints_sweep")  # idempotent
    complaint.refresh_from_db()
    assert complaint.escalation_level >= 1
    assert complaint.events.filter(action="escalate").count() == complaint.escalation_level

    login(page, live_server, "a_manager", "pw-a_manager")
    page.goto(live_server.url + "/complaints/")
    escalated = page.locator("section:has(h2:has-text('升级督办中'))").inner_text()
    overdue = page.locator("section:has(h2:has-text('已超期未答复'))").inner_text()
    assert complaint.number in escalated and complaint.number in overdue
    assert quiet.number not in escalated
    page.click(f"section:has(h2:has-text('升级督办中')) >> text={complaint.number}")
    assert "已超期" in page.inner_text("#due")
    assert "升级督办" in page.inner_text("ol.timeline")
