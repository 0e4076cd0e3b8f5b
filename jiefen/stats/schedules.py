"""Periodic jobs. django-tasks runs what is enqueued but has no clock, so `jiefen scheduler` (or the
worker, see docs/monitoring.md) calls `tick()` in a loop.

Each job is a Schedule row with its next run time. A run is claimed by a compare-and-set on
(id, next_run_at) in the same transaction as the enqueue (the database task backend writes its row
in that transaction), so two schedulers never enqueue the same run, a crash between the two leaves
neither, and a restart neither repeats nor skips a run. Report runs that were missed while nothing
was running are caught up one by one (each period gets its report); the minute refresh is not.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from jiefen.common.clock import SHANGHAI

from .models import Schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    key: str
    title: str
    every: str  # minutes:N | daily | weekly | monthly | quarterly
    task_path: str
    kwargs: dict = field(default_factory=dict)
    with_due: bool = False  # pass the run's due time (reports compute their period from it)
    catch_up: bool = False


JOBS: list[Job] = [
    Job(
        "stats.refresh",
        "监测汇总表刷新（每分钟，数据未变时跳过）",
        "minutes:1",
        "jiefen.stats.tasks.cube_refresh_task",
    ),
    Job(
        "stats.report.weekly",
        "周小结（每周一 00:10 生成上周）",
        "weekly",
        "jiefen.stats.tasks.period_reports_task",
        {"kind": "weekly"},
        with_due=True,
        catch_up=True,
    ),
    Job(
        "stats.report.monthly",
        "月通报（每月1日 00:20 生成上月）",
        "monthly",
        "jiefen.stats.tasks.period_reports_task",
        {"kind": "monthly"},
        with_due=True,
        catch_up=True,
    ),
    Job(
        "stats.report.quarterly",
        "季讲评（每季度首日 00:30 生成上季度）",
        "quarterly",
        "jiefen.stats.tasks.period_reports_task",
        {"kind": "quarterly"},
        with_due=True,
        catch_up=True,
    ),
    # The statutory clocks of the other capabilities: each job is idempotent, so a retry is harmless.
    Job(
        "complaints.sweep",
        "行长直通车：到期提醒、超期升级、逾期未评价办结（每小时）",
        "minutes:60",
        "jiefen.complaints.tasks.complaint_sweep_task",
    ),
    Job(
        "credit.escalations",
        "征信异议与报送更新：预警并报人民银行（每日 06:00）",
        "daily",
        "jiefen.credit.tasks.run_escalations",
    ),
    Job(
        "mediation.performance",
        "协议履行：还款提醒与违约预警（每日 06:00）",
        "daily",
        "jiefen.mediation.tasks.performance_check_task",
    ),
]


def register(job: Job) -> None:
    """Other capabilities add their periodic jobs here (one line in their AppConfig.ready())."""
    JOBS[:] = [j for j in JOBS if j.key != job.key] + [job]


def _local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def next_after(every: str, after: dt.datetime) -> dt.datetime:
    """The first run time strictly after `after`."""
    if every.startswith("minutes:"):
        n = int(every.split(":", 1)[1])
        base = after.replace(second=0, microsecond=0)
        return base + dt.timedelta(minutes=n)
    local = after.astimezone(SHANGHAI)
    day = local.date()
    if every == "daily":
        candidate = _local(day, 6, 0)
        return candidate if candidate > after else _local(day + dt.timedelta(days=1), 6, 0)
    if every == "weekly":
        monday = day - dt.timedelta(days=day.weekday())
        candidate = _local(monday, 0, 10)
        return candidate if candidate > after else _local(monday + dt.timedelta(days=7), 0, 10)
    if every in {"monthly", "quarterly"}:
        step, minute = (1, 20) if every == "monthly" else (3, 30)
        month = day.replace(day=1)
        if every == "quarterly":
            month = month.replace(month=(month.month - 1) // 3 * 3 + 1)
        candidate = _local(month, 0, minute)
        while candidate <= after:
            index = month.year * 12 + month.month - 1 + step
            month = dt.date(index // 12, index % 12 + 1, 1)
            candidate = _local(month, 0, minute)
        return candidate
    raise ValueError(f"unknown schedule {every!r}")


def ensure(now: dt.datetime | None = None) -> None:
    """Create the rows of new jobs (existing rows keep their next run: that is the restart safety)."""
    now = now or timezone.now()
    for job in JOBS:
        first = now if job.every.startswith("minutes:") else next_after(job.every, now)
        Schedule.objects.get_or_create(
            key=job.key,
            defaults={
                "title": job.title,
                "every": job.every,
                "task_path": job.task_path,
                "next_run_at": first,
            },
        )


def claim(schedule: Schedule, now: dt.datetime, job: Job | None = None) -> dt.datetime | None:
    """Move the schedule past its due run if nobody else did; returns the claimed due time or None."""
    due = schedule.next_run_at
    catch_up = job.catch_up if job else False
    following = next_after(schedule.every, due if catch_up else max(due, now))
    updated = Schedule.objects.filter(pk=schedule.pk, next_run_at=due).update(
        next_run_at=following, last_run_at=now, runs=F("runs") + 1
    )
    return due if updated == 1 else None


def tick(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every due job once. Returns the keys enqueued."""
    now = now or timezone.now()
    ensure(now)
    jobs = {j.key: j for j in JOBS}
    done = []
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at"):
        job = jobs.get(schedule.key)
        if job is None:
            continue
        with transaction.atomic():
            due = claim(schedule, now, job)
            if due is None:
                continue  # another scheduler took it
            kwargs = {**job.kwargs, **({"due": due.isoformat()} if job.with_due else {})}
            result = import_string(job.task_path).enqueue(**kwargs)
            Schedule.objects.filter(pk=schedule.pk).update(last_task_id=str(getattr(result, "id", "")))
        done.append(schedule.key)
        log.info("scheduled %s (due %s)", schedule.key, due.isoformat())
    return done


def seconds_until_next(now: dt.datetime | None = None) -> float | None:
    now = now or timezone.now()
    upcoming = (
        Schedule.objects.filter(enabled=True)
        .order_by("next_run_at")
        .values_list("next_run_at", flat=True)
        .first()
    )
    return None if upcoming is None else max(0.0, (upcoming - now).total_seconds())


def loop(stop=None, max_sleep: float = 15.0, say=log.info) -> None:
    """Tick until `stop` (a threading.Event) is set. `jiefen scheduler` runs this; a worker may run it
    in a daemon thread instead (claims are compare-and-set, so several loops never double-enqueue)."""
    import threading

    from django.db import close_old_connections, connection

    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            for key in tick():
                say(f"已排队：{key}")
        except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop the clock
            say(f"调度出错（稍后重试）：{exc}")
        wait = seconds_until_next()
        if not connection.in_atomic_block:
            # A long-lived loop: drop a broken or expired connection before the next round.
            close_old_connections()
        stop.wait(max(0.5, min(max_sleep, wait if wait is not None else max_sleep)))
