"""Bank B's people never see bank A's rows (404, never 403), on pages and in the API; every staff page
and public page renders; identifiers are masked on staff screens."""

import datetime as dt

import pytest

from jiefen.credit import services

from .conftest import ID_A, PHONE_A, PHONE_B, consent, file_dispute, hardship, person, two_bank_debts


def login_public(client, phone):
    session = client.session
    session["public_phone"] = phone
    session["public_phone_at"] = dt.datetime.now(dt.UTC).isoformat()
    session.save()


@pytest.fixture
def rows(station):
    """One of everything at bank A (and a rescue application spanning both banks)."""
    dispute_app = file_dispute(station.bank_a)
    rescue = services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(station),
        hardship=hardship(),
    )
    plan = services.plan_choose(phone=PHONE_B, number=rescue.number, route="direct")
    a_agreement = plan.agreements.get(institution=station.bank_a)
    counsel = services.counseling_flag(
        actor=station.a_staff,
        institution_id=station.bank_a.pk,
        flags=[
            services.FlagIn(
                borrower_name="王建华",
                phone="13600136000",
                product_line="信用卡",
                account_ref="6222****0001",
                first_overdue_on="2026-03-01",
                overdue_amount="1280.50",
            )
        ],
    )
    assert counsel["created"] == 1
    return {"dispute": dispute_app.dispute, "rescue": rescue, "agreement": a_agreement}


class TestTenancy:
    def test_bank_bs_liaison_never_sees_bank_as_disputes(self, station, rows, client):
        client.force_login(station.b_liaison)
        assert client.get(f"/credit/disputes/{rows['dispute'].pk}/").status_code == 404
        assert rows["dispute"].application.number not in client.get("/credit/disputes/").content.decode()
        api = client.get("/api/v1/credit/disputes")
        assert api.status_code == 200 and api.json() == []
        assert client.get(f"/api/v1/credit/disputes/{rows['dispute'].pk}").status_code == 404
        attachment_free = client.post(
            f"/credit/disputes/{rows['dispute'].pk}/answer/",
            {"reply_text": "x", f"outcome-{rows['dispute'].items.get().pk}": "no_error"},
        )
        assert attachment_free.status_code == 404

    def test_bank_as_liaison_sees_its_dispute_with_the_fields_the_api_promises(self, station, rows, client):
        client.force_login(station.a_liaison)
        (item,) = client.get("/api/v1/credit/disputes").json()
        assert {"id", "status", "received_at", "due_at", "institution"} <= set(item)
        assert item["institution"] == "BANK-A" and item["status"] == "received"

    def test_other_banks_rows_are_404_everywhere(self, station, rows, client):
        client.force_login(station.b_staff)
        assert client.get(f"/credit/agreements/{rows['agreement'].pk}/").status_code == 404
        task = services.CounselingTask.objects.get()
        assert client.get(f"/credit/counseling/{task.pk}/").status_code == 404
        assert client.get("/api/v1/credit/counseling").json() == []
        assert client.post(f"/credit/agreements/{rows['agreement'].pk}/confirm/").status_code == 404

    def test_a_bank_sees_only_its_own_debt_of_a_two_bank_application(self, station, rows, client):
        client.force_login(station.b_staff)
        page = client.get(f"/credit/applications/{rows['rescue'].pk}/").content.decode()
        assert "乙银行" in page and "卡尾号8888" not in page and "30,000.00" not in page

    def test_staff_screens_show_masked_identifiers(self, station, rows, client):
        client.force_login(station.a_liaison)
        page = client.get(f"/credit/disputes/{rows['dispute'].pk}/").content.decode()
        assert ID_A not in page and "3505**********1236" in page
        assert PHONE_A not in page and "138****8000" in page
        shown = client.post(
            f"/credit/applications/{rows['dispute'].application.pk}/reveal/",
            {"field": "id_number", "reason": "核实身份"},
        ).content.decode()
        assert ID_A in shown

    def test_the_public_sees_only_applications_of_its_own_phone(self, station, rows, client):
        number = rows["dispute"].application.number
        assert client.get(f"/credit/p/a/{number}/").status_code == 302
        login_public(client, PHONE_B)
        assert client.get(f"/credit/p/a/{number}/").status_code == 404
        assert client.get(f"/api/v1/credit/public/applications/{number}").status_code == 404
        login_public(client, PHONE_A)
        page = client.get(f"/credit/p/a/{number}/")
        assert page.status_code == 200 and "征信权益告知单" in page.content.decode()
        assert client.get(f"/api/v1/credit/public/applications/{number}").json()["due_at"]


STAFF_PAGES = [
    "/credit/",
    "/credit/disputes/",
    "/credit/applications/",
    "/credit/statements/",
    "/credit/measures/",
    "/credit/agreements/",
    "/credit/reporting/",
    "/credit/counseling/",
    "/credit/stats/",
]


@pytest.mark.parametrize(
    "who", ["center_staff", "a_liaison", "a_manager", "a_staff", "b_staff", "pbc_officer", "viewer"]
)
def test_every_staff_page_renders_for_every_role(station, rows, client, who):
    client.force_login(getattr(station, who))
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url
    detail = client.get(f"/credit/disputes/{rows['dispute'].pk}/").status_code
    assert detail == (
        200 if who in {"center_staff", "a_liaison", "a_manager", "pbc_officer", "viewer"} else 404
    )


def test_detail_pages_render(station, rows, client):
    client.force_login(station.center_staff)
    assert client.get(f"/credit/applications/{rows['rescue'].pk}/").status_code == 200
    assert client.get(f"/credit/applications/{rows['dispute'].application.pk}/").status_code == 200
    client.force_login(station.a_staff)
    assert client.get(f"/credit/agreements/{rows['agreement'].pk}/").status_code == 200
    assert client.get(f"/credit/counseling/{services.CounselingTask.objects.get().pk}/").status_code == 200
    client.force_login(station.a_manager)
    assert client.get("/credit/measures/new/").status_code == 200
    assert client.get(f"/credit/measures/{station.a_card_waiver.pk}/edit/").status_code == 200
    assert client.get(f"/credit/measures/{station.b_loan_grace.pk}/edit/").status_code == 404


def test_public_pages_render_for_a_verified_phone(station, rows, client):
    for url in [
        "/credit/p/",
        "/credit/p/notice/",
        "/credit/p/track/",
        "/credit/p/measures/?product_line=credit_card",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/credit/p/apply/dispute/").status_code == 302
    login_public(client, PHONE_B)
    for kind in ["dispute", "statement", "rescue", "consultation"]:
        assert client.get(f"/credit/p/apply/{kind}/").status_code == 200
    assert client.get("/credit/p/apply/other/").status_code == 404
    rescue = rows["rescue"]
    assert client.get(f"/credit/p/a/{rescue.number}/").status_code == 200
    assert client.get(f"/credit/p/a/{rescue.number}/facts/").status_code == 200
    plan = rescue.plans.first()
    page = client.get(f"/credit/p/plans/{plan.pk}/sign/").content.decode()
    assert (
        "个性化还款协议" in page
        and "逾期金额随每期还款逐期核减" in page
        and "甲银行" in page
        and "乙银行" in page
    )
    assert "350503198502021235" not in page
    assert client.get(f"/credit/p/agreements/{plan.agreements.first().pk}/").status_code == 200
    login_public(client, PHONE_A)
    assert client.get(f"/credit/p/plans/{plan.pk}/sign/").status_code == 404


def test_the_portal_offers_the_station_tiles(client):
    page = client.get("/p/").content.decode()
    assert "信用救助申请" in page and "查询办理进度" in page


def test_the_nav_links_show_for_the_right_roles(station, client):
    client.force_login(station.a_liaison)
    page = client.get("/home/").content.decode()
    assert "信用助航站" in page and "/credit/disputes/" in page
    client.force_login(station.mediator)
    assert "信用助航站" not in client.get("/home/").content.decode()


def test_a_public_dispute_form_is_filed_from_the_page(station, client, django_capture_on_commit_callbacks):
    login_public(client, PHONE_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/credit/p/apply/dispute/",
            {
                "applicant_kind": "individual",
                "name": "陈晓东",
                "id_number": ID_A,
                "institution": station.bank_a.pk,
                "item-1-kind": "credit_transaction",
                "item-1-description": "逾期记录不属实",
                "consent": "on",
                "sensitive_consent": "on",
            },
        )
    assert response.status_code == 302
    app = services.Application.objects.get()
    assert response.url == f"/credit/p/a/{app.number}/"
    refused = client.post(
        "/credit/p/apply/dispute/", {"applicant_kind": "individual", "name": "x", "consent": "on"}
    )
    assert refused.status_code == 400 and "error-box" in refused.content.decode()
