"""The disposal desk under the conduct rules: reminders, calls, recovery, outcomes, tenancy."""

import datetime as dt
from decimal import Decimal

import pytest

from jiefen.audit.models import RevealLog
from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.disposal import services
from jiefen.disposal.models import ContactAttempt, PhoneRelation, RecoveryItem
from jiefen.outreach import compliance
from jiefen.outreach.models import OutboundMessage, SmsOptOut
from jiefen.parties.models import PartyPhone

from .conftest import local


@pytest.fixture
def case(world):
    return world.case(world.bank_a, path=["triage_simple"], principal="12000")


def phone_of(case):
    return case.debtor.phones.get()


# ---- reminders ---------------------------------------------------------------------------------


def test_a_reminder_in_office_hours_is_sent_with_the_name_masked(world, case, templates):
    attempt = services.sms_send_case(
        actor=world.a_staff, case_id=case.pk, template_id=templates["reminder"].pk
    )
    assert attempt.outcome == "sent" and attempt.channel == "sms"
    message = attempt.message
    assert message.status == "delivered" and message.backend == "outbox"
    name = case.debtor.name
    assert name not in message.text and name[0] + "*" in message.text
    assert "¥12,620.50" in message.text and "0595-12345" in message.text
    assert case.events.filter(action="contact_sms").exists()


def test_a_reminder_at_23_00_is_refused_and_says_why(world, case, templates):
    with compliance.use_clock(local(23)), pytest.raises(ApplicationError) as refused:
        services.sms_send_case(actor=world.a_staff, case_id=case.pk, template_id=templates["reminder"].pk)
    assert "22:00至次日08:00" in refused.value.message and "23:00" in refused.value.message
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    "hour, minute, allowed", [(7, 59, False), (8, 0, True), (21, 59, True), (22, 0, False)]
)
def test_the_quiet_hours_boundaries(hour, minute, allowed):
    assert (compliance.quiet_hours_refusal(local(hour, minute)) is None) is allowed


def test_the_centre_can_move_the_quiet_hours(db):
    from jiefen.common.models import RuleOverride

    RuleOverride.objects.create(key="collection.quiet_start", amount=21, reason="中心规定")
    RuleOverride.invalidate()
    try:
        assert compliance.quiet_hours_refusal(local(21, 30)) is not None
    finally:
        RuleOverride.objects.all().delete()
        RuleOverride.invalidate()


def test_a_batch_at_23_00_is_refused_whole_and_in_the_day_each_case_gets_its_reason(world, templates):
    ok = world.case(world.bank_a, path=["triage_simple"])
    paused = world.case(world.bank_a, path=["triage_simple", "handover_mediation"])
    lost = world.case(world.bank_a, path=["triage_simple"], phones=[])
    ids = [ok.pk, paused.pk, lost.pk]
    with compliance.use_clock(local(23)), pytest.raises(ApplicationError, match="静默时段"):
        services.sms_batch_create(actor=world.a_staff, case_ids=ids, template_id=templates["reminder"].pk)
    batch = services.sms_batch_create(actor=world.a_staff, case_ids=ids, template_id=templates["reminder"].pk)
    assert (batch.total, batch.sent, batch.blocked) == (3, 1, 2)
    reasons = dict(
        ContactAttempt.objects.filter(batch=batch, outcome="blocked").values_list("case_id", "blocked_reason")
    )
    assert "暂停催收" in reasons[paused.pk]
    assert "失联" in reasons[lost.pk]


def test_collection_pauses_while_a_plan_is_performed(world, templates):
    performing = world.case(world.bank_a, path=["triage_simple", "plan_agreed", "start_performance"])
    with pytest.raises(ApplicationError, match="暂停催收"):
        services.sms_send_case(
            actor=world.a_staff, case_id=performing.pk, template_id=templates["reminder"].pk
        )
    with pytest.raises(ApplicationError, match="暂停催收"):
        services.contact_dial(actor=world.a_staff, case_id=performing.pk, phone_id=phone_of(performing).pk)


def test_an_opted_out_number_gets_no_more_reminders(world, case, templates):
    services.phone_opt_out(actor=world.a_staff, case_id=case.pk, phone_id=phone_of(case).pk)
    assert SmsOptOut.objects.count() == 1 and phone_of(case).opted_out
    with pytest.raises(ApplicationError, match="退订"):
        services.sms_send_case(
            actor=world.a_staff,
            case_id=case.pk,
            template_id=templates["reminder"].pk,
            phone_id=phone_of(case).pk,
        )


def test_a_third_party_never_learns_of_the_debt(world, case, templates):
    relative = services.phone_add(
        actor=world.a_staff, case_id=case.pk, number="13700001111", relation="family", contact_name="其兄"
    )
    with pytest.raises(ApplicationError, match="第三人"):
        services.sms_send_case(
            actor=world.a_staff, case_id=case.pk, template_id=templates["reminder"].pk, phone_id=relative.pk
        )
    attempt = services.sms_send_case(
        actor=world.a_staff, case_id=case.pk, template_id=templates["third"].pk, phone_id=relative.pk
    )
    assert "¥" not in attempt.message.text and "欠款" not in attempt.message.text
    # The batch picks the debtor's own number, never the relative's.
    batch = services.sms_batch_create(
        actor=world.a_staff, case_ids=[case.pk], template_id=templates["reminder"].pk
    )
    assert batch.attempts.get().phone == phone_of_self(case)


def phone_of_self(case):
    return (
        PartyPhone.objects.filter(party=case.debtor)
        .exclude(relation__relation__in=["family", "colleague", "other"])
        .get()
    )


# ---- calls -------------------------------------------------------------------------------------


def test_click_to_call_gives_the_number_and_logs_the_reveal(world, case):
    number = services.contact_dial(actor=world.a_staff, case_id=case.pk, phone_id=phone_of(case).pk)
    assert number == phone_of(case).number
    assert RevealLog.objects.filter(actor=world.a_staff, party=case.debtor, field="phone").count() == 1


def test_the_seventh_unanswered_call_of_the_day_is_refused(world, case):
    phone = phone_of(case)
    for n in range(6):
        services.contact_call_log(
            actor=world.a_staff, case_id=case.pk, phone_id=phone.pk, outcome="no_answer", now=local(9, n)
        )
    with pytest.raises(ApplicationError, match="6次均未接通"):
        services.contact_dial(actor=world.a_staff, case_id=case.pk, phone_id=phone.pk, now=local(15))
    with pytest.raises(ApplicationError, match="6次均未接通"):
        services.contact_call_log(
            actor=world.a_staff, case_id=case.pk, phone_id=phone.pk, outcome="no_answer", now=local(15)
        )
    # The next day starts afresh.
    assert services.contact_dial(
        actor=world.a_staff, case_id=case.pk, phone_id=phone.pk, now=local(9, days=1)
    )


def test_a_call_at_night_is_refused(world, case):
    with pytest.raises(ApplicationError, match="静默时段"):
        services.contact_call_log(
            actor=world.a_staff,
            case_id=case.pk,
            phone_id=phone_of(case).pk,
            outcome="reached",
            now=local(22, 30),
        )


def test_a_promise_needs_an_amount_and_a_date_and_is_on_the_record(world, case):
    phone = phone_of(case)
    with pytest.raises(ApplicationError, match="金额"):
        services.contact_call_log(actor=world.a_staff, case_id=case.pk, phone_id=phone.pk, outcome="promised")
    today = local(10).date()
    attempt = services.contact_call_log(
        actor=world.a_staff,
        case_id=case.pk,
        phone_id=phone.pk,
        outcome="promised",
        promised_amount=Decimal("3000"),
        promised_on=today + dt.timedelta(days=7),
        next_contact_on=today + dt.timedelta(days=8),
    )
    assert attempt.promised_amount == Decimal("3000")
    assert "承诺" in case.events.get(action="contact_call").reason


def test_a_wrong_number_is_invalidated_and_the_debtor_becomes_lost(world, case):
    services.contact_call_log(
        actor=world.a_staff, case_id=case.pk, phone_id=phone_of(case).pk, outcome="wrong_number"
    )
    case.refresh_from_db()
    assert case.lost_contact and not phone_of(case).is_valid
    assert case.events.filter(action="lost_contact").exists()


# ---- recovery ----------------------------------------------------------------------------------


def test_contact_recovery_adds_numbers_and_returns_cases_to_the_queue(world):
    lost = [world.case(world.bank_a, path=["triage_simple"], phones=[]) for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in lost]).update(lost_contact=True)
    contactable = world.case(world.bank_a, path=["triage_simple"])
    with pytest.raises(ApplicationError, match="不是失联案件"):
        services.recovery_batch_create(actor=world.a_staff, case_ids=[contactable.pk])
    batch = services.recovery_batch_create(actor=world.a_staff, case_ids=[c.pk for c in lost])
    with pytest.raises(ApplicationError, match="已在修复中"):
        services.recovery_batch_create(actor=world.a_staff, case_ids=[lost[0].pk])
    filename, content = services.recovery_request_file(actor=world.a_staff, batch_id=batch.pk)
    text = content.decode("utf-8-sig")
    assert filename.startswith(batch.number) and lost[0].debtor.id_number in text
    assert RevealLog.objects.filter(field="id_number", reason__contains=batch.number).count() == 3
    result = "序号,手机号,关系,联系人\n1,13911112222,本人,\n2,13633334444,亲属,其母\n"
    batch = services.recovery_import_result(
        actor=world.a_staff, batch_id=batch.pk, data=result.encode("gbk"), filename="r.csv"
    )
    assert (batch.found, batch.not_found, batch.numbers_added) == (2, 1, 2)
    first, second, third = (Case.objects.get(pk=c.pk) for c in lost)
    assert not first.lost_contact and first.debtor.phones.get().source == "recovery"
    # Only a relative's number: still lost, and the number is marked as a third party's.
    assert second.lost_contact
    assert PhoneRelation.objects.get(phone__party=second.debtor).relation == "family"
    assert third.lost_contact
    assert RecoveryItem.objects.get(batch=batch, seq=3).status == "not_found"
    assert "新增1个号码" in first.events.get(action="recovery_result").reason


def test_a_result_file_with_a_foreign_sequence_is_refused(world):
    lost = world.case(world.bank_a, path=["triage_simple"], phones=[])
    Case.objects.filter(pk=lost.pk).update(lost_contact=True)
    batch = services.recovery_batch_create(actor=world.a_staff, case_ids=[lost.pk])
    with pytest.raises(ApplicationError, match="序号9"):
        services.recovery_import_result(
            actor=world.a_staff, batch_id=batch.pk, data=b"seq,phone\n9,13911112222\n"
        )


# ---- outcomes ----------------------------------------------------------------------------------


def test_outcomes_are_transitions_of_the_case(world):
    paid = world.case(world.bank_a, path=["triage_simple"])
    assert (
        services.disposal_outcome(
            actor=world.a_staff, case_id=paid.pk, outcome="paid", reason="已结清"
        ).status
        == "closed"
    )
    plan = world.case(world.bank_a, path=["triage_simple"])
    assert (
        services.disposal_outcome(
            actor=world.a_staff, case_id=plan.pk, outcome="plan", reason="分12期"
        ).status
        == "agreed"
    )
    handed = world.case(world.bank_a, path=["triage_simple"])
    case = services.disposal_outcome(
        actor=world.a_staff, case_id=handed.pk, outcome="mediation", reason="多次沟通未果"
    )
    assert case.status == "mediation_pending"
    sued = world.case(world.bank_a, path=["triage_simple"])
    with pytest.raises(ApplicationError, match="法院"):
        services.disposal_outcome(
            actor=world.a_staff, case_id=sued.pk, outcome="litigation", reason="拒不还款"
        )
    case = services.disposal_outcome(
        actor=world.a_staff, case_id=sued.pk, outcome="litigation", reason="拒不还款", court=world.court
    )
    assert case.status == "litigation" and case.court == world.court
    with pytest.raises(ApplicationError, match="事由"):
        services.disposal_outcome(
            actor=world.a_staff,
            case_id=world.case(world.bank_a, path=["triage_simple"]).pk,
            outcome="paid",
            reason="",
        )


# ---- tenancy -----------------------------------------------------------------------------------


def test_another_bank_cannot_see_or_work_the_case(client, world, case, templates):
    with pytest.raises(NotFound):
        services.sms_send_case(actor=world.b_staff, case_id=case.pk, template_id=templates["reminder"].pk)
    with pytest.raises(NotFound):
        services.contact_dial(actor=world.b_staff, case_id=case.pk, phone_id=phone_of(case).pk)
    with pytest.raises(NotFound):
        services.sms_batch_create(
            actor=world.b_staff, case_ids=[case.pk], template_id=templates["reminder"].pk
        )
    client.force_login(world.b_staff)
    assert client.get(f"/disposal/case/{case.pk}/").status_code == 404
    assert case.number not in client.get("/disposal/?scope=all").content.decode()
    assert client.post(f"/disposal/case/{case.pk}/dial/{phone_of(case).pk}/").status_code == 404


def test_read_only_viewers_see_but_cannot_work(client, world, case, templates):
    client.force_login(world.viewer)
    page = client.get(f"/disposal/case/{case.pk}/").content.decode()
    assert case.number in page and "一键拨号" not in page
    with pytest.raises(ApplicationError):
        services.sms_send_case(actor=world.viewer, case_id=case.pk, template_id=templates["reminder"].pk)


def test_the_queue_shows_mine_with_the_triage_reason(client, world, case):
    services.disposal_assign(actor=world.a_manager, case_ids=[case.pk], assignee=world.a_staff, reason="分配")
    client.force_login(world.a_staff)
    page = client.get("/disposal/").content.decode()
    assert case.number in page and "测试" in page  # the reason the triage recorded


def test_the_dial_button_returns_a_tel_link_or_the_refusal(client, world, case):
    client.force_login(world.a_staff)
    phone = phone_of(case)
    html = client.post(f"/disposal/case/{case.pk}/dial/{phone.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f'href="tel:{phone.number}"' in html
    with compliance.use_clock(local(23)):
        html = client.post(
            f"/disposal/case/{case.pk}/dial/{phone.pk}/", HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "tel:" not in html and "静默时段" in html


def test_the_desk_api_sends_a_batch_logs_a_call_and_hands_over(client, world, case, templates):
    client.force_login(world.a_staff)
    sent = client.post(
        "/api/v1/disposal/sms-batches",
        {"case_ids": [case.pk], "template": "reminder"},
        content_type="application/json",
    )
    assert sent.status_code == 201 and sent.json()["sent"] == 1
    with compliance.use_clock(local(23, 5)):
        refused = client.post(
            "/api/v1/disposal/sms-batches",
            {"case_ids": [case.pk], "template": "reminder"},
            content_type="application/json",
        )
    assert refused.status_code == 400 and refused.json()["code"] == "quiet_hours"
    call = client.post(
        f"/api/v1/disposal/cases/{case.pk}/calls",
        {"phone_id": phone_of(case).pk, "outcome": "refused"},
        content_type="application/json",
    )
    assert call.status_code == 201
    queue = client.get("/api/v1/disposal/queue").json()
    assert queue["items"][0]["number"] == case.number
    moved = client.post(
        f"/api/v1/disposal/cases/{case.pk}/outcome",
        {"outcome": "mediation", "reason": "拒绝还款，移送调解"},
        content_type="application/json",
    )
    assert moved.json()["status"] == "mediation_pending"
    client.force_login(world.b_staff)
    assert (
        client.post(
            f"/api/v1/disposal/cases/{case.pk}/calls",
            {"phone_id": 1, "outcome": "refused"},
            content_type="application/json",
        ).status_code
        == 404
    )
