"""Every page renders for the people who should see it, and is a 404 for those who should not."""

import pytest
from django.urls import reverse

from jiefen.mediation.selectors import mediation_for_case, participant_for_user, room_token
from jiefen.mediation.services import agreement_create, room_post
from tests.mediation.helpers import agreed_case, mediating_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profiles(profiles):
    return profiles


def login(client, user):
    client.force_login(user)
    return client


def test_the_centre_sees_recommendations_with_reasons(client, world):
    case = world.case(world.bank_a, path=["triage_complex"])
    page = login(client, world.center_staff).get(reverse("mediation_case", args=[case.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "推荐调解员" in text and "擅长信用卡纠纷" in text and "在办 0/5 件" in text


def test_the_mediation_pages_render_for_the_mediator(client, world):
    case = mediating_case(world)
    login(client, world.mediator)
    for name in ["mediation_home", "mediation_performance", "mediation_mediators"]:
        assert client.get(reverse(name)).status_code == 200, name
    for name in ["mediation_case", "mediation_room", "mediation_builder"]:
        assert client.get(reverse(name, args=[case.pk])).status_code == 200, name
    preview = client.post(reverse("mediation_preview", args=[case.pk]), {"kind": "instalments", "count": "6"})
    assert "债务人节省" in preview.content.decode()
    bad = client.post(reverse("mediation_preview", args=[case.pk]), {"kind": "instalments", "count": "61"})
    assert "不能超过 60 期" in bad.content.decode()


def test_another_bank_gets_a_404_everywhere(client, world):
    case, agreement = agreed_case(world)
    login(client, world.b_staff)
    for name, args in [
        ("mediation_case", [case.pk]),
        ("mediation_room", [case.pk]),
        ("mediation_room_log", [case.pk]),
        ("mediation_agreement", [agreement.pk]),
        ("mediation_agreement_document", [agreement.pk]),
        ("mediation_builder", [case.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("mediation_room_post", args=[case.pk]), {"body": "hi"}).status_code == 404


def test_a_judge_cannot_enter_the_room(client, world):
    case = mediating_case(world)
    assert login(client, world.judge).get(reverse("mediation_room", args=[case.pk])).status_code == 404


def test_the_debtor_joins_by_link_posts_and_reads(client, world):
    case = mediating_case(world)
    mediation = mediation_for_case(case)
    room_post(
        mediation=mediation, participant=participant_for_user(world.mediator, case), body="您好，我是调解员"
    )
    token = room_token(mediation)
    page = client.get(reverse("mediation_public_room", args=[token]))
    assert page.status_code == 200
    assert "您好，我是调解员" in page.content.decode()
    client.post(
        reverse("mediation_public_post", args=[token]), {"body": "我想分期还款"}, HTTP_HX_REQUEST="true"
    )
    assert mediation.messages.filter(side="debtor", body="我想分期还款").exists()
    # The mediator now sees the debtor has read the message
    staff = login(client.__class__(), world.mediator).get(reverse("mediation_room", args=[case.pk]))
    assert "债务人已读" in staff.content.decode()


def test_a_tampered_or_revoked_link_is_refused(client, world):
    from jiefen.mediation.services import room_link_revoke

    case = mediating_case(world)
    token = room_token(mediation_for_case(case))
    assert client.get(reverse("mediation_public_room", args=[token + "x"])).status_code == 404
    room_link_revoke(actor=world.mediator, case_id=case.pk)
    assert client.get(reverse("mediation_public_room", args=[token])).status_code == 404


def test_the_log_answers_204_when_nothing_changed(client, world):
    case = mediating_case(world)
    token = room_token(mediation_for_case(case))
    first = client.get(reverse("mediation_public_log", args=[token]))
    state = first.content.decode().split("state=")[1].split('"')[0]
    again = client.get(reverse("mediation_public_log", args=[token]) + f"?state={state}")
    assert again.status_code == 204


def test_the_agreement_page_and_documents(client, world, pdf_required):
    case = mediating_case(world)
    agreement = agreement_create(
        actor=world.mediator, case_id=case.pk, kind="instalments", count=4, render="pdf"
    )
    login(client, world.a_staff)
    page = client.get(reverse("mediation_agreement", args=[agreement.pk]))
    assert page.status_code == 200
    assert agreement.document_hash in page.content.decode()
    doc = client.get(reverse("mediation_agreement_document", args=[agreement.pk]))
    body = b"".join(doc.streaming_content)
    assert body.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(body).hexdigest() == agreement.document_hash
    docx = client.get(reverse("mediation_agreement_render", args=[agreement.pk, "docx"]))
    assert b"".join(docx.streaming_content).startswith(b"PK")


def test_evidence_files_download_only_for_those_who_see_the_case(client, world):
    from jiefen.mediation.selectors import debtor_participant
    from jiefen.mediation.services import room_upload

    case = mediating_case(world)
    evidence = room_upload(
        mediation=mediation_for_case(case),
        participant=debtor_participant(case),
        filename="a.pdf",
        content=b"%PDF-1 x",
    ).evidence
    login(client, world.b_staff)
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    login(client, world.a_staff)
    assert (
        b"".join(client.get(reverse("evidence_download", args=[evidence.pk])).streaming_content)
        == b"%PDF-1 x"
    )
    other = world.case(world.bank_a, path=["triage_complex"])
    token = room_token(mediation_for_case(other))
    assert client.get(reverse("mediation_public_evidence", args=[token, evidence.pk])).status_code == 404


def test_the_subsidy_statement_exports_excel(client, world):
    agreed_case(world)
    login(client, world.center_admin)
    page = client.get(reverse("mediation_statement"))
    assert page.status_code == 200
    xlsx = client.get(reverse("mediation_statement") + "?format=xlsx")
    assert b"".join(xlsx.streaming_content).startswith(b"PK")
    login(client, world.a_staff)
    assert client.get(reverse("mediation_statement")).status_code == 404
