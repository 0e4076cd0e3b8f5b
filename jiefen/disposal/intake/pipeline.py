# ruff: noqa: S608 — SQL text is built from model metadata (table and column names); values are always parameters.
"""Import a bank file: parse, normalise, validate, dedupe, triage, write, timeline — chunk by chunk.

Idempotent and crash-safe: rows are keyed by the natural key (institution, contract number). A row
whose case exists updates what changed (and says so in the timeline) or does nothing; a new row
creates the case. Rows are read and written in chunks (CHUNK_ROWS bounds the memory), and a few
chunks make one transaction (COMMIT_ROWS, COMMIT_SECONDS). The job's position moves in the same
transaction, so a job killed at any moment resumes after the last commit, and a whole re-run of the
file converges to the same database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import zipfile
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jiefen.cases.machine import TERMINAL
from jiefen.cases.models import Case, CaseEvent
from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError
from jiefen.common.identifiers import mask_phone
from jiefen.common.models import Counter
from jiefen.parties.models import Party, PartyPhone

from ..models import ImportJob, ImportRowError
from ..triage import RuleSet
from .columns import LABELS, Mapping, missing_columns
from .feed import Prepared, Source, feed
from .rows import RowError

CHUNK_ROWS = 20_000
# One transaction spans chunks until it holds this many rows or has been open this long. A commit
# writes out every page the chunk dirtied, and the keyed-hash indexes (id_hash, number_hash) are
# random-keyed: each chunk dirties pages all over them, so committing every 20 000 rows wrote the
# same index pages again and again (a 1 M-row import on SQLite: 184 s with a commit every ~5 s,
# 172 s every 100 000 rows). The time bound keeps the progress bar moving on a slow machine and
# bounds other writers' waits (SQLite has one writer; they wait up to its 20 s busy timeout).
COMMIT_ROWS = 100_000
COMMIT_SECONDS = 15.0

# Columns each new row binds; the *_FIXED ones are the same for every row of a chunk and go into
# the statement once (store.Db.insert).
CASE_FIELDS = (
    "id",
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
    "stage_due_on",
    "branch",
    "debtor",
)
CASE_FIXED = (
    "status_changed_at",
    "outcome",
    "version",
    "enforceable",
    "created_at",
    "updated_at",
    "closed_at",
    "assignee",
    "court",
    "institution",
    "mediator",
)
PARTY_FIELDS = ("id", "kind", "name", "id_number", "id_hash", "legal_rep", "region_code", "is_vulnerable")
PARTY_FIXED = ("created_at", "owner")
PHONE_FIELDS = ("number", "number_hash", "party")
PHONE_FIXED = ("source", "is_valid", "opted_out", "created_at")
# The creation event of each new case, its triage decision, and a re-import's changes.
CREATE_EVENT_FIELDS = ("reason", "data", "case")
CREATE_EVENT_FIXED = ("action", "from_status", "to_status", "actor_label", "due_on", "at", "actor")
TRIAGE_EVENT_FIELDS = ("action", "to_status", "reason", "due_on", "data", "case")
TRIAGE_EVENT_FIXED = ("from_status", "actor_label", "at", "actor")
UPDATE_EVENT_FIELDS = ("action", "from_status", "to_status", "reason", "data", "case")
UPDATE_EVENT_FIXED = ("actor_label", "due_on", "at", "actor")
ERROR_FIELDS = ("job", "row", "column", "value", "reason")
# The case columns a re-import compares, in the order the planner selects them (row[6:18]).
ROW_FIELDS = (
    "product",
    "principal",
    "interest",
    "penalty_interest",
    "compound_interest",
    "fees",
    "overdue_since",
    "branch_id",
    "involves_litigation",
    "involves_petition",
    "prior_negotiation_failed",
    "vulnerable",
)
MONEY = ("principal", "interest", "penalty_interest", "compound_interest", "fees")
FLAGS = ("involves_litigation", "involves_petition", "prior_negotiation_failed", "vulnerable")


class ImportKilled(Exception):
    """Raised by the test hook to stop an import between two chunks, as a crash would."""


@dataclass
class Counts:
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    simple: int = 0
    complex: int = 0
    lost_contact: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Outcome:
    counts: Counts
    mapping: Mapping
    position: int
    errors_sample: list[RowError] = field(default_factory=list)


def _money(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if value is None:
        return ""
    return f"{Decimal(str(value)):.2f}"


def _date(value) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else value.isoformat()


def count_rows(path: str | Path, fmt: str) -> int:
    """How many rows the file has, for the progress bar (cheap: bytes are counted, not parsed)."""
    if fmt == "csv":
        lines = 0
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
        return lines
    if fmt == "xlsx":
        found = _xlsx_dimension_rows(path)
        if found is not None:
            return found
    try:
        from python_calamine import CalamineWorkbook

        return int(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).total_height or 0)
    except Exception:  # noqa: BLE001 — an estimate only
        return 0


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")


def _xlsx_dimension_rows(path: str | Path) -> int | None:
    """The first sheet's last row from its <dimension ref="A1:P100003"> element, read from the first
    few kilobytes of the sheet's XML: calamine would parse the whole sheet (as long as the import
    itself reads it) only to count. None when the file does not say (the caller falls back)."""
    try:
        with zipfile.ZipFile(path) as book:
            workbook = book.read("xl/workbook.xml")
            first = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook)
            rels = book.read("xl/_rels/workbook.xml.rels")
            if first is None:
                return None
            for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
                tag = rel.group(0)
                if re.search(rb'\bId="' + re.escape(first.group(1)) + rb'"', tag):
                    target = re.search(rb'\bTarget="([^"]+)"', tag)
                    break
            else:
                return None
            if target is None:
                return None
            name = target.group(1).decode("utf-8").lstrip("/")
            name = name if name.startswith("xl/") else "xl/" + name
            with book.open(name) as sheet:
                head = sheet.read(4096)
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    match = _DIMENSION.search(head)
    if match is None:
        return None
    return int(match.group(1)) if match.group(1) else 1


class Importer:
    """One pass over the file. `dry_run` validates and plans (the preview) without writing cases."""

    def __init__(
        self,
        *,
        job: ImportJob,
        dry_run: bool = False,
        custom_mapping: dict[str, str] | None = None,
        now: dt.datetime | None = None,
        chunk_rows: int | None = None,
        after_commit: Callable[[int], None] | None = None,
    ):
        self.job = job
        self.institution = job.institution
        self.dry_run = dry_run
        self.custom = custom_mapping or {}
        self.now = now or timezone.now()
        self.chunk_rows = chunk_rows or CHUNK_ROWS
        self.after_commit = after_commit
        self.ruleset = RuleSet.load()
        self._commits = 0
        self._txn: ExitStack | None = None
        self._txn_rows = 0
        self._txn_started = 0.0
        self._prepared = False

    # ---- set-up ---------------------------------------------------------------------------------
    def _prepare(self):
        from .store import Db, columns, table

        self.db = Db()
        self.t_case, self.c_case = table(Case), columns(Case, CASE_FIELDS)
        self.t_party, self.c_party = table(Party), columns(Party, PARTY_FIELDS)
        self.t_phone, self.c_phone = table(PartyPhone), columns(PartyPhone, PHONE_FIELDS)
        self.t_event = table(CaseEvent)
        self.c_create = columns(CaseEvent, CREATE_EVENT_FIELDS)
        self.c_triage = columns(CaseEvent, TRIAGE_EVENT_FIELDS)
        self.c_update = columns(CaseEvent, UPDATE_EVENT_FIELDS)
        self.t_error, self.c_error = table(ImportRowError), columns(ImportRowError, ERROR_FIELDS)
        self.t_job = table(ImportJob)
        self.now_db = self.db.datetime_value(self.now)
        self.due = {
            "disposal": rules.due("disposal.period", self.now).isoformat(),
            "mediation_pending": rules.due("mediation.assign", self.now).isoformat(),
        }
        self.year = clock.local_date(self.now).year
        actor = self.job.uploaded_by
        self.actor_id = actor.pk if actor else None
        self.actor_label = (str(actor) if actor else "系统")[:60]
        self.job_id = self.job.pk
        T, F, now_db, inst = self.db.true, self.db.false, self.now_db, self.institution.pk

        def fixed(model, names, values):
            return list(zip(columns(model, names), values, strict=True))

        self.f_case = fixed(
            Case, CASE_FIXED, (now_db, "", 1, F, now_db, now_db, None, None, None, inst, None)
        )
        self.f_party = fixed(Party, PARTY_FIXED, (now_db, inst))
        self.f_phone = fixed(PartyPhone, PHONE_FIXED, ("import", T, F, now_db))
        self.f_create = fixed(
            CaseEvent,
            CREATE_EVENT_FIXED,
            ("create", "", "new", self.actor_label, None, now_db, self.actor_id),
        )
        self.f_triage = fixed(CaseEvent, TRIAGE_EVENT_FIXED, ("new", "系统（智能初筛）", now_db, None))
        self.f_update = fixed(CaseEvent, UPDATE_EVENT_FIXED, (self.actor_label, None, now_db, self.actor_id))
        self._prepared = True

    def branches(self) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for b in self.institution.branches.all():
            for key in (b.code, b.code.lower(), b.name):
                out[key] = (b.pk, b.region_code)
        return out

    # ---- the pass ------------------------------------------------------------------------------
    def run(self, path: str | Path, fmt: str, *, resume_after: int = 0) -> Outcome:
        if not self._prepared:
            self._prepare()
        if self.dry_run:
            return self._run(path, fmt, resume_after)
        self.db.tune_for_bulk()
        try:
            return self._run(path, fmt, resume_after)
        except BaseException as exc:
            if self._txn is not None:
                # Roll back the chunks of the open transaction: the job resumes after the last commit.
                txn, self._txn = self._txn, None
                txn.__exit__(type(exc), exc, exc.__traceback__)
            raise
        finally:
            self.db.end_bulk()

    def _run(self, path: str | Path, fmt: str, resume_after: int) -> Outcome:
        src = Source(
            path=str(path),
            fmt=fmt,
            custom=self.custom,
            default_product=self.job.default_product,
            branches=self.branches(),
            region_code=self.institution.region_code,
            today=clock.local_date(self.now),
            resume_after=resume_after,
            chunk_rows=self.chunk_rows,
        )
        with closing(feed(src, total_rows=self.job.total_rows)) as items:
            mapping = next(items)
            self._check_columns(mapping)
            total = Counts()
            sample: list[RowError] = []
            last_row = mapping.header_row
            for records, errors, last_row, final in items:
                total.add(self._flush(records, errors, last_row, final=final))
                sample.extend(errors[: max(0, 200 - len(sample))])
        return Outcome(total, mapping, last_row, sample)

    def _check_columns(self, mapping: Mapping) -> None:
        missing = missing_columns(mapping, default_product=self.job.default_product)
        if missing:
            # Keep what was read so the page can offer the columns for the institution to name.
            ImportJob.objects.filter(pk=self.job.pk).update(mapping=mapping.as_json())
            raise ApplicationError(
                "缺少必需的列：" + "、".join(missing) + "。可在预览页为未识别的列指定含义",
                code="missing_columns",
            )
        cols = mapping.columns
        present = {k for k in ROW_FIELDS if k in cols}
        if "product_type" in cols:
            present.add("product")
        if "total" in cols or "principal" in cols:
            present.add("principal")
        if "branch" in cols:
            present.add("branch_id")
        self.present = frozenset(present)

    # ---- one chunk -----------------------------------------------------------------------------
    def _flush(
        self, records: list[Prepared], errors: list[RowError], last_row: int, final: bool = False
    ) -> Counts:
        if self.dry_run:
            counts = self._plan_and_write(records, errors, write=False)
            self._write_errors(errors)
            self._progress(counts, last_row)
            return counts
        if self._txn is None:
            self._txn = ExitStack()
            self._txn.enter_context(transaction.atomic())
            self._txn_rows, self._txn_started = 0, time.monotonic()
            # The first statement writes, so SQLite takes its write lock before anything is read.
            self._progress(Counts(), None)
            self.db.lock_institution(self.institution.pk)
        counts = self._plan_and_write(records, errors, write=True)
        self._write_errors(errors)
        # The position moves in the chunk's transaction: it commits with the rows it covers.
        self._progress(counts, last_row)
        self._txn_rows += len(records) + len(errors)
        if final or self._txn_rows >= COMMIT_ROWS or time.monotonic() - self._txn_started >= COMMIT_SECONDS:
            txn, self._txn = self._txn, None
            txn.close()
            self._commits += 1
            if self.after_commit is not None and not final:
                self.after_commit(self._commits)
        return counts

    def _progress(self, counts: Counts, position: int | None) -> None:
        sets = [f'"{k}" = "{k}" + %s' for k in counts.__dataclass_fields__]
        params: list = list(counts.as_dict().values())
        if position is not None:
            sets.append('"position" = %s')
            params.append(position)
        params.append(self.job_id)
        self.db.execute(f'UPDATE "{self.t_job}" SET {", ".join(sets)} WHERE id = %s', params)

    def _write_errors(self, errors: list[RowError]) -> None:
        if errors:
            job = self.job_id
            self.db.insert(
                self.t_error,
                self.c_error,
                [(job, r, c[:100], str(v)[:200], reason[:300]) for r, c, v, reason in errors],
            )

    def _plan_and_write(self, records: list[Prepared], errors: list[RowError], *, write: bool) -> Counts:
        counts = Counts(rows=len(records) + len({e[0] for e in errors}), rejected=len({e[0] for e in errors}))
        if not records:
            return counts
        db, inst = self.db, self.institution.pk
        by_contract = {r.contract_no: r for r in records}
        hashes = list({r.id_hash for r in records})

        # What is there already: cases by natural key, the institution's parties by ID hash.
        where, params = db.in_list('"contract_no"', list(by_contract))
        existing = {
            row[0]: row
            for row in db.fetch(
                f'SELECT "contract_no", "id", "debtor_id", "status", "lost_contact", "number", '
                f'"product_type", "principal", "interest", "penalty_interest", "compound_interest", "fees", '
                f'"overdue_since", "branch_id", "involves_litigation", "involves_petition", '
                f'"prior_negotiation_failed", "vulnerable" FROM "{self.t_case}" '
                f'WHERE "institution_id" = %s AND {where}',
                [inst, *params],
            )
        }
        # By the hash alone, the owner filtered here: given "owner_id = ?" too, SQLite walks the
        # owner's index (every party of the bank) instead of the hash's — quadratic over a big file.
        where, params = db.in_list('"id_hash"', hashes)
        parties = {
            row[0]: (row[1], row[2])
            for row in db.fetch(
                f'SELECT "id_hash", "id", "kind", "owner_id" FROM "{self.t_party}" WHERE {where}', params
            )
            if row[3] == inst
        }
        phones_of: dict[int, set[str]] = {}
        valid_phones: dict[int, int] = {}
        if parties:
            where, params = db.in_list('"party_id"', [p[0] for p in parties.values()])
            for party_id, number_hash, is_valid in db.fetch(
                f'SELECT "party_id", "number_hash", "is_valid" FROM "{self.t_phone}" WHERE {where}', params
            ):
                phones_of.setdefault(party_id, set()).add(number_hash)
                if is_valid:
                    valid_phones[party_id] = valid_phones.get(party_id, 0) + 1
        creditors: dict[str, int] = {}
        new_hashes = [r.id_hash for r in records if r.contract_no not in existing]
        if self.ruleset.needs_creditors and new_hashes:
            where, params = db.in_list('p."id_hash"', list(set(new_hashes)))
            terminal = ", ".join(f"'{s}'" for s in TERMINAL)
            creditors = dict(
                db.fetch(
                    f'SELECT p."id_hash", COUNT(DISTINCT c."institution_id") FROM "{self.t_party}" p '
                    f'JOIN "{self.t_case}" c ON c."debtor_id" = p."id" WHERE {where} '
                    f'AND c."institution_id" <> %s AND c."status" NOT IN ({terminal}) GROUP BY p."id_hash"',
                    [*params, inst],
                )
            )

        # Plan: new parties, phones, cases and events; updates of what changed.
        new_parties: dict[str, Prepared] = {}
        for rec in records:
            if rec.id_hash not in parties and rec.id_hash not in new_parties:
                new_parties[rec.id_hash] = rec
        new_cases = [r for r in records if r.contract_no not in existing]
        # Hash order, and the ids handed out in that order: the random-keyed indexes (id_hash) are
        # then walked once, left to right, and the table itself is appended to in key order.
        ordered = sorted(new_parties)
        # A preview allocates nothing: placeholders keep the new parties apart.
        party_ids = (
            db.next_ids(self.t_party, len(ordered)) if write else [-(i + 1) for i in range(len(ordered))]
        )
        party_rows = []
        T, F = db.true, db.false
        for pid, h in zip(party_ids, ordered, strict=True):
            rec = new_parties[h]
            parties[h] = (pid, rec.kind)
            phones_of[pid] = set()
            if write:
                party_rows.append(
                    (
                        pid,
                        rec.kind,
                        rec.name,
                        rec.id_sealed,
                        h,
                        rec.legal_rep,
                        rec.region_code,
                        T if rec.vulnerable else F,
                    )
                )

        phone_rows = []
        added_phones: dict[int, list[str]] = {}
        for rec in records:
            if not rec.phones:
                continue
            pid = parties[rec.id_hash][0]
            known = phones_of.setdefault(pid, set())
            for number, nh, sealed in rec.phones:
                if nh in known:
                    continue
                known.add(nh)
                valid_phones[pid] = valid_phones.get(pid, 0) + 1
                added_phones.setdefault(pid, []).append(number)
                if write:
                    phone_rows.append((sealed, nh, pid))

        case_rows, create_rows, triage_rows, update_rows, update_events = [], [], [], [], []
        ids = db.next_ids(self.t_case, len(new_cases)) if write else [0] * len(new_cases)
        first_seq = Counter.reserve(f"case-{self.year}", len(new_cases)) if (write and new_cases) else 0
        year = self.year
        job_id = self.job_id
        filename = self.job.filename[:80]
        create_reason = f"批量导入：{filename} 第"
        ruleset = self.ruleset
        match, rule_json = ruleset.match, ruleset.rule_json
        simple_detail, detail = ruleset.simple_detail, ruleset.detail
        due_simple, due_complex = self.due["disposal"], self.due["mediation_pending"]
        for n, rec in enumerate(new_cases):
            pid = parties[rec.id_hash][0]
            others = creditors.get(rec.id_hash, 0) if creditors else 0
            total = Decimal(rec.total)
            rule = match(
                rec.product,
                total,
                rec.kind,
                rec.involves_litigation,
                rec.involves_petition,
                rec.prior_negotiation_failed,
                others,
            )
            lost = pid not in valid_phones
            if rule is None:
                counts.simple += 1
            else:
                counts.complex += 1
            if lost:
                counts.lost_contact += 1
            if not write:
                continue
            case_id = ids[n]
            if rule is None:
                target, action, complexity, stage_due = "disposal", "triage_simple", "simple", due_simple
                reason = "智能初筛：" + simple_detail(rec.product, total)
            else:
                target, action, complexity, stage_due = (
                    "mediation_pending",
                    "triage_complex",
                    "complex",
                    due_complex,
                )
                reason = "智能初筛：" + detail(
                    rule, rec.product, total, rec.involves_litigation, rec.involves_petition, others
                )
            if lost:
                reason += "；未提供有效手机号，标记失联"
            case_rows.append(
                (
                    case_id,
                    f"JF{year}{first_seq + n:07d}",
                    rec.product,
                    rec.contract_no,
                    rec.region_code,
                    rec.principal,
                    rec.interest,
                    rec.penalty_interest,
                    rec.compound_interest,
                    rec.fees,
                    rec.overdue_since,
                    complexity,
                    T if lost else F,
                    T if rec.involves_litigation else F,
                    T if rec.involves_petition else F,
                    T if rec.prior_negotiation_failed else F,
                    T if rec.vulnerable else F,
                    target,
                    stage_due,
                    rec.branch_id,
                    pid,
                )
            )
            row = rec.row
            create_rows.append((f"{create_reason}{row}行", f'{{"job": {job_id}, "row": {row}}}', case_id))
            triage_rows.append((action, target, reason, stage_due, rule_json(rule, job_id), case_id))
        counts.created = len(new_cases)

        for contract, row in existing.items():
            rec = by_contract[contract]
            pid = parties[rec.id_hash][0]
            if row[2] != pid:
                errors.append(
                    (
                        rec.row,
                        LABELS["id_number"],
                        "",
                        f"合同编号{contract}已导入（{row[5]}），但证件号码与原记录不一致",
                    )
                )
                counts.rejected += 1
                continue
            changes = self._diff(row, rec, self.present)
            phones_added = added_phones.get(pid, [])
            lost_before = bool(row[4])
            lost_now = pid not in valid_phones
            if not changes and not phones_added and lost_before == lost_now:
                counts.unchanged += 1
                continue
            if row[3] in TERMINAL:
                errors.append(
                    (rec.row, LABELS["contract_no"], contract, f"案件{row[5]}已结束，导入的变更未写入")
                )
                counts.rejected += 1
                continue
            counts.updated += 1
            if phones_added:
                changes["phones_added"] = [mask_phone(p) for p in phones_added]
            if lost_before != lost_now:
                changes["lost_contact"] = [lost_before, lost_now]
            if not write:
                continue
            # A column the file does not have keeps the case's value (a re-export without 网点 must
            # not wipe the branch).
            present = self.present
            values = [
                getattr(rec, name) if name in present else row[6 + offset]
                for offset, name in enumerate(ROW_FIELDS)
            ]
            update_rows.append(
                (
                    *values[:8],
                    *((T if v else F) for v in values[8:]),
                    T if lost_now else F,
                    self.now_db,
                    row[1],
                )
            )
            update_events.append(
                (
                    "import_update",
                    row[3],
                    row[3],
                    f"重新导入：{filename} 第{rec.row}行，" + "、".join(_change_label(k) for k in changes),
                    json.dumps({"job": job_id, "row": rec.row, "changes": changes}, ensure_ascii=False),
                    row[1],
                )
            )
        counts.valid = counts.created + counts.updated + counts.unchanged
        if not write:
            return counts
        # Hash order for the phones too (their number_hash index is random-keyed).
        phone_rows.sort(key=lambda r: r[1])
        db.insert(self.t_party, self.c_party, party_rows, self.f_party)
        db.insert(self.t_phone, self.c_phone, phone_rows, self.f_phone)
        db.insert(self.t_case, self.c_case, case_rows, self.f_case)
        if update_rows:
            db.executemany(
                f'UPDATE "{self.t_case}" SET "product_type" = %s, "principal" = %s, "interest" = %s, '
                '"penalty_interest" = %s, "compound_interest" = %s, "fees" = %s, "overdue_since" = %s, '
                '"branch_id" = %s, "involves_litigation" = %s, "involves_petition" = %s, '
                '"prior_negotiation_failed" = %s, "vulnerable" = %s, "lost_contact" = %s, "updated_at" = %s, '
                '"version" = "version" + 1 WHERE "id" = %s',
                update_rows,
            )
        # Each case's creation before its triage: the timeline orders events of one moment by id.
        db.insert(self.t_event, self.c_create, create_rows, self.f_create)
        db.insert(self.t_event, self.c_triage, triage_rows, self.f_triage)
        db.insert(self.t_event, self.c_update, update_events, self.f_update)
        return counts

    @staticmethod
    def _diff(row: tuple, rec: Prepared, present: frozenset[str]) -> dict:
        changes: dict = {}
        for offset, name in enumerate(ROW_FIELDS):
            if name not in present:
                continue
            old, new = row[6 + offset], getattr(rec, name)
            # The record's money is already text with two decimals, its date ISO text.
            if name in MONEY:
                old = _money(old)
            elif name == "overdue_since":
                old = _date(old)
            elif name in FLAGS:
                old = bool(old)
            if old != new:
                changes[name if name != "branch_id" else "branch"] = [old, new]
        return changes


CHANGE_LABELS = {
    "product_type": "产品类型",
    "principal": "本金",
    "interest": "利息",
    "penalty_interest": "罚息",
    "compound_interest": "复利",
    "fees": "费用",
    "overdue_since": "逾期起始日",
    "branch": "网点",
    "involves_litigation": "涉诉",
    "involves_petition": "涉访",
    "prior_negotiation_failed": "前期协商未果",
    "vulnerable": "困难群体",
    "phones_added": "新增号码",
    "lost_contact": "失联状态",
}


def _change_label(key: str) -> str:
    return CHANGE_LABELS.get(key, key)
