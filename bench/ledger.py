"""Evidence ledger speed: appending (one transaction per entry, as services do), a full `ledger verify`,
and a daily Merkle seal, on a scratch database.

    python bench/ledger.py [--entries 50000] [--db sqlite|postgres]

Reference, measured in the same run: hashing the same canonical payloads with hashlib alone (the floor
any verification must pay). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--single", type=int, default=2_000, help="entries appended one transaction each")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="jiefen-bench-")
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/jiefen_bench_ledger"
        )
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiefen_bench_ledger")
            conn.execute("CREATE DATABASE jiefen_bench_ledger")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["JIEFEN_VAR_DIR"] = scratch
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from jiefen.evidence import chain
    from jiefen.evidence.models import LedgerEntry
    from jiefen.evidence.services import ledger_record, ledger_verify, merkle_seal

    settings.MEDIA_ROOT = Path(scratch) / "media"
    call_command("migrate", verbosity=0)

    def record(i: int) -> dict:
        return {
            "agreement": f"TJ2026{i:06d}",
            "amount": f"{1000 + i % 977}.{i % 100:02d}",
            "paid_on": "2026-05-06",
        }

    t = time.perf_counter()
    for i in range(args.single):
        with transaction.atomic():
            ledger_record(kind="payment.record", subject=f"agreement:{i}", record=record(i))
    single_s = time.perf_counter() - t

    t = time.perf_counter()
    done = args.single
    while done < args.entries:
        with transaction.atomic():
            for i in range(done, min(done + 1000, args.entries)):
                ledger_record(kind="payment.record", subject=f"agreement:{i}", record=record(i))
        done = min(done + 1000, args.entries)
    batch_s = time.perf_counter() - t

    t = time.perf_counter()
    result = ledger_verify()
    verify_s = time.perf_counter() - t
    assert result.ok and result.checked == args.entries, result.summary

    t = time.perf_counter()
    root = merkle_seal()
    seal_s = time.perf_counter() - t

    # Reference: the same per-entry hashing with nothing else (no database, no ORM).
    rows = list(
        LedgerEntry.objects.order_by("seq").values_list(
            "seq", "prev_hash", "kind", "subject", "content_hash", "actor_label", "at", "data"
        )
    )
    t = time.perf_counter()
    for seq, prev, kind, subject, content, label, at, data in rows:
        chain.entry_digest(
            seq=seq,
            prev_hash=prev,
            kind=kind,
            subject=subject,
            content_hash=content,
            actor_label=label,
            at=at,
            data=data,
        )
    reference_s = time.perf_counter() - t

    print(
        json.dumps(
            {
                "bench": "ledger",
                "db": args.db,
                "entries": args.entries,
                "append_single_tx_per_s": round(args.single / single_s),
                "append_in_batches_per_s": round((args.entries - args.single) / batch_s) if batch_s else None,
                "verify_entries_per_s": round(args.entries / verify_s),
                "verify_s": round(verify_s, 2),
                "seal_s": round(seal_s, 2),
                "merkle_count": root.count,
                "reference_hash_only_entries_per_s": round(args.entries / reference_s),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
