"""On a phone-sized page, as a new user would at night: everyday questions, a hand-over, a scam pitch,
and a PBOC credit officer's answer coming back into the chat."""

import pytest
from playwright.sync_api import expect

from jiefen.assistant.models import Handoff
from jiefen.outreach.models import OutboundMessage
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The fifteen core questions (and the 2025 policy), as people type them.
EVERYDAY = [
    ("我想看看自己的征信，在哪弄", "query.channels"),
    ("打征信报告要不要钱", "query.fee"),
    ("我在外地，能让我爸帮我去打征信吗", "query.by_agent"),
    ("我们公司的信用报告去哪里打", "query.enterprise"),
    ("逾期了还清后几年才能消掉", "query.retention"),
    ("银行没经过我同意就查我征信，合法吗", "query.authorization"),
    ("征信上有笔逾期是银行搞错的，怎么申诉", "dispute.how"),
    ("提了异议要等几天才有结果", "dispute.deadline"),
    ("逾期是真的，能不能提异议弄掉", "dispute.scope"),
    ("异议被驳回了还能找谁", "dispute.unsatisfied"),
    ("网上那些征信修复公司靠谱吗", "dispute.repair_scam"),
    ("个人声明是干什么用的", "statement.what"),
    ("个人声明去哪里加", "statement.how"),
    ("加的个人声明能撤掉吗", "statement.withdraw"),
    ("本人声明和异议标注有啥区别", "statement.vs_annotation"),
    ("一次性信用修复需要自己申请吗", "policy.one_time_repair"),
]


def last_bot(page):
    return page.locator("#chat-log .msg.bot").last


def ask(page, question):
    count = page.locator("#chat-log .msg.bot").count()
    page.fill("#question", question)
    page.click("#ask button[type=submit]")
    page.locator("#chat-log .msg.bot").nth(count).wait_for()
    # The box is emptied for the next question (just after the answer is shown).
    expect(page.locator("#question")).to_have_value("")
    return last_bot(page)


def test_a_person_on_a_phone_gets_answers_a_warning_and_a_human_reply(
    phone_page, page, live_server, world, published_kb
):
    phone = phone_page
    phone.goto(live_server.url + "/p/")
    phone.click("text=智能问答")
    phone.wait_for_url("**/assistant/p/")
    phone.get_by_text("征信问题智能问答").wait_for()

    # The core questions in everyday words.
    for question, intent in EVERYDAY:
        bubble = ask(phone, question)
        assert bubble.get_attribute("data-intent") == intent, question
    # A one-tap example works too.
    phone.click("button.chip:has-text('查征信要收费吗？')")
    phone.get_by_text("第3次起每次收费10元").last.wait_for()

    # A "credit repair" pitch is answered with the warning and the four free channels.
    bubble = ask(phone, "有人说交3000块定金就能把我的逾期记录洗白，包成功，能信吗")
    assert "风险提示" in bubble.inner_text() and "四条免费维权渠道" in bubble.inner_text()

    # What it does not know goes to a human; the person leaves a phone number.
    bubble = ask(phone, "港澳台同胞能在内地查征信吗")
    assert "已转人工" in bubble.inner_text()
    bubble.locator("input[name=phone]").fill("13912345678")
    bubble.locator(".phone-form button").click()
    phone.get_by_text("已记录，人工答复后会短信通知您。").wait_for()

    # Everything fits a 375px screen: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # A PBOC credit officer answers from the queue on a desktop.
    handoff = Handoff.objects.get(status=Handoff.Status.WAITING)
    login(page, live_server, "pbc_officer", "pw-pbc_officer")
    page.click("header nav >> text=智能问答")
    page.click("text=港澳台同胞能在内地查征信吗")
    page.wait_for_url(f"**/assistant/queue/{handoff.pk}/")
    page.fill("#reply-text", "港澳台居民可以持有效证件原件到人民银行查询网点查询本人信用报告。")
    page.click("#reply-form button[type=submit]")
    page.get_by_text("已答复").first.wait_for()

    # The reply comes back into the person's chat (polling) and by SMS.
    phone.locator(".msg.staff").get_by_text("港澳台居民可以持有效证件原件").wait_for(timeout=15_000)
    assert "人工答复" in phone.locator(".msg.staff").last.inner_text()
    sms = OutboundMessage.objects.get(purpose="assistant_reply")
    assert sms.to == "13912345678" and "港澳台居民可以持有效证件" in sms.text


def test_the_staff_test_page_shows_scores_on_a_phone(phone_page, live_server, world, published_kb):
    login(phone_page, live_server, "pbc_officer", "pw-pbc_officer")
    phone_page.goto(live_server.url + "/assistant/test/?q=征信有错怎么申诉")
    phone_page.locator("#test-candidates").get_by_text("dispute.how").first.wait_for()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 380
