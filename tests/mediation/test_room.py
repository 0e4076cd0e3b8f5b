"""The room: messages and read receipts, evidence, sessions, and the websocket for live updates."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.urls import reverse

from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.evidence.models import LedgerEntry
from jiefen.mediation.models import Message, Session
from jiefen.mediation.routing import websocket_urlpatterns
from jiefen.mediation.selectors import (
    debtor_participant,
    mediation_for_case,
    participant_for_user,
    room_messages,
    room_token,
)
from jiefen.mediation.services import (
    mediation_fail,
    room_link_send,
    room_mark_read,
    room_post,
    room_upload,
    session_minutes,
    session_schedule,
)
from jiefen.outreach.models import OutboundMessage
from tests.mediation.helpers import mediating_case

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _profiles(profiles):
    return profiles


@pytest.mark.django_db
class TestMessages:
    def test_every_message_is_in_the_ledger_and_read_receipts_show_who_read(self, world):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        mediator = participant_for_user(world.mediator, case)
        debtor = debtor_participant(case)
        msg = room_post(mediation=mediation, participant=mediator, body="请说明您的还款能力")
        assert LedgerEntry.objects.filter(kind="room.message", subject=f"case:{case.pk}").exists()
        shown = [e for e in room_messages(mediation, mediator) if e.message.pk == msg.pk][0]
        assert shown.mine and shown.read_by == []
        room_mark_read(mediation=mediation, participant=debtor)
        shown = [e for e in room_messages(mediation, mediator) if e.message.pk == msg.pk][0]
        assert shown.read_by == ["债务人"]

    def test_the_creditor_and_centre_join_as_themselves_and_others_cannot(self, world):
        case = mediating_case(world)
        assert participant_for_user(world.a_staff, case).side == "creditor"
        assert participant_for_user(world.center_staff, case).side == "center"
        assert participant_for_user(world.judge, case) is None
        assert participant_for_user(world.mediator2, case) is None

    def test_an_empty_or_huge_message_is_refused(self, world):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        who = debtor_participant(case)
        for body in ["   ", "字" * 2001]:
            with pytest.raises(ApplicationError):
                room_post(mediation=mediation, participant=who, body=body)

    def test_the_room_closes_for_posts_when_mediation_fails(self, world):
        case = mediating_case(world)
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="债务人拒绝任何方案")
        case.refresh_from_db()
        with pytest.raises(ApplicationError, match="调解已结束"):
            room_post(
                mediation=mediation_for_case(case), participant=debtor_participant(case), body="还能谈吗"
            )
        assert Message.objects.filter(side="system", body__contains="调解不成").exists()

    def test_evidence_from_the_debtor_shows_with_its_hash(self, world):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        message = room_upload(
            mediation=mediation, participant=debtor_participant(case), filename="流水.pdf", content=PDF
        )
        assert message.evidence.sha256 == LedgerEntry.objects.get(kind="evidence.file").content_hash
        assert message.evidence.side == "debtor"

    def test_the_link_is_sent_by_sms_and_works_without_a_password(self, client, world):
        case = mediating_case(world)
        url = "https://example.org" + reverse(
            "mediation_public_room", args=[room_token(mediation_for_case(case))]
        )
        room_link_send(actor=world.mediator, case_id=case.pk, url=url)
        sms = OutboundMessage.objects.filter(purpose="mediation_room").get()
        assert url in sms.text
        assert client.get(url.replace("https://example.org", "")).status_code == 200

    def test_a_bank_clerk_may_not_send_the_link(self, world):
        case = mediating_case(world)
        with pytest.raises(PermissionDenied):
            room_link_send(actor=world.a_staff, case_id=case.pk, url="x")


@pytest.mark.django_db
class TestSessions:
    def test_an_online_session_gets_a_video_room_on_the_configured_server(self, world, settings):
        from django.utils import timezone

        settings.JIEFEN_JITSI_URL = "https://meet.example.gov.cn"
        case = mediating_case(world)
        session = session_schedule(
            actor=world.mediator,
            case_id=case.pk,
            mode="online",
            starts_at=timezone.now() + timezone.timedelta(days=1),
        )
        assert session.video_url.startswith(f"https://meet.example.gov.cn/jiefen-{case.number}-")
        session = session_minutes(actor=world.mediator, session_id=session.pk, minutes="双方同意分12期")
        assert session.state == Session.State.HELD
        assert LedgerEntry.objects.filter(kind="mediation.session").exists()

    def test_an_in_person_session_needs_a_place_and_minutes_need_text(self, world):
        from django.utils import timezone

        case = mediating_case(world)
        with pytest.raises(ApplicationError):
            session_schedule(
                actor=world.mediator, case_id=case.pk, mode="in_person", starts_at=timezone.now()
            )
        session = session_schedule(
            actor=world.mediator,
            case_id=case.pk,
            mode="in_person",
            starts_at=timezone.now(),
            location="第二调解室",
        )
        with pytest.raises(ApplicationError):
            session_minutes(actor=world.mediator, session_id=session.pk, minutes="")


def run_async(fn) -> None:
    """Run a coroutine on its own thread and loop: the browser tests' Playwright keeps an event loop
    in the main thread for the whole session, where async_to_sync refuses to run."""
    failure = []

    async def main():
        try:
            await fn()
        finally:
            # The consumers ran on asgiref's shared thread: close the connections they opened there.
            await sync_to_async(connections.close_all)()

    def target():
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if failure:
        raise failure[0]


def application():
    return AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def session_cookie(client, user) -> bytes:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


@pytest.mark.django_db(transaction=True)
class TestWebsocket:
    def test_the_debtor_sends_over_the_socket_and_the_mediator_is_told(self, client, world):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        cookie = session_cookie(client, world.mediator)

        async def run():
            staff = WebsocketCommunicator(
                application(), f"/ws/mediation/room/{mediation.pk}/", headers=[(b"cookie", cookie)]
            )
            connected, _ = await staff.connect()
            assert connected
            debtor = WebsocketCommunicator(application(), f"/ws/mediation/p/room/{room_token(mediation)}/")
            connected, _ = await debtor.connect()
            assert connected
            await debtor.send_json_to({"type": "message", "body": "我同意分期"})
            update = await staff.receive_json_from(timeout=5)
            assert update["type"] == "update" and update["last_id"] > 0
            await debtor.send_json_to({"type": "nonsense"})
            assert (await debtor.receive_json_from(timeout=5))["type"] in {"update", "error"}
            await staff.disconnect()
            await debtor.disconnect()

        run_async(run)
        assert Message.objects.filter(mediation=mediation, side="debtor", body="我同意分期").exists()

    def test_strangers_and_bad_links_are_turned_away(self, client, world):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        cookie = session_cookie(client, world.b_staff)

        async def run():
            for path, headers in [
                (f"/ws/mediation/room/{mediation.pk}/", [(b"cookie", cookie)]),
                (f"/ws/mediation/room/{mediation.pk}/", []),
                ("/ws/mediation/p/room/forged-token/", []),
            ]:
                comm = WebsocketCommunicator(application(), path, headers=headers)
                connected, code = await comm.connect()
                assert not connected and code == 4403
                await comm.disconnect()

        run_async(run)
