"""Background jobs of the monitoring centre: thin wrappers around services (run by `jiefen worker`,
enqueued by `jiefen scheduler`)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from . import reports, services


@task()
def cube_refresh_task(force: bool = False) -> dict:
    """Every minute, and after each import: cheap when the cases did not change."""
    result = services.cube_refresh(force=force)
    return {k: v for k, v in result.items() if k in {"rebuilt", "busy", "rows", "seconds"}}


@task()
def period_reports_task(kind: str, due: str) -> list[int]:
    """At each period end: the centre's report and one per institution with cases (idempotent)."""
    return [r.pk for r in reports.reports_for_period_end(kind=kind, due=dt.datetime.fromisoformat(due))]
