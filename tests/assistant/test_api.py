"""POST /api/v1/assistant/ask: the public contract, errors in Chinese, the rate limit, the log."""

import pytest

from jiefen.assistant.models import Conversation, Handoff, Message

URL = "/api/v1/assistant/ask"
FIELDS = {"intent", "answer", "confidence", "handoff", "scam_warning", "sources"}

pytestmark = pytest.mark.django_db


def ask(client, question, **extra):
    return client.post(URL, {"question": question, **extra}, content_type="application/json")


def test_it_answers_a_colloquial_question_with_exactly_the_documented_fields(client, published_kb):
    r = ask(client, "查征信要钱吗")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == FIELDS
    assert body["intent"] == "query.fee"
    assert body["handoff"] is False and body["scam_warning"] is False
    assert 0 <= body["confidence"] <= 1
    assert body["sources"] and "第17条" in body["sources"][0]
    assert "10元" in body["answer"]


def test_it_needs_no_login_and_no_csrf_token(published_kb):
    from django.test import Client

    r = ask(Client(enforce_csrf_checks=True), "怎么查征信")
    assert r.status_code == 200
    assert r.json()["intent"] == "query.channels"


def test_it_hands_over_what_it_does_not_know(client, published_kb):
    body = ask(client, "后天厦门会不会刮台风").json()
    assert body["handoff"] is True
    assert body["intent"] is None
    assert body["sources"] == []
    assert "人工" in body["answer"]
    assert Handoff.objects.filter(status=Handoff.Status.WAITING).count() == 1


def test_it_warns_about_a_paid_credit_repair_pitch(client, published_kb):
    body = ask(client, "有人说交2000块定金就能把我的逾期记录删掉，包成功").json()
    assert body["scam_warning"] is True
    assert body["handoff"] is False
    assert "四条免费维权渠道" in body["answer"]
    assert body["intent"] in {"dispute.repair_scam", "scam.victim", "scam.agent_complaint"}


def test_it_answers_from_the_shipped_file_before_anything_is_loaded(client, db):
    body = ask(client, "查征信要钱吗").json()
    assert body["intent"] == "query.fee"


@pytest.mark.parametrize("question", ["", "   ", None])
def test_it_refuses_an_empty_question_in_chinese(client, db, question):
    r = client.post(URL, {} if question is None else {"question": question}, content_type="application/json")
    assert r.status_code == 400
    assert r.json() == {"code": "empty_question", "message": "请输入您想咨询的问题"}


def test_it_refuses_a_question_over_500_characters(client, db):
    r = ask(client, "征" * 501)
    assert r.status_code == 400
    assert r.json()["code"] == "question_too_long"
    assert "500字以内" in r.json()["message"]
    assert ask(client, "我想问征信" + "啊" * 495).status_code == 200  # exactly 500 is accepted


def test_a_question_that_is_not_text_is_a_validation_error(client, db):
    r = client.post(URL, {"question": ["a"]}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["code"] == "validation"


def test_it_limits_questions_per_address(client, db, monkeypatch):
    from jiefen.common import rules

    monkeypatch.setitem(
        rules.RULES,
        "assistant.rate_per_minute",
        rules.Rule("assistant.rate_per_minute", 3, "count", "t", "t"),
    )
    codes = [ask(client, "怎么查征信").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = ask(client, "怎么查征信")
    assert r.json()["code"] == "rate_limited" and "稍等" in r.json()["message"]
    # Another address is not affected.
    other = client.post(
        URL, {"question": "怎么查征信"}, content_type="application/json", REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 200


def test_it_keeps_the_conversation_and_returns_its_token_in_a_header(client, published_kb):
    r1 = ask(client, "怎么查征信")
    token = r1["X-Assistant-Session"]
    r2 = ask(client, "要钱吗，查征信", session=token)
    assert r2["X-Assistant-Session"] == token
    conv = Conversation.objects.get(token=token)
    assert conv.channel == "api"
    assert list(conv.messages.values_list("role", flat=True)) == ["user", "bot", "user", "bot"]
    bot = conv.messages.filter(role=Message.Role.BOT).first()
    assert bot.intent == "query.channels" and bot.candidates[0][0] == "query.channels"


def test_an_unknown_session_token_starts_a_new_conversation(client, published_kb):
    r = ask(client, "怎么查征信", session="not-a-token")
    assert r.status_code == 200
    assert r["X-Assistant-Session"] != "not-a-token"


def test_the_openapi_document_describes_the_endpoint(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/assistant/ask" in doc["paths"]
    assert "/api/v1/assistant/stats" in doc["paths"]
