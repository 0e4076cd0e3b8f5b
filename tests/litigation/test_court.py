"""The court end: confirmation within 30 days, one-click transfer with its package and the small-claims
table, electronic service, enforcement within two years — and each court sees only its own queue."""

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.evidence.models import LedgerEntry
from jiefen.evidence.services import ledger_verify
from jiefen.litigation.models import ConfirmationApplication, ServiceDelivery, SmallClaimsThreshold
from jiefen.litigation.selectors import confirmations_for, small_claims_assessment, transfers_for
from jiefen.litigation.services import (
    asset_inquiry_answer,
    asset_inquiry_request,
    confirmation_accept,
    confirmation_apply,
    confirmation_confirm,
    confirmation_reject,
    enforcement_apply,
    enforcement_close,
    enforcement_deadline,
    enforcement_file,
    enforcement_record,
    service_acknowledge,
    service_confirm_address,
    service_from_token,
    service_open,
    service_token,
    transfer_create,
    transfer_file,
    transfer_judgment,
)
from jiefen.mediation.selectors import debtor_participant, mediation_for_case
from jiefen.mediation.services import (
    agreement_register_default,
    mediation_fail,
    payment_record,
    performance_check,
    performance_start,
    room_upload,
)
from tests.mediation.helpers import agreed_case, agreed_case_at, mediating_case, shanghai

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profiles(profiles):
    return profiles


@pytest.fixture
def fujian(world):
    SmallClaimsThreshold.objects.all().delete()
    for year in (2025, 2026):
        SmallClaimsThreshold.objects.create(
            province_code="35",
            province_name="福建省",
            year=year,
            wage_year=year - 1,
            average_wage=Decimal("100000.00"),
            verified=True,
        )
    world.court.region_code = "350503"
    world.court.save()


def confirmed_case(world):
    case, agreement = agreed_case(world)
    application = confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court)
    confirmation_confirm(actor=world.judge, application_id=application.pk, base_url="https://jf.example")
    case.refresh_from_db()
    return case, agreement, application


class TestConfirmation:
    def test_the_judge_confirms_and_the_case_becomes_enforceable(self, world):
        case, agreement, application = confirmed_case(world)
        assert case.status == "confirmed" and case.enforceable
        application.refresh_from_db()
        assert application.state == "confirmed"
        assert (
            application.ruling_number.startswith(f"（{application.decided_at.year}）")
            and "民特" in application.ruling_number
        )
        entry = LedgerEntry.objects.get(kind="confirmation.ruling")
        assert entry.content_hash == application.ruling_document.sha256
        delivery = ServiceDelivery.objects.get(case=case)
        assert delivery.kind == "ruling" and delivery.document_hash == application.ruling_document.sha256

    def test_the_application_on_the_thirtieth_day_is_accepted_after_the_holiday_shift(self, world):
        # Effective 1 Sep 2026: 30 days end 1 Oct, in the holiday → the last day is Thu 8 Oct
        case, agreement = agreed_case_at(world, shanghai(2026, 9, 1))
        application = confirmation_apply(
            actor=world.mediator, case_id=case.pk, institution=world.court, at=shanghai(2026, 10, 8, 16)
        )
        assert application.apply_due == D(2026, 10, 8)

    def test_an_application_a_day_late_is_refused(self, world):
        case, agreement = agreed_case_at(world, shanghai(2026, 9, 1))
        with pytest.raises(ApplicationError) as err:
            confirmation_apply(
                actor=world.mediator, case_id=case.pk, institution=world.court, at=shanghai(2026, 10, 9)
            )
        assert err.value.code == "confirmation_late"
        assert Case.objects.get(pk=case.pk).status == "agreed"

    def test_the_judge_of_another_court_sees_nothing(self, world):
        case, agreement = agreed_case(world)
        application = confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court)
        assert not confirmations_for(world.judge2).exists()
        with pytest.raises(NotFound):
            confirmation_accept(actor=world.judge2, application_id=application.pk)
        with pytest.raises(NotFound):
            confirmation_accept(actor=world.b_staff, application_id=application.pk)

    def test_the_creditor_cannot_rule_on_its_own_application(self, world):
        case, agreement = agreed_case(world)
        application = confirmation_apply(actor=world.a_staff, case_id=case.pk, institution=world.court)
        with pytest.raises(PermissionDenied):
            confirmation_confirm(actor=world.a_staff, application_id=application.pk)

    def test_a_rejection_gives_reasons_and_sends_the_case_back(self, world):
        case, agreement = agreed_case(world)
        application = confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court)
        accepted = confirmation_accept(actor=world.judge, application_id=application.pk)
        assert accepted.decide_due is not None
        with pytest.raises(ApplicationError):
            confirmation_reject(actor=world.judge, application_id=application.pk, reasons=" ")
        confirmation_reject(
            actor=world.judge, application_id=application.pk, reasons="协议约定的利息超过法定上限"
        )
        assert Case.objects.get(pk=case.pk).status == "agreed"

    def test_a_notary_office_issues_an_enforceable_instrument_through_its_own_queue(self, world):
        from tests.factories import institution, user

        notary = institution("NOTARY", "notary", "公证处")
        clerk = user("notary_clerk", notary, "dispute_liaison")
        case, agreement = agreed_case(world)
        application = confirmation_apply(
            actor=world.mediator,
            case_id=case.pk,
            institution=notary,
            route=ConfirmationApplication.Route.NOTARY,
        )
        assert confirmations_for(clerk).filter(pk=application.pk).exists()
        assert not confirmations_for(world.judge).exists()
        with pytest.raises(ApplicationError):
            confirmation_confirm(actor=world.judge, application_id=application.pk)
        done = confirmation_confirm(actor=world.center_staff, application_id=application.pk)
        assert done.state == "confirmed" and "证字" in done.ruling_number
        with pytest.raises(ApplicationError):
            confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court, route="notary")


class TestTransfer:
    def test_a_failed_case_goes_to_the_court_queue_as_a_package(self, world, fujian):
        case = mediating_case(world)
        mediation = mediation_for_case(case)
        evidence = room_upload(
            mediation=mediation,
            participant=debtor_participant(case),
            filename="流水.pdf",
            content=b"%PDF-1.4 x",
        ).evidence
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="债务人坚持要求免除全部利息")
        transfer = transfer_create(actor=world.a_staff, case_id=case.pk, institution=world.court)
        assert Case.objects.get(pk=case.pk).status == "litigation"
        assert transfers_for(world.judge).filter(pk=transfer.pk).exists()
        assert not transfers_for(world.judge2).exists()
        assert transfer.small_claims == "yes"  # 10,620.50 ≤ 50,000
        with zipfile.ZipFile(io.BytesIO(transfer.package.read())) as zf:
            names = set(zf.namelist())
            manifest = json.loads(zf.read("manifest.json"))
            listing = zf.read("证据清单.csv").decode("utf-8-sig")
            record = zf.read("调解记录.txt").decode()
            facts = json.loads(zf.read("案件信息.json"))
        assert {"起诉状.docx", "证据清单.csv", "调解记录.txt", "案件信息.json", "manifest.json"} <= names
        assert "证据/01-流水.pdf" in names
        assert evidence.sha256 in listing
        assert "债务人坚持要求免除全部利息" in record
        assert facts["诉请"]["合计"] == str(case.claim_total)
        import hashlib

        with zipfile.ZipFile(io.BytesIO(transfer.package.read())) as zf:
            for name, meta in manifest.items():
                assert hashlib.sha256(zf.read(name)).hexdigest() == meta["sha256"]
        assert LedgerEntry.objects.get(kind="transfer.package").content_hash == transfer.package.sha256
        assert ledger_verify().ok

    def test_a_case_still_in_mediation_cannot_be_transferred(self, world):
        case = mediating_case(world)
        with pytest.raises(ApplicationError):
            transfer_create(actor=world.a_staff, case_id=case.pk, institution=world.court)

    def test_another_bank_cannot_transfer_or_see_it(self, world):
        case = mediating_case(world)
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="不同意")
        with pytest.raises(NotFound):
            transfer_create(actor=world.b_staff, case_id=case.pk, institution=world.court)

    def test_arbitration_takes_the_package_instead_of_the_court(self, world):
        from tests.factories import institution, user

        arb = institution("ARB", "arbitration", "仲裁委")
        arbitrator = user("arb_clerk", arb, "dispute_liaison")
        case = mediating_case(world)
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="合同约定仲裁")
        transfer = transfer_create(actor=world.a_staff, case_id=case.pk, institution=arb, route="arbitration")
        assert transfers_for(arbitrator).filter(pk=transfer.pk).exists()
        assert not transfers_for(world.judge).exists()
        assert "仲裁申请书.docx" in zipfile.ZipFile(io.BytesIO(transfer.package.read())).namelist()

    def test_filing_judgment_and_the_trial_clock(self, world, fujian):
        case = mediating_case(world)
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="不同意")
        transfer = transfer_create(actor=world.a_staff, case_id=case.pk, institution=world.court)
        with pytest.raises(PermissionDenied):
            transfer_file(
                actor=world.a_staff,
                transfer_id=transfer.pk,
                filing_number="x",
                filed_on=D(2026, 3, 2),
                procedure="small_claims",
            )
        filed = transfer_file(
            actor=world.judge,
            transfer_id=transfer.pk,
            filing_number="（2026）闽0503民初1号",
            filed_on=D(2026, 3, 2),
            procedure="small_claims",
        )
        assert filed.trial_due == D(2026, 5, 6)  # 2 months → 2 May, in the Labour Day holiday → 6 May
        judged = transfer_judgment(
            actor=world.judge,
            transfer_id=transfer.pk,
            judgment_on=D(2026, 4, 1),
            amount=Decimal("10500"),
            summary="被告偿还本息",
        )
        assert Case.objects.get(pk=case.pk).status == "judged"
        assert judged.perform_by == D(2026, 4, 27)


class TestSmallClaims:
    @pytest.mark.parametrize(
        ("principal", "lost", "expected"),
        [
            ("49379.50", False, "yes"),
            ("49379.51", False, "consent"),
            ("99379.50", False, "consent"),
            ("99379.51", False, "no"),
            ("1000", True, "no"),
        ],
    )
    def test_the_threshold_and_its_double(self, world, fujian, principal, lost, expected):
        # claim = principal + 500 interest + 120.50 penalty; the threshold is 50,000.00
        case = world.case(world.bank_a, principal=principal, phones=[] if lost else None)
        assert small_claims_assessment(case, world.court)[0] == expected

    def test_without_a_row_for_the_province_it_says_it_cannot_tell(self, world):
        SmallClaimsThreshold.objects.all().delete()
        case = world.case(world.bank_a)
        choice, text, _ = small_claims_assessment(case, world.court)
        assert choice == "unknown" and "未录入" in text

    def test_an_unverified_figure_is_flagged(self, world, fujian):
        SmallClaimsThreshold.objects.update(verified=False)
        case = world.case(world.bank_a)
        assert "须核实" in small_claims_assessment(case, world.court)[1]

    def test_the_seeded_fujian_rows_are_marked_for_checking(self):
        # Fresh database: the migration's rows (they are placeholders until someone checks them).
        rows = SmallClaimsThreshold.objects.filter(province_code="35")
        assert rows.exists() and not rows.filter(verified=True).exists()


class TestService:
    def test_opening_the_address_and_the_acknowledgement_are_proof(self, client, world):
        case, agreement, application = confirmed_case(world)
        delivery = ServiceDelivery.objects.get(case=case)
        token = service_token(delivery)
        assert service_from_token(token) == delivery
        page = client.get(reverse("litigation_service", args=[token]))
        assert page.status_code == 200 and "送达地址确认书" in page.content.decode()
        delivery.refresh_from_db()
        assert delivery.opened_at is not None
        with pytest.raises(ApplicationError):
            service_acknowledge(delivery=delivery, ip="1.2.3.4")
        client.post(
            reverse("litigation_service", args=[token]), {"step": "address", "address": "泉州市丰泽区某路1号"}
        )
        client.post(reverse("litigation_service", args=[token]), {"step": "ack"})
        delivery.refresh_from_db()
        assert delivery.acknowledged_at is not None and delivery.ack_ip == "127.0.0.1"
        kinds = set(LedgerEntry.objects.filter(subject=f"case:{case.pk}").values_list("kind", flat=True))
        assert {"service.send", "service.open", "service.address", "service.ack"} <= kinds

    def test_a_forged_link_is_refused(self, client, world):
        assert client.get(reverse("litigation_service", args=["nope"])).status_code == 404

    def test_the_address_is_confirmed_once_per_party(self, world):
        case, agreement, application = confirmed_case(world)
        delivery = ServiceDelivery.objects.get(case=case)
        service_open(delivery=delivery, ip=None)
        service_confirm_address(delivery=delivery, address="地址一")
        assert service_acknowledge(delivery=delivery, ip=None).acknowledged_at


class TestEnforcement:
    def defaulted(self, world):
        case, agreement, application = confirmed_case(world)
        performance_start(actor=world.a_staff, case_id=case.pk)
        first = agreement.instalments.get(seq=1)
        payment_record(
            actor=world.a_staff, agreement_id=agreement.pk, amount=first.amount, paid_on=dt.date.today()
        )
        performance_check(today=agreement.instalments.get(seq=2).due_on + dt.timedelta(days=20))
        agreement_register_default(actor=world.a_staff, agreement_id=agreement.pk, reason="第2期未还")
        return Case.objects.get(pk=case.pk), agreement

    def test_a_missed_payment_leads_to_enforcement_with_its_two_year_clock(self, world):
        case, agreement = self.defaulted(world)
        last = agreement.instalments.order_by("-seq").first().due_on
        enforcement = enforcement_apply(actor=world.a_staff, case_id=case.pk)
        assert Case.objects.get(pk=case.pk).status == "enforcement"
        assert enforcement.basis == "confirmation" and enforcement.last_performance_day == last
        assert enforcement.apply_due == enforcement_deadline(last)
        assert enforcement.amount_sought == agreement.total - agreement.instalments.get(seq=1).amount

    def test_applying_after_two_years_is_refused_and_on_the_last_day_allowed(self, world):
        from django.utils import timezone

        from jiefen.common.clock import SHANGHAI

        case, agreement = self.defaulted(world)
        due = enforcement_deadline(agreement.instalments.order_by("-seq").first().due_on)
        late = timezone.datetime.combine(due + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI)
        with pytest.raises(ApplicationError) as err:
            enforcement_apply(actor=world.a_staff, case_id=case.pk, at=late)
        assert err.value.code == "enforcement_late"
        last_day = timezone.datetime.combine(due, dt.time(17), tzinfo=SHANGHAI)
        assert enforcement_apply(actor=world.a_staff, case_id=case.pk, at=last_day).apply_due == due

    def test_the_deadline_counts_two_years_and_skips_rest_days(self):
        assert enforcement_deadline(D(2024, 6, 15)) == D(2026, 6, 15)
        # 2 years after 3 Oct 2024 is 3 Oct 2026, inside the National Day holiday → 8 Oct
        assert enforcement_deadline(D(2024, 10, 3)) == D(2026, 10, 8)

    def test_an_unconfirmed_agreement_cannot_be_enforced(self, world):
        case, agreement = agreed_case(world)
        performance_start(actor=world.a_staff, case_id=case.pk)
        performance_check(today=agreement.instalments.get(seq=1).due_on + dt.timedelta(days=20))
        agreement_register_default(actor=world.a_staff, agreement_id=agreement.pk, reason="未还")
        with pytest.raises(ApplicationError):
            enforcement_apply(actor=world.a_staff, case_id=case.pk)

    def test_the_court_runs_asset_inquiries_records_money_and_closes(self, world):
        case, agreement = self.defaulted(world)
        enforcement = enforcement_apply(actor=world.a_staff, case_id=case.pk)
        with pytest.raises(ApplicationError):
            asset_inquiry_request(actor=world.judge, enforcement_id=enforcement.pk, kinds=["bank"])
        enforcement_file(
            actor=world.judge, enforcement_id=enforcement.pk, filing_number="（2026）闽0503执1号"
        )
        with pytest.raises(PermissionDenied):
            asset_inquiry_request(actor=world.a_staff, enforcement_id=enforcement.pk, kinds=["bank"])
        inquiries = asset_inquiry_request(
            actor=world.judge, enforcement_id=enforcement.pk, kinds=["bank", "vehicle", "bogus"]
        )
        assert [q.kind for q in inquiries] == ["bank", "vehicle"] and all(
            q.state == "requested" for q in inquiries
        )
        answered = asset_inquiry_answer(
            actor=world.judge, inquiry_id=inquiries[0].pk, summary="冻结存款", amount_found="3000"
        )
        assert answered.state == "answered" and answered.amount_found == Decimal("3000.00")
        with pytest.raises(ApplicationError):
            enforcement_record(
                actor=world.judge, enforcement_id=enforcement.pk, amount=enforcement.amount_sought + 1
            )
        enforcement_record(actor=world.judge, enforcement_id=enforcement.pk, amount=Decimal("3000"))
        enforcement_close(
            actor=world.judge, enforcement_id=enforcement.pk, closure="terminated", note="无其他可供执行财产"
        )
        assert Case.objects.get(pk=case.pk).status == "closed"
        assert ledger_verify().ok


class TestPages:
    def test_the_judge_works_the_queue_in_the_browser_pages(self, client, world):
        case, agreement = agreed_case(world)
        application = confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court)
        client.force_login(world.judge)
        home = client.get(reverse("litigation_home"))
        assert case.number in home.content.decode()
        assert client.get(reverse("litigation_confirmation", args=[application.pk])).status_code == 200
        client.post(reverse("litigation_confirmation_action", args=[application.pk, "confirm"]))
        assert Case.objects.get(pk=case.pk).status == "confirmed"
        ruling = client.get(reverse("litigation_ruling", args=[application.pk]))
        assert ruling.status_code == 200

    def test_other_tenants_get_404(self, client, world):
        case, agreement = agreed_case(world)
        application = confirmation_apply(actor=world.mediator, case_id=case.pk, institution=world.court)
        for user in (world.b_staff, world.judge2):
            client.force_login(user)
            assert client.get(reverse("litigation_confirmation", args=[application.pk])).status_code == 404
            assert client.get(reverse("litigation_transfer_new", args=[case.pk])).status_code == 404

    def test_the_api_assesses_small_claims_and_transfers(self, client, world, fujian):
        case = mediating_case(world)
        mediation_fail(actor=world.mediator, case_id=case.pk, reason="不同意")
        client.force_login(world.a_staff)
        assessed = client.get(f"/api/v1/litigation/cases/{case.pk}/small-claims?court=COURT")
        assert assessed.json()["result"] == "yes"
        made = client.post(
            f"/api/v1/litigation/cases/{case.pk}/transfer",
            {"institution": "COURT"},
            content_type="application/json",
        )
        assert made.status_code == 201 and len(made.json()["package_sha256"]) == 64
        assert client.get("/api/v1/litigation/small-claims/35?year=2026").json()["threshold"] == "50000.00"
        client.force_login(world.b_staff)
        assert client.get(f"/api/v1/litigation/transfers/{made.json()['id']}").status_code == 404
