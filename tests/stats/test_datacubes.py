"""The per-institution datacube: prepared by the centre, reviewed by the bank, then published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.stats.datacubes import ACTIONS, datacube_act, datacube_prepare, parse_period, period_code
from jiefen.stats.models import Datacube
from jiefen.stats.services import cube_refresh

from .conftest import local

pytestmark = pytest.mark.django_db
PREPARED = local(2026, 7, 1, 9)


@pytest.fixture
def cubes(world, timeline):
    for day in range(2, 14):
        timeline.case(
            at=local(2026, 4, day, 9),
            steps=[("triage_simple", local(2026, 4, day)), ("settle_paid", local(2026, 4, day + 3))],
        )
    timeline.case(world.bank_b, at=local(2026, 5, 5, 9), steps=[("triage_simple", local(2026, 5, 5))])
    cube_refresh(force=True, now=PREPARED)
    made = datacube_prepare(actor=world.center_staff, period="2026Q2", now=PREPARED)
    return {c.institution_id: c for c in made}


def test_periods_parse_and_print_back():
    assert parse_period("2026Q2") == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert parse_period("2026h2") == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert parse_period("2025") == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert period_code(dt.date(2026, 4, 1), dt.date(2026, 6, 30)) == "2026Q2"
    for bad in ["2026Q5", "26Q1", "", "2026-04"]:
        with pytest.raises(ApplicationError):
            parse_period(bad)


def test_the_centre_prepares_one_cube_per_institution_with_cases(cubes, world):
    assert set(cubes) == {world.bank_a.pk, world.bank_b.pk}
    a = cubes[world.bank_a.pk]
    assert a.status == "review"
    assert a.figures["total"]["received"] == 12
    assert a.figures["by_product"]["credit_card"]["closed"] == 12
    assert a.events.get().action == "prepare"
    assert a.review_due > PREPARED.date()
    again = datacube_prepare(actor=world.center_staff, period="2026Q2", now=PREPARED)
    assert again == [], "an existing cube is kept (the centre revises it instead)"


def test_only_the_centre_prepares_and_only_for_a_finished_period(cubes, world):
    with pytest.raises(PermissionDenied):
        datacube_prepare(actor=world.a_manager, period="2026Q1", now=PREPARED)
    with pytest.raises(PermissionDenied):
        datacube_prepare(actor=world.viewer, period="2026Q1", now=PREPARED)
    with pytest.raises(ApplicationError):
        datacube_prepare(actor=world.center_staff, period="2026Q3", now=PREPARED)


def test_the_bank_accepts_then_the_centre_publishes(cubes, world):
    a = cubes[world.bank_a.pk]
    a = datacube_act(actor=world.a_manager, datacube_id=a.pk, action="accept", now=PREPARED)
    assert a.status == "accepted"
    a = datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish", now=PREPARED)
    assert a.status == "published" and a.published_at is not None
    assert [e.action for e in a.events.all()] == ["prepare", "accept", "publish"]
    assert [e.actor for e in a.events.all()][1:] == [world.a_manager, world.center_staff]


def test_a_comment_needs_text_and_publishing_over_it_needs_the_centres_reply(cubes, world):
    a = cubes[world.bank_a.pk]
    with pytest.raises(ApplicationError, match="意见"):
        datacube_act(actor=world.a_manager, datacube_id=a.pk, action="comment", reason=" ")
    a = datacube_act(actor=world.a_manager, datacube_id=a.pk, action="comment", reason="3月数据含已撤回案件")
    assert a.status == "commented" and a.institution_comment == "3月数据含已撤回案件"
    with pytest.raises(ApplicationError, match="答复"):
        datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish")
    a = datacube_act(
        actor=world.center_staff, datacube_id=a.pk, action="publish", reason="撤回案件按口径计入收案"
    )
    assert a.status == "published" and a.centre_note


def test_the_centre_waits_for_the_review_period_before_publishing_unanswered(cubes, world):
    a = cubes[world.bank_a.pk]
    with pytest.raises(ApplicationError, match="确认期限"):
        datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish", now=local(2026, 7, 2))
    on_due_day = dt.datetime.combine(a.review_due, dt.time(18), tzinfo=PREPARED.tzinfo)
    with pytest.raises(ApplicationError, match="确认期限"):
        datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish", now=on_due_day)
    after = on_due_day + dt.timedelta(days=1)
    assert (
        datacube_act(actor=world.center_staff, datacube_id=a.pk, action="publish", now=after).status
        == "published"
    )


def test_another_bank_and_the_read_only_roles_cannot_act(cubes, world):
    a = cubes[world.bank_a.pk]
    with pytest.raises(NotFound):
        datacube_act(actor=world.b_staff, datacube_id=a.pk, action="accept")
    with pytest.raises(ApplicationError, match="角色"):
        datacube_act(actor=world.viewer, datacube_id=a.pk, action="publish")
    with pytest.raises(ApplicationError, match="角色"):
        datacube_act(actor=world.center_staff, datacube_id=a.pk, action="accept")
    with pytest.raises(NotFound):
        datacube_act(
            actor=world.a_staff, datacube_id=a.pk, action="accept"
        )  # the bank's staff, not its manager
    assert Datacube.objects.get(pk=a.pk).status == "review"


def test_a_stale_form_is_a_conflict(cubes, world):
    a = cubes[world.bank_a.pk]
    datacube_act(actor=world.a_manager, datacube_id=a.pk, action="accept", expected_version=0)
    with pytest.raises(Conflict):
        datacube_act(
            actor=world.a_manager, datacube_id=a.pk, action="comment", reason="x", expected_version=0
        )


def test_revise_takes_fresh_figures_and_asks_again(cubes, world, timeline):
    a = datacube_act(
        actor=world.a_manager, datacube_id=cubes[world.bank_a.pk].pk, action="comment", reason="少了一件"
    )
    timeline.case(at=local(2026, 6, 20, 9))
    cube_refresh(force=True)
    a = datacube_act(actor=world.center_staff, datacube_id=a.pk, action="revise", reason="补录一件后重新生成")
    assert a.status == "review"
    assert a.figures["total"]["received"] == 13
    assert a.institution_comment == ""


def test_the_review_page_shows_the_bank_its_actions_and_hides_other_banks(cubes, world):
    a, b = cubes[world.bank_a.pk], cubes[world.bank_b.pk]
    client = Client()
    client.force_login(world.a_manager)
    html = client.get(f"/stats/datacubes/{a.pk}/").content.decode()
    assert ACTIONS["accept"].label in html and ACTIONS["publish"].label not in html
    assert client.get(f"/stats/datacubes/{b.pk}/").status_code == 404
    listing = client.get("/stats/datacubes/").content.decode()
    assert f"/stats/datacubes/{a.pk}/" in listing and f"/stats/datacubes/{b.pk}/" not in listing
    response = client.post(f"/stats/datacubes/{a.pk}/accept/", {"version": a.version})
    assert response.status_code == 302
    assert Datacube.objects.get(pk=a.pk).status == "accepted"
    assert client.post(f"/stats/datacubes/{b.pk}/accept/", {"version": 0}).status_code == 404
