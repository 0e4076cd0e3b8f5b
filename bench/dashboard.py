"""Monitoring dashboard speed and correctness on a large case table.

    python bench/dashboard.py [--cases 1000000] [--db sqlite|postgres] [--repeat 20]

Fills a scratch database (SQLite: a temp file; PostgreSQL: the database jiefen_dash_bench, created and
dropped here — never the dev database) with N cases and their timelines: 40 institutions (skewed
sizes), 6 product types, 12 regions, 36 months of growing intake, each case walked through the
closed loop with realistic stage durations and the deadlines the rules give, stopped at "now".
Rows go in through raw executemany (SQLite) or COPY (PostgreSQL), the same tables the importer
writes. Then it runs the cube refresh, times every dashboard panel's request over HTTP (Django test
client, full middleware) for the centre, a bank and a filtered view, times the whole centre page,
measures the floor (the equivalent single GROUP BY in raw SQL on the case table, same database, same
run) and recomputes every figure the panels show from the raw rows in plain Python
(`figures_match`). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SH = ZoneInfo("Asia/Shanghai")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "jiefen_dash_bench"

REGIONS = [
    "350502",
    "350503",
    "350504",
    "350505",
    "350521",
    "350524",
    "350525",
    "350526",
    "350527",
    "350581",
    "350582",
    "350583",
]
PRODUCTS = [
    ("credit_card", 45),
    ("small_loan", 15),
    ("sme_loan", 10),
    ("business_loan", 12),
    ("consumer_loan", 15),
    ("other", 3),
]
SCALE = {
    "credit_card": (3_000, 80_000),
    "small_loan": (5_000, 100_000),
    "sme_loan": (100_000, 3_000_000),
    "business_loan": (50_000, 1_000_000),
    "consumer_loan": (2_000, 60_000),
    "other": (1_000, 50_000),
}


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- the generator -------------------------------------------------------------------------------

# (action, target, weight, (min_days, max_days)) per status: the closed loop with plausible odds.
WALK = {
    "new": [("triage_simple", "disposal", 85, (0, 4)), ("triage_complex", "mediation_pending", 15, (0, 4))],
    "disposal": [
        ("settle_paid", "closed", 50, (2, 50)),
        ("plan_agreed", "agreed", 22, (3, 40)),
        ("handover_mediation", "mediation_pending", 15, (5, 35)),
        ("handover_litigation", "litigation", 8, (10, 45)),
        ("withdraw", "withdrawn", 5, (1, 30)),
    ],
    "mediation_pending": [("start_mediation", "mediating", 100, (0, 6))],
    "mediating": [
        ("mediation_agreed", "agreed", 55, (3, 40)),
        ("mediation_fail", "mediation_failed", 40, (5, 45)),
        ("withdraw", "withdrawn", 5, (1, 20)),
    ],
    "agreed": [
        ("request_confirmation", "confirmation_pending", 35, (1, 28)),
        ("start_performance", "performing", 65, (0, 10)),
    ],
    "confirmation_pending": [
        ("confirm", "confirmed", 90, (3, 40)),
        ("reject_confirmation", "agreed", 10, (5, 30)),
    ],
    "confirmed": [("start_performance", "performing", 100, (0, 10))],
    "performing": [("plan_completed", "closed", 80, (30, 400)), ("plan_default", "defaulted", 20, (30, 300))],
    "defaulted": [
        ("apply_enforcement", "enforcement", 60, (3, 30)),
        ("transfer_litigation", "litigation", 40, (5, 30)),
    ],
    "mediation_failed": [("transfer_litigation", "litigation", 100, (2, 20))],
    "litigation": [("judge", "judged", 100, (20, 110))],
    "judged": [
        ("close_judged", "closed", 60, (10, 200)),
        ("apply_enforcement", "enforcement", 40, (15, 120)),
    ],
    "enforcement": [("close_enforcement", "closed", 100, (30, 300))],
}
OUTCOME = {
    "settle_paid": "paid",
    "plan_completed": "performed",
    "close_judged": "judgment_performed",
    "close_enforcement": "enforced",
    "withdraw": "withdrawn",
}


def build_world(args):
    from jiefen.orgs.models import Branch, Region
    from tests.factories import World, institution

    for code in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": f"区县{code[-2:]}"})
    world = World()
    banks = [world.bank_a, world.bank_b] + [
        institution(f"BANK-{i:02d}", name=f"银行{i:02d}") for i in range(38)
    ]
    rng = random.Random(11)
    branches = {}
    for bank in banks:
        existing = list(Branch.objects.filter(institution=bank))
        regions = rng.sample(REGIONS, 3)
        for n, region in enumerate(regions):
            b = (
                existing[n]
                if n < len(existing)
                else Branch.objects.create(
                    institution=bank,
                    code=f"{bank.code}-{n:02d}",
                    name=f"{bank.name}{region}支行",
                    region_code=region,
                )
            )
            if b.region_code != region:
                Branch.objects.filter(pk=b.pk).update(region_code=region)
            branches.setdefault(bank.pk, []).append((b.pk, region))
    return world, banks, branches


def generate(args, world, banks, branches, now):
    """Yield chunks of (case rows, event rows)."""
    from jiefen.cases.services import stage_due

    rng = random.Random(2026)
    due_cache: dict = {}

    def due(status, at):
        key = (status, at.astimezone(SH).date())
        if key not in due_cache:
            due_cache[key] = stage_due(status, at)
        return due_cache[key]

    bank_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(banks))]
    products = [p for p, _ in PRODUCTS]
    product_weights = [w for _, w in PRODUCTS]
    this_month = now.astimezone(SH).date().replace(day=1)
    months = []
    m = this_month
    for _ in range(36):
        months.append(m)
        m = (m - dt.timedelta(days=1)).replace(day=1)
    months.reverse()
    month_weights = [1 + i / 35 for i in range(36)]  # intake grows over three years
    party_of = args.party_of
    choices = {s: ([a for a in opts], [o[2] for o in opts]) for s, opts in WALK.items()}
    cases, events = [], []
    for case_id in range(1, args.cases + 1):
        bank = banks[rng.choices(range(len(banks)), weights=bank_weights)[0]]
        branch_id, region = rng.choice(branches[bank.pk])
        product = rng.choices(products, weights=product_weights)[0]
        month = rng.choices(months, weights=month_weights)[0]
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        start = dt.datetime(month.year, month.month, 1, tzinfo=SH)
        span = (dt.datetime(next_month.year, next_month.month, 1, tzinfo=SH) - start).total_seconds()
        created = (start + dt.timedelta(seconds=rng.randrange(int(span)))).astimezone(dt.UTC)
        if created >= now:
            created = now - dt.timedelta(minutes=rng.randrange(1, 600))
        lo, hi = SCALE[product]
        principal = Decimal(rng.randrange(lo, hi)) + Decimal(rng.randrange(100)) / 100
        interest = (principal * Decimal(rng.randrange(2, 12)) / 100).quantize(Decimal("0.01"))
        penalty = (principal * Decimal(rng.randrange(0, 6)) / 100).quantize(Decimal("0.01"))
        status, at, due_on, outcome, closed_at, enforceable = "new", created, None, "", None, False
        events.append((case_id, "create", "", "new", "批量导入", "机构批量推送", None, "{}", created))
        while status in WALK:
            opts, weights = choices[status]
            action, target, _w, (dmin, dmax) = rng.choices(opts, weights=weights)[0]
            if status == "defaulted" and action == "apply_enforcement" and not enforceable:
                action, target = "transfer_litigation", "litigation"
            step_at = at + dt.timedelta(
                days=rng.randint(dmin, dmax), hours=rng.randint(0, 9), minutes=rng.randint(0, 59)
            )
            if step_at >= now:
                break
            new_due = due(target, step_at)
            events.append((case_id, action, status, target, "bench", "bench", new_due, "{}", step_at))
            if action == "confirm":
                enforceable = True
            status, at, due_on = target, step_at, new_due
            if status in {"closed", "withdrawn"}:
                outcome, closed_at = OUTCOME[action], step_at
        cases.append(
            (
                case_id,
                f"B{case_id:09d}",
                bank.pk,
                branch_id,
                party_of[bank.pk],
                product,
                f"K{case_id}",
                region,
                principal,
                interest,
                penalty,
                Decimal("0"),
                Decimal("0"),
                "simple",
                status,
                at,
                due_on,
                outcome,
                0,
                enforceable,
                created,
                at,
                closed_at,
            )
        )
        if len(cases) >= 50_000:
            yield cases, events
            cases, events = [], []
    if cases:
        yield cases, events


CASE_COLS = [
    "id",
    "number",
    "institution_id",
    "branch_id",
    "debtor_id",
    "product_type",
    "contract_no",
    "region_code",
    "principal",
    "interest",
    "penalty_interest",
    "compound_interest",
    "fees",
    "complexity",
    "status",
    "status_changed_at",
    "stage_due_on",
    "outcome",
    "version",
    "enforceable",
    "created_at",
    "updated_at",
    "closed_at",
]
CASE_DEFAULTS = {
    "lost_contact": False,
    "involves_litigation": False,
    "involves_petition": False,
    "prior_negotiation_failed": False,
    "vulnerable": False,
}
EVENT_COLS = [
    "case_id",
    "action",
    "from_status",
    "to_status",
    "actor_label",
    "reason",
    "due_on",
    "data",
    "at",
]


def fill(args, world, banks, branches, now):
    from django.db import connection, transaction

    from jiefen.common.crypto import encrypt, lookup_hash

    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO parties_party (owner_id, kind, name, id_number, id_hash, legal_rep, region_code,"
            " is_vulnerable, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            [
                (
                    b.pk,
                    "individual",
                    f"债务人{i}",
                    encrypt("11010519491231002X"),
                    lookup_hash(f"id{i}"),
                    "",
                    "",
                    False,
                    now,
                )
                for i, b in enumerate(banks)
            ],
        )
        cur.execute("SELECT owner_id, id FROM parties_party")
        args.party_of = dict(cur.fetchall())
    sqlite = connection.vendor == "sqlite"
    case_cols = CASE_COLS + list(CASE_DEFAULTS)
    defaults = tuple(CASE_DEFAULTS.values())
    adapt = connection.ops.adapt_datetimefield_value if sqlite else (lambda v: v)
    n_events = 0
    for cases, events in generate(args, world, banks, branches, now):
        n_events += len(events)
        with transaction.atomic():
            raw = connection.connection
            cur = raw.cursor()
            if sqlite:
                case_rows = [
                    (
                        *c[:8],
                        str(c[8]),
                        str(c[9]),
                        str(c[10]),
                        str(c[11]),
                        str(c[12]),
                        *c[13:15],
                        adapt(c[15]),
                        c[16].isoformat() if c[16] else None,
                        c[17],
                        c[18],
                        int(c[19]),
                        adapt(c[20]),
                        adapt(c[21]),
                        adapt(c[22]) if c[22] else None,
                        *defaults,
                    )
                    for c in cases
                ]
                cur.executemany(
                    f"INSERT INTO cases_case ({', '.join(case_cols)}) VALUES ({', '.join('?' * len(case_cols))})",
                    case_rows,
                )
                event_rows = [(*e[:6], e[6].isoformat() if e[6] else None, e[7], adapt(e[8])) for e in events]
                cur.executemany(
                    f"INSERT INTO cases_caseevent ({', '.join(EVENT_COLS)}) VALUES ({', '.join('?' * len(EVENT_COLS))})",
                    event_rows,
                )
            else:
                with cur.copy(f"COPY cases_case ({', '.join(case_cols)}) FROM STDIN") as copy:
                    for c in cases:
                        copy.write_row((*c, *defaults))
                with cur.copy(f"COPY cases_caseevent ({', '.join(EVENT_COLS)}) FROM STDIN") as copy:
                    for e in events:
                        copy.write_row(e)
            cur.close()
    with connection.cursor() as cur:
        if not sqlite:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
            )
        cur.execute("ANALYZE")
    return n_events


# --- the independent recomputation -----------------------------------------------------------------


def local(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SH)


def as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def rate(num, den):
    if not den:
        return None
    return str((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def recompute(scopes, today):
    """Every figure of the checked scopes, from the raw rows, in plain Python (no cube, no SQL GROUP BY)."""
    from django.db import connection

    from jiefen.stats.stages import RESOLVED_EXITS

    dims = {}
    want = {
        name: {
            "received": Counter(),
            "claimed": Counter(),
            "status": Counter(),
            "open": Counter(),
            "overdue": Counter(),
            "entered": Counter(),
            "exited": Counter(),
            "resolved": Counter(),
            "days": Counter(),
            "hist": defaultdict(Counter),
            "met": Counter(),
            "missed": Counter(),
            "month": defaultdict(Counter),  # month -> received, claimed, closed
        }
        for name in scopes
    }

    def matching(inst, product, region):
        for name, s in scopes.items():
            if s.get("institution") and s["institution"] != inst:
                continue
            if s.get("product") and s["product"] != product:
                continue
            if s.get("region") and s["region"] != region:
                continue
            yield name, s

    def in_period(s, month):
        return s["start"] <= month <= s["end"]

    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, institution_id, product_type, region_code, created_at, status, stage_due_on,"
            " principal, interest, penalty_interest, compound_interest, fees FROM cases_case"
        )
        while True:
            rows = cur.fetchmany(20000)
            if not rows:
                break
            for cid, inst, product, region, created, status, due, *amounts in rows:
                dims[cid] = (inst, product, region)
                month = local(created).date().replace(day=1)
                cents = sum(int((Decimal(str(a)) * 100).quantize(Decimal("1"))) for a in amounts)
                is_open = status not in ("closed", "withdrawn")
                overdue = is_open and due is not None and as_date(due) < today
                for name, s in matching(inst, product, region):
                    w = want[name]
                    key = s.get("by_value", lambda i, p, r: None)(inst, product, region)
                    if is_open:
                        w["open"][key] += 1
                        w["overdue"][key] += overdue
                    if in_period(s, month):
                        w["received"][key] += 1
                        w["claimed"][key] += cents
                        w["status"][status] += 1
                        w["month"][month]["received"] += 1
                        w["month"][month]["claimed"] += cents
    with connection.cursor() as cur:
        cur.execute(
            "SELECT case_id, at, from_status, to_status, due_on FROM cases_caseevent"
            " WHERE to_status <> '' AND to_status <> from_status ORDER BY case_id, at, id"
        )
        previous = None  # (case, stage, entered local, due)

        def close(prev, exit_at, exit_to):
            cid, stage, entered, due_on = prev
            inst, product, region = dims[cid]
            for name, s in matching(inst, product, region):
                w = want[name]
                key = s.get("by_value", lambda i, p, r: None)(inst, product, region)
                if in_period(s, entered.date().replace(day=1)):
                    w["entered"][(stage, key)] += 1
                    if stage == "closed":
                        w["month"][entered.date().replace(day=1)]["closed"] += 1
                exit_day = exit_at.date() if exit_at else None
                if exit_at is not None and in_period(s, exit_day.replace(day=1)):
                    days = (exit_day - entered.date()).days
                    w["exited"][(stage, key)] += 1
                    w["days"][(stage, key)] += days
                    w["hist"][stage][days] += 1
                    w["resolved"][(stage, key)] += exit_to in RESOLVED_EXITS.get(stage, ())
                if due_on is not None and in_period(s, due_on.replace(day=1)):
                    if exit_day is not None and exit_day <= due_on:
                        w["met"][(stage, key)] += 1
                    elif exit_day is not None or due_on < today:
                        w["missed"][(stage, key)] += 1

        while True:
            rows = cur.fetchmany(50000)
            if not rows:
                break
            for cid, at, _from, to, due in rows:
                at = local(at)
                if previous is not None and previous[0] == cid:
                    close(previous, at, to)
                elif previous is not None:
                    close(previous, None, None)
                previous = (cid, to, at, as_date(due))
        if previous is not None:
            close(previous, None, None)
    return want


def percentile(hist, p):
    total = sum(hist.values())
    if not total:
        return None
    rank = max(1, math.ceil(p * total / 100))
    seen = 0
    for d in sorted(hist):
        seen += hist[d]
        if seen >= rank:
            return d
    return None


def expected_figures(w, percentiles=True):
    """The panel figures a scope's recomputation predicts, in the panels' own shapes."""
    from jiefen.stats.stages import STAGES

    def flow(stage, measure, key=None):
        return w[measure][(stage, key)]

    yuan = lambda cents: str((Decimal(cents) / 100).quantize(Decimal("0.01")))  # noqa: E731
    kpi = {
        "cases.received": w["received"][None],
        "amounts.claimed": yuan(w["claimed"][None]),
        "cases.closed": flow("closed", "entered"),
        "cases.withdrawn": flow("withdrawn", "entered"),
        "cases.open_now": w["open"][None],
        "cases.overdue_now": w["overdue"][None],
        "disposal.resolved_share": rate(flow("disposal", "resolved"), flow("disposal", "exited")),
        "mediation.success_rate": rate(flow("mediating", "resolved"), flow("mediating", "exited")),
        "confirmation.confirmed": flow("confirmed", "entered"),
        "litigation.judged": flow("judged", "entered"),
        "deadline.disposal": rate(
            flow("disposal", "met"), flow("disposal", "met") + flow("disposal", "missed")
        ),
        "deadline.mediation": rate(
            flow("mediating", "met"), flow("mediating", "met") + flow("mediating", "missed")
        ),
        "deadline.confirmation": rate(
            flow("confirmation_pending", "met"),
            flow("confirmation_pending", "met") + flow("confirmation_pending", "missed"),
        ),
    }
    stages = {}
    for s in STAGES:
        ex = flow(s, "exited")
        met, missed = flow(s, "met"), flow(s, "missed")
        stages[s] = {
            "entered": flow(s, "entered"),
            "exited": ex,
            "resolved": flow(s, "resolved"),
            "resolved_share": rate(flow(s, "resolved"), ex),
            "avg_days": str((Decimal(flow(s, "days")) / ex).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            if ex
            else None,
            "p50_days": percentile(w["hist"][s], 50) if percentiles else None,
            "p90_days": percentile(w["hist"][s], 90) if percentiles else None,
            "due_met": met,
            "due_missed": missed,
            "on_time_rate": rate(met, met + missed),
        }
    trend = {
        f"{m:%Y-%m}": {
            "cases.received": v["received"],
            "cases.closed": v["closed"],
            "amounts.claimed": yuan(v["claimed"]),
        }
        for m, v in w["month"].items()
    }
    funnel = {
        "funnel.received": w["received"][None],
        "funnel.disposal": flow("disposal", "entered"),
        "funnel.disposal_resolved": flow("disposal", "resolved"),
        "funnel.mediation": flow("mediation_pending", "entered"),
        "funnel.agreed": flow("agreed", "entered"),
        "funnel.confirmed": flow("confirmed", "entered"),
        "funnel.performed": flow("performing", "resolved"),
        "funnel.litigation": flow("litigation", "entered"),
        "funnel.judged": flow("judged", "entered"),
        "funnel.enforcement": flow("enforcement", "entered"),
        "funnel.enforced": flow("enforcement", "resolved"),
    }
    ontime = {
        key: {
            "due_met": flow(stage, "met"),
            "due_missed": flow(stage, "missed"),
            "rate": rate(flow(stage, "met"), flow(stage, "met") + flow(stage, "missed")),
        }
        for key, stage in [
            ("deadline.disposal", "disposal"),
            ("deadline.mediation", "mediating"),
            ("deadline.confirmation", "confirmation_pending"),
        ]
    }
    return {
        "kpi": kpi,
        "durations": stages,
        "status": dict(w["status"]),
        "trend": trend,
        "funnel": funnel,
        "ontime": ontime,
    }


def expected_breakdown(w, names):
    out = {}
    for key in set(w["received"]) | set(w["open"]):
        out[str(names(key))] = {
            "cases.received": w["received"][key],
            "amounts.claimed": str((Decimal(w["claimed"][key]) / 100).quantize(Decimal("0.01"))),
            "cases.closed": w["entered"][("closed", key)],
            "cases.open_now": w["open"][key],
            "cases.overdue_now": w["overdue"][key],
            "disposal.resolved_share": rate(w["resolved"][("disposal", key)], w["exited"][("disposal", key)]),
            "mediation.success_rate": rate(
                w["resolved"][("mediating", key)], w["exited"][("mediating", key)]
            ),
        }
    return out


def compare(label, got, want, mismatches):
    for key, value in want.items():
        have = got.get(key, "<missing>")
        if isinstance(value, dict):
            compare(f"{label}.{key}", have if isinstance(have, dict) else {}, value, mismatches)
        elif have != value and not (value == 0 and have in (None, "<missing>")):
            mismatches.append(f"{label}.{key}: panel {have!r} != raw {value!r}")


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="jiefen-dash-")
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["JIEFEN_VAR_DIR"] = scratch
    os.environ["JIEFEN_MEDIA_ROOT"] = f"{scratch}/media"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from jiefen.stats import panels as panel_registry
    from jiefen.stats.figures import add_month
    from jiefen.stats.models import RefreshState
    from jiefen.stats.services import cube_refresh

    try:
        call_command("migrate", verbosity=0)
        now = timezone.now()
        today = now.astimezone(SH).date()
        world, banks, branches = build_world(args)
        t0 = time.perf_counter()
        n_events = fill(args, world, banks, branches, now)
        fill_seconds = time.perf_counter() - t0

        t0 = time.perf_counter()
        cube_refresh(force=True, now=now)
        refresh_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        cube_refresh(now=now)  # nothing changed: the minute tick is cheap
        noop_refresh_seconds = time.perf_counter() - t0
        cube_rows = RefreshState.objects.get(pk=1).rows

        centre, bank = Client(), Client()
        centre.force_login(world.center_staff)
        bank.force_login(world.a_manager)
        this_month = today.replace(day=1)
        start12, start36 = add_month(this_month, -11), add_month(this_month, -35)
        focus_bank = banks[3]
        focus_product, focus_region = "credit_card", branches[focus_bank.pk][0][1]
        views = {
            "centre": (centre, "audience=centre"),
            "bank": (bank, "audience=institution"),
            "filtered": (
                centre,
                f"audience=centre&institution={focus_bank.pk}&product={focus_product}"
                f"&region={focus_region}&period=last_36",
            ),
        }
        timings: dict[str, float] = {}
        payloads: dict[str, dict] = {}
        for view, (client, query) in views.items():
            audience = query.split("&")[0].split("=")[1]
            for panel in panel_registry.panels_for(audience):
                url = f"/stats/panel/{panel.name}/?{query}"
                response = client.get(url)  # warm-up
                assert response.status_code == 200, (url, response.status_code, response.content[:300])
                samples = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    response = client.get(url)
                    samples.append((time.perf_counter() - t) * 1000)
                payloads[f"{view}:{panel.name}"] = response.json()
                timings[f"{view}:{panel.name}"] = round(p95(samples), 1)
        page = []
        for _ in range(max(3, args.repeat // 4)):
            t = time.perf_counter()
            assert centre.get("/stats/").status_code == 200
            for panel in panel_registry.panels_for("centre"):
                assert centre.get(f"/stats/panel/{panel.name}/?audience=centre").status_code == 200
            page.append((time.perf_counter() - t) * 1000)
        # The machine is shared: the load while the panels were timed says how loud the figures are.
        load = [round(x, 2) for x in os.getloadavg()]

        # The floor: what the trend panel shows, as one GROUP BY over the case table itself.
        month_sql = (
            "strftime('%Y-%m', created_at, '+8 hours')"
            if connection.vendor == "sqlite"
            else "to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
        )
        floor = []
        with connection.cursor() as cur:
            for _ in range(max(3, args.repeat // 4)):
                t = time.perf_counter()
                cur.execute(
                    f"SELECT {month_sql} AS m, COUNT(*), SUM(principal + interest + penalty_interest"
                    f" + compound_interest + fees) FROM cases_case GROUP BY m".replace("%", "%%"),
                    [],
                )
                cur.fetchall()
                floor.append((time.perf_counter() - t) * 1000)

        # Independent recomputation of what the panels showed.
        inst_key = lambda i, p, r: i  # noqa: E731
        scopes = {
            "centre": {"start": start12, "end": this_month},
            "centre_by_inst": {"start": start12, "end": this_month, "by_value": inst_key},
            "centre_by_product": {"start": start12, "end": this_month, "by_value": lambda i, p, r: p},
            "bank": {"start": start12, "end": this_month, "institution": world.bank_a.pk},
            "filtered": {
                "start": start36,
                "end": this_month,
                "institution": focus_bank.pk,
                "product": focus_product,
                "region": focus_region,
            },
        }
        t0 = time.perf_counter()
        raw = recompute(scopes, today)
        recompute_seconds = time.perf_counter() - t0
        mismatches: list[str] = []
        for view, scope_name in [("centre", "centre"), ("bank", "bank"), ("filtered", "filtered")]:
            # Percentiles are kept for one filter at most (the histograms would outgrow the cases).
            want = expected_figures(raw[scope_name], percentiles=scope_name != "filtered")
            compare(f"{view}:kpi", payloads[f"{view}:kpi"]["figures"], want["kpi"], mismatches)
            if f"{view}:durations" in payloads:
                compare(
                    f"{view}:durations",
                    payloads[f"{view}:durations"]["figures"],
                    want["durations"],
                    mismatches,
                )
            compare(f"{view}:trend", payloads[f"{view}:trend"]["figures"]["trend"], want["trend"], mismatches)
            compare(f"{view}:ontime", payloads[f"{view}:ontime"]["figures"], want["ontime"], mismatches)
            if f"{view}:funnel" in payloads:
                compare(f"{view}:funnel", payloads[f"{view}:funnel"]["figures"], want["funnel"], mismatches)
            if f"{view}:stages" in payloads:
                compare(
                    f"{view}:stages",
                    payloads[f"{view}:stages"]["figures"]["cases.status"],
                    want["status"],
                    mismatches,
                )
        compare(
            "centre:by_institution",
            payloads["centre:by_institution"]["figures"],
            expected_breakdown(raw["centre_by_inst"], lambda k: k),
            mismatches,
        )
        compare(
            "centre:by_product",
            payloads["centre:by_product"]["figures"],
            expected_breakdown(raw["centre_by_product"], lambda k: k),
            mismatches,
        )
        # The bank's own figures never contain another bank's cases.
        bank_ids = {k for k in payloads["bank:by_product"]["figures"]}
        tenancy_ok = payloads["bank:kpi"]["figures"]["cases.received"] == raw["bank"]["received"][
            None
        ] and bool(bank_ids)

        result = {
            "cases": args.cases,
            "events": n_events,
            "db": args.db,
            "panels": timings,
            "max_p95_ms": max(timings.values()),
            "page_ms": round(p95(page), 1),
            "floor_ms": round(statistics.median(floor), 1),
            "figures_match": not mismatches and tenancy_ok,
            "mismatches": mismatches[:10],
            "refresh_seconds": round(refresh_seconds, 1),
            "noop_refresh_ms": round(noop_refresh_seconds * 1000, 1),
            "cube_rows": cube_rows,
            "fill_seconds": round(fill_seconds, 1),
            "recompute_seconds": round(recompute_seconds, 1),
            "load": load,
        }
        print(json.dumps(result, ensure_ascii=False))
    finally:
        if args.db == "postgres" and not args.keep:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        if not args.keep:  # PostgreSQL runs use the scratch folder too (media, var)
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
