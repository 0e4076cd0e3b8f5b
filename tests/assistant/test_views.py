"""The public chat page and the staff pages: they render, call the services, and say why they refuse."""

import pytest
from django.urls import reverse

from jiefen.assistant.models import Conversation, Handoff, KbVersion
from jiefen.orgs.access import viewer_for

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_the_portal_lists_the_assistant_tile(client, published_kb):
    page = client.get("/p/").content.decode()
    assert "智能问答" in page and "7×24小时征信问题解答" in page and reverse("assistant_public") in page


def test_the_nav_link_shows_for_the_credit_window_and_the_centre_only(world):
    from jiefen.common.nav import links_for

    assert any(link["label"] == "智能问答" for link in links_for(viewer_for(world.pbc_officer)))
    assert any(link["label"] == "智能问答" for link in links_for(viewer_for(world.center_staff)))
    assert not any(link["label"] == "智能问答" for link in links_for(viewer_for(world.a_staff)))


def test_the_chat_page_opens_without_login_and_offers_examples(client, published_kb):
    page = client.get(reverse("assistant_public"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "征信问题智能问答" in html and "查征信要收费吗？" in html
    assert 'name="viewport"' in html


def test_asking_through_htmx_returns_the_question_and_the_answer(client, published_kb):
    r = client.post(reverse("assistant_public_ask"), {"question": "查征信要钱吗"}, **HX)
    html = r.content.decode()
    assert r.status_code == 200
    assert "查征信要钱吗" in html and "10元" in html and 'data-intent="query.fee"' in html
    assert 'id="poller"' in html and "hx-swap-oob" in html
    conv = Conversation.objects.get()
    assert client.session["assistant_conversation"] == conv.token
    # The next question continues the same conversation.
    client.post(reverse("assistant_public_ask"), {"question": "个人声明是什么"}, **HX)
    assert Conversation.objects.count() == 1 and conv.messages.count() == 4


def test_asking_without_javascript_redirects_back_to_the_chat(client, published_kb):
    r = client.post(reverse("assistant_public_ask"), {"question": "怎么查征信"})
    assert r.status_code == 302
    assert "www.pbccrc.org.cn" in client.get(reverse("assistant_public")).content.decode()


def test_an_empty_or_overlong_question_gets_a_chinese_message(client, published_kb):
    assert (
        "请输入您想咨询的问题"
        in client.post(reverse("assistant_public_ask"), {"question": " "}, **HX).content.decode()
    )
    long = client.post(reverse("assistant_public_ask"), {"question": "问" * 600}, **HX).content.decode()
    assert "500字以内" in long
    assert not Conversation.objects.exists()


def test_a_handed_over_question_offers_the_phone_box_and_stores_the_phone(client, published_kb):
    html = client.post(
        reverse("assistant_public_ask"), {"question": "港澳台同胞能在内地查征信吗"}, **HX
    ).content.decode()
    assert "已转人工" in html and 'name="phone"' in html
    bad = client.post(reverse("assistant_public_phone"), {"phone": "123"}, **HX).content.decode()
    assert "手机号应为" in bad
    ok = client.post(reverse("assistant_public_phone"), {"phone": "13800138000"}, **HX).content.decode()
    assert "短信通知" in ok
    assert Conversation.objects.get().phone == "13800138000"


def test_polling_without_news_is_an_empty_204(client, published_kb):
    client.post(reverse("assistant_public_ask"), {"question": "怎么查征信"}, **HX)
    assert client.get(reverse("assistant_public_poll") + "?after=0").status_code == 204


def test_a_forged_conversation_link_is_refused(client, published_kb):
    r = client.get(reverse("assistant_public_link", args=["forged-token"]))
    assert r.status_code == 403 and "链接无效" in r.content.decode()


def test_starting_a_new_conversation_forgets_the_old_one(client, published_kb):
    client.post(reverse("assistant_public_ask"), {"question": "怎么查征信"}, **HX)
    client.post(reverse("assistant_public_new"))
    assert "assistant_conversation" not in client.session


# ----------------------------------------------------------------------------- staff pages
def test_the_test_page_shows_the_score_breakdown_and_candidates(client, world, published_kb):
    client.force_login(world.pbc_officer)
    html = client.get(reverse("assistant_test"), {"q": "查征信要钱不"}).content.decode()
    assert "query.fee" in html and "覆盖度" in html and "归一化后的问题" in html and "置信度" in html


def test_the_test_page_previews_drafts_without_publishing_them(client, world, published_kb):
    from jiefen.assistant.services import kb_version_save

    kb_version_save(
        actor=world.pbc_officer,
        key="query.english",
        create=True,
        category="query",
        question="征信报告有英文版吗？",
        paraphrases=["信用报告能出英文的吗"],
        answer="只有中文版。",
    )
    client.force_login(world.center_staff)
    live = client.get(reverse("assistant_test"), {"q": "信用报告能出英文的吗"}).content.decode()
    preview = client.get(
        reverse("assistant_test"), {"q": "信用报告能出英文的吗", "drafts": "1"}
    ).content.decode()
    assert "只有中文版。" not in live
    assert "只有中文版。" in preview


def test_creating_editing_and_publishing_through_the_pages(client, world, published_kb):
    client.force_login(world.center_staff)
    r = client.post(
        reverse("assistant_kb_new"),
        {
            "key": "query.english",
            "category": "query",
            "question": "征信报告有英文版吗？",
            "paraphrases": "信用报告能出英文的吗\n\n出国要英文征信",
            "answer": "只有中文版。",
            "source": "测试",
        },
    )
    assert r.status_code == 302
    v = KbVersion.objects.get(entry__key="query.english")
    assert v.paraphrases == ["信用报告能出英文的吗", "出国要英文征信"]
    assert client.get(reverse("assistant_kb_entry", args=["query.english"])).status_code == 200
    assert client.get(reverse("assistant_kb_edit", args=["query.english"])).status_code == 200
    client.post(reverse("assistant_kb_version_action", args=[v.pk, "submit"]))
    # Centre staff may not publish: the page says so and nothing changes.
    client.post(reverse("assistant_kb_version_action", args=[v.pk, "publish"]))
    v.refresh_from_db()
    assert v.status == KbVersion.Status.REVIEW
    client.force_login(world.pbc_officer)
    list_html = client.get(reverse("assistant_kb"), {"status": "review"}).content.decode()
    assert "query.english" in list_html
    client.post(reverse("assistant_kb_version_action", args=[v.pk, "publish"]), {"note": "已核对"})
    v.refresh_from_db()
    assert v.status == KbVersion.Status.PUBLISHED and v.reviewed_by == world.pbc_officer


def test_a_bad_form_keeps_the_input_and_explains(client, world, published_kb):
    client.force_login(world.pbc_officer)
    r = client.post(
        reverse("assistant_kb_new"),
        {"key": "query.fee", "category": "query", "question": "重复？", "answer": "答"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "已存在" in html and "重复？" in html


def test_the_export_download_is_the_file_format(client, world, published_kb):
    import json

    client.force_login(world.pbc_officer)
    r = client.get(reverse("assistant_kb_export"))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    data = json.loads(b"".join(r.streaming_content))
    assert any(e["id"] == "query.fee" for e in data)
    y = client.get(reverse("assistant_kb_export"), {"format": "yaml"})
    assert b"query.fee" in b"".join(y.streaming_content)


def test_the_queue_page_refreshes_its_rows_through_htmx(client, world, published_kb):
    from jiefen.assistant.services import assistant_ask

    assistant_ask(question="港澳台同胞能在内地查征信吗")
    client.force_login(world.pbc_officer)
    rows = client.get(reverse("assistant_queue"), **HX).content.decode()
    assert "港澳台同胞" in rows and "<html" not in rows
    assert Handoff.objects.count() == 1


def test_the_demo_loads_a_published_kb_and_a_queue(world):
    import random

    from django.utils import timezone

    from jiefen.assistant import demo

    users = {"pbc_officer": world.pbc_officer, "center_admin": world.center_admin}
    counts = demo.load({"users": users, "rng": random.Random(1), "now": timezone.now(), "institutions": {}})
    assert counts["kb_entries"] >= 61 and counts["conversations"] > 20
    assert Handoff.objects.filter(status=Handoff.Status.ANSWERED).exists()
    assert Handoff.objects.filter(status=Handoff.Status.WAITING).exists()
    assert KbVersion.objects.filter(status=KbVersion.Status.REVIEW, from_handoff__isnull=False).exists()
    again = demo.load({"users": users, "rng": random.Random(1), "now": timezone.now(), "institutions": {}})
    assert again["conversations"] == 0, "safe to run twice"
