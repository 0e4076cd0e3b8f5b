# ruff: noqa: S608 — SQL text is built from model metadata (table and column names); values are always parameters.
"""Import a bank file: parse, normalise, validate, dedupe, triage, write, timeline — chunk by chunk.

Idempotent and crash-safe: each chunk of rows is one transaction keyed by the natural key
(institution, contract number). A row whose case exists updates what changed (and says so in the
timeline) or does nothing; a new row creates the case. The job's position moves in the same
transaction, so a job killed at any moment resumes after the last chunk that landed, and a whole
re-run of the file converges to the same database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
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
from .columns import HEADER_SCAN_ROWS, LABELS, Mapping, looks_like_header, map_header, missing_columns
from .reader import open_rows
from .rows import Record, RowError, RowParser

CHUNK_ROWS = 20_000

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
    "status_changed_at",
    "stage_due_on",
    "outcome",
    "version",
    "enforceable",
    "created_at",
    "updated_at",
    "closed_at",
    "assignee",
    "branch",
    "court",
    "debtor",
    "institution",
    "mediator",
)
PARTY_FIELDS = (
    "id",
    "kind",
    "name",
    "id_number",
    "id_hash",
    "legal_rep",
    "region_code",
    "is_vulnerable",
    "created_at",
    "owner",
)
PHONE_FIELDS = ("number", "number_hash", "source", "is_valid", "opted_out", "created_at", "party")
EVENT_FIELDS = (
    "action",
    "from_status",
    "to_status",
    "actor_label",
    "reason",
    "due_on",
    "data",
    "at",
    "actor",
    "case",
)
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
    try:
        from python_calamine import CalamineWorkbook

        return int(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).total_height or 0)
    except Exception:  # noqa: BLE001 — an estimate only
        return 0


def find_header(rows: Iterator[tuple[int, list]], custom: dict[str, str] | None) -> tuple[Mapping, list]:
    """Skip title rows until the header; returns the mapping and the rows read past it (none)."""
    for row_number, cells in rows:
        if looks_like_header(cells, custom):
            return map_header(list(cells), row_number, custom), []
        if row_number >= HEADER_SCAN_ROWS:
            break
    raise ApplicationError(
        "未找到表头：前30行中没有包含“合同编号”“借款人”“证件号码”等列名的行", code="no_header"
    )


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
        after_chunk: Callable[[int], None] | None = None,
    ):
        self.job = job
        self.institution = job.institution
        self.dry_run = dry_run
        self.custom = custom_mapping or {}
        self.now = now or timezone.now()
        self.chunk_rows = chunk_rows or CHUNK_ROWS
        self.after_chunk = after_chunk
        self.ruleset = RuleSet.load()
        self.seen: dict[str, int] = {}
        self._chunks = 0
        self._prepared = False

    # ---- set-up ---------------------------------------------------------------------------------
    def _prepare(self):
        from .store import Db, Sealer, columns, table

        self.db = Db()
        self.sealer = Sealer()
        self.t_case, self.c_case = table(Case), columns(Case, CASE_FIELDS)
        self.t_party, self.c_party = table(Party), columns(Party, PARTY_FIELDS)
        self.t_phone, self.c_phone = table(PartyPhone), columns(PartyPhone, PHONE_FIELDS)
        self.t_event, self.c_event = table(CaseEvent), columns(CaseEvent, EVENT_FIELDS)
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
        if not self.dry_run:
            self.db.tune_for_bulk()
        rows = open_rows(path, fmt)
        mapping, _ = find_header(rows, self.custom)
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
        parser = RowParser(
            mapping,
            default_product=self.job.default_product,
            branches=self.branches(),
            region_code=self.institution.region_code,
            today=clock.local_date(self.now),
        )
        total = Counts()
        records: list[Record] = []
        errors: list[RowError] = []
        data_rows = 0
        last_row = mapping.header_row
        sample: list[RowError] = []
        for row_number, cells in rows:
            if row_number <= resume_after:
                # Already committed: only remember its contract number for duplicate detection.
                if not parser.is_skippable(cells):
                    contract = parser.contract_of(cells)
                    if contract:
                        self.seen.setdefault(contract, row_number)
                continue
            last_row = row_number
            if parser.is_skippable(cells):
                continue
            record, row_errors = parser.parse(row_number, cells)
            if record is None and not row_errors:
                continue
            data_rows += 1
            contract = record.contract_no if record is not None else parser.contract_of(cells)
            if contract:
                first = self.seen.setdefault(contract, row_number)
                if first != row_number and record is not None:
                    row_errors = [
                        (
                            row_number,
                            mapping.header_of(parser.i_contract),
                            contract,
                            f"合同编号与第{first}行重复",
                        )
                    ]
                    record = None
            if record is not None:
                records.append(record)
            else:
                errors.extend(row_errors)
            if data_rows >= self.chunk_rows:
                total.add(self._flush(records, errors, last_row))
                sample.extend(errors[: max(0, 200 - len(sample))])
                records, errors, data_rows = [], [], 0
        total.add(self._flush(records, errors, last_row, final=True))
        sample.extend(errors[: max(0, 200 - len(sample))])
        return Outcome(total, mapping, last_row, sample)

    # ---- one chunk -----------------------------------------------------------------------------
    def _flush(
        self, records: list[Record], errors: list[RowError], last_row: int, final: bool = False
    ) -> Counts:
        counts = Counts()
        if self.dry_run:
            counts = self._plan_and_write(records, errors, write=False)
            self._write_errors(errors)
            self._progress(counts, last_row)
        else:
            with transaction.atomic():
                # The first statement writes, so SQLite takes its write lock before anything is read.
                self._progress(Counts(), last_row)
                self.db.lock_institution(self.institution.pk)
                counts = self._plan_and_write(records, errors, write=True)
                self._write_errors(errors)
                self._progress(counts, None)
        self._chunks += 1
        if self.after_chunk is not None and not final:
            self.after_chunk(self._chunks)
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

    def _plan_and_write(self, records: list[Record], errors: list[RowError], *, write: bool) -> Counts:
        counts = Counts(rows=len(records) + len({e[0] for e in errors}), rejected=len({e[0] for e in errors}))
        if not records:
            return counts
        db, seal, inst = self.db, self.sealer, self.institution.pk
        for rec in records:
            rec.id_hash = seal.hash(rec.id_number)
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
        new_parties: dict[str, list] = {}
        party_ids_needed = 0
        for rec in records:
            if rec.id_hash not in parties and rec.id_hash not in new_parties:
                new_parties[rec.id_hash] = rec
                party_ids_needed += 1
        new_cases = [r for r in records if r.contract_no not in existing]
        # A preview allocates nothing: placeholders keep the new parties apart.
        party_ids = (
            db.next_ids(self.t_party, party_ids_needed)
            if write
            else [-(i + 1) for i in range(party_ids_needed)]
        )
        party_rows = []
        T, F = db.true, db.false
        now_db = self.now_db
        for pid, (h, rec) in zip(party_ids, new_parties.items(), strict=True):
            parties[h] = (pid, rec.kind)
            phones_of[pid] = set()
            if write:
                party_rows.append(
                    (
                        pid,
                        rec.kind,
                        rec.name,
                        seal.seal(rec.id_number),
                        h,
                        rec.legal_rep,
                        rec.region_code,
                        T if rec.vulnerable else F,
                        now_db,
                        inst,
                    )
                )

        phone_rows = []
        added_phones: dict[int, list[str]] = {}
        for rec in records:
            pid = parties[rec.id_hash][0]
            known = phones_of.setdefault(pid, set())
            for number in rec.phones:
                nh = seal.hash(number)
                if nh in known:
                    continue
                known.add(nh)
                valid_phones[pid] = valid_phones.get(pid, 0) + 1
                added_phones.setdefault(pid, []).append(number)
                if write:
                    phone_rows.append((seal.seal(number), nh, "import", T, F, now_db, pid))

        case_rows, event_rows, update_rows = [], [], []
        ids = db.next_ids(self.t_case, len(new_cases)) if write else [0] * len(new_cases)
        first_seq = Counter.reserve(f"case-{self.year}", len(new_cases)) if (write and new_cases) else 0
        year = self.year
        actor_id, actor_label, job_id = self.actor_id, self.actor_label, self.job_id
        filename = self.job.filename[:80]
        create_reason = f"批量导入：{filename}"
        ruleset = self.ruleset
        match, rule_json = ruleset.match, ruleset.rule_json
        due = self.due
        for n, rec in enumerate(new_cases):
            pid = parties[rec.id_hash][0]
            others = creditors.get(rec.id_hash, 0) if creditors else 0
            rule = match(
                rec.product,
                rec.total,
                rec.kind,
                rec.involves_litigation,
                rec.involves_petition,
                rec.prior_negotiation_failed,
                others,
            )
            lost = valid_phones.get(pid, 0) == 0
            if rule is None:
                counts.simple += 1
                target, action, complexity = "disposal", "triage_simple", "simple"
            else:
                counts.complex += 1
                target, action, complexity = "mediation_pending", "triage_complex", "complex"
            if lost:
                counts.lost_contact += 1
            if not write:
                continue
            case_id = ids[n]
            stage_due = due[target]
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
                    now_db,
                    stage_due,
                    "",
                    1,
                    F,
                    now_db,
                    now_db,
                    None,
                    None,
                    rec.branch_id,
                    None,
                    pid,
                    inst,
                    None,
                )
            )
            event_rows.append(
                (
                    "create",
                    "",
                    "new",
                    actor_label,
                    f"{create_reason} 第{rec.row}行",
                    None,
                    f'{{"job": {job_id}, "row": {rec.row}}}',
                    now_db,
                    actor_id,
                    case_id,
                )
            )
            if rule is None:
                reason = "智能初筛：" + ruleset.simple_detail(rec.product, rec.total)
            else:
                reason = "智能初筛：" + ruleset.detail(
                    rule, rec.product, rec.total, rec.involves_litigation, rec.involves_petition, others
                )
            if lost:
                reason += "；未提供有效手机号，标记失联"
            event_rows.append(
                (
                    action,
                    "new",
                    target,
                    "系统（智能初筛）",
                    reason,
                    stage_due,
                    rule_json(rule, job_id),
                    now_db,
                    None,
                    case_id,
                )
            )
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
            lost_now = valid_phones.get(pid, 0) == 0
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
                    now_db,
                    row[1],
                )
            )
            event_rows.append(
                (
                    "import_update",
                    row[3],
                    row[3],
                    actor_label,
                    f"重新导入：{filename} 第{rec.row}行，" + "、".join(_change_label(k) for k in changes),
                    None,
                    json.dumps({"job": job_id, "row": rec.row, "changes": changes}, ensure_ascii=False),
                    now_db,
                    actor_id,
                    row[1],
                )
            )
        counts.valid = counts.created + counts.updated + counts.unchanged
        if not write:
            return counts
        # Hash order: the random-keyed indexes (id_hash, number_hash) are then walked once, left to right.
        party_rows.sort(key=lambda r: r[4])
        phone_rows.sort(key=lambda r: r[1])
        db.insert(self.t_party, self.c_party, party_rows)
        db.insert(self.t_phone, self.c_phone, phone_rows)
        db.insert(self.t_case, self.c_case, case_rows)
        if update_rows:
            db.executemany(
                f'UPDATE "{self.t_case}" SET "product_type" = %s, "principal" = %s, "interest" = %s, '
                '"penalty_interest" = %s, "compound_interest" = %s, "fees" = %s, "overdue_since" = %s, '
                '"branch_id" = %s, "involves_litigation" = %s, "involves_petition" = %s, '
                '"prior_negotiation_failed" = %s, "vulnerable" = %s, "lost_contact" = %s, "updated_at" = %s, '
                '"version" = "version" + 1 WHERE "id" = %s',
                update_rows,
            )
        db.insert(self.t_event, self.c_event, event_rows)
        return counts

    @staticmethod
    def _diff(row: tuple, rec: Record, present: frozenset[str]) -> dict:
        changes: dict = {}
        for offset, name in enumerate(ROW_FIELDS):
            if name not in present:
                continue
            old, new = row[6 + offset], getattr(rec, name)
            if name in MONEY:
                old, new = _money(old), f"{new:.2f}"
            elif name == "overdue_since":
                old, new = _date(old), (new.isoformat() if new else None)
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
