import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from jiefen.cases.machine import BY_ACTION, TERMINAL, TRANSITIONS, Status
from jiefen.cases.models import Case, CaseEvent
from jiefen.cases.services import case_assign, case_transition
from jiefen.common import rules
from jiefen.common.errors import ApplicationError, Conflict, NotFound
from tests.factories import World


def test_every_status_is_reachable_and_every_non_terminal_one_has_a_way_out():
    reachable = {Status.NEW}
    frontier = [Status.NEW]
    while frontier:
        current = frontier.pop()
        for t in TRANSITIONS:
            if current in t.sources and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    assert reachable == set(Status)
    for status in Status:
        if status not in TERMINAL:
            assert any(status in t.sources for t in TRANSITIONS), status


@pytest.mark.django_db
class TestTransitions:
    def test_triage_moves_a_new_case_to_disposal_with_a_deadline(self, world):
        case = world.case()
        moved = case_transition(
            actor=world.center_staff, case_id=case.pk, action="triage_simple", reason="金额较小"
        )
        assert moved.status == Status.DISPOSAL and moved.complexity == "simple"
        assert moved.stage_due_on == rules.due("disposal.period", moved.status_changed_at)
        event = CaseEvent.objects.filter(case=case).last()
        assert (event.from_status, event.to_status, event.actor, event.reason) == (
            "new",
            "disposal",
            world.center_staff,
            "金额较小",
        )

    def test_a_step_needs_a_reason(self, world):
        case = world.case()
        with pytest.raises(ApplicationError, match="事由"):
            case_transition(actor=world.center_staff, case_id=case.pk, action="triage_simple", reason="  ")
        assert Case.objects.get(pk=case.pk).status == Status.NEW

    def test_a_step_from_the_wrong_status_is_refused_and_changes_nothing(self, world):
        case = world.case()
        events = case.events.count()
        with pytest.raises(ApplicationError, match="不能执行"):
            case_transition(actor=world.center_staff, case_id=case.pk, action="confirm", reason="x")
        assert Case.objects.get(pk=case.pk).status == Status.NEW and case.events.count() == events

    def test_bank_staff_cannot_triage(self, world):
        case = world.case()
        with pytest.raises(ApplicationError, match="角色"):
            case_transition(actor=world.a_staff, case_id=case.pk, action="triage_simple", reason="x")

    def test_it_rejects_a_foreign_case(self, world):
        case = world.case(world.bank_a, path=["triage_simple"])
        with pytest.raises(NotFound):
            case_transition(actor=world.b_staff, case_id=case.pk, action="settle_paid", reason="x")

    def test_only_the_assigned_mediator_can_start(self, world):
        case = world.case(path=["triage_complex"])
        with pytest.raises(ApplicationError, match="调解员"):
            case_transition(actor=world.center_staff, case_id=case.pk, action="start_mediation", reason="x")
        case_assign(actor=world.center_admin, case_id=case.pk, mediator=world.mediator, reason="推荐")
        with pytest.raises(NotFound):
            case_transition(actor=world.mediator2, case_id=case.pk, action="start_mediation", reason="x")
        moved = case_transition(
            actor=world.mediator, case_id=case.pk, action="start_mediation", reason="签收"
        )
        assert moved.status == Status.MEDIATING
        assert moved.stage_due_on == rules.due("mediation.period", moved.status_changed_at)

    def test_only_the_judge_of_the_chosen_court_confirms(self, world):
        case = world.case(
            path=[
                "triage_complex",
                "@mediator",
                "start_mediation",
                "mediation_agreed",
                "request_confirmation",
            ]
        )
        assert case.court == world.court
        with pytest.raises(NotFound):
            case_transition(actor=world.judge2, case_id=case.pk, action="confirm", reason="x")
        confirmed = case_transition(actor=world.judge, case_id=case.pk, action="confirm", reason="裁定有效")
        assert confirmed.enforceable

    def test_an_unconfirmed_agreement_in_default_goes_to_court_not_enforcement(self, world):
        case = world.case(path=["triage_simple", "plan_agreed", "start_performance", "plan_default"])
        with pytest.raises(ApplicationError, match="司法确认"):
            case_transition(actor=world.a_staff, case_id=case.pk, action="apply_enforcement", reason="x")
        moved = case_transition(
            actor=world.a_staff,
            case_id=case.pk,
            action="transfer_litigation",
            reason="起诉",
            court=world.court,
        )
        assert moved.status == Status.LITIGATION

    def test_a_confirmed_agreement_in_default_goes_to_enforcement(self, world):
        case = world.case(
            path=[
                "triage_complex",
                "@mediator",
                "start_mediation",
                "mediation_agreed",
                "request_confirmation",
                "confirm",
                "start_performance",
                "plan_default",
                "apply_enforcement",
            ]
        )
        assert case.status == Status.ENFORCEMENT

    def test_closing_records_the_outcome_and_the_time(self, world):
        case = world.case(path=["triage_simple", "settle_paid"])
        assert case.status == Status.CLOSED and case.outcome == "paid" and case.closed_at is not None
        assert case.stage_due_on is None

    def test_a_viewer_reads_but_cannot_act(self, world):
        case = world.case()
        with pytest.raises(ApplicationError, match="只读"):
            case_transition(actor=world.viewer, case_id=case.pk, action="withdraw", reason="x")


@pytest.mark.django_db
class TestRaces:
    def test_two_people_racing_on_one_case_cannot_both_win(self, world):
        case = world.case(path=["triage_simple"])
        version = Case.objects.get(pk=case.pk).version
        case_transition(
            actor=world.a_staff,
            case_id=case.pk,
            action="settle_paid",
            reason="还清",
            expected_version=version,
        )
        with pytest.raises(Conflict):
            case_transition(
                actor=world.a_manager,
                case_id=case.pk,
                action="handover_mediation",
                reason="移送",
                expected_version=version,
            )
        assert Case.objects.get(pk=case.pk).status == Status.CLOSED
        assert case.events.filter(from_status="disposal").count() == 1

    def test_a_stale_read_loses_even_without_an_expected_version(self, world, monkeypatch):
        """Both read the case in 'disposal'; the second compare-and-set finds the status moved."""
        case = world.case(path=["triage_simple"])
        import jiefen.cases.services as services

        real_get = services.case_get_for_user
        stale = real_get(world.a_staff, case.pk)
        case_transition(actor=world.a_staff, case_id=case.pk, action="settle_paid", reason="还清")
        monkeypatch.setattr(services, "case_get_for_user", lambda viewer, case_id: stale)
        with pytest.raises(Conflict):
            case_transition(
                actor=world.a_manager,
                case_id=case.pk,
                action="handover_litigation",
                reason="x",
                court=world.court,
            )
        assert Case.objects.get(pk=case.pk).status == Status.CLOSED


ACTIONS = [t.action for t in TRANSITIONS] + ["@mediator"]
PERSONAS = [
    "center_staff",
    "a_staff",
    "b_staff",
    "mediator",
    "mediator2",
    "judge",
    "judge2",
    "viewer",
    "pbc_officer",
]


class TestNoSequenceReachesAnIllegalState(HypothesisTestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(PERSONAS)), max_size=14))
    def test_random_walks(self, steps):
        world = World()
        case = world.case()
        for action, persona in steps:
            actor = getattr(world, persona)
            before = Case.objects.get(pk=case.pk)
            events_before = before.events.count()
            try:
                if action == "@mediator":
                    case_assign(actor=actor, case_id=case.pk, mediator=world.mediator, reason="指定")
                    continue
                case_transition(actor=actor, case_id=case.pk, action=action, reason="随机", court=world.court)
            except (ApplicationError, NotFound):
                after = Case.objects.get(pk=case.pk)
                assert after.status == before.status and after.version == before.version
                assert after.events.count() == events_before
                continue
            after = Case.objects.get(pk=case.pk)
            transition = BY_ACTION[action]
            assert before.status in transition.sources and before.status not in TERMINAL
            assert after.status == transition.target and after.version == before.version + 1
            last = after.events.last()
            assert (last.from_status, last.to_status, last.actor) == (before.status, after.status, actor)
        final = Case.objects.get(pk=case.pk)
        assert final.status in Status.values
        assert (final.closed_at is not None) == (final.status in TERMINAL)
        assert final.enforceable == final.events.filter(action="confirm").exists()
        chain = [e for e in final.events.order_by("id") if e.from_status != e.to_status]
        for prev, nxt in zip(chain, chain[1:], strict=False):
            assert prev.to_status == nxt.from_status


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_on_postgresql_have_exactly_one_winner():
    """Real concurrency: two connections try different steps on the same case at the same moment."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the compare-and-set is covered by the stale-read tests")
    world = World()
    case = world.case(path=["triage_simple"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor, action):
        try:
            barrier.wait()
            case_transition(actor=actor, case_id=case.pk, action=action, reason="并发", court=world.court)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")
        except ApplicationError as exc:  # the loser may also see the new status first
            outcomes.append("refused:" + exc.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(world.a_staff, "settle_paid")),
        threading.Thread(target=act, args=(world.a_manager, "handover_litigation")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1, outcomes
    assert Case.objects.get(pk=case.pk).events.filter(from_status="disposal").count() == 1
