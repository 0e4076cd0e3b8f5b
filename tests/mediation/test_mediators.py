"""The pool: recommendations with reasons, conflicts, capacity, the party's choice, statistics, subsidies."""

import datetime as dt
from decimal import Decimal

import pytest

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.mediation.models import SubsidyRule
from jiefen.mediation.selectors import (
    mediation_for_case,
    mediator_recommendations,
    mediator_stats,
    shortlist,
    subsidy_statement,
)
from jiefen.mediation.services import (
    mediation_accept,
    mediation_assign,
    mediation_choose,
    mediation_decline,
    mediation_fail,
)
from tests.mediation.helpers import agreed_case, mediating_case

pytestmark = pytest.mark.django_db


def pending(world, product="credit_card"):
    return world.case(world.bank_a, path=["triage_complex"], product=product)


def test_the_specialist_in_the_product_comes_first_and_says_why(world, profiles):
    card = pending(world)
    recs = mediator_recommendations(card)
    assert recs[0].user == world.mediator
    assert "擅长信用卡纠纷" in recs[0].reasons
    loan = pending(world, product="small_loan")
    assert mediator_recommendations(loan)[0].user == world.mediator2


def test_a_declared_conflict_excludes_the_mediator_and_refuses_the_assignment(world, profiles):
    p1, _ = profiles
    p1.conflicts.add(world.bank_a)
    case = pending(world)
    rec = next(r for r in mediator_recommendations(case) if r.user == world.mediator)
    assert "利益冲突" in rec.excluded
    assert world.mediator not in [r.user for r in shortlist(case)]
    with pytest.raises(ApplicationError, match="利益冲突"):
        mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="指定")
    # The conflict concerns bank A only
    other = world.case(world.bank_b, path=["triage_complex"])
    assert not next(r for r in mediator_recommendations(other) if r.user == world.mediator).excluded


def test_a_full_caseload_or_a_pause_excludes(world, profiles):
    p1, p2 = profiles
    p1.max_caseload = 1
    p1.save()
    mediation_assign(
        actor=world.center_staff, case_id=pending(world).pk, mediator=world.mediator, reason="指定"
    )
    assert (
        next(r for r in mediator_recommendations(pending(world)) if r.user == world.mediator).excluded
        == "已满负荷"
    )
    p2.available = False
    p2.save()
    assert next(r for r in mediator_recommendations(pending(world)) if r.user == world.mediator2).excluded


def test_only_the_centre_assigns(world, profiles):
    case = pending(world)
    with pytest.raises(ApplicationError):
        mediation_assign(actor=world.a_staff, case_id=case.pk, mediator=world.mediator, reason="指定")


def test_a_mediator_who_declines_is_not_offered_the_case_again(world, profiles):
    case = pending(world)
    mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator, reason="指定")
    with pytest.raises(ApplicationError):  # not theirs: they do not even see it
        mediation_decline(actor=world.mediator2, case_id=case.pk, reason="x")
    with pytest.raises(PermissionDenied):
        mediation_decline(actor=world.center_staff, case_id=case.pk, reason="x")
    mediation_decline(actor=world.mediator, case_id=case.pk, reason="与债务人系亲属")
    assert (
        next(r for r in mediator_recommendations(case) if r.user == world.mediator).excluded
        == "曾拒绝本案委派"
    )
    with pytest.raises(ApplicationError):
        mediation_accept(actor=world.mediator, case_id=case.pk)
    mediation_assign(actor=world.center_staff, case_id=case.pk, mediator=world.mediator2, reason="改派")
    mediation_accept(actor=world.mediator2, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "mediating"


def test_the_debtor_chooses_from_the_shortlist_and_the_centre_sees_it(world, profiles):
    case = pending(world)
    mediation = mediation_for_case(case)
    with pytest.raises(ApplicationError):
        mediation_choose(mediation=mediation, mediator_id=world.center_staff.pk)
    mediation_choose(mediation=mediation, mediator_id=world.mediator2.pk)
    rec = next(r for r in mediator_recommendations(case) if r.user == world.mediator2)
    assert rec.chosen_by_party


def test_statistics_and_the_monthly_statement(world, profiles):
    agreed_case(world)
    failed = mediating_case(world)
    mediation_fail(actor=world.mediator, case_id=failed.pk, reason="不同意")
    stats = mediator_stats([world.mediator.pk])[world.mediator.pk]
    assert (stats.agreed, stats.failed, stats.success_rate) == (1, 1, 0.5)
    assert stats.average_days is not None
    SubsidyRule.objects.create(
        effective_from=dt.date(2020, 1, 1),
        per_case=Decimal("200"),
        per_success=Decimal("300"),
        per_session=Decimal("50"),
    )
    from jiefen.common import clock

    lines, rule = subsidy_statement(clock.local_today())
    line = next(x for x in lines if x.user == world.mediator)
    assert (line.concluded, line.agreed) == (2, 1)
    assert line.amount == Decimal("700")
