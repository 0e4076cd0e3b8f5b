"""The scheduler: each run enqueued exactly once, across restarts and two schedulers at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import default_task_backend

from jiefen.stats import schedules
from jiefen.stats.models import Schedule

from .conftest import local

pytestmark = pytest.mark.django_db
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def queue():
    with override_settings(TASKS=DUMMY):
        default_task_backend.results.clear()
        yield default_task_backend


def enqueued(queue) -> list[tuple[str, dict]]:
    return [(r.task.name, dict(r.kwargs)) for r in queue.results]


def test_next_run_times_of_each_period():
    assert schedules.next_after("minutes:1", local(2026, 3, 2, 10, 0)) == local(2026, 3, 2, 10, 1)
    # Weekly: Monday 00:10 local time; from a Monday after 00:10 it is the next Monday.
    assert schedules.next_after("weekly", local(2026, 3, 4, 15)) == local(2026, 3, 9, 0, 10)
    assert schedules.next_after("weekly", local(2026, 3, 9, 0, 5)) == local(2026, 3, 9, 0, 10)
    assert schedules.next_after("weekly", local(2026, 3, 9, 0, 10)) == local(2026, 3, 16, 0, 10)
    assert schedules.next_after("monthly", local(2026, 12, 15)) == local(2027, 1, 1, 0, 20)
    assert schedules.next_after("quarterly", local(2026, 3, 31, 23)) == local(2026, 4, 1, 0, 30)
    assert schedules.next_after("quarterly", local(2026, 4, 1, 0, 30)) == local(2026, 7, 1, 0, 30)
    with pytest.raises(ValueError):
        schedules.next_after("fortnightly", local(2026, 3, 2))


def test_a_tick_enqueues_each_due_job_once(queue):
    now = local(2026, 3, 31, 23, 0)
    # Jobs counted in minutes start at once; the others wait for their first period.
    assert sorted(schedules.tick(now)) == ["complaints.sweep", "stats.refresh"]
    assert schedules.tick(now) == []  # same minute: nothing new
    later = local(2026, 4, 1, 0, 35)  # month and quarter ended, the hourly sweep is due again
    assert sorted(schedules.tick(later)) == [
        "complaints.sweep",
        "stats.refresh",
        "stats.report.monthly",
        "stats.report.quarterly",
    ]
    kinds = sorted(kw.get("kind", "") for name, kw in enqueued(queue) if name == "period_reports_task")
    assert kinds == ["monthly", "quarterly"]
    monthly = next(kw for name, kw in enqueued(queue) if kw.get("kind") == "monthly")
    assert dt.datetime.fromisoformat(monthly["due"]) == local(2026, 4, 1, 0, 20)


def test_two_schedulers_racing_for_a_run_enqueue_it_once(queue):
    schedules.ensure(local(2026, 3, 2, 9))
    row = Schedule.objects.get(key="stats.refresh")
    stale = Schedule.objects.get(pk=row.pk)  # the other scheduler read the same row
    now = local(2026, 3, 2, 10)
    assert schedules.claim(row, now) == row.next_run_at
    assert schedules.claim(stale, now) is None


def test_a_restart_neither_repeats_nor_skips_a_report(queue):
    schedules.ensure(local(2026, 2, 15))
    monthly = Schedule.objects.get(key="stats.report.monthly")
    assert monthly.next_run_at == local(2026, 3, 1, 0, 20)
    schedules.ensure(local(2026, 2, 20))  # restart: the row keeps its next run
    assert Schedule.objects.get(key="stats.report.monthly").next_run_at == monthly.next_run_at
    # Down through March and April: each missed month is reported, one per tick, then it waits.
    now = local(2026, 5, 3, 8)
    schedules.tick(now)
    schedules.tick(now)
    schedules.tick(now)
    schedules.tick(now)
    dues = [kw["due"] for _name, kw in enqueued(queue) if kw.get("kind") == "monthly"]
    assert [dt.datetime.fromisoformat(d) for d in dues] == [
        local(2026, 3, 1, 0, 20),
        local(2026, 4, 1, 0, 20),
        local(2026, 5, 1, 0, 20),
    ]
    assert Schedule.objects.get(key="stats.report.monthly").next_run_at == local(2026, 6, 1, 0, 20)


def test_the_minute_refresh_does_not_catch_up_missed_minutes(queue):
    schedules.ensure(local(2026, 3, 2, 9))
    schedules.tick(local(2026, 3, 2, 12))  # three hours late
    assert Schedule.objects.get(key="stats.refresh").next_run_at == local(2026, 3, 2, 12, 1)
    assert [n for n, _ in enqueued(queue)].count("cube_refresh_task") == 1


def test_a_disabled_job_is_not_enqueued(queue):
    schedules.ensure(local(2026, 3, 2, 9))
    Schedule.objects.filter(key="stats.refresh").update(enabled=False)
    assert "stats.refresh" not in schedules.tick(local(2026, 3, 2, 10))


def test_the_command_runs_one_tick(queue, capsys):
    call_command("scheduler", "--once")
    out = capsys.readouterr().out
    assert "已排队：stats.refresh" in out
    assert Schedule.objects.count() == len(schedules.JOBS)


def test_the_loop_ticks_until_told_to_stop(queue):
    import threading

    stop = threading.Event()
    said = []

    def say(message):
        said.append(message)
        if len(said) == 2:
            stop.set()

    schedules.loop(stop, max_sleep=0.1, say=say)
    assert sorted(said) == ["已排队：complaints.sweep", "已排队：stats.refresh"]
