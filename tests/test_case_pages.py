"""The case page links to the capability that works the case's stage, and leaves that capability's own
steps to it (a mediation needs its record and agreement; a court step needs its filing)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page(client, user, case):
    client.force_login(user)
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_case_in_mediation_links_to_the_mediation_page_and_offers_no_bare_mediation_steps(client, world):
    case = world.case(path=["triage_complex", "@mediator", "start_mediation"])
    html = page(client, world.mediator, case)
    assert reverse("mediation_case", args=[case.pk]) in html
    assert 'value="mediation_agreed"' not in html and 'value="mediation_fail"' not in html


def test_a_case_at_the_desk_links_to_the_desk_and_keeps_the_desk_outcomes(client, world):
    case = world.case(path=["triage_simple"])
    html = page(client, world.a_staff, case)
    assert reverse("disposal_case", args=[case.pk]) in html
    assert 'value="settle_paid"' in html  # a plain outcome stays on the case page
    assert reverse("mediation_case", args=[case.pk]) not in html


def test_a_failed_mediation_goes_to_court_through_the_transfer_page(client, world):
    case = world.case(path=["triage_complex", "@mediator", "start_mediation", "mediation_fail"])
    html = page(client, world.a_staff, case)
    assert reverse("litigation_transfer_new", args=[case.pk]) in html
    assert 'value="transfer_litigation"' not in html


def test_a_case_handed_to_court_from_the_desk_is_sent_to_build_its_package(client, world):
    case = world.case(path=["triage_simple", "handover_litigation"])
    html = page(client, world.a_staff, case)
    assert reverse("litigation_transfer_new", args=[case.pk]) in html
    assert 'value="judge"' not in page(client, world.judge, case)
