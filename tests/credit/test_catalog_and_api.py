"""The relief catalog as structured data, its legal limits, its editor's permissions, and the API."""

from decimal import Decimal

import pytest

from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.credit import services
from jiefen.credit.catalog import catalog_rows, seed_catalog
from jiefen.credit.models import Event, ReliefMeasure
from tests.factories import institution

from .conftest import file_dispute


def data(**kw):
    return {"product_line": "credit_card", "kind": "instalments", "name": "分期", "max_months": 36, **kw}


class TestMeasureRules:
    def test_card_measures_cannot_exceed_60_instalments(self):
        with pytest.raises(ApplicationError, match="60期"):
            services.measure_clean(data(max_months=61))
        assert services.measure_clean(data(max_months=60))["max_months"] == 60

    def test_extensions_cannot_exceed_three_years(self):
        with pytest.raises(ApplicationError, match="36个月"):
            services.measure_clean(data(product_line="personal_loan", kind="extension", max_months=37))

    def test_percentages_ranges_and_codes_are_checked(self):
        with pytest.raises(ApplicationError, match="0至100"):
            services.measure_clean(data(interest_waiver_pct="120"))
        with pytest.raises(ApplicationError, match="下限"):
            services.measure_clean(data(min_amount="5000", max_amount="1000"))
        with pytest.raises(ApplicationError, match="困难原因"):
            services.measure_clean(data(hardship_reasons=["bored"]))
        with pytest.raises(ApplicationError, match="企业贷款"):
            services.measure_clean(data(enterprise_sizes=["small"]))
        with pytest.raises(ApplicationError, match="期数"):
            services.measure_clean(data(max_months=None))


class TestEditor:
    def test_a_bank_manager_edits_only_the_banks_own_catalog(self, station):
        m = services.measure_save(
            actor=station.a_manager, institution_id=station.bank_a.pk, data=data(name="新分期")
        )
        assert m.institution == station.bank_a and Event.objects.filter(subject=f"measure:{m.pk}").exists()
        with pytest.raises(PermissionDenied):
            services.measure_save(actor=station.a_manager, institution_id=station.bank_b.pk, data=data())
        with pytest.raises(NotFound):
            services.measure_save(
                actor=station.a_manager,
                institution_id=station.bank_a.pk,
                data=data(),
                measure_id=station.b_loan_grace.pk,
            )
        with pytest.raises(PermissionDenied):
            services.measure_save(actor=station.a_staff, institution_id=station.bank_a.pk, data=data())

    def test_an_edit_records_what_changed(self, station):
        m = station.a_card_instalments
        services.measure_save(
            actor=station.center_staff,
            institution_id=m.institution_id,
            measure_id=m.pk,
            data={
                **data(name=m.name, max_months=48),
                "hardship_reasons": m.hardship_reasons,
                "min_overdue_days": 30,
                "monthly_fee_pct": "0.25",
                "penalty_waiver_pct": "100",
            },
        )
        event = Event.objects.filter(subject=f"measure:{m.pk}").latest("id")
        assert event.data == {"max_months": "48"}

    def test_the_editor_page_saves_and_reports_errors(self, station, client):
        client.force_login(station.a_manager)
        bad = client.post("/credit/measures/new/", {**data(max_months=72), "institution": station.bank_a.pk})
        assert bad.status_code == 400 and "60期" in bad.content.decode()
        ok = client.post(
            "/credit/measures/new/",
            {**data(), "institution": station.bank_a.pk, "requires_willingness": "on"},
        )
        assert ok.status_code == 302 and ReliefMeasure.objects.filter(name="分期").exists()


def test_the_demo_catalog_has_147_measures_split_like_the_seed(db):
    codes = ["ICBC-QZ", "ABC-QZ", "BOC-QZ", "CCB-QZ", "QZBANK", "CIB-QZ", "XJCF"]
    insts = {c: institution(c) for c in codes}
    assert seed_catalog(insts) == 147 == len(catalog_rows())
    counts = {
        line: ReliefMeasure.objects.filter(product_line=line).count()
        for line in ["credit_card", "personal_loan", "enterprise_loan"]
    }
    assert counts == {"credit_card": 34, "personal_loan": 63, "enterprise_loan": 50}
    assert ReliefMeasure.objects.values("institution").distinct().count() == 7
    assert ReliefMeasure.objects.values("kind").distinct().count() == 7


class TestApi:
    def test_measures_filter_by_product_line(self, station, client):
        client.force_login(station.b_staff)
        rows = client.get("/api/v1/credit/measures?product_line=credit_card").json()
        assert {r["name"] for r in rows} == {"甲行信用卡个性化分期", "甲行一次性结清减免"}
        assert {"institution", "kind", "product_line"} <= set(rows[0]) and rows[0]["institution"] == "BANK-A"
        assert client.get("/api/v1/credit/measures?product_line=mortgage").status_code == 400
        assert (
            client.get("/api/v1/credit/measures?product_line=personal_loan&institution=BANK-B").json()[0][
                "institution"
            ]
            == "BANK-B"
        )

    def test_the_api_needs_a_login(self, client):
        assert client.get("/api/v1/credit/measures").status_code == 401
        assert client.get("/api/v1/credit/disputes").status_code == 401

    def test_the_calculator_is_open_and_ranks(self, station, client):
        response = client.post(
            "/api/v1/credit/recommend",
            {
                "debts": [
                    {
                        "institution": "BANK-A",
                        "product_line": "credit_card",
                        "principal": "12000",
                        "overdue_days": 45,
                    }
                ],
                "hardship_reasons": ["illness"],
                "monthly_income": "5000",
                "essential_expenses": "3000",
            },
            content_type="application/json",
        )
        body = response.json()
        assert response.status_code == 200
        first, second = body["debts"][0]["options"]
        assert first["offered"] and first["measure"] == "甲行信用卡个性化分期"
        assert Decimal(first["monthly_payment"]) <= Decimal("2000")
        assert not second["offered"] and second["refused"]

    def test_a_liaison_answers_through_the_api(self, station, client):
        app = file_dispute(station.bank_a)
        item = app.dispute.items.get()
        client.force_login(station.a_liaison)
        response = client.post(
            f"/api/v1/credit/disputes/{app.dispute.pk}/answer",
            {
                "outcomes": [{"item_id": item.pk, "outcome": "no_error", "note": "核对无误"}],
                "reply_text": "信息无误",
            },
            content_type="application/json",
        )
        assert response.status_code == 200 and response.json()["status"] == "answered"
        assert response.json()["annotation"] == "removed"

    def test_statistics_are_scoped(self, station, client):
        file_dispute(station.bank_a)
        client.force_login(station.pbc_officer)
        assert client.get("/api/v1/credit/stats").json()["disputes_total"] == 1
        client.force_login(station.b_liaison)
        body = client.get("/api/v1/credit/stats").json()
        assert body["disputes_total"] == 0 and body["scope"] == "本机构"
