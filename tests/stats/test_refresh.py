"""The refresh: idempotent, skipped when nothing changed, atomic when it fails halfway."""

from __future__ import annotations

import pytest

from jiefen.cases.services import case_transition
from jiefen.stats import providers, refresh
from jiefen.stats.models import CaseCube, DurationCube, ExtCube, RefreshState, StageCube
from jiefen.stats.services import cube_refresh

from .conftest import local

pytestmark = pytest.mark.django_db


def snapshot():
    """The rows panels read (the current generation), without ids: a rebuild renumbers them."""
    state = RefreshState.objects.filter(pk=1).first()
    gen = state.generation if state else 0
    return tuple(
        sorted(
            tuple(sorted((k, v) for k, v in r.items() if k not in {"id", "gen"}))
            for r in model.objects.filter(gen=gen).values()
        )
        for model in (CaseCube, StageCube, DurationCube)
    )


@pytest.fixture
def some_cases(world, timeline):
    timeline.case(
        at=local(2026, 3, 2, 9),
        steps=[("triage_simple", local(2026, 3, 2)), ("settle_paid", local(2026, 3, 9))],
    )
    timeline.case(world.bank_b, at=local(2026, 4, 2, 9), steps=[("triage_complex", local(2026, 4, 2))])
    return world


def test_a_second_rebuild_gives_the_same_rows(some_cases):
    cube_refresh(force=True)
    first = snapshot()
    cube_refresh(force=True)
    assert snapshot() == first
    assert first[0], "the case cube has rows"


def test_the_minute_tick_skips_the_rebuild_when_no_case_changed(some_cases):
    assert cube_refresh()["rebuilt"] is True
    state = RefreshState.objects.get()
    again = cube_refresh()
    assert again["rebuilt"] is False
    assert RefreshState.objects.get().as_of >= state.as_of  # the data is as fresh as now


def test_a_transition_makes_the_next_tick_rebuild(some_cases, world):
    cube_refresh()
    case = world.bank_b.cases.get()
    case_transition(actor=world.center_admin, case_id=case.pk, action="withdraw", reason="撤回")
    assert cube_refresh()["rebuilt"] is True
    assert CaseCube.objects.filter(grp="", status="withdrawn").exists()


def test_a_failed_rebuild_leaves_the_previous_cubes_whole(some_cases, world, monkeypatch):
    cube_refresh(force=True)
    before = snapshot()
    state = RefreshState.objects.get()
    case = world.bank_b.cases.get()
    case_transition(actor=world.center_admin, case_id=case.pk, action="withdraw", reason="撤回")
    real_copy = refresh.copy

    def broken_copy(cur, gen, chunked):
        real_copy(cur, gen, chunked)  # the new generation is written…
        raise RuntimeError("disk full")  # …then the rebuild dies before the switch

    monkeypatch.setattr(refresh, "copy", broken_copy)
    with pytest.raises(RuntimeError):
        cube_refresh(force=True)
    assert snapshot() == before
    after = RefreshState.objects.get()
    assert (after.signature, after.generation) == (state.signature, state.generation)
    assert after.running_since is None, "the lock is released"
    monkeypatch.setattr(refresh, "copy", real_copy)
    assert cube_refresh()["rebuilt"] is True
    assert snapshot() != before


def test_readers_switch_generation_only_when_the_new_one_is_complete(some_cases):
    cube_refresh(force=True)
    first = RefreshState.objects.get().generation
    cube_refresh(force=True)
    assert RefreshState.objects.get().generation == 1 - first
    cube_refresh(force=True)
    assert RefreshState.objects.get().generation == first


def test_a_second_refresh_while_one_runs_skips(some_cases):
    from django.utils import timezone

    RefreshState.objects.update_or_create(pk=1, defaults={"running_since": timezone.now()})
    assert cube_refresh(force=True).get("busy") is True


def test_grouping_sets_add_up_to_the_total(some_cases):
    cube_refresh(force=True)
    total = sum(CaseCube.objects.filter(grp="").values_list("cases", flat=True))
    for grp in ["i", "p", "r", "ip", "ir", "pr", "ipr", "ib"]:
        assert sum(CaseCube.objects.filter(grp=grp).values_list("cases", flat=True)) == total, grp
    entered = sum(StageCube.objects.filter(grp="").values_list("entered", flat=True))
    for grp in ["i", "p", "ipr"]:
        assert sum(StageCube.objects.filter(grp=grp).values_list("entered", flat=True)) == entered, grp
    exits = sum(DurationCube.objects.filter(grp="").values_list("n", flat=True))
    assert exits == sum(StageCube.objects.filter(grp="").values_list("exited", flat=True))
    assert not DurationCube.objects.filter(grp="ipr").exists(), "histograms are kept for one filter at most"


def test_a_provider_whose_model_is_missing_is_reported_not_available(some_cases, monkeypatch):
    def missing(today):
        providers.model("nosuchapp", "Thing")
        return []

    def broken(today):
        raise ValueError("field renamed")

    monkeypatch.setattr(
        providers,
        "PROVIDERS",
        [
            providers.Provider("missing", "缺失的模块", missing),
            providers.Provider("broken", "出错的模块", broken),
            providers.Provider(
                "fine", "正常的模块", lambda today: [("x.count", local(2026, 3, 1).date(), None, 3, 0)]
            ),
        ],
    )
    result = cube_refresh(force=True)
    assert result["providers"]["missing"]["available"] is False
    assert "尚未建立" in result["providers"]["missing"]["reason"]
    assert result["providers"]["broken"]["available"] is False
    assert result["providers"]["fine"]["available"] is True
    assert ExtCube.objects.get(figure="x.count").n == 3
    assert CaseCube.objects.exists(), "the case figures do not depend on the providers"


def test_the_providers_of_the_capabilities_run_on_an_empty_database(db):
    rows, status = providers.collect(local(2026, 6, 1).date())
    assert set(status) == {p.key for p in providers.PROVIDERS}
    assert rows == []


def test_the_minute_tick_never_writes_back_the_generation_or_the_lock(some_cases):
    """A tick that only moves the watermark must not undo a switch or a claim made meanwhile."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cube_refresh(force=True)
    runs = RefreshState.objects.get().runs
    with CaptureQueriesContext(connection) as ctx:
        assert cube_refresh()["rebuilt"] is False
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "stats_refreshstate" in q["sql"]
    ]
    assert writes, "the tick moves the watermark"
    assert not [w for w in writes if '"generation"' in w or '"running_since"' in w]
    assert RefreshState.objects.get().runs == runs + 1


def test_postgres_plans_the_new_generation_on_fresh_statistics(some_cases):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE after the copy is PostgreSQL's concern")
    cube_refresh(force=True)
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'stats_casecube'")
        estimated = cur.fetchone()[0]
    assert estimated == CaseCube.objects.count()


def test_provider_rows_reach_the_institution_through_the_case_without_joining_it(some_cases, world):
    """Grouped by the case's institution, looked up per row of the provider's (small) table: never a
    join that lets the planner scan the whole case table."""
    from collections import Counter

    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from jiefen.cases.models import CaseEvent
    from jiefen.common.clock import SHANGHAI

    want = Counter(
        (e.at.astimezone(SHANGHAI).date().replace(day=1), e.case.institution_id)
        for e in CaseEvent.objects.select_related("case")
    )
    assert {world.bank_a.pk, world.bank_b.pk} <= {i for _m, i in want}
    with CaptureQueriesContext(connection) as ctx:
        got = providers.monthly(CaseEvent.objects.all(), "at", "case__institution_id", n=Count("id"))
    assert {(providers._month(r["m"]), r["case__institution_id"]): r["n"] for r in got} == want
    (query,) = [q["sql"] for q in ctx.captured_queries]
    assert "JOIN" not in query.upper()
