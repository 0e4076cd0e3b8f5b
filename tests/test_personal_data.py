import pytest
from django.db import connection

from jiefen.audit.models import RevealLog
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.parties.models import Party, PartyPhone
from jiefen.parties.services import party_reveal


def raw_row(table, pk, column):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 — fixed names
        return cur.fetchone()[0]


def test_id_numbers_and_phones_are_ciphertext_in_the_database(world):
    case = world.case(phones=["13800138000"])
    party = case.debtor
    stored = raw_row("parties_party", party.pk, "id_number")
    assert party.id_number not in stored and stored.startswith("v1:")
    phone = party.phones.get()
    stored_phone = raw_row("parties_partyphone", phone.pk, "number")
    assert "13800138000" not in stored_phone
    assert Party.objects.get(pk=party.pk).id_number == party.id_number


def test_a_party_is_found_again_by_keyed_hash(world):
    case = world.case()
    assert Party.objects.filter(id_hash=lookup_hash(case.debtor.id_number)).get() == case.debtor
    assert (
        lookup_hash(case.debtor.id_number)
        != __import__("hashlib").sha256(case.debtor.id_number.encode()).hexdigest()
    )


def test_the_case_page_shows_only_masked_identifiers(world, client):
    case = world.case(phones=["13800138000"])
    client.force_login(world.a_staff)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.debtor.id_number not in html
    assert case.debtor.masked_id in html
    assert "13800138000" not in html and "138****8000" in html


def test_a_reveal_needs_a_reason_and_is_logged(world, client):
    case = world.case(phones=["13800138000"])
    client.force_login(world.a_staff)
    url = f"/parties/{case.debtor.pk}/reveal/"
    refused = client.post(url, {"field": "id_number", "reason": ""}).content.decode()
    assert "事由" in refused and case.debtor.id_number not in refused
    assert RevealLog.objects.count() == 0
    shown = client.post(url, {"field": "id_number", "reason": "核实身份"}).content.decode()
    assert case.debtor.id_number in shown
    log = RevealLog.objects.get()
    assert (log.actor, log.party, log.field, log.reason) == (
        world.a_staff,
        case.debtor,
        "id_number",
        "核实身份",
    )
    phone = PartyPhone.objects.get(party=case.debtor)
    assert (
        "13800138000"
        in client.post(url, {"field": "phone", "phone": phone.pk, "reason": "回拨"}).content.decode()
    )
    assert RevealLog.objects.count() == 2


def test_another_bank_cannot_reveal_a_party(world, client):
    case = world.case(world.bank_a)
    with pytest.raises(NotFound):
        party_reveal(actor=world.b_staff, party_id=case.debtor.pk, field="id_number", reason="试图查看")
    client.force_login(world.b_staff)
    assert (
        client.post(
            f"/parties/{case.debtor.pk}/reveal/", {"field": "id_number", "reason": "x看看"}
        ).status_code
        == 404
    )
    assert RevealLog.objects.count() == 0


def test_a_read_only_viewer_cannot_reveal(world):
    case = world.case()
    with pytest.raises((NotFound, ApplicationError)):
        party_reveal(actor=world.viewer, party_id=case.debtor.pk, field="id_number", reason="统计需要")


def test_each_bank_keeps_its_own_record_of_the_same_person(world):
    a = world.case(world.bank_a)
    from jiefen.cases.services import case_create

    b = case_create(
        actor=world.b_staff,
        institution=world.bank_b,
        debtor_kind="individual",
        debtor_name=a.debtor.name,
        debtor_id_number=a.debtor.id_number,
        debtor_phones=["13900139000"],
        product_type="small_loan",
        contract_no="B-1",
        claim={"principal": 100},
    )
    assert a.debtor.pk != b.debtor.pk and a.debtor.id_hash == b.debtor.id_hash
    assert not a.debtor.phones.filter(number_hash=lookup_hash("13900139000")).exists()
