"""Case list speed on a large table: the staff list and API page by keyset, so every page costs the same.

    python bench/case_list.py [--cases 1000000] [--db sqlite|postgres]

Fills a scratch database with N cases (raw executemany; 40 institutions, 6 products, 15 statuses),
then times the list page over HTTP (Django test client, full middleware and template) for a bank user
and for the centre, first and deep pages, with and without filters. Reference: the same first page as
one raw SQL query in the same run. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="jiefen-bench-")
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/jiefen_bench"
        )
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiefen_bench")
            conn.execute("CREATE DATABASE jiefen_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["JIEFEN_VAR_DIR"] = scratch
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from jiefen.cases.machine import Status
    from jiefen.cases.models import ProductType
    from jiefen.common.crypto import encrypt, lookup_hash
    from tests.factories import World

    call_command("migrate", verbosity=0)
    world = World()
    from tests.factories import institution

    banks = [world.bank_a, world.bank_b] + [institution(f"BANK-{i:02d}") for i in range(38)]
    rng = random.Random(7)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        parties = []
        for i, bank in enumerate(banks):
            parties.append(
                (
                    bank.pk,
                    "individual",
                    f"债务人{i}",
                    encrypt("11010519491231002X"),
                    lookup_hash(f"id{i}"),
                    "",
                    "",
                    False,
                    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                )
            )
        cur.executemany(
            "INSERT INTO parties_party (owner_id, kind, name, id_number, id_hash, legal_rep, region_code, is_vulnerable, created_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            parties,
        )
        cur.execute("SELECT owner_id, id FROM parties_party")
        party_of = dict(cur.fetchall())
        products = ProductType.values
        statuses = Status.values
        start = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
        batch = []
        for n in range(args.cases):
            bank = banks[rng.randrange(len(banks))] if rng.random() > 0.1 else world.bank_a
            created = start + dt.timedelta(minutes=rng.randrange(0, 36 * 30 * 24 * 60))
            batch.append(
                (
                    f"B{n:09d}",
                    bank.pk,
                    party_of[bank.pk],
                    products[rng.randrange(6)],
                    f"K{n}",
                    "350503",
                    "1000.00",
                    "10.00",
                    "0",
                    "0",
                    "0",
                    "simple",
                    False,
                    False,
                    False,
                    False,
                    False,
                    statuses[rng.randrange(len(statuses))],
                    created,
                    None,
                    "",
                    0,
                    False,
                    created,
                    created,
                )
            )
            if len(batch) == 20000:
                cur.executemany(
                    "INSERT INTO cases_case (number, institution_id, debtor_id, product_type, contract_no, region_code, principal,"
                    " interest, penalty_interest, compound_interest, fees, complexity, lost_contact, involves_litigation,"
                    " involves_petition, prior_negotiation_failed, vulnerable, status, status_changed_at, stage_due_on, outcome,"
                    " version, enforceable, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    batch,
                )
                batch = []
        if batch:
            cur.executemany(
                "INSERT INTO cases_case (number, institution_id, debtor_id, product_type, contract_no, region_code, principal,"
                " interest, penalty_interest, compound_interest, fees, complexity, lost_contact, involves_litigation,"
                " involves_petition, prior_negotiation_failed, vulnerable, status, status_changed_at, stage_due_on, outcome,"
                " version, enforceable, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                batch,
            )
    fill_seconds = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    def timed(client, url) -> list[float]:
        client.get(url)  # warm-up: template compilation and connection set-up are not what is measured
        samples = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        return samples

    bank_client, centre_client = Client(), Client()
    bank_client.force_login(world.a_staff)
    centre_client.force_login(world.center_staff)
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM cases_case")
        mid = cur.fetchone()[0] // 2
    pages = {
        "bank_first": (bank_client, "/cases/"),
        "bank_filtered": (bank_client, "/cases/?status=disposal&product_type=credit_card"),
        "bank_deep": (bank_client, f"/cases/?before={mid}"),
        "centre_first": (centre_client, "/cases/"),
        "centre_filtered": (centre_client, f"/cases/?status=mediating&institution={banks[5].pk}"),
        "centre_deep": (centre_client, f"/cases/?status=closed&before={mid}"),
        "api_bank_first": (bank_client, "/api/v1/cases?limit=50"),
    }
    results = {name: round(p95(timed(client, url)), 1) for name, (client, url) in pages.items()}

    floor = []
    with connection.cursor() as cur:
        for _ in range(args.repeat):
            t = time.perf_counter()
            cur.execute(
                "SELECT id, number, status FROM cases_case WHERE institution_id = %s ORDER BY id DESC LIMIT 51",
                [world.bank_a.pk],
            )
            cur.fetchall()
            floor.append((time.perf_counter() - t) * 1000)
    print(
        json.dumps(
            {
                "cases": args.cases,
                "db": args.db,
                "fill_seconds": round(fill_seconds, 1),
                "p95_ms": results,
                "max_p95_ms": max(results.values()),
                "floor_ms": round(statistics.median(floor), 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
