import datetime as dt
from decimal import Decimal

import pytest

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError
from jiefen.evidence.models import LedgerEntry
from jiefen.mediation.models import Agreement, Signature
from jiefen.mediation.services import (
    agreement_conclude,
    agreement_create,
    agreement_register_default,
    agreement_sign,
    agreement_sign_request,
    payment_record,
    performance_check,
    performance_start,
)
from tests.mediation.helpers import agreed_case, debtor_phone, last_code, mediating_case, sign_both

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profiles(profiles):
    return profiles


def test_a_mediator_draws_up_an_agreement_with_the_policy_waiver(world):
    case = mediating_case(world)
    agreement = agreement_create(
        actor=world.mediator, case_id=case.pk, kind="instalments", count=6, render="txt"
    )
    assert agreement.state == "signing"
    # world cases: principal 10000, interest 500, penalty 120.50; the default policy halves penalties for instalments
    assert agreement.waived_penalty == Decimal("60.25")
    assert agreement.total == Decimal("10560.25")
    assert sum(i.amount for i in agreement.instalments.all()) == agreement.total
    assert agreement.instalments.count() == 6
    entry = LedgerEntry.objects.get(kind="agreement.issue", subject=f"agreement:{agreement.pk}")
    assert entry.content_hash == agreement.document_hash
    assert "征信" in agreement.credit_clause


def test_a_lump_sum_waives_all_penalty_interest(world):
    case = mediating_case(world)
    agreement = agreement_create(actor=world.mediator, case_id=case.pk, kind="lump_sum", render="txt")
    assert agreement.waived_penalty == Decimal("120.50")
    assert agreement.total == Decimal("10500.00")


def test_a_bank_clerk_cannot_draw_up_the_agreement(world):
    case = mediating_case(world)
    with pytest.raises(ApplicationError):
        agreement_create(actor=world.a_staff, case_id=case.pk, kind="lump_sum", render="txt")


def test_both_parties_sign_by_code_and_the_agreement_takes_effect(world):
    case = mediating_case(world)
    agreement = agreement_create(
        actor=world.mediator, case_id=case.pk, kind="instalments", count=3, render="txt"
    )
    agreement = sign_both(world, agreement)
    assert agreement.state == "effective"
    sig = agreement.signatures.get(side="debtor")
    assert sig.document_hash == agreement.document_hash
    assert sig.ip == "10.0.0.8" and len(sig.code_hash) == 64
    assert LedgerEntry.objects.filter(kind="agreement.sign").count() == 2
    agreement_conclude(actor=world.mediator, agreement_id=agreement.pk)
    assert Case.objects.get(pk=case.pk).status == "agreed"


def test_the_debtor_must_sign_from_a_phone_on_record(world):
    case = mediating_case(world)
    agreement = agreement_create(actor=world.mediator, case_id=case.pk, kind="lump_sum", render="txt")
    with pytest.raises(ApplicationError) as err:
        agreement_sign_request(agreement=agreement, side="debtor", phone="13700001111")
    assert err.value.code == "phone_mismatch"


def test_a_wrong_code_does_not_sign(world):
    case = mediating_case(world)
    agreement = agreement_create(actor=world.mediator, case_id=case.pk, kind="lump_sum", render="txt")
    phone = debtor_phone(case)
    agreement_sign_request(agreement=agreement, side="debtor", phone=phone)
    code = last_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ApplicationError):
        agreement_sign(agreement_id=agreement.pk, side="debtor", phone=phone, code=wrong)
    assert not Signature.objects.exists()


def test_payments_fill_instalments_in_order_and_a_missed_one_is_flagged(world):
    case, agreement = agreed_case(world, count=3)
    performance_start(actor=world.a_staff, case_id=case.pk)
    first = agreement.instalments.get(seq=1)
    payment_record(
        actor=world.a_staff, agreement_id=agreement.pk, amount=first.amount, paid_on=dt.date.today()
    )
    first.refresh_from_db()
    assert first.settled
    second = agreement.instalments.get(seq=2)
    result = performance_check(today=second.due_on + dt.timedelta(days=30))
    assert result["flagged"] == 1
    agreement.refresh_from_db()
    assert agreement.default_detected_at is not None
    agreement_register_default(actor=world.a_staff, agreement_id=agreement.pk, reason="第2期逾期未还")
    assert Case.objects.get(pk=case.pk).status == "defaulted"
    assert Agreement.objects.get(pk=agreement.pk).state == "defaulted"


def test_a_waiver_above_the_creditors_policy_is_refused(world):
    from jiefen.mediation.plan import Rates

    case = mediating_case(world)
    with pytest.raises(ApplicationError, match="减免政策上限"):
        agreement_create(
            actor=world.mediator,
            case_id=case.pk,
            kind="instalments",
            count=6,
            rates=Rates(Decimal(80), Decimal(50), Decimal(0)),
            render="txt",
        )


def test_an_institution_policy_overrides_the_centre_default(world):
    from jiefen.mediation.models import WaiverPolicy

    WaiverPolicy.objects.create(
        institution=world.bank_a, inst_penalty_pct=Decimal(80), inst_compound_pct=Decimal(80)
    )
    case = mediating_case(world)
    agreement = agreement_create(
        actor=world.mediator, case_id=case.pk, kind="instalments", count=6, render="txt"
    )
    assert agreement.waived_penalty == Decimal("96.40")


def test_the_agreement_states_how_the_credit_report_shows_the_debt(world):
    from jiefen.mediation.documents import agreement_blocks, as_text

    case = mediating_case(world)
    agreement = agreement_create(
        actor=world.mediator, case_id=case.pk, kind="instalments", count=6, render="txt"
    )
    text = as_text(agreement_blocks(agreement))
    assert "征信报送" in text and "结清" in text and "10日内" in text
    assert "不向任何银行申请新的信用卡" in text  # credit cards: 信用卡办法 Art 70
    assert agreement.document.read().decode() == text


def test_a_new_version_voids_the_unsigned_one(world):
    case = mediating_case(world)
    first = agreement_create(actor=world.mediator, case_id=case.pk, kind="lump_sum", render="txt")
    agreement_create(actor=world.mediator, case_id=case.pk, kind="instalments", count=3, render="txt")
    first.refresh_from_db()
    assert first.state == "void"


def test_a_payment_reference_counts_once_and_overpayment_is_refused(world):
    from jiefen.common.errors import Conflict

    case, agreement = agreed_case(world, count=2)
    payment_record(
        actor=world.a_staff,
        agreement_id=agreement.pk,
        amount=Decimal("100"),
        paid_on=dt.date.today(),
        reference="TX1",
    )
    with pytest.raises(Conflict):
        payment_record(
            actor=world.a_staff,
            agreement_id=agreement.pk,
            amount=Decimal("100"),
            paid_on=dt.date.today(),
            reference="TX1",
        )
    with pytest.raises(ApplicationError, match="超过剩余应还"):
        payment_record(
            actor=world.a_staff, agreement_id=agreement.pk, amount=agreement.total, paid_on=dt.date.today()
        )
    with pytest.raises(ApplicationError):
        payment_record(
            actor=world.a_staff,
            agreement_id=agreement.pk,
            amount=Decimal("1"),
            paid_on=dt.date.today() + dt.timedelta(days=2),
        )
    with pytest.raises(ApplicationError):
        payment_record(
            actor=world.mediator, agreement_id=agreement.pk, amount=Decimal("1"), paid_on=dt.date.today()
        )


def test_paying_everything_closes_the_case_and_tells_the_credit_station(world):
    from jiefen.mediation.services import payment_recorded

    seen = []
    payment_recorded.connect(lambda **kw: seen.append(kw["payment"].amount), weak=False, dispatch_uid="t")
    try:
        case, agreement = agreed_case(world, count=2)
        performance_start(actor=world.a_staff, case_id=case.pk)
        payment_record(
            actor=world.a_staff, agreement_id=agreement.pk, amount=agreement.total, paid_on=dt.date.today()
        )
    finally:
        payment_recorded.disconnect(dispatch_uid="t")
    assert seen == [agreement.total]
    assert Agreement.objects.get(pk=agreement.pk).state == "completed"
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "performed"


def test_reminders_go_out_before_the_due_date_once(world):
    from jiefen.outreach.models import OutboundMessage

    case, agreement = agreed_case(world, count=2)
    due = agreement.instalments.get(seq=1).due_on
    assert performance_check(today=due - dt.timedelta(days=2))["reminded"] == 1
    assert performance_check(today=due - dt.timedelta(days=1))["reminded"] == 0
    assert OutboundMessage.objects.filter(purpose="instalment_reminder").count() == 1


def test_a_late_payment_within_grace_is_not_a_default(world):
    case, agreement = agreed_case(world, count=2)
    due = agreement.instalments.get(seq=1).due_on
    assert performance_check(today=due + dt.timedelta(days=agreement.grace_days))["flagged"] == 0
    assert performance_check(today=due + dt.timedelta(days=agreement.grace_days + 8))["flagged"] == 1


def test_collection_pauses_while_mediating(world):
    from jiefen.mediation.selectors import collection_paused

    case = mediating_case(world)
    assert collection_paused(case)
    assert not collection_paused(world.case(world.bank_a, path=["triage_simple"]))


def test_the_api_previews_and_records_payments(client, world):
    case, agreement = agreed_case(world, count=2)
    client.force_login(world.mediator)
    other = mediating_case(world)
    plan = client.post(
        f"/api/v1/mediation/cases/{other.pk}/plan",
        {"kind": "instalments", "count": 4},
        content_type="application/json",
    )
    assert plan.status_code == 200 and len(plan.json()["schedule"]) == 4
    client.force_login(world.a_staff)
    paid = client.post(
        f"/api/v1/mediation/agreements/{agreement.pk}/payments",
        {"amount": "10.00", "paid_on": dt.date.today().isoformat(), "reference": "BANK-1"},
        content_type="application/json",
    )
    assert paid.status_code == 201
    again = client.post(
        f"/api/v1/mediation/agreements/{agreement.pk}/payments",
        {"amount": "10.00", "paid_on": dt.date.today().isoformat(), "reference": "BANK-1"},
        content_type="application/json",
    )
    assert again.status_code == 409
    client.force_login(world.b_staff)
    assert client.get(f"/api/v1/mediation/agreements/{agreement.pk}").status_code == 404


def test_a_repayment_file_is_imported_row_by_row(client, world):
    from django.core.management import call_command

    case, agreement = agreed_case(world, count=2)
    rows = "\n".join(
        [
            "协议编号,金额,还款日期,流水号",
            f"{agreement.number},100.00,{dt.date.today():%Y-%m-%d},F1",
            f"{agreement.number},100.00,{dt.date.today():%Y-%m-%d},F1",
            f"TJ-NOPE,5,{dt.date.today():%Y-%m-%d},F2",
            f"{agreement.number},abc,{dt.date.today():%Y-%m-%d},F3",
        ]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.a_staff)
    client.post("/mediation/performance/", {"file": SimpleUploadedFile("p.csv", rows.encode("utf-8-sig"))})
    assert list(agreement.payments.values_list("reference", "source")) == [("F1", "import")]
    client.force_login(world.b_staff)
    client.post("/mediation/performance/", {"file": SimpleUploadedFile("p.csv", rows.encode())})
    assert agreement.payments.count() == 1  # another bank's file cannot touch this agreement
    call_command("performance", "--today", dt.date.today().isoformat())


def test_the_effective_agreement_is_served_on_the_debtor(world):
    from jiefen.litigation.models import ServiceDelivery
    from jiefen.mediation.services import agreement_conclude

    case = mediating_case(world)
    agreement = agreement_create(actor=world.mediator, case_id=case.pk, kind="lump_sum", render="txt")
    sign_both(world, agreement)
    agreement_conclude(actor=world.mediator, agreement_id=agreement.pk, base_url="https://jf.example")
    delivery = ServiceDelivery.objects.get(case=case)
    assert delivery.kind == "agreement" and delivery.document_hash == agreement.document_hash


def test_performing_a_mediated_agreement_gives_the_creditor_a_credit_update_task_per_instalment(world):
    from jiefen.credit.models import ReportingTask

    case, agreement = agreed_case(world, count=3)
    assert not ReportingTask.objects.filter(case=case).exists()
    performance_start(actor=world.a_staff, case_id=case.pk)
    tasks = list(ReportingTask.objects.filter(case=case).order_by("seq"))
    instalments = list(agreement.instalments.order_by("seq"))
    assert [(t.payment_due_on, t.payment_amount) for t in tasks] == [
        (i.due_on, i.amount) for i in instalments
    ]
    assert {t.institution_id for t in tasks} == {case.institution_id}
