"""The human hand-off: the queue, the reply in the chat and by SMS, turning answers into drafts, stats."""

import datetime as dt

import pytest
from django.urls import reverse

from jiefen.assistant import runtime
from jiefen.assistant.models import Conversation, Handoff, KbVersion, Message
from jiefen.assistant.services import (
    assistant_ask,
    conversation_set_phone,
    handoff_close,
    handoff_reply,
    handoff_to_kb,
)
from jiefen.common.errors import ApplicationError, Conflict, PermissionDenied
from jiefen.outreach.models import OutboundMessage

pytestmark = pytest.mark.django_db

UNKNOWN = "港澳台同胞能在内地查征信吗"
PHONE = "13912345678"


def handed_over(question=UNKNOWN, phone=None):
    r = assistant_ask(question=question, ip="10.0.0.1")
    assert r.handoff is not None, f"{question} should be handed over"
    if phone:
        conversation_set_phone(token=r.conversation.token, phone=phone)
    return r


def login(client, user):
    client.force_login(user)
    return client


# ----------------------------------------------------------------------------- the queue and who sees it
def test_a_question_the_bot_cannot_answer_waits_in_the_queue_with_its_best_guesses(
    client, world, published_kb
):
    r = handed_over()
    page = login(client, world.pbc_officer).get(reverse("assistant_queue"))
    assert page.status_code == 200
    assert UNKNOWN in page.content.decode()
    detail = client.get(reverse("assistant_handoff", args=[r.handoff.pk])).content.decode()
    assert UNKNOWN in detail and "机器人的候选答案" in detail
    assert r.reply.candidates, "the bot's best guesses are kept for the officer"


@pytest.mark.parametrize("who", ["pbc_officer", "center_admin", "center_staff"])
def test_the_credit_window_and_the_centre_see_the_queue(client, world, published_kb, who):
    r = handed_over()
    assert (
        login(client, getattr(world, who)).get(reverse("assistant_handoff", args=[r.handoff.pk])).status_code
        == 200
    )


@pytest.mark.parametrize(
    "who", ["a_staff", "a_manager", "a_liaison", "b_staff", "mediator", "judge", "viewer"]
)
def test_bank_staff_and_others_do_not_see_the_queue(client, world, published_kb, who):
    r = handed_over()
    c = login(client, getattr(world, who))
    for url in (
        reverse("assistant_queue"),
        reverse("assistant_handoff", args=[r.handoff.pk]),
        reverse("assistant_kb"),
        reverse("assistant_test"),
    ):
        assert c.get(url).status_code in (403, 404), url
    assert c.post(reverse("assistant_handoff_reply", args=[r.handoff.pk]), {"text": "答复"}).status_code in (
        403,
        404,
    )
    assert not Message.objects.filter(role=Message.Role.STAFF).exists()


def test_anonymous_visitors_are_sent_to_the_login(client, published_kb):
    assert client.get(reverse("assistant_queue")).status_code == 302


def test_a_missing_handoff_is_a_404(client, world, published_kb):
    assert (
        login(client, world.pbc_officer).get(reverse("assistant_handoff", args=[999999])).status_code == 404
    )


def test_follow_up_questions_join_the_waiting_handoff_instead_of_queueing_twice(published_kb):
    r = handed_over()
    again = assistant_ask(question="破产了征信怎么办", token=r.conversation.token)
    assert again.handoff == r.handoff
    assert Handoff.objects.count() == 1


# ----------------------------------------------------------------------------- the reply
def test_the_officers_reply_comes_back_into_the_chat_and_by_sms(
    client, world, published_kb, django_capture_on_commit_callbacks
):
    r = handed_over(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        login(client, world.pbc_officer).post(
            reverse("assistant_handoff_reply", args=[r.handoff.pk]),
            {"text": "港澳台居民可以持有效证件到查询网点查询。"},
        )
    h = Handoff.objects.get(pk=r.handoff.pk)
    assert h.status == Handoff.Status.ANSWERED and h.answered_by == world.pbc_officer and h.sms_sent
    sms = OutboundMessage.objects.get(purpose="assistant_reply")
    assert sms.to == PHONE
    assert "港澳台居民可以持有效证件" in sms.text and "/assistant/p/c/" in sms.text
    # The person's page picks the reply up by polling.
    person = client.__class__()
    session_link = sms.text.split("查看完整答复：")[1].replace("http://testserver", "")
    assert person.get(session_link).status_code == 302
    poll = person.get(reverse("assistant_public_poll") + f"?after={r.reply.pk}")
    assert poll.status_code == 200
    assert "港澳台居民可以持有效证件到查询网点查询。" in poll.content.decode()
    assert "人工答复" in poll.content.decode()


def test_without_a_phone_no_sms_is_sent(world, published_kb, django_capture_on_commit_callbacks):
    r = handed_over()
    with django_capture_on_commit_callbacks(execute=True):
        handoff_reply(actor=world.center_staff, handoff_id=r.handoff.pk, text="可以持护照查询。")
    assert not OutboundMessage.objects.exists()
    assert Handoff.objects.get(pk=r.handoff.pk).sms_sent is False


def test_two_officers_cannot_both_answer(world, published_kb):
    r = handed_over()
    handoff_reply(actor=world.pbc_officer, handoff_id=r.handoff.pk, text="第一份答复")
    with pytest.raises(Conflict):
        handoff_reply(actor=world.center_staff, handoff_id=r.handoff.pk, text="第二份答复")
    assert r.conversation.messages.filter(role=Message.Role.STAFF).count() == 1


def test_an_empty_reply_is_refused(world, published_kb):
    r = handed_over()
    with pytest.raises(ApplicationError, match="答复内容"):
        handoff_reply(actor=world.pbc_officer, handoff_id=r.handoff.pk, text="  ")


def test_a_bank_employee_cannot_reply(world, published_kb):
    r = handed_over()
    with pytest.raises(PermissionDenied):
        handoff_reply(actor=world.a_staff, handoff_id=r.handoff.pk, text="答复")


def test_closing_needs_a_reason(world, published_kb):
    r = handed_over("加我微信看看")
    with pytest.raises(ApplicationError, match="关闭原因"):
        handoff_close(actor=world.pbc_officer, handoff_id=r.handoff.pk, reason="")
    handoff_close(actor=world.pbc_officer, handoff_id=r.handoff.pk, reason="广告")
    assert Handoff.objects.get(pk=r.handoff.pk).status == Handoff.Status.CLOSED


def test_a_left_phone_is_stored_encrypted_and_checked(published_kb):
    from django.db import connection

    r = handed_over()
    with pytest.raises(ApplicationError, match="手机号"):
        conversation_set_phone(token=r.conversation.token, phone="12345")
    conversation_set_phone(token=r.conversation.token, phone=PHONE)
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM assistant_conversation WHERE id = %s", [r.conversation.pk])
        raw = cur.fetchone()[0]
    assert PHONE not in raw
    conv = Conversation.objects.get(pk=r.conversation.pk)
    assert conv.phone == PHONE and conv.masked_phone == "139****5678"


# ----------------------------------------------------------------------------- into the knowledge base
def test_an_answered_handoff_becomes_a_new_draft_entry_in_one_step(client, world, published_kb):
    r = handed_over()
    handoff_reply(
        actor=world.pbc_officer,
        handoff_id=r.handoff.pk,
        text="港澳台居民可以持有效证件到查询网点查询本人信用报告。",
    )
    resp = login(client, world.pbc_officer).post(
        reverse("assistant_handoff_to_kb", args=[r.handoff.pk]),
        {
            "mode": "new",
            "key": "query.foreigner",
            "category": "query",
            "question": "外国人能查个人信用报告吗？",
        },
    )
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "assistant_kb_entry", args=["query.foreigner"]
    )
    v = KbVersion.objects.get(entry__key="query.foreigner")
    assert v.status == KbVersion.Status.DRAFT and v.from_handoff_id == r.handoff.pk
    assert v.answer.startswith("港澳台居民可以持有效证件") and UNKNOWN in v.paraphrases
    runtime.invalidate()
    assert runtime.get_matcher().ask("外国人能查个人信用报告吗").intent != "query.foreigner", (
        "not before review"
    )


def test_an_answered_handoff_becomes_a_paraphrase_draft(world, published_kb):
    r = handed_over("征信报告要翻译成英文去办签证，哪里能办")
    handoff_reply(actor=world.pbc_officer, handoff_id=r.handoff.pk, text="可以在网上查，也可以委托亲属代查。")
    v = handoff_to_kb(
        actor=world.pbc_officer, handoff_id=r.handoff.pk, mode="paraphrase", key="query.channels"
    )
    assert (
        v.status == KbVersion.Status.DRAFT and v.paraphrases[-1] == "征信报告要翻译成英文去办签证，哪里能办"
    )


def test_a_waiting_handoff_cannot_become_an_entry_yet(world, published_kb):
    r = handed_over()
    with pytest.raises(ApplicationError, match="先答复"):
        handoff_to_kb(
            actor=world.pbc_officer, handoff_id=r.handoff.pk, mode="paraphrase", key="query.channels"
        )


# ----------------------------------------------------------------------------- statistics
def test_statistics_count_questions_answers_handoffs_and_time_to_a_human(client, world, published_kb):
    from django.utils import timezone

    now = timezone.now()
    assistant_ask(question="查征信要钱吗", at=now - dt.timedelta(hours=3))
    r = assistant_ask(question=UNKNOWN, at=now - dt.timedelta(hours=2))
    handoff_reply(
        actor=world.pbc_officer,
        handoff_id=r.handoff.pk,
        text="可以。",
        at=now - dt.timedelta(hours=1, minutes=30),
    )
    assistant_ask(question="破产了征信怎么办", at=now - dt.timedelta(minutes=10))
    data = login(client, world.pbc_officer).get("/api/v1/assistant/stats?days=7").json()
    assert data["totals"]["questions"] == 3
    assert data["totals"]["bot_answered"] == 1
    assert data["totals"]["handed_over"] == 2
    assert data["waiting_now"] == 1
    assert data["human_answer_seconds"]["count"] == 1 and data["human_answer_seconds"]["median"] == 1800
    assert len(data["per_day"]) == 7
    page = client.get(reverse("assistant_stats"))
    assert page.status_code == 200 and "30分钟" in page.content.decode()


def test_the_regulators_viewer_sees_statistics_but_bank_staff_do_not(client, world, published_kb):
    assert login(client, world.viewer).get("/api/v1/assistant/stats").status_code == 200
    assert client.get(reverse("assistant_stats")).status_code == 200
    assert login(client, world.a_staff).get("/api/v1/assistant/stats").status_code == 403
    assert client.get(reverse("assistant_stats")).status_code == 403
