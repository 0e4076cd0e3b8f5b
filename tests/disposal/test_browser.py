"""A bank clerk's day at the disposal desk, in a real browser: upload a messy export, see what was
rejected and why, confirm, watch the progress bar, find the triaged cases with their reasons, send
reminders (refused at 23:00), log a call, recover lost contacts and hand a case on."""

import pytest

from jiefen.cases.models import Case
from jiefen.disposal.models import ContactAttempt, RecoveryBatch
from jiefen.disposal.triage import ensure_default_rules
from jiefen.outreach import compliance
from jiefen.outreach.models import OutboundMessage
from tests.browser.conftest import login

from .conftest import local, person_rows, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def messy_export(tmp_path):
    # A transactional test elsewhere in the run may have flushed the rules the migration seeded.
    ensure_default_rules()
    rows = person_rows(6, seed=31)
    rows[0][5] = "12,345.60"
    rows[1][5] = "8800.5元"
    rows[2][7] = "2026年3月5日"
    rows[3][2] = rows[3][2][:-1] + ("0" if rows[3][2][-1] != "0" else "1")  # wrong check digit
    rows[4][3] = ""  # no phone: lost contact
    rows[5][5] = "96000.00"  # above the card threshold: mediation
    return write_csv(
        tmp_path / "工行逾期清单.csv", rows, title="工商银行泉州分行信用卡逾期客户清单", encoding="gbk"
    )


def test_a_bank_clerk_imports_triages_reminds_calls_recovers_and_hands_over(
    page,
    live_server,
    world,
    templates,
    messy_export,
):
    login(page, live_server, "a_staff", "pw-a_staff")
    page.click("header >> text=案件导入")
    page.select_option("select[name=institution]", str(world.bank_a.pk))
    page.set_input_files("input[name=file]", str(messy_export))
    page.click("button:has-text('上传并校验')")
    page.wait_for_url("**/disposal/imports/*/")
    page.get_by_text("待确认").first.wait_for()
    errors = page.locator("table.errors")
    assert "身份证号校验位不正确" in errors.inner_text()
    assert "6" in errors.locator("td[data-label=行号]").first.inner_text()  # title + header + 4th data row
    assert page.locator("[data-count=rejected]").inner_text() == "1"
    assert page.locator("[data-count=created]").inner_text() == "5"
    assert not Case.objects.exists()

    page.click("button:has-text('确认导入')")
    page.get_by_text("已完成").first.wait_for()
    assert page.locator(".progress").get_attribute("aria-valuenow") == "100"
    assert Case.objects.filter(institution=world.bank_a).count() == 5

    page.click("text=去处置队列")
    queue = page.locator("#queue")
    queue.get_by_text("低于复杂案件阈值").first.wait_for()
    assert "失联" in queue.inner_text()
    lost = Case.objects.get(lost_contact=True)

    # A batch of reminders to everything on the page.
    page.check("[data-select-all]")
    assert page.locator("[data-selected-count]").inner_text() == "4"
    page.click("summary:has-text('发送催告短信')")
    page.click("button[value=sms]")
    page.get_by_text("催告短信：共4件，已发送3件，拦截1件").wait_for()
    assert OutboundMessage.objects.filter(purpose="reminder").count() == 3

    # The same at 23:00 is refused, and the page says why.
    with compliance.use_clock(local(23)):
        page.check("[data-select-all]")
        page.click("summary:has-text('发送催告短信')")
        page.click("button[value=sms]")
        page.get_by_text("不得发送催收短信").wait_for()
    assert OutboundMessage.objects.filter(purpose="reminder").count() == 3

    # Click-to-call and the call log on a case's work page.
    target = Case.objects.filter(lost_contact=False, status="disposal").order_by("pk").first()
    page.click(f"text={target.number}")
    page.wait_for_url(f"**/disposal/case/{target.pk}/")
    assert "未触发复杂案件规则" in page.inner_text("#triage")
    page.click("button:has-text('一键拨号')")
    tel = page.locator("a[href^='tel:']")
    tel.wait_for()
    assert tel.get_attribute("href") == "tel:" + target.debtor.phones.get().number
    page.select_option("select[name=outcome]", "no_answer")
    page.fill("#work textarea[name=note]", "上午拨打无人接听")
    page.click("#work button:has-text('登记')")
    page.get_by_text("已记录通话：无人接听").wait_for()
    assert ContactAttempt.objects.filter(case=target, channel="call", outcome="no_answer").exists()

    # Lost contacts go to recovery and come back with a number.
    page.goto(f"{live_server.url}/disposal/?scope=all&lost=yes")
    page.check(f"input[name=case][value='{lost.pk}']")
    page.click("summary:has-text('失联修复')")
    page.click("button[value=recovery]")
    page.get_by_text("已创建失联修复批次").wait_for()
    batch = RecoveryBatch.objects.get()
    result = messy_export.parent / "回盘.csv"
    result.write_text("序号,手机号,关系\n1,13955556666,本人\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(result))
    page.click("button:has-text('导入结果')")
    page.get_by_text("回盘完成：修复成功1件").wait_for()
    lost.refresh_from_db()
    assert not lost.lost_contact and batch.items.get().status == "found"

    # Hand a case on to mediation: a recorded transition, confirmed first.
    page.goto(f"{live_server.url}/disposal/case/{target.pk}/")
    page.click("summary:has-text('一键移送调解')")
    page.fill("details[open] textarea[name=reason]", "多次联系未果，移送调解")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("details[open] button:has-text('移送调解')")
    page.get_by_text("已办理：待调解").wait_for()
    target.refresh_from_db()
    assert target.status == "mediation_pending"
    assert target.events.filter(action="handover_mediation", reason="多次联系未果，移送调解").exists()
    page.click("text=案件详情与完整流转记录")
    page.wait_for_url(f"**/cases/{target.pk}/")


def test_the_desk_works_on_a_phone(chromium, live_server, world):
    case = world.case(world.bank_a, path=["triage_simple"])
    context = chromium.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    try:
        login(phone, live_server, "a_staff", "pw-a_staff")
        for url in ("/disposal/?scope=all", f"/disposal/case/{case.pk}/", "/disposal/imports/"):
            phone.goto(live_server.url + url)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 380, f"{url} is {width}px wide on a 375px phone"
    finally:
        context.close()
