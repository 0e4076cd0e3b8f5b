"""Benchmark of bank-file intake through the real path (parse, normalise, validate, dedupe, triage,
write, timeline), against a floor measured in the same run.

    python bench/import.py --rows 1000000 [--db sqlite|postgres] [--format csv|xlsx] [--reimport]

Floor, CSV: the csv module reads the same file and a raw executemany (SQLite) or COPY (PostgreSQL)
lands the same rows, untouched, in an empty clone of the case table with all its indexes, committed
in the importer's chunks and transactions (CHUNK_ROWS, COMMIT_ROWS). Floor, XLSX: python-calamine
alone reads every row of the file.
The script prints one JSON line; it uses a temporary database (never var/jiefen.sqlite3).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "序号",
    "借款合同号",
    "客户姓名",
    "证件号码",
    "手机号码",
    "备用电话",
    "业务品种",
    "欠款本金",
    "欠息",
    "罚息",
    "复利",
    "违约金",
    "首次逾期日",
    "经办网点",
    "是否涉诉",
    "前期协商未果",
]
PRODUCTS = [
    ("信用卡", 45, (3_000, 80_000)),
    ("小额贷款", 15, (5_000, 120_000)),
    ("个人消费贷款", 15, (2_000, 60_000)),
    ("个人经营性贷款", 15, (50_000, 500_000)),
    ("小微企业贷款", 10, (100_000, 1_500_000)),
]


def _amount(rng: random.Random, value: float) -> str:
    pick = rng.random()
    if pick < 0.7:
        return f"{value:.2f}"
    if pick < 0.85:
        return f"{value:,.2f}"
    if pick < 0.95:
        return f"{value:.1f}元"
    return f"{value:.2f}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))


def _date(rng: random.Random, day) -> str:
    pick = rng.random()
    if pick < 0.6:
        return day.isoformat()
    if pick < 0.75:
        return f"{day.year}/{day.month}/{day.day}"
    if pick < 0.85:
        return f"{day.year}年{day.month}月{day.day}日"
    if pick < 0.95:
        return day.strftime("%Y%m%d")
    return str((day - __import__("datetime").date(1899, 12, 30)).days)


def generate(path: Path, rows: int, *, seed: int = 7, change: float = 0.0, fmt: str = "csv") -> None:
    """A realistic messy export: a title row, Chinese headers, varied formats, ~0.5% bad rows, 合计."""
    import datetime as dt

    from jiefen.demo.fake import company_name, id_number, mobile, person_name, uscc_number

    rng = random.Random(seed)
    change_rng = random.Random(seed + 1)
    weights = [w for _, w, _ in PRODUCTS]
    debtors: dict[bool, list[tuple[str, str, str]]] = {False: [], True: []}
    today = dt.date(2026, 11, 1)

    def rows_iter():
        yield ["某银行泉州分行不良贷款移交清单（截至2026年11月）"] + [""] * (len(HEADER) - 1)
        yield HEADER
        for n in range(rows):
            label, _, (lo, hi) = rng.choices(PRODUCTS, weights=weights)[0]
            enterprise = label == "小微企业贷款"
            pool = debtors[enterprise]
            if pool and rng.random() < 0.08:
                name, id_text, phone = rng.choice(pool)
            else:
                if enterprise:
                    name, id_text = company_name(rng), uscc_number(rng)
                else:
                    name, id_text = person_name(rng), id_number(rng)
                    pick = rng.random()
                    if pick < 0.03 and id_text.endswith("X"):
                        id_text = id_text[:-1] + "x"
                    elif pick < 0.05:
                        id_text = f"{id_text[:6]} {id_text[6:14]} {id_text[14:]}"
                phone = "" if rng.random() < 0.04 else mobile(rng)
                if len(pool) < 50_000:
                    pool.append((name, id_text, phone))
            principal = rng.triangular(lo, hi, lo)
            if change and change_rng.random() < change:
                principal += 100.0
            overdue = today - dt.timedelta(days=rng.randint(40, 900))
            row = [
                str(n + 1),
                f"HT{seed:02d}{n + 1:09d}",
                name,
                id_text,
                phone
                if rng.random() > 0.05
                else (phone[:3] + " " + phone[3:7] + " " + phone[7:] if phone else ""),
                mobile(rng) if rng.random() < 0.15 else "",
                label,
                _amount(rng, principal),
                _amount(rng, principal * rng.uniform(0.02, 0.12)),
                _amount(rng, principal * rng.uniform(0, 0.05)),
                f"{principal * rng.uniform(0, 0.01):.2f}",
                f"{principal * rng.uniform(0, 0.01):.2f}" if label == "信用卡" else "0",
                _date(rng, overdue),
                "",
                "是" if rng.random() < 0.03 else "否",
                "是" if rng.random() < 0.06 else "",
            ]
            bad = rng.random()
            if bad < 0.0015:
                row[3] = row[3][:-1] + ("0" if row[3][-1] != "0" else "1")  # wrong check digit
            elif bad < 0.003:
                row[4] = "1381234567"  # ten digits
            elif bad < 0.004:
                row[7] = "-" + row[7]
            elif bad < 0.005:
                row[12] = "2024-13-45"
            yield row
        yield ["合计", "", "", "", "", "", "", "—"] + [""] * (len(HEADER) - 8)

    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(rows_iter())
        return
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("清单")
    for r, values in enumerate(rows_iter()):
        sheet.write_row(r, 0, values)
    book.close()


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def floor_csv(path: Path, chunk: int, commit_rows: int) -> float:
    """csv parse + raw executemany/COPY of the same rows into an empty clone of cases_case."""
    from django.db import connection

    from jiefen.cases.models import Case
    from jiefen.disposal.intake.store import Db
    from jiefen.orgs.models import Institution
    from jiefen.parties.models import Party

    db = Db()
    db.tune_for_bulk()
    inst = Institution.objects.get(code="BENCH")
    party = Party.objects.create(owner=inst, kind="individual", name="floor", id_number="", id_hash="")
    src = Case._meta.db_table
    with connection.cursor() as cur:
        if db.sqlite:
            cur.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [src])
            ddl = [r[0] for r in cur.fetchall()]
            for statement in ddl:
                statement = statement.replace(f'"{src}"', '"floor_case"', 1)
                statement = statement.replace(f'ON "{src}"', 'ON "floor_case"')
                if statement.startswith("CREATE INDEX") or statement.startswith("CREATE UNIQUE INDEX"):
                    name = statement.split('"')[1]
                    statement = statement.replace(f'"{name}"', f'"floor_{name}"', 1)
                cur.execute(statement)
        else:
            cur.execute(f'CREATE TABLE floor_case (LIKE "{src}" INCLUDING ALL)')
            # The floor lands the file's text untouched (as SQLite's column affinity allows): no index
            # covers these columns, so text keeps the comparison fair.
            for column in (
                "principal",
                "interest",
                "penalty_interest",
                "compound_interest",
                "fees",
                "overdue_since",
            ):
                cur.execute(f'ALTER TABLE floor_case ALTER COLUMN "{column}" TYPE text')
    cols = [
        "number",
        "product_type",
        "contract_no",
        "region_code",
        "principal",
        "interest",
        "penalty_interest",
        "compound_interest",
        "fees",
        "overdue_since",
        "complexity",
        "lost_contact",
        "involves_litigation",
        "involves_petition",
        "prior_negotiation_failed",
        "vulnerable",
        "status",
        "status_changed_at",
        "outcome",
        "version",
        "enforceable",
        "created_at",
        "updated_at",
        "debtor_id",
        "institution_id",
    ]
    now = db.datetime_value(__import__("django.utils.timezone", fromlist=["now"]).now())
    F = db.false
    pid, iid = party.pk, inst.pk
    started = time.perf_counter()
    connection.set_autocommit(False)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        batch, uncommitted = [], 0
        for cells in reader:
            if len(cells) < 16 or not cells[1] or cells[1] == HEADER[1]:
                continue  # the title, the header and the totals row are not data
            batch.append(
                (
                    cells[1][:20],
                    cells[6][:20],
                    cells[1],
                    "350500",
                    cells[7],
                    cells[8],
                    cells[9],
                    cells[10],
                    cells[11],
                    cells[12],
                    "simple",
                    F,
                    F,
                    F,
                    F,
                    F,
                    "disposal",
                    now,
                    "",
                    1,
                    F,
                    now,
                    now,
                    pid,
                    iid,
                )
            )
            if len(batch) >= chunk:
                db.insert("floor_case", cols, batch)
                uncommitted += len(batch)
                batch = []
                if uncommitted >= commit_rows:
                    connection.commit()
                    uncommitted = 0
        db.insert("floor_case", cols, batch)
        connection.commit()
    connection.set_autocommit(True)
    seconds = time.perf_counter() - started
    if db.sqlite:
        # Untimed: the floor's pages leave the write-ahead log before the import starts, so the
        # import's own checkpoint copies only what the import wrote.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return seconds


class ReaderWatch:
    """Peak RSS of the second process that reads a big file (jiefen.disposal.intake.feed).

    Sampled from /proc (VmHWM): the child's own getrusage figure would include this process's
    memory at the moment it was forked, before it exec'd a fresh interpreter."""

    def __init__(self):
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import multiprocessing

        while not self._stop.wait(0.2):
            for child in multiprocessing.active_children():
                try:
                    status = Path(f"/proc/{child.pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return round(self.peak_kb / 1024, 1) if self.peak_kb else None


def floor_calamine(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    for _ in sheet.iter_rows():
        pass
    return time.perf_counter() - started


def parse_only(path: Path, fmt: str) -> float:
    """The importer's read and validation of every row, without the database: what intake adds to
    the reader before any write."""
    from jiefen.disposal.intake.feed import find_header
    from jiefen.disposal.intake.reader import open_rows
    from jiefen.disposal.intake.rows import RowParser

    started = time.perf_counter()
    rows = open_rows(path, fmt)
    mapping, _ = find_header(rows, None)
    parser = RowParser(mapping)
    for number, cells in rows:
        if not parser.is_skippable(cells):
            parser.parse(number, cells)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument(
        "--reimport", action="store_true", help="then re-import the file with 1% of rows changed"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jf_disposal_bench"),
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jiefen-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["JIEFEN_MEDIA_ROOT"] = str(work / "media")
    os.environ["JIEFEN_VAR_DIR"] = str(work)
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = args.postgres_url
        _recreate_postgres(args.postgres_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = work / "media"
    call_command("migrate", verbosity=0)

    from jiefen.cases.models import Case
    from jiefen.disposal.imports import import_file
    from jiefen.orgs.models import Institution

    inst = Institution.objects.create(code="BENCH", name="基准测试银行", kind="bank", region_code="350500")
    data = work / f"export.{args.format}"
    generate(data, args.rows, fmt=args.format)
    from jiefen.disposal.intake.pipeline import CHUNK_ROWS, COMMIT_ROWS

    cpu = time.process_time()
    floor = floor_csv(data, CHUNK_ROWS, COMMIT_ROWS) if args.format == "csv" else floor_calamine(data)
    floor_cpu = time.process_time() - cpu

    parse_seconds = parse_only(data, args.format)

    reader_watch = ReaderWatch()
    started, cpu = time.perf_counter(), time.process_time()
    job = import_file(actor=None, institution=inst, path=data, source="bench")
    seconds = time.perf_counter() - started
    import_cpu = time.process_time() - cpu
    result = {
        "bench": "import",
        "db": args.db,
        "format": args.format,
        "rows": job.rows,
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor, 2),
        "ratio": round(seconds / floor, 2) if floor else None,
        "rows_per_s": round(job.rows / seconds) if seconds else None,
        # CPU time of this process, less sensitive than wall time to other work on a shared machine.
        "cpu_seconds": round(import_cpu, 2),
        "floor_cpu_seconds": round(floor_cpu, 2),
        "cpu_ratio": round(import_cpu / floor_cpu, 2) if floor_cpu else None,
        "parse_seconds": round(parse_seconds, 2),
        "parse_ratio": round(parse_seconds / floor, 2) if floor else None,
        "created": job.created,
        "rejected": job.rejected,
        "simple": job.simple,
        "complex": job.complex,
        "lost_contact": job.lost_contact,
        "status": job.status,
    }
    if args.format == "csv":
        result["floor"] = "csv module + raw executemany/COPY into an empty clone of cases_case (same indexes)"
    else:
        result["floor"] = "python-calamine reading every row"
    if args.reimport:
        changed = work / f"export-changed.{args.format}"
        generate(changed, args.rows, change=0.01, fmt=args.format)
        started, cpu = time.perf_counter(), time.process_time()
        again = import_file(actor=None, institution=inst, path=changed, source="bench")
        result["reimport_seconds"] = round(time.perf_counter() - started, 2)
        result["reimport_cpu_seconds"] = round(time.process_time() - cpu, 2)
        result["reimport_updated"] = again.updated
        result["reimport_unchanged"] = again.unchanged
        result["reimport_created"] = again.created
        total = Case.objects.filter(institution=inst).count()
        distinct = Case.objects.filter(institution=inst).values("contract_no").distinct().count()
        result["duplicates"] = total - distinct
        result["cases"] = total
    result["peak_rss_mb"] = peak_rss_mb()
    result["reader_peak_rss_mb"] = reader_watch.stop()
    print(json.dumps(result, ensure_ascii=False))
    from django.db import connection

    connection.close()
    shutil.rmtree(work, ignore_errors=True)


def _recreate_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
