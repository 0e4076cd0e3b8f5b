"""Bulk import of scam-registry leads: a national list of companies with 征信 in name or scope.

    python bench/scam_import.py [--rows 20000] [--db sqlite|postgres]

Builds a CSV of N companies (valid USCCs, districts by name, 1% bad rows), then times
`education.services.scam_import` (decode, header match, per-row USCC and district checks, duplicate
checks, numbering, insert of entities and their first timeline rows). Reference, in the same run: the
bare minimum — csv parsing plus one executemany INSERT of the same rows, no checks, no timeline.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="jiefen-bench-")
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/jiefen_bench_scam"
        )
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiefen_bench_scam")
            conn.execute("CREATE DATABASE jiefen_bench_scam")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["JIEFEN_VAR_DIR"] = scratch
    import django

    django.setup()
    import csv
    import io

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from jiefen.demo.fake import QUANZHOU_REGIONS, uscc_number
    from jiefen.education.models import ScamEntity
    from jiefen.education.services import scam_import
    from jiefen.orgs.models import Region
    from tests.factories import World

    call_command("migrate", verbosity=0)
    world = World()
    for code, name in QUANZHOU_REGIONS.items():
        Region.objects.get_or_create(code=code, defaults={"name": name})
    rng = random.Random(11)
    lines = ["企业名称,统一社会信用代码,所在区县,网址或电话,备注"]
    rows = []
    for n in range(args.rows):
        region = rng.choice(list(QUANZHOU_REGIONS))
        code = uscc_number(rng, region)
        if n % 100 == 99:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # a bad check character
        name = f"泉州{n:06d}征信服务有限公司"
        lines.append(
            f"{name},{code},{QUANZHOU_REGIONS[region]},0595-{rng.randint(2000000, 2999999)},经营范围含征信"
        )
        rows.append((name, code, region))
    content = "\n".join(lines).encode("utf-8")

    t0 = time.perf_counter()
    result = scam_import(actor=world.pbc_officer, content=content, filename="bench.csv")
    ours = time.perf_counter() - t0
    assert result.created + len(result.errors) == args.rows, (result.created, len(result.errors))

    ScamEntity.objects.all().delete()
    now = timezone.now()
    t0 = time.perf_counter()
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8"))))[1:]
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO education_scamentity (number, name, uscc, kind, identifiers, address, region_code,"
            " description, source, source_ref, reporter_phone, reporter_hash, status, version,"
            " status_changed_at, contacted, new_name, created_at)"
            " VALUES (%s,%s,%s,'credit_repair','','','', '', 'import','','','','lead',0,%s,%s,'',%s)",
            [
                (f"R{i:08d}", r[0], r[1] if i % 100 != 99 else "", now, False, now)
                for i, r in enumerate(parsed)
            ],
        )
    reference = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "bench": "scam_import",
                "db": args.db,
                "rows": args.rows,
                "imported": result.created,
                "row_errors": len(result.errors),
                "seconds": round(ours, 3),
                "rows_per_second": round(args.rows / ours),
                "reference_seconds": round(reference, 3),
                "reference_rows_per_second": round(args.rows / reference),
                "reference": "csv parse + one executemany INSERT, no validation, no timeline rows",
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
