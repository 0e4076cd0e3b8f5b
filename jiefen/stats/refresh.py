# ruff: noqa: S608 - the SQL is assembled from this module's constants; every value is a parameter
"""Rebuilding the cubes from the case table and its timeline, in SQL that runs on SQLite and PostgreSQL.

1. Read: aggregate everything into TEMP tables inside one read snapshot (SQLite: a deferred
   transaction in WAL mode, which never blocks writers; PostgreSQL: REPEATABLE READ).
2. Write: copy those rows into the cubes as the generation nobody is reading (double buffering; on
   SQLite in chunks of short transactions, so case work never waits long for the write lock).
3. Switch: one tiny transaction points the watermark at the new generation. Readers see the old
   cubes or the new ones, never a mix, and a rebuild that fails halfway changes nothing they see.

Local months and days are Asia/Shanghai. China has kept UTC+8 without daylight saving since 1991, so
SQLite shifts by a fixed '+8 hours'; PostgreSQL converts with AT TIME ZONE.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Q

from .stages import resolved_sql

TERMINAL_SQL = "('closed', 'withdrawn')"
CASE_SETS = ["", "i", "p", "r", "ip", "ir", "pr", "ipr", "ib"]
STAGE_SETS = ["", "i", "p", "r", "ip", "ir", "pr", "ipr"]
# Weekly buckets (the weekly report): recent weeks only, centre-wide and per institution. Their rows
# carry the week's Monday in `month` and a grouping set starting with "w".
WEEK_SETS = ["w", "wi"]
ALL_STATUSES = ["'*' AS status", "'*' AS outcome"]
NO_MONTH = "CAST(NULL AS date) AS month"
# Exact-day histograms are large at fine grain: percentiles are kept for at most one filter.
DURATION_SETS = ["", "i", "p", "r"]
WEEKS_KEPT = 27
TEMP_TABLES = [
    "stats_t_case",
    "stats_t_wcase",
    "stats_t_fact",
    "stats_t_flow",
    "stats_t_wflow",
    "stats_t_exit",
    "stats_t_wexit",
    "stats_t_cc",
    "stats_t_sc",
    "stats_t_dc",
]
AMOUNTS = ["principal", "interest", "penalty_interest", "compound_interest", "fees"]
# A rebuild that has not finished after this long is presumed dead and its lock is taken over.
LOCK_EXPIRES = dt.timedelta(hours=1)


class Dialect:
    def __init__(self, vendor: str):
        self.sqlite = vendor == "sqlite"

    def month(self, col: str) -> str:
        if self.sqlite:
            return f"strftime('%%Y-%%m-01', {col}, '+8 hours')"
        return f"CAST(date_trunc('month', {col} AT TIME ZONE 'Asia/Shanghai') AS date)"

    def local_date(self, col: str) -> str:
        if self.sqlite:
            return f"date({col}, '+8 hours')"
        return f"CAST({col} AT TIME ZONE 'Asia/Shanghai' AS date)"

    def week(self, col: str) -> str:
        """The Monday of the local week (ISO weeks run Monday to Sunday)."""
        if self.sqlite:
            return f"date({col}, '+8 hours', 'weekday 0', '-6 days')"
        return f"CAST(date_trunc('week', {col} AT TIME ZONE 'Asia/Shanghai') AS date)"

    def week_of_date(self, col: str) -> str:
        if self.sqlite:
            return f"date({col}, 'weekday 0', '-6 days')"
        return f"CAST(date_trunc('week', {col}) AS date)"

    def month_of_date(self, col: str) -> str:
        if self.sqlite:  # dates are 'YYYY-MM-DD' text: the month is a prefix, no date function needed
            return f"(substr({col}, 1, 8) || '01')"
        return f"CAST(date_trunc('month', {col}) AS date)"

    def days_between(self, start_day: str, end_day: str) -> str:
        if self.sqlite:
            return f"CAST(julianday({end_day}) - julianday({start_day}) AS INTEGER)"
        return f"({end_day} - {start_day})"

    def cents(self, col: str) -> str:
        return (
            f"CAST(ROUND({col} * 100) AS BIGINT)"
            if not self.sqlite
            else f"CAST(ROUND({col} * 100) AS INTEGER)"
        )


def _dims(grp: str) -> dict[str, str]:
    return {
        "institution_id": "institution_id" if "i" in grp else "0",
        "branch_id": "branch_id" if "b" in grp else "0",
        "product": "product" if "p" in grp else "''",
        "region": "region" if "r" in grp else "''",
    }


def _rollup(
    source: str,
    grp: str,
    dims: list[str],
    keys: list[str],
    sums: list[str],
    *,
    label: str | None = None,
    month: str = "month",
    where: str = "",
) -> str:
    """One grouping set of `source`: the dimensions outside `grp` collapse to their neutral value.

    A key may be a constant ("'*' AS status"): it is selected but not grouped by. `month` may be a
    constant too (the open-now rows have none).
    """
    d = _dims(grp)
    dim_exprs = [f"{d[name]} AS {name}" for name in dims]
    real_keys = [k for k in keys if " AS " not in k]
    group_cols = ([] if " AS " in month else ["month"]) + [d[n] for n in dims if d[n] == n] + real_keys
    select = [f"'{label or grp}' AS grp", month, *dim_exprs, *keys, *(f"SUM({s}) AS {s}" for s in sums)]
    condition = f" WHERE {where}" if where else ""
    return f"SELECT {', '.join(select)} FROM {source}{condition} GROUP BY {', '.join(group_cols) or '1'}"


def _execute(cur, sql: str, params=None) -> None:
    cur.execute(sql, list(params or []))


def build_temps(cur, d: Dialect, today: dt.date) -> None:
    for name in TEMP_TABLES:
        _execute(cur, f"DROP TABLE IF EXISTS {name}")
    amounts = ", ".join(f"SUM({d.cents(a)}) AS {a}" for a in AMOUNTS)
    # Finest grain of the case cube.
    _execute(
        cur,
        f"""CREATE TEMP TABLE stats_t_case AS
        SELECT {d.month("created_at")} AS month, institution_id, COALESCE(branch_id, 0) AS branch_id,
               product_type AS product, region_code AS region, status, outcome,
               COUNT(*) AS cases,
               SUM(CASE WHEN status NOT IN {TERMINAL_SQL} AND stage_due_on < %s THEN 1 ELSE 0 END) AS overdue,
               {amounts}
        FROM cases_case GROUP BY 1, 2, 3, 4, 5, 6, 7""",
        [today],
    )
    cutoff = week_start(today) - dt.timedelta(weeks=WEEKS_KEPT - 1)
    _execute(
        cur,
        f"""CREATE TEMP TABLE stats_t_wcase AS
        SELECT {d.week("created_at")} AS month, institution_id, 0 AS branch_id, '' AS product, '' AS region,
               status, outcome, COUNT(*) AS cases,
               SUM(CASE WHEN status NOT IN {TERMINAL_SQL} AND stage_due_on < %s THEN 1 ELSE 0 END) AS overdue,
               {amounts}
        FROM cases_case WHERE created_at >= %s GROUP BY 1, 2, 6, 7""",
        [today, local_midnight(cutoff)],
    )
    # One row per stage entry: every event that moved a case into a status, and the next status change
    # of the same case, which ends that stage (LEAD over the case's timeline). Local days are computed
    # once here; months and weeks are derived from them below.
    _execute(
        cur,
        f"""CREATE TEMP TABLE stats_t_fact AS
        SELECT f.stage, {d.local_date("f.entered_at")} AS entry_day, {d.local_date("f.exit_at")} AS exit_day,
               f.due_on, {resolved_sql("f.stage", "f.exit_to")} AS resolved,
               c.institution_id, c.product_type AS product, c.region_code AS region
        FROM (
            SELECT case_id, to_status AS stage, at AS entered_at, due_on,
                   LEAD(at) OVER w AS exit_at, LEAD(to_status) OVER w AS exit_to
            FROM cases_caseevent WHERE to_status <> '' AND to_status <> from_status
            WINDOW w AS (PARTITION BY case_id ORDER BY at, id)
        ) f JOIN cases_case c ON c.id = f.case_id""",
    )
    flows(cur, d, "stats_t_flow", "stats_t_exit", d.month_of_date, ("product", "region"), today)
    flows(cur, d, "stats_t_wflow", "stats_t_wexit", d.week_of_date, (), today, since=cutoff)
    case_cols = ["institution_id", "branch_id", "product", "region"]
    case_sums = ["cases", "overdue", *AMOUNTS]
    _execute(
        cur,
        "CREATE TEMP TABLE stats_t_cc AS "
        + " UNION ALL ".join(
            # By status (the stacked stages, outcomes).
            [_rollup("stats_t_case", g, case_cols, ["status", "outcome"], case_sums) for g in CASE_SETS]
            + [_rollup("stats_t_wcase", g, case_cols, ["status", "outcome"], case_sums) for g in WEEK_SETS]
            # All statuses together (status '*'): intake totals read one row per month.
            + [_rollup("stats_t_case", g, case_cols, ALL_STATUSES, case_sums) for g in CASE_SETS]
            + [_rollup("stats_t_wcase", g, case_cols, ALL_STATUSES, case_sums) for g in WEEK_SETS]
            # Open now, whatever the month (grp "o…", no month): the snapshot tiles and columns.
            + [
                _rollup(
                    "stats_t_case",
                    g,
                    case_cols,
                    ["status", "'' AS outcome"],
                    case_sums,
                    label=f"o{g}",
                    month=NO_MONTH,
                    where=f"status NOT IN {TERMINAL_SQL}",
                )
                for g in CASE_SETS
            ]
        ),
    )
    stage_cols = ["institution_id", "product", "region"]
    sums = ["entered", "exited", "resolved", "days", "due_met", "due_missed"]
    _execute(
        cur,
        "CREATE TEMP TABLE stats_t_sc AS "
        + " UNION ALL ".join(
            [_rollup("stats_t_flow", g, stage_cols, ["stage"], sums) for g in STAGE_SETS]
            + [_rollup("stats_t_wflow", g, stage_cols, ["stage"], sums) for g in WEEK_SETS]
        ),
    )
    _execute(
        cur,
        "CREATE TEMP TABLE stats_t_dc AS "
        + " UNION ALL ".join(
            [_rollup("stats_t_exit", g, stage_cols, ["stage", "days"], ["exited"]) for g in DURATION_SETS]
            + [_rollup("stats_t_wexit", g, stage_cols, ["stage", "days"], ["exited"]) for g in WEEK_SETS]
        ),
    )


def flows(cur, d: Dialect, flow: str, exits: str, bucket, kept: tuple, today, since=None) -> None:
    """Entries count in the bucket they happened, exits in theirs, deadlines in the bucket they fall due.

    `bucket` turns a local day column into its month or week; `kept` are the case dimensions kept
    besides the institution (the weekly rows keep none); `since` keeps only days from that day on.
    """
    dims = ", ".join(["institution_id", *(c if c in kept else f"'' AS {c}" for c in ("product", "region"))])
    group = "1, 2, 3, 4, 5"  # stage, bucket and the three dimensions
    recent = {k: (f" AND {k} >= %s" if since else "") for k in ("entry_day", "exit_day", "due_on")}
    extra = [since] if since else []
    days = d.days_between("entry_day", "exit_day")
    _execute(
        cur,
        f"""CREATE TEMP TABLE {flow} AS
        SELECT stage, {bucket("entry_day")} AS month, {dims}, COUNT(*) AS entered, 0 AS exited,
               0 AS resolved, 0 AS days, 0 AS due_met, 0 AS due_missed
        FROM stats_t_fact WHERE 1 = 1{recent["entry_day"]} GROUP BY {group}
        UNION ALL
        SELECT stage, {bucket("exit_day")}, {dims}, 0, COUNT(*), SUM(resolved), SUM({days}), 0, 0
        FROM stats_t_fact WHERE exit_day IS NOT NULL{recent["exit_day"]} GROUP BY {group}
        UNION ALL
        SELECT stage, {bucket("due_on")}, {dims}, 0, 0, 0, 0,
               SUM(CASE WHEN exit_day IS NOT NULL AND exit_day <= due_on THEN 1 ELSE 0 END),
               SUM(CASE WHEN (exit_day IS NOT NULL AND exit_day > due_on)
                          OR (exit_day IS NULL AND due_on < %s) THEN 1 ELSE 0 END)
        FROM stats_t_fact WHERE due_on IS NOT NULL{recent["due_on"]} GROUP BY {group}""",
        [*extra, *extra, today, *extra],
    )
    _execute(
        cur,
        f"""CREATE TEMP TABLE {exits} AS
        SELECT stage, {bucket("exit_day")} AS month, {dims}, {days} AS days, COUNT(*) AS exited
        FROM stats_t_fact WHERE exit_day IS NOT NULL{recent["exit_day"]}
        GROUP BY {group}, 6""",
        extra,
    )


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_midnight(day: dt.date) -> dt.datetime:
    from jiefen.common.clock import SHANGHAI

    return dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


CASE_COLS = (
    "grp, month, institution_id, branch_id, product, region, status, outcome, cases, overdue, "
    + ", ".join(AMOUNTS)
)
STAGE_COLS = (
    "grp, month, institution_id, product, region, stage, entered, exited, resolved, days, due_met, due_missed"
)
# (cube, temp table, the cube's columns, the same columns as the temp table names them)
CUBES = [
    ("stats_casecube", "stats_t_cc", CASE_COLS, CASE_COLS),
    ("stats_stagecube", "stats_t_sc", STAGE_COLS, STAGE_COLS),
    (
        "stats_durationcube",
        "stats_t_dc",
        "grp, month, institution_id, product, region, stage, days, n",
        "grp, month, institution_id, product, region, stage, days, exited",
    ),
]
# SQLite has one writer: the swap moves rows in chunks, each its own short transaction, so people
# working cases never wait for the monitoring centre more than a moment.
CHUNK = 100_000


def clear(cur, gen: int, chunked: bool) -> None:
    """Delete one generation's rows (the one not being read)."""
    for table, _temp, _cols, _source in CUBES:
        if not chunked:
            _execute(cur, f"DELETE FROM {table} WHERE gen = %s", [gen])
            continue
        while True:
            with transaction.atomic():
                _execute(
                    cur,
                    f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE gen = %s LIMIT {CHUNK})",
                    [gen],
                )
                if cur.rowcount < CHUNK:
                    break


def copy(cur, gen: int, chunked: bool) -> dict[str, int]:
    """Write the temp tables' rows as generation `gen` of the cubes."""
    rows = {}
    for table, temp, cols, source in CUBES:
        if not chunked:
            _execute(cur, f"INSERT INTO {table} (gen, {cols}) SELECT %s, {source} FROM {temp}", [gen])
            rows[table] = cur.rowcount
            continue
        _execute(cur, f"SELECT MAX(rowid) FROM {temp}")
        top = cur.fetchone()[0] or 0
        for low in range(0, top, CHUNK):
            with transaction.atomic():
                _execute(
                    cur,
                    f"INSERT INTO {table} (gen, {cols}) SELECT %s, {source} FROM {temp}"
                    " WHERE rowid > %s AND rowid <= %s",
                    [gen, low, low + CHUNK],
                )
        rows[table] = top
    return rows


def drop_temps(cur) -> None:
    for name in TEMP_TABLES:
        _execute(cur, f"DROP TABLE IF EXISTS {name}")


@contextmanager
def read_snapshot(d: Dialect):
    """One consistent view of the case tables for the read phase, without blocking anyone."""
    if connection.in_atomic_block:  # inside a caller's transaction (tests): already one snapshot
        yield
        return
    if not d.sqlite:
        with transaction.atomic(), connection.cursor() as cur:
            _execute(cur, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # the first statement
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cur:
        # Deferred, not Django's IMMEDIATE: a reader in WAL mode never takes the write lock.
        cur.execute("BEGIN DEFERRED")
        try:
            yield
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")


def claim(now: dt.datetime) -> tuple[bool, int]:
    """Take the refresh lock (one rebuild at a time; a stale lock expires). Returns (taken, current gen)."""
    from .models import RefreshState

    state, _ = RefreshState.objects.get_or_create(pk=1)
    taken = (
        RefreshState.objects.filter(pk=1)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - LOCK_EXPIRES))
        .update(running_since=now)
    )
    return bool(taken), state.generation


def release() -> None:
    from .models import RefreshState

    RefreshState.objects.filter(pk=1).update(running_since=None)


def rebuild(today: dt.date, now: dt.datetime, on_swap) -> dict[str, int] | None:
    """Rebuild every cube into the generation nobody reads, then switch readers to it at once.

    `on_swap(rows, generation)` runs inside the switching transaction (it writes the watermark).
    Returns the row counts, or None when another rebuild is running.
    """
    d = Dialect(connection.vendor)
    taken, current = claim(now)
    if not taken:
        return None
    chunked = d.sqlite and not connection.in_atomic_block
    new = 1 - current
    try:
        with read_snapshot(d), connection.cursor() as cur:
            build_temps(cur, d, today)
        with connection.cursor() as cur:
            # Rows of the generation being replaced were last read before the previous switch.
            clear(cur, new, chunked)
            rows = copy(cur, new, chunked)
            if not d.sqlite:
                # Half of each cube was just replaced: without fresh statistics the planner would plan
                # the first panel reads after the switch on the counts of the previous generation.
                for table, _temp, _cols, _source in CUBES:
                    _execute(cur, f"ANALYZE {table}")
        with transaction.atomic():
            on_swap(rows, new)
        return rows
    finally:
        release()
        with connection.cursor() as cur:
            drop_temps(cur)


def signature(today: dt.date) -> str:
    """What the cubes depend on, read through primary-key indexes only (a few milliseconds at any
    size): every transition adds a timeline event, every new case a row; the local date changes
    what is overdue. Edits that bypass both are picked up by the periodic full rebuild."""
    with connection.cursor() as cur:
        _execute(cur, "SELECT MAX(id) FROM cases_caseevent")
        max_event = cur.fetchone()[0]
        _execute(cur, "SELECT MAX(id) FROM cases_case")
        max_case = cur.fetchone()[0]
    return f"{max_event}|{max_case}|{today.isoformat()}"
