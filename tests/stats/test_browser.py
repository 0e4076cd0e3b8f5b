"""The monitoring centre in a real browser: charts drawn, a bank's own view, a report, a review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiefen.stats.datacubes import datacube_prepare, parse_period, period_choices
from jiefen.stats.models import Datacube
from jiefen.stats.services import cube_refresh
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recent(world, timeline):
    now = timezone.now()
    for n in range(4):
        at = now - dt.timedelta(days=40 + n)
        timeline.case(
            at=at,
            principal="7000.00",
            steps=[("triage_simple", at + dt.timedelta(hours=1)), ("settle_paid", at + dt.timedelta(days=3))],
        )
    at = now - dt.timedelta(days=35)
    timeline.case(
        world.bank_b, at=at, principal="90000.00", steps=[("triage_simple", at + dt.timedelta(hours=1))]
    )
    cube_refresh(force=True)
    return world


def test_the_centre_sees_its_dashboard_drawn(page, live_server, recent):
    login(page, live_server, "center_staff", "pw-center_staff")
    page.goto(f"{live_server.url}/stats/")
    for name in ["kpi", "trend", "funnel", "ontime", "stages", "durations", "by_institution"]:
        page.wait_for_selector(f"#panel-{name}[data-ready='1']")
    assert page.locator("#panel-trend canvas").count() >= 1
    assert page.locator("#panel-ontime .chart").count() == 5
    assert page.locator("#panel-kpi [data-figure='cases.received'] .tile-value").inner_text().startswith("5")
    assert "数据截至" in page.inner_text("#stats-fresh")
    with page.expect_download() as info:
        page.click("#panel-trend .export-png")
    assert info.value.suggested_filename.endswith(".png")


def test_a_bank_sees_only_its_own(page, live_server, recent):
    login(page, live_server, "a_manager", "pw-a_manager")
    page.click("header nav >> text=监测统计")
    page.wait_for_url("**/stats/institution/")
    page.wait_for_selector("#panel-kpi[data-ready='1']")
    page.wait_for_selector("#panel-by_branch[data-ready='1']")
    assert page.locator("#panel-kpi [data-figure='cases.received'] .tile-value").inner_text().startswith("4")
    assert page.locator("#panel-by_institution").count() == 0
    assert "乙银行" not in page.content()
    assert "90,000" not in page.content()


def test_a_monthly_report_downloads(page, live_server, recent):
    login(page, live_server, "center_staff", "pw-center_staff")
    page.goto(f"{live_server.url}/stats/reports/")
    page.click("summary:has-text('立即生成报告')")
    value = page.locator("select[name=which] optgroup[label='月通报'] option").nth(1).get_attribute("value")
    page.select_option("select[name=which]", value)
    page.click("#generate button[type=submit]")
    page.get_by_text("已生成").wait_for()
    with page.expect_download() as info:
        page.click("a:has-text('Word')")
    download = info.value
    assert download.suggested_filename.endswith("月通报.docx")
    with open(download.path(), "rb") as fh:
        assert fh.read(2) == b"PK"


def test_a_bank_reviews_its_datacube_before_it_is_published(page, live_server, recent, timeline, chromium):
    period = period_choices()[0][0]  # the last quarter
    start, _end = parse_period(period)
    at = dt.datetime.combine(start + dt.timedelta(days=20), dt.time(10), tzinfo=dt.UTC)
    timeline.case(at=at, steps=[("triage_simple", at + dt.timedelta(hours=1))])
    cube_refresh(force=True)
    datacube_prepare(actor=recent.center_staff, period=period, institution_id=recent.bank_a.pk)
    cube = Datacube.objects.get(institution=recent.bank_a)
    login(page, live_server, "a_manager", "pw-a_manager")
    page.goto(f"{live_server.url}/stats/datacubes/")
    page.click(f"a[href='/stats/datacubes/{cube.pk}/']")
    assert "待机构确认" in page.inner_text("#cube-status")
    assert "发布" not in page.inner_text("#actions summary >> nth=0")
    page.click("summary:has-text('确认数据无误')")
    page.click("details[open] button[type=submit]")
    page.get_by_text("已办理").wait_for()
    assert "机构已确认" in page.inner_text("#cube-status")

    centre = chromium.new_context(locale="zh-CN").new_page()
    login(centre, live_server, "center_staff", "pw-center_staff")
    centre.goto(f"{live_server.url}/stats/datacubes/{cube.pk}/")
    centre.once("dialog", lambda dialog: dialog.accept())
    centre.click("summary:has-text('发布')")
    centre.click("details[open] button[type=submit]")
    centre.get_by_text("已办理").wait_for()
    assert "已发布" in centre.inner_text("#cube-status")
    assert Datacube.objects.get(pk=cube.pk).status == "published"
