"""智能初筛: every decision names its rule; the centre edits rules, overrides, and re-runs."""

from decimal import Decimal

import pytest

from jiefen.cases.models import Case, CaseEvent
from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.disposal import services
from jiefen.disposal.imports import import_file
from jiefen.disposal.models import TriageLog, TriageRule
from jiefen.disposal.triage import Facts, RuleSet

from .conftest import person_rows


def facts(**kw):
    base = {"product_type": "credit_card", "total": Decimal("10000"), "kind": "individual"}
    base.update(kw)
    return Facts(**base)


@pytest.fixture
def ruleset(db):
    return RuleSet.load()


def test_a_small_card_debt_is_simple_and_says_why(ruleset):
    decision = ruleset.evaluate(facts())
    assert not decision.complex and decision.target == "disposal" and decision.rule_id is None
    assert "低于复杂案件阈值¥50,000.00" in decision.detail and "¥10,000.00" in decision.detail


@pytest.mark.parametrize(
    "change, kind, words",
    [
        ({"total": Decimal("50000")}, "amount", "达到复杂案件阈值"),
        ({"involves_petition": True}, "litigation", "涉访"),
        ({"involves_litigation": True}, "litigation", "涉诉"),
        ({"prior_negotiation_failed": True}, "negotiation", "协商未果"),
        ({"other_creditors": 2}, "multi_creditor", "其他2家机构"),
        ({"product_type": "business_loan", "total": Decimal("300000")}, "amount", "个人经营贷款"),
        (
            {"kind": "enterprise", "product_type": "sme_loan", "total": Decimal("600000")},
            "enterprise",
            "债务人为企业",
        ),
    ],
)
def test_each_complex_rule_names_itself(ruleset, change, kind, words):
    decision = ruleset.evaluate(facts(**change))
    assert decision.complex and decision.code == kind and words in decision.detail
    assert decision.data()["rule_id"] == decision.rule_id


def test_the_amount_threshold_is_inclusive_at_the_boundary(ruleset):
    assert not ruleset.evaluate(facts(total=Decimal("49999.99"))).complex
    assert ruleset.evaluate(facts(total=Decimal("50000.00"))).complex


def test_an_enterprise_below_its_threshold_stays_simple(ruleset):
    assert not ruleset.evaluate(
        facts(kind="enterprise", product_type="sme_loan", total=Decimal("499999"))
    ).complex


def test_only_the_centre_edits_rules_and_each_edit_is_logged(world):
    with pytest.raises(PermissionDenied):
        services.triage_rule_save(
            actor=world.a_manager, kind="amount", product_type="credit_card", threshold=1
        )
    rule = TriageRule.objects.get(kind="amount", product_type="credit_card")
    services.triage_rule_save(
        actor=world.center_admin,
        rule_id=rule.pk,
        kind="amount",
        product_type="credit_card",
        threshold="20000",
        order=50,
    )
    rule.refresh_from_db()
    assert rule.threshold == Decimal("20000.00") and rule.updated_by == world.center_admin
    log = TriageLog.objects.get(action="rule_update")
    assert log.data["before"]["threshold"] == "50000.00" and log.data["after"]["threshold"] == "20000.00"
    with pytest.raises(ApplicationError, match="阈值"):
        services.triage_rule_save(
            actor=world.center_admin, kind="amount", product_type="credit_card", threshold=0
        )


def test_several_creditors_for_one_debtor_sends_the_case_to_mediation(world, make_csv):
    rows = person_rows(1, seed=21)
    import_file(actor=world.b_staff, institution=world.bank_b, path=make_csv(rows))
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    case = Case.objects.get(institution=world.bank_a)
    assert case.status == "mediation_pending"
    assert "其他1家机构另有未结案件" in case.events.get(action="triage_complex").reason


def test_a_rule_change_and_re_run_moves_untouched_cases_and_logs_it(world, make_csv):
    rows = person_rows(3, amount="30000.00")
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    worked = Case.objects.get(contract_no="HT00001")
    services.contact_call_log(
        actor=world.a_staff, case_id=worked.pk, phone_id=worked.debtor.phones.get().pk, outcome="reached"
    )
    rule = TriageRule.objects.get(kind="amount", product_type="credit_card")
    services.triage_rule_save(
        actor=world.center_admin,
        rule_id=rule.pk,
        kind="amount",
        product_type="credit_card",
        threshold="25000",
    )
    preview = services.triage_rerun(actor=world.center_admin, dry_run=True)
    assert preview["to_mediation"] == 2
    assert Case.objects.filter(status="mediation_pending").count() == 0
    counts = services.triage_rerun(actor=world.center_admin)
    assert counts["to_mediation"] == 2
    moved = Case.objects.get(contract_no="HT00002")
    assert moved.status == "mediation_pending" and moved.complexity == "complex" and moved.version == 2
    event = moved.events.get(action="triage_rerun")
    assert "重新初筛" in event.reason and event.data["rerun"] is True and event.from_status == "disposal"
    # A case somebody has already worked on stays where it is.
    assert Case.objects.get(pk=worked.pk).status == "disposal"
    assert TriageLog.objects.filter(action="rerun").exists()
    with pytest.raises(PermissionDenied):
        services.triage_rerun(actor=world.a_manager)


def test_a_centre_officer_overrides_with_a_reason_and_the_desk_shows_it(client, world, make_csv):
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(person_rows(1)))
    case = Case.objects.get()
    with pytest.raises(ApplicationError, match="理由"):
        services.triage_override(actor=world.center_staff, case_id=case.pk, to="complex", reason="")
    with pytest.raises(PermissionDenied):
        services.triage_override(actor=world.a_manager, case_id=case.pk, to="complex", reason="大额")
    services.triage_override(
        actor=world.center_staff, case_id=case.pk, to="complex", reason="债务人已向信访部门反映"
    )
    case.refresh_from_db()
    assert case.status == "mediation_pending" and case.complexity == "complex"
    event = CaseEvent.objects.get(case=case, action="triage_override")
    assert event.data["override"] and event.data["previous"]["rule"] == "default"
    client.force_login(world.center_staff)
    page = client.get(f"/disposal/case/{case.pk}/").content.decode()
    assert "人工调整" in page and "债务人已向信访部门反映" in page
    # Overridden cases are left alone by a re-run.
    assert services.triage_rerun(actor=world.center_admin)["to_disposal"] == 0


def test_a_new_case_entered_by_hand_is_triaged_by_the_rules(world):
    case = world.case(world.bank_a, principal="90000")
    triaged = services.triage_case(actor=world.center_staff, case_id=case.pk)
    assert triaged.status == "mediation_pending"
    event = triaged.events.get(action="triage_complex")
    assert event.data["rule"] == "amount" and event.actor == world.center_staff


def test_the_rules_page_is_the_centres(client, world):
    client.force_login(world.a_manager)
    assert client.get("/disposal/rules/").status_code == 404
    client.force_login(world.center_admin)
    page = client.get("/disposal/rules/").content.decode()
    assert "金额达到阈值" in page and "¥50,000.00" in page
    response = client.post(
        "/disposal/rules/save/",
        {
            "kind": "negotiation",
            "product_type": "",
            "threshold": "",
            "order": "5",
            "active": "on",
            "note": "新规则",
        },
    )
    assert response.status_code == 302 and TriageRule.objects.filter(note="新规则").exists()
