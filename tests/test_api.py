import pytest

from jiefen.accounts.models import ApiToken


@pytest.mark.django_db
class TestApi:
    def test_a_token_is_issued_for_good_credentials_only(self, client, world):
        ok = client.post(
            "/api/v1/auth/token",
            {"username": "a_staff", "password": "pw-a_staff"},
            content_type="application/json",
        )
        assert ok.status_code == 200 and ok.json()["token"].startswith("jf_")
        assert ApiToken.objects.get().key_hash == ApiToken.hash(ok.json()["token"])
        bad = client.post(
            "/api/v1/auth/token",
            {"username": "a_staff", "password": "wrong"},
            content_type="application/json",
        )
        assert bad.status_code == 401 and bad.json()["code"] == "invalid_credentials"

    def test_the_token_works_as_a_bearer(self, client, world):
        case = world.case()
        raw = client.post(
            "/api/v1/auth/token",
            {"username": "a_staff", "password": "pw-a_staff"},
            content_type="application/json",
        ).json()["token"]
        response = client.get(f"/api/v1/cases/{case.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
        body = response.json()
        assert body["id"] == case.pk and body["status"] == "new" and body["institution"] == "BANK-A"
        assert (
            body["debtor_id_masked"].count("*") == 10
            and case.debtor.id_number not in response.content.decode()
        )
        assert client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer jf_nonsense").status_code == 401

    def test_a_revoked_token_stops_working(self, client, world):
        token, raw = ApiToken.issue(user=world.a_staff)
        token.revoked_at = token.created_at
        token.save()
        assert client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

    def test_bad_input_gets_a_json_error_naming_the_field(self, client, world):
        client.force_login(world.a_staff)
        response = client.post(
            "/api/v1/cases", {"institution": "BANK-A", "principal": "-1"}, content_type="application/json"
        )
        body = response.json()
        assert response.status_code == 422 and body["code"] == "validation"
        assert {"debtor_name", "principal"} <= {e["field"] for e in body["errors"]}

    def test_a_bad_id_number_is_explained_in_chinese(self, client, world):
        client.force_login(world.a_staff)
        payload = {
            "institution": "BANK-A",
            "debtor_name": "王五",
            "debtor_id_number": "360426199101010072",
            "product_type": "credit_card",
            "contract_no": "X1",
        }
        body = client.post("/api/v1/cases", payload, content_type="application/json").json()
        assert body == {"code": "invalid_id", "message": "身份证号校验位不正确"}

    def test_a_duplicate_contract_is_a_conflict(self, client, world):
        client.force_login(world.a_staff)
        payload = {
            "institution": "BANK-A",
            "debtor_name": "王五",
            "debtor_id_number": "360426199101010071",
            "product_type": "credit_card",
            "contract_no": "DUP",
            "principal": "10",
        }
        assert client.post("/api/v1/cases", payload, content_type="application/json").status_code == 201
        again = client.post("/api/v1/cases", payload, content_type="application/json")
        assert again.status_code == 409 and again.json()["code"] == "duplicate_contract"

    def test_a_transition_with_a_stale_version_is_a_conflict(self, client, world):
        case = world.case(path=["triage_simple"])
        client.force_login(world.a_staff)
        url = f"/api/v1/cases/{case.pk}/transition"
        ok = client.post(
            url,
            {"action": "settle_paid", "reason": "已还清", "expected_version": case.version},
            content_type="application/json",
        )
        assert ok.status_code == 200 and ok.json()["status"] == "closed"
        assert ok.json()["events"][-1]["reason"] == "已还清"
        stale = client.post(
            url,
            {"action": "withdraw", "reason": "x", "expected_version": case.version},
            content_type="application/json",
        )
        assert stale.status_code == 409 and stale.json()["code"] == "conflict"

    def test_the_list_pages_with_a_cursor(self, client, world):
        ids = [world.case().pk for _ in range(5)]
        client.force_login(world.a_staff)
        first = client.get("/api/v1/cases?limit=2").json()
        second = client.get(f"/api/v1/cases?limit=2&before={first['next_before']}").json()
        third = client.get(f"/api/v1/cases?limit=2&before={second['next_before']}").json()
        got = [r["id"] for page in (first, second, third) for r in page["items"]]
        assert got == sorted(ids, reverse=True) and third["next_before"] is None

    def test_the_openapi_document_is_served(self, client):
        doc = client.get("/api/v1/openapi.json").json()
        assert "/api/v1/cases" in doc["paths"] and "/api/v1/auth/token" in doc["paths"]
