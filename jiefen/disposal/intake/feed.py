"""The reading side of an import: the file's rows → chunks of checked, hashed and sealed records.

The writer (pipeline.Importer) only plans and writes. What does not need the database — reading
the file, normalising and checking every cell, the lookup hashes and the encryption of ID numbers
and phones — happens here: in the importer's own process for a small file, in a second process for
a big one, so that it runs on the other core while the database writes. That half of a big import's
CPU time then no longer adds to its duration.

Chunks cross the process boundary as Prepared records: plain strings, numbers and tuples, which
pickle ten times faster than the Decimal and date values a Record holds. The pipe between the two
processes holds one chunk, so the reader is at most one chunk ahead (memory stays bounded).
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from jiefen.common.errors import ApplicationError

from .columns import HEADER_SCAN_ROWS, Mapping, looks_like_header, map_header
from .reader import open_rows
from .rows import Record, RowError, RowParser
from .store import Sealer

# A file with more rows than this is read in a second process; below it, starting one costs more
# than it saves.
PROCESS_ROWS = 20_000


@dataclass(slots=True)
class Prepared:
    """A valid row as the writer needs it. Money is text with two decimals, the date ISO text."""

    row: int
    contract_no: str
    name: str
    kind: str
    id_hash: str
    id_sealed: str
    phones: tuple[tuple[str, str, str], ...]  # (number, lookup hash, sealed number)
    product: str
    principal: str
    interest: str
    penalty_interest: str
    compound_interest: str
    fees: str
    total: str
    overdue_since: str | None
    branch_id: int | None
    region_code: str
    involves_litigation: bool
    involves_petition: bool
    prior_negotiation_failed: bool
    vulnerable: bool
    legal_rep: str

    def __reduce__(self):
        # Positional arguments: the default for slots dataclasses sets each field through a Python
        # __setstate__, several times slower for a million records.
        return Prepared, tuple(getattr(self, name) for name in Prepared.__slots__)


def prepare(rec: Record, seal: Sealer) -> Prepared:
    od = rec.overdue_since
    return Prepared(
        rec.row,
        rec.contract_no,
        rec.name,
        rec.kind,
        seal.hash(rec.id_number),
        seal.seal(rec.id_number),
        tuple((n, seal.hash(n), seal.seal(n)) for n in rec.phones),
        rec.product,
        f"{rec.principal:.2f}",
        f"{rec.interest:.2f}",
        f"{rec.penalty_interest:.2f}",
        f"{rec.compound_interest:.2f}",
        f"{rec.fees:.2f}",
        f"{rec.total:.2f}",
        od.isoformat() if od is not None else None,
        rec.branch_id,
        rec.region_code,
        rec.involves_litigation,
        rec.involves_petition,
        rec.prior_negotiation_failed,
        rec.vulnerable,
        rec.legal_rep,
    )


# (valid records, rejected rows' errors, the last row number read, whether this is the last chunk)
Chunk = tuple[list[Prepared], list[RowError], int, bool]


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


@dataclass
class Source:
    """Everything the reading side needs, picklable: the file and how to read its rows."""

    path: str
    fmt: str
    custom: dict[str, str]
    default_product: str
    branches: dict[str, tuple[int, str]]
    region_code: str
    today: object  # datetime.date
    resume_after: int
    chunk_rows: int


def read(src: Source, seal: Sealer) -> Iterator[Mapping | Chunk]:
    """The file's header mapping, then its data rows in chunks of `chunk_rows`, then a last
    (possibly empty) chunk.

    Rows up to `resume_after` were committed by an earlier run: only their contract numbers are
    remembered, so that a later duplicate of one is still reported against its first row.
    """
    with closing(open_rows(src.path, src.fmt)) as rows:
        mapping, _ = find_header(rows, src.custom)
        yield mapping
        yield from _chunks(src, seal, rows, mapping)


def _chunks(src: Source, seal: Sealer, rows, mapping: Mapping) -> Iterator[Chunk]:
    parser = RowParser(
        mapping,
        default_product=src.default_product,
        branches=src.branches,
        region_code=src.region_code,
        today=src.today,
    )
    seen: dict[str, int] = {}
    resume_after, chunk_rows = src.resume_after, src.chunk_rows
    records: list[Prepared] = []
    errors: list[RowError] = []
    data_rows = 0
    last_row = mapping.header_row
    for row_number, cells in rows:
        if row_number <= resume_after:
            if not parser.is_skippable(cells):
                contract = parser.contract_of(cells)
                if contract:
                    seen.setdefault(contract, row_number)
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
            first = seen.setdefault(contract, row_number)
            if first != row_number and record is not None:
                row_errors = [
                    (row_number, mapping.header_of(parser.i_contract), contract, f"合同编号与第{first}行重复")
                ]
                record = None
        if record is not None:
            records.append(prepare(record, seal))
        else:
            errors.extend(row_errors)
        if data_rows >= chunk_rows:
            yield records, errors, last_row, False
            records, errors, data_rows = [], [], 0
    yield records, errors, last_row, True


def feed(src: Source, *, total_rows: int) -> Iterator[Mapping | Chunk]:
    """`read` in this process for a small file, in a second process for a big one. Close it (the
    caller's `with closing(...)`) to stop the second process when the writer stops early."""
    if total_rows <= PROCESS_ROWS:
        yield from read(src, Sealer())
        return
    ctx = multiprocessing.get_context("spawn")  # no fork: the parent holds database connections
    receive, send = ctx.Pipe(duplex=False)
    sealer = Sealer()
    proc = ctx.Process(
        target=_produce, args=(send, src, sealer.keys), name="jiefen-import-reader", daemon=True
    )
    proc.start()
    send.close()
    try:
        while True:
            try:
                # The pipe's other end is our own child process, started just above.
                message = pickle.loads(receive.recv_bytes())  # noqa: S301
            except EOFError:
                raise RuntimeError("读取文件的进程意外退出") from None
            if message[0] == "error":
                _, kind, text, code = message
                if kind == "ApplicationError":
                    raise ApplicationError(text, code=code)
                raise RuntimeError(f"读取文件失败：{kind}: {text}")
            item = message[1]
            yield item
            if isinstance(item, tuple) and item[3]:
                break
    finally:
        receive.close()
        if proc.is_alive():
            # The writer stopped early (an error, or the job was killed): so does the reader.
            proc.terminate()
        proc.join()


def _produce(send, src: Source, keys: tuple[bytes, bytes]) -> None:
    """The second process: read, check and seal the file, one pickled chunk at a time."""
    try:
        seal = Sealer(*keys)
        for item in read(src, seal):
            send.send_bytes(pickle.dumps(("item", item), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException as exc:  # noqa: BLE001 — reported to the writer, which raises it
        code = getattr(exc, "code", "") if isinstance(exc, ApplicationError) else ""
        kind = "ApplicationError" if isinstance(exc, ApplicationError) else type(exc).__name__
        send.send_bytes(pickle.dumps(("error", kind, str(exc), code)))
    finally:
        send.close()
