"""In a browser: a scam lead walked through the registry to 销号; a quiz taken and scored on a phone."""

import datetime as dt

import pytest
from django.utils import timezone

from jiefen.common import clock
from jiefen.education.content import question_bank, seed_content
from jiefen.education.models import Attempt, Quiz, ScamEntity
from tests.browser.conftest import login
from tests.complaints.conftest import verify_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def do_step(page, summary: str, note: str, *, confirm: bool = False, **fields) -> None:
    page.click(f"summary:has-text('{summary}')")
    form = page.locator("details[open] form")
    for name, value in fields.items():
        if name == "channel":
            form.locator("select[name=channel]").select_option(value)
        else:
            form.locator(f"input[name={name}]").fill(value)
    form.locator("textarea[name=note]").fill(note)
    if confirm:
        page.once("dialog", lambda dialog: dialog.accept())
    form.locator("button[type=submit]").click()
    page.get_by_text("已办理").wait_for()


def test_a_scam_lead_goes_through_the_registry_to_closed(page, live_server, world):
    login(page, live_server, "pbc_officer", "pw-pbc_officer")
    page.click("text=宣教与治理")
    page.click("text=登记线索")
    page.fill("input[name=name]", "泉州某某征信修复服务有限公司")
    page.fill("textarea[name=identifiers]", "0595-22223333\nwww.zx-xiufu.example")
    page.fill("textarea[name=note]", "短视频广告宣称可删除逾期记录，每条收费1500元")
    page.click("button:has-text('登记')")
    page.get_by_text("已登记线索").wait_for()
    assert "线索" in page.inner_text("#entity-status")

    due = (clock.local_today() + dt.timedelta(days=30)).isoformat()
    do_step(page, "核实确认为治理对象", "经工商登记信息核实，经营范围含征信修复")
    do_step(page, "对接告知", "电话告知《征信业管理条例》规定", channel="phone")
    do_step(page, "督促整改", "限期删除经营范围中的征信相关内容", rectify_due=due)
    do_step(page, "整改完成", "回访核实，已停止相关广告和业务")
    do_step(page, "核查无误，销号", "整改到位，予以销号", confirm=True)
    assert "已销号" in page.inner_text("#entity-status")
    entity = ScamEntity.objects.get()
    assert entity.status == "closed" and entity.closed_on == clock.local_today()
    assert list(entity.events.values_list("action", flat=True)) == [
        "create",
        "identify",
        "notify",
        "start_rectify",
        "rectified",
        "close",
    ]
    assert "销号" in page.inner_text("ol.timeline")
    assert "已办结，无需再办理" in page.inner_text("#actions")


def test_a_quiz_is_taken_and_scored_on_a_phone(phone_page, live_server, world):
    seed_content(now=timezone.now())
    quiz = Quiz.objects.create(
        title="“征信修复”是骗局 知识竞答",
        slug="zx-quiz",
        bank=question_bank(),
        num_questions=10,
        time_limit_seconds=600,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=10),
        state="open",
        prize_count=5,
    )
    phone_page.goto(live_server.url + "/p/")
    phone_page.click("text=有奖竞答")
    phone_page.click(f"text={quiz.title}")
    phone_page.click("text=验证手机号后开始答题")
    verify_phone(phone_page, "13600001111")
    phone_page.fill("input[name=organisation]", "丰泽区东海街道")
    phone_page.click("button:has-text('开始答题')")
    phone_page.wait_for_selector(".timer")
    attempt = Attempt.objects.get()
    assert phone_page.locator(".question").count() == 10
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"paper is {width}px wide on a 375px phone"
    for pk in attempt.question_ids:
        question = quiz.bank.questions.get(pk=pk)
        for choice in question.choices.filter(is_correct=True):
            phone_page.check(f"input[name=q_{pk}][value={choice.label}]")
    phone_page.click("button:has-text('交卷')")
    phone_page.wait_for_selector("#score")
    assert phone_page.inner_text("#score") == "10"
    assert "抽奖资格" in phone_page.content()
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score, attempt.eligible) == ("submitted", 10, True)
    phone_page.click("text=单位排行")
    assert "丰泽区东海街道" in phone_page.inner_text("#board")
