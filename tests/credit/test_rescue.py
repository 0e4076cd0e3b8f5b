"""A person with debts at two banks: ranked plan, choice, signature by phone code, the banks confirm,
reporting-update tasks appear and are worked; and the same tasks for a mediation agreement."""

import datetime as dt
from decimal import Decimal

import pytest

from jiefen.audit.models import RevealLog
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.credit import services
from jiefen.credit.models import CreditAgreement, ReliefPlan, ReportingTask
from jiefen.public.models import PhoneChallenge

from .conftest import PHONE_B, at, consent, hardship, last_code, person, two_bank_debts

D = dt.date


def apply(world, *, now=None, **kw):
    return services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(world),
        hardship=hardship(**kw),
        now=now,
    )


def hashes(plan):
    return {a.pk: services.agreement_document_hash(a) for a in services.plan_awaiting_signature(plan)}


def choose_and_sign(world, app, *, now):
    plan = services.plan_choose(phone=PHONE_B, number=app.number, route="direct", now=now)
    agreements = list(plan.agreements.order_by("id"))
    services.plan_sign_request(phone=PHONE_B, plan_id=plan.pk)
    signed = services.plan_sign(
        phone=PHONE_B,
        plan_id=plan.pk,
        code=last_code(PHONE_B),
        document_hashes=hashes(plan),
        ip="10.1.1.1",
        now=now,
    )
    assert {a.pk for a in signed} == {a.pk for a in agreements}
    return plan, agreements


@pytest.fixture
def person_id():
    return "350503198502021235"


def test_the_id_of_the_fixture_person_is_valid(person_id):
    from jiefen.common.identifiers import normalize_id_card

    assert normalize_id_card(person_id) == person_id


class TestRecommendation:
    def test_each_debt_gets_its_banks_measures_ranked_with_reasons(self, station):
        app = apply(station)
        rec = services.recommend_for_application(app)
        card, loan = rec.debts
        assert [o.measure.name for o in card.offered] == ["甲行信用卡个性化分期"]
        assert card.refused[0].measure.name == "甲行一次性结清减免" and "90天" in card.refused[0].refused[0]
        assert {o.measure.name for o in loan.offered} == {"乙行个人贷款展期", "乙行宽限本息偿还计划"}
        extension = next(o for o in loan.offered if o.measure.kind == "extension")
        assert extension.months <= 12 and any("一半" in t for t in extension.limits)  # 24-month loan
        assert rec.hardship.affordable == Decimal("4500.00")
        assert rec.affordable is True

    def test_the_plan_page_shows_the_ranked_options_to_the_applicant_only(self, station, client):
        app = apply(station)
        session = client.session
        session["public_phone"], session["public_phone_at"] = PHONE_B, dt.datetime.now(dt.UTC).isoformat()
        session.save()
        page = client.get(f"/credit/p/a/{app.number}/plan/").content.decode()
        assert "甲行信用卡个性化分期" in page and "未向您提供的举措及原因" in page and "90天" in page
        other = client.__class__()
        assert other.get(f"/credit/p/a/{app.number}/plan/").status_code == 302  # to phone verification


class TestAgreement:
    def test_choose_sign_confirm_and_the_banks_get_their_reporting_tasks(
        self, station, django_capture_on_commit_callbacks
    ):
        app = apply(station, now=at(2026, 3, 2))
        with django_capture_on_commit_callbacks(execute=True):
            plan, agreements = choose_and_sign(station, app, now=at(2026, 3, 3))
        assert plan.route == "direct" and len(agreements) == 2
        a_agreement = next(a for a in agreements if a.institution == station.bank_a)
        a_agreement.refresh_from_db()
        assert a_agreement.status == CreditAgreement.Status.AWAITING_INSTITUTION
        assert a_agreement.signed_ip == "10.1.1.1" and len(a_agreement.signed_code_hash) == 64
        assert a_agreement.signed_document_sha256 == a_agreement.document_sha256
        assert not ReportingTask.objects.exists()

        with pytest.raises(PermissionDenied):
            services.agreement_confirm(actor=station.a_liaison, agreement_id=a_agreement.pk)
        with pytest.raises(NotFound):
            services.agreement_confirm(actor=station.b_staff, agreement_id=a_agreement.pk)
        services.agreement_confirm(actor=station.a_staff, agreement_id=a_agreement.pk, now=at(2026, 3, 5))
        tasks = list(ReportingTask.objects.filter(institution=station.bank_a).order_by("seq"))
        line = a_agreement.lines.get()
        assert len(tasks) == line.months + (1 if line.down_payment else 0)
        assert sum(t.payment_amount for t in tasks) == line.total_cost
        assert tasks[0].payment_due_on == D(2026, 4, 7)  # 5 April 2026 is Qingming (4–6 April)
        assert tasks[-1].expected_report.startswith("账户状态：结清") and tasks[-1].remaining_after == 0
        assert "逾期金额核减至" in tasks[0].expected_report
        assert tasks[0].update_due_on == D(2026, 4, 17)
        assert not ReportingTask.objects.filter(institution=station.bank_b).exists()
        plan.refresh_from_db()
        assert plan.status == ReliefPlan.Status.SIGNING  # bank B has not confirmed yet

        b_agreement = next(a for a in agreements if a.institution == station.bank_b)
        services.agreement_confirm(actor=station.b_manager, agreement_id=b_agreement.pk, now=at(2026, 3, 6))
        plan.refresh_from_db()
        assert plan.status == ReliefPlan.Status.EFFECTIVE

    def test_the_bank_records_the_update_and_the_applicant_confirms(self, station):
        app = apply(station, now=at(2026, 3, 2))
        _, agreements = choose_and_sign(station, app, now=at(2026, 3, 3))
        a_agreement = next(a for a in agreements if a.institution == station.bank_a)
        services.agreement_confirm(actor=station.a_staff, agreement_id=a_agreement.pk, now=at(2026, 3, 5))
        task = ReportingTask.objects.filter(institution=station.bank_a).order_by("seq").first()
        with pytest.raises(ApplicationError, match="尚未过"):
            services.reporting_task_record(
                actor=station.a_staff,
                task_id=task.pk,
                payment_received=False,
                note="未还",
                now=at(2026, 4, 1),
            )
        with pytest.raises(NotFound):
            services.reporting_task_record(
                actor=station.b_staff, task_id=task.pk, payment_received=True, note="x"
            )
        services.reporting_task_record(
            actor=station.a_staff,
            task_id=task.pk,
            payment_received=True,
            note="已随月度数据报送",
            now=at(2026, 4, 9),
        )
        with pytest.raises(NotFound):
            services.reporting_task_respond(phone="13700137000", task_id=task.pk, confirm=True)
        with pytest.raises(ApplicationError, match="说明"):
            services.reporting_task_respond(phone=PHONE_B, task_id=task.pk, confirm=False)
        task = services.reporting_task_respond(
            phone=PHONE_B, task_id=task.pk, confirm=False, note="报告仍显示原逾期金额"
        )
        assert task.status == "disputed" and task.rounds == 1
        task = services.reporting_task_record(
            actor=station.a_liaison, task_id=task.pk, payment_received=True, note="已更正报送"
        )
        task = services.reporting_task_respond(phone=PHONE_B, task_id=task.pk, confirm=True)
        assert task.status == "confirmed"

    def test_a_wrong_code_is_counted_and_does_not_sign(self, station):
        app = apply(station)
        plan = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
        services.plan_sign_request(phone=PHONE_B, plan_id=plan.pk)
        code = last_code(PHONE_B)
        wrong = "000000" if code != "000000" else "111111"
        with pytest.raises(ApplicationError, match="验证码不正确"):
            services.plan_sign(phone=PHONE_B, plan_id=plan.pk, code=wrong, document_hashes=hashes(plan))
        assert PhoneChallenge.objects.get().attempts == 1
        assert set(plan.agreements.values_list("status", flat=True)) == {"awaiting_applicant"}

    def test_a_signature_on_a_stale_text_is_refused(self, station):
        app = apply(station)
        plan = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
        services.plan_sign_request(phone=PHONE_B, plan_id=plan.pk)
        stale = dict.fromkeys(hashes(plan), "0" * 64)
        with pytest.raises(Conflict):
            services.plan_sign(phone=PHONE_B, plan_id=plan.pk, code=last_code(PHONE_B), document_hashes=stale)
        with pytest.raises(NotFound):
            services.plan_sign(
                phone="13700137000", plan_id=plan.pk, code="123456", document_hashes=hashes(plan)
            )

    def test_choosing_a_measure_that_is_not_offered_is_refused(self, station):
        app = apply(station)
        card_debt = app.debts.get(institution=station.bank_a)
        with pytest.raises(ApplicationError, match="不适用"):
            services.plan_choose(
                phone=PHONE_B,
                number=app.number,
                route="direct",
                choices={card_debt.pk: station.a_card_waiver.pk},
            )

    def test_rechoosing_cancels_unsigned_agreements(self, station):
        app = apply(station)
        first = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
        second = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
        first.refresh_from_db()
        assert first.status == "cancelled" and second.status == "signing"
        assert set(first.agreements.values_list("status", flat=True)) == {"cancelled"}

    def test_the_mediation_route_becomes_cases_at_each_bank(self, station):
        app = apply(station)
        services.plan_choose(phone=PHONE_B, number=app.number, route="mediation")
        with pytest.raises(PermissionDenied):
            services.rescue_to_mediation(actor=station.a_manager, application_id=app.pk, reason="x")
        cases = services.rescue_to_mediation(
            actor=station.center_staff, application_id=app.pk, reason="申请人选择调解"
        )
        assert {c.institution for c in cases} == {station.bank_a, station.bank_b}
        assert {c.status for c in cases} == {"mediation_pending"}
        assert {c.product_type for c in cases} == {"credit_card", "consumer_loan"}


class TestMediationAgreements:
    def test_the_mediation_engineer_can_create_reporting_tasks_for_a_case(self, station):
        case = station.case(
            station.bank_a, path=["triage_complex", "@mediator", "start_mediation", "mediation_agreed"]
        )
        schedule = [(D(2026, 5, 10), Decimal("1000")), (D(2026, 6, 10), Decimal("1000.50"))]
        tasks = services.reporting_tasks_create_for_agreement(
            case=case, schedule=schedule, actor=station.mediator
        )
        assert [t.seq for t in tasks] == [1, 2] and tasks[0].institution == station.bank_a
        assert tasks[0].remaining_after == Decimal("1000.50") and tasks[1].remaining_after == 0
        assert tasks[0].party == case.debtor and tasks[0].phone
        again = services.reporting_tasks_create_for_agreement(
            case=case, schedule=schedule, actor=station.mediator
        )
        assert [t.pk for t in again] == [t.pk for t in tasks]
        with pytest.raises(Conflict):
            services.reporting_tasks_create_for_agreement(
                case=case, schedule=schedule[:1], actor=station.mediator
            )

    def test_it_refuses_outsiders_and_bad_schedules(self, station):
        case = station.case(
            station.bank_a, path=["triage_complex", "@mediator", "start_mediation", "mediation_agreed"]
        )
        with pytest.raises(NotFound):
            services.reporting_tasks_create_for_agreement(
                case=case, schedule=[(D(2026, 5, 1), 1)], actor=station.b_staff
            )
        with pytest.raises(PermissionDenied):
            services.reporting_tasks_create_for_agreement(
                case=case, schedule=[(D(2026, 5, 1), 1)], actor=station.viewer
            )
        with pytest.raises(ApplicationError, match="先后"):
            services.reporting_tasks_create_for_agreement(
                case=case, schedule=[(D(2026, 6, 1), 1), (D(2026, 5, 1), 1)], actor=station.mediator
            )
        with pytest.raises(ApplicationError, match="大于0"):
            services.reporting_tasks_create_for_agreement(
                case=case, schedule=[(D(2026, 6, 1), 0)], actor=station.mediator
            )


def test_the_liaison_sees_the_full_id_only_with_a_recorded_reason(station):
    from .conftest import file_dispute

    app = file_dispute(station.bank_a)
    with pytest.raises(ApplicationError, match="事由"):
        services.applicant_reveal(
            actor=station.a_liaison, application_id=app.pk, field="id_number", reason=""
        )
    value = services.applicant_reveal(
        actor=station.a_liaison, application_id=app.pk, field="id_number", reason="核实身份"
    )
    assert value == app.party.id_number and RevealLog.objects.get().actor == station.a_liaison
    with pytest.raises(NotFound):
        services.applicant_reveal(
            actor=station.b_liaison, application_id=app.pk, field="id_number", reason="核实"
        )
    with pytest.raises(NotFound):
        services.applicant_reveal(actor=station.viewer, application_id=app.pk, field="phone", reason="核实")


def test_a_declined_agreement_lets_the_applicant_choose_again_or_mediate(station):
    app = services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(station)[1:],
        hardship=hardship(),
    )
    plan = services.plan_choose(phone=PHONE_B, number=app.number, route="direct")
    agreement = plan.agreements.get()
    with pytest.raises(ApplicationError, match="理由"):
        services.agreement_decline(actor=station.b_staff, agreement_id=agreement.pk, reason="")
    services.agreement_decline(actor=station.b_staff, agreement_id=agreement.pk, reason="需补充收入证明")
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    again = services.plan_choose(phone=PHONE_B, number=app.number, route="mediation")
    assert again.status == "mediation"


def test_the_statistics_count_who_was_helped_and_their_debts(station):
    from jiefen.credit.stats import station_stats

    app = services.rescue_submit(
        phone=PHONE_B,
        applicant=person("林美玲", "350503198502021235"),
        consent=consent(),
        debts=two_bank_debts(station),
        hardship=hardship(),
    )
    before = station_stats(station.center_staff)
    assert before["individuals_helped"] == 0 and before["individual_debt"] == 0
    services.plan_choose(phone=PHONE_B, number=app.number, route="mediation")
    after = station_stats(station.center_staff)
    assert after["individuals_helped"] == 1 and after["enterprises_helped"] == 0
    assert after["individual_debt"] == Decimal("33900.00") + Decimal("62400.00")
    bank_a_view = station_stats(station.a_manager)
    assert bank_a_view["individual_debt"] == Decimal("33900.00")
