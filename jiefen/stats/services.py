"""Every change the monitoring centre makes: cube refresh, reports, datacube review. One transaction each."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiefen.common import clock

from . import providers, refresh
from .models import ExtCube, RefreshState

log = logging.getLogger(__name__)
# Edits that add no timeline event and no case (a re-import correcting amounts) still reach the
# figures within this time; imports should also enqueue a refresh when they finish.
REBUILD_EVERY = dt.timedelta(minutes=30)


def _write_ext(rows: list[providers.Row]) -> int:
    ExtCube.objects.all().delete()
    ExtCube.objects.bulk_create(
        [ExtCube(figure=f, month=m, institution_id=i, n=n, amount=a) for f, m, i, n, a in rows],
        batch_size=2000,
    )
    return len(rows)


def cube_refresh(*, actor=None, force: bool = False, now=None) -> dict:
    """Bring the summary tables up to date.

    The case cubes are rebuilt when a case or a timeline event was added since the last build, when
    the local day turned (what is overdue changes) or at least every REBUILD_EVERY; otherwise the
    tick only re-reads the other capabilities' small tables. `as_of` is the moment the data was read:
    every panel shows it.
    """
    now = now or timezone.now()
    today = clock.local_date(now)
    started = time.perf_counter()
    signature = refresh.signature(today)
    ext_rows, provider_status = providers.collect(today)
    state = RefreshState.objects.filter(pk=1).first()
    result: dict = {"rebuilt": False, "providers": provider_status}

    def record(rows: dict | None, generation: int | None = None) -> None:
        """The watermark, written in the transaction that switches readers to the new cubes."""
        _write_ext(ext_rows)
        defaults = {
            "as_of": now,
            "local_date": today,
            "signature": signature,
            "providers": provider_status,
            "seconds": round(time.perf_counter() - started, 3),
        }
        if rows is not None:
            defaults["rows"] = {**rows, "stats_extcube": len(ext_rows)}
        if generation is not None:
            defaults["generation"] = generation
            defaults["built_at"] = now
        # Only the fields named here: a tick must never write back a generation or a lock it read
        # earlier, or a rebuild that switched (or claimed) in between would be undone.
        if not RefreshState.objects.filter(pk=1).update(**defaults, runs=F("runs") + 1):
            RefreshState.objects.create(pk=1, runs=1, **defaults)

    fresh = state is not None and state.built_at is not None and now - state.built_at < REBUILD_EVERY
    if not force and fresh and state.signature == signature:
        with transaction.atomic():
            record(None)
        return result
    rows = refresh.rebuild(today, now, record)
    if rows is None:
        result["busy"] = True
        return result
    result.update(rebuilt=True, rows=rows, seconds=round(time.perf_counter() - started, 3))
    log.info("stats cubes rebuilt in %.1fs: %s", result["seconds"], rows)
    return result
