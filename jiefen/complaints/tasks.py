"""Background jobs: thin wrappers around services (django-tasks)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from .services import complaint_sweep


@task()
def complaint_sweep_task(now: str | None = None) -> dict[str, int]:
    """Reminders, escalations and auto-closing; run it every hour or so (idempotent)."""
    return complaint_sweep(now=dt.datetime.fromisoformat(now) if now else None)
