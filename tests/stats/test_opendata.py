"""Open data: published datacubes only, anonymous, small cells suppressed, with a dictionary."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from jiefen.stats import opendata
from jiefen.stats.datacubes import datacube_act, datacube_prepare
from jiefen.stats.services import cube_refresh

from .conftest import local

pytestmark = pytest.mark.django_db
PREPARED = local(2026, 7, 1, 9)


@pytest.fixture
def published(world, timeline):
    # Bank A: 12 credit-card cases (all settled), 3 small loans, 15 consumer loans.
    for n in range(12):
        timeline.case(
            at=local(2026, 4, 2 + n, 9),
            steps=[("triage_simple", local(2026, 4, 2 + n)), ("settle_paid", local(2026, 4, 5 + n))],
        )
    for n in range(3):
        timeline.case(at=local(2026, 5, 2 + n, 9), product="small_loan")
    for n in range(15):
        timeline.case(at=local(2026, 5, 2 + n, 9), product="consumer_loan")
    timeline.case(world.bank_b, at=local(2026, 5, 5, 9))
    cube_refresh(force=True, now=PREPARED)
    made = {
        c.institution_id: c for c in datacube_prepare(actor=world.center_staff, period="2026Q2", now=PREPARED)
    }
    a = made[world.bank_a.pk]
    datacube_act(actor=world.a_manager, datacube_id=a.pk, action="accept")
    datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish")
    return made


def rows_by_product(rows):
    return {r["product"]: r for r in rows}


def test_small_cells_are_suppressed_and_one_more_so_the_total_does_not_give_them_away(published, world):
    a = published[world.bank_a.pk]
    rows = rows_by_product(opendata.rows_for(a.period_start, a.period_end))
    assert rows["small_loan"]["cases_received"] is None  # 3 < 10
    assert rows["small_loan"]["amount_claimed"] is None
    # Only one cell was small: the next smallest (credit cards, 12) is hidden too, or 30 − 15 − 12 = 3.
    assert rows["credit_card"]["cases_received"] is None
    assert rows["consumer_loan"]["cases_received"] == 15
    assert rows["all"]["cases_received"] == 30
    assert rows["sme_loan"]["cases_received"] == 0  # zero tells nothing about anyone
    assert rows["all"]["disposal_resolved_share"] == "100.0"


def test_unpublished_datacubes_are_not_open_data(published, world):
    b = published[world.bank_b.pk]
    assert opendata.rows_for(b.period_start, b.period_end, world.bank_b.code) == []
    assert {d["period"] for d in opendata.datasets()} == {"2026Q2"}


def test_anyone_can_download_json_and_csv_without_logging_in(published, world):
    client = Client()
    data = client.get("/api/v1/stats/open/datacube?period=2026Q2").json()
    assert data["min_cell"] == 10
    assert {r["institution_code"] for r in data["rows"]} == {world.bank_a.code}
    assert not any("name" in f["name"] and "debtor" in f["name"] for f in data["fields"])
    response = client.get("/api/v1/stats/open/datacube?period=2026Q2&format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(table) == 7  # six products and the total
    assert table[0]["institution_reviewed"] == "yes"
    assert client.get("/api/v1/stats/open/datacube?period=2025Q1").status_code == 404
    assert client.get("/api/v1/stats/open/datacube?period=bad").status_code == 400


def test_the_dictionary_describes_every_column(published):
    client = Client()
    fields = client.get("/api/v1/stats/open/dictionary").json()
    assert [f["name"] for f in fields] == [f.name for f in opendata.FIELDS]
    assert all(f["definition"] for f in fields)
    page = client.get("/stats/p/open/").content.decode()
    assert "2026Q2" in page and "cases_received" in page


def test_the_threshold_is_a_centre_rule_that_can_be_changed(published, world):
    from jiefen.common.models import RuleOverride

    RuleOverride.objects.create(key="stats.open_min_cell", amount=20, reason="测试")
    RuleOverride.invalidate()
    try:
        a = published[world.bank_a.pk]
        rows = rows_by_product(opendata.rows_for(a.period_start, a.period_end))
        assert rows["consumer_loan"]["cases_received"] is None  # 15 < 20
    finally:
        RuleOverride.invalidate()


def test_a_cell_that_looks_like_a_formula_is_not_run_by_spreadsheets():
    assert opendata._safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert opendata._safe("-12.5") == "-12.5"
    assert opendata._safe(30) == 30
