"""Dashboard pages and panel endpoints: who sees which page, and a bank sees only its own figures."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from jiefen.stats import panels
from jiefen.stats.services import cube_refresh

from .conftest import local

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def two_banks(world, timeline):
    # Bank A: 3 cases of 7,000.00 each; bank B: 1 case of 90,000.00 — numbers that cannot be confused.
    for day in (2, 3, 4):
        timeline.case(
            at=local(2026, 3, day, 9),
            principal="7000.00",
            steps=[("triage_simple", local(2026, 3, day)), ("settle_paid", local(2026, 3, day + 2))],
        )
    timeline.case(
        world.bank_b,
        at=local(2026, 3, 5, 9),
        principal="90000.00",
        steps=[("triage_simple", local(2026, 3, 5))],
    )
    cube_refresh(force=True)
    return world


MARCH = "from=2026-03&to=2026-03"


@pytest.mark.parametrize(
    "who, url, status",
    [
        ("center_staff", "/stats/", 200),
        ("a_manager", "/stats/", 302),
        ("pbc_officer", "/stats/", 302),
        ("viewer", "/stats/", 302),
        ("a_staff", "/stats/", 404),
        ("mediator", "/stats/", 404),
        ("judge", "/stats/", 404),
        ("a_manager", "/stats/institution/", 200),
        ("a_manager", "/stats/centre/", 404),
        ("a_manager", "/stats/regulator/", 404),
        ("viewer", "/stats/regulator/", 200),
        ("viewer", "/stats/pbc/", 404),
        ("pbc_officer", "/stats/pbc/", 200),
        ("pbc_officer", "/stats/regulator/", 404),
        ("center_staff", "/stats/pbc/", 200),
        ("center_staff", "/stats/regulator/", 200),
        ("center_staff", "/stats/reports/", 200),
        ("a_manager", "/stats/reports/", 200),
        ("a_staff", "/stats/reports/", 404),
        ("center_staff", "/stats/datacubes/", 200),
        ("a_manager", "/stats/datacubes/", 200),
        ("center_staff", "/stats/figures/", 200),
    ],
)
def test_who_may_open_which_page(two_banks, who, url, status):
    response = client_for(getattr(two_banks, who)).get(url)
    assert response.status_code == status


def test_anonymous_people_are_sent_to_log_in(two_banks):
    assert Client().get("/stats/").status_code == 302
    assert Client().get("/stats/panel/kpi/").status_code == 302


def test_the_centre_page_lists_its_panels_and_freshness(two_banks):
    html = client_for(two_banks.center_staff).get("/stats/").content.decode()
    for p in panels.panels_for("centre"):
        assert f'data-panel="{p.name}"' in html
    assert "数据截至" in html
    assert "stats/vendor/echarts.min.js" in html


@pytest.mark.parametrize("name", list(panels.PANELS))
def test_every_panel_answers_for_every_audience_that_has_it(two_banks, name):
    for audience, user in [
        ("centre", two_banks.center_staff),
        ("institution", two_banks.a_manager),
        ("pbc", two_banks.pbc_officer),
        ("regulator", two_banks.viewer),
    ]:
        if audience not in panels.PANELS[name].audiences:
            continue
        response = client_for(user).get(f"/stats/panel/{name}/?audience={audience}&{MARCH}")
        assert response.status_code == 200, (name, audience, response.content[:200])
        data = response.json()
        assert data["panel"] == name
        assert data["as_of_text"].startswith("数据截至")


def test_a_bank_sees_its_own_figures_only(two_banks):
    bank_a = client_for(two_banks.a_manager)
    kpi = bank_a.get(f"/stats/panel/kpi/?audience=institution&{MARCH}").json()["figures"]
    assert kpi["cases.received"] == 3
    assert kpi["amounts.claimed"] == "21000.00"
    for name in ["by_product", "by_region", "by_branch", "trend", "durations"]:
        body = bank_a.get(f"/stats/panel/{name}/?audience=institution&{MARCH}").content.decode()
        assert "90000" not in body and "90,000" not in body, name


def test_a_bank_asking_for_another_bank_gets_a_404(two_banks):
    bank_a = client_for(two_banks.a_manager)
    url = f"/stats/panel/kpi/?audience=institution&institution={two_banks.bank_b.pk}&{MARCH}"
    assert bank_a.get(url).status_code == 404
    assert bank_a.get(f"/stats/institution/?institution={two_banks.bank_b.pk}").status_code == 404
    assert bank_a.get(f"/stats/panel/kpi/?audience=centre&{MARCH}").status_code == 403
    assert bank_a.get(f"/stats/panel/by_institution/?audience=institution&{MARCH}").status_code == 404


def test_the_centre_chooses_an_institution_for_the_institution_page(two_banks):
    centre = client_for(two_banks.center_staff)
    assert "请先选择" in centre.get("/stats/institution/").content.decode()
    data = centre.get(
        f"/stats/panel/kpi/?audience=institution&institution={two_banks.bank_b.pk}&{MARCH}"
    ).json()
    assert data["figures"]["cases.received"] == 1


def test_bad_filters_are_refused_with_a_message(two_banks):
    centre = client_for(two_banks.center_staff)
    for query in ["from=2026-13", "from=2026-05&to=2026-03", "product=car", "region=abc", "period=forever"]:
        response = centre.get(f"/stats/panel/kpi/?{query}")
        assert response.status_code == 400, query
        assert response.json()["message"]


def test_a_panel_exports_its_data_as_a_real_workbook(two_banks):
    from python_calamine import CalamineWorkbook

    response = client_for(two_banks.center_staff).get(f"/stats/panel/by_institution/xlsx/?{MARCH}")
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    names = [row[0] for row in rows[1:]]
    assert "甲银行" in names and "乙银行" in names
    assert "说明" in book.sheet_names


def test_the_api_serves_a_panel_to_a_banks_token(two_banks):
    from jiefen.accounts.models import ApiToken

    _, raw = ApiToken.issue(user=two_banks.a_manager, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    data = client.get(f"/api/v1/stats/panels/kpi?audience=institution&{MARCH}").json()
    assert data["figures"]["cases.received"] == 3
    other = client.get(f"/api/v1/stats/panels/kpi?audience=institution&institution={two_banks.bank_b.pk}")
    assert other.status_code == 404


def test_the_nav_shows_the_link_to_the_right_roles(two_banks):
    for who, shown in [
        ("center_staff", True),
        ("a_manager", True),
        ("viewer", True),
        ("pbc_officer", True),
        ("a_staff", False),
        ("mediator", False),
    ]:
        html = client_for(getattr(two_banks, who)).get("/cases/").content.decode()
        assert ('href="/stats/"' in html) is shown, who


def test_the_centre_can_refresh_now_and_a_viewer_cannot(two_banks):
    assert client_for(two_banks.center_staff).post("/stats/refresh/").status_code == 302
    assert client_for(two_banks.viewer).post("/stats/refresh/").status_code == 404
