"""Rows of an uploaded file, streamed: CSV in any of the encodings Chinese banks export, XLSX and XLS.

Every row comes with its number as a person sees it when opening the file (Excel's row number),
so an error can point at it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from jiefen.common.errors import ApplicationError

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
SNIFF_BYTES = 256 * 1024


def file_format(name: str, head: bytes = b"") -> str:
    """The format from the content when it tells (zip → xlsx, OLE → xls), else from the name."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise ApplicationError("只支持 CSV、XLSX、XLS 文件", code="unsupported_format")
    return fmt


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK and GB2312): never ask the user.

    A strict UTF-8 decode of the first 256 KB decides; GBK text almost never passes it, while the
    incremental decoder tolerates a character cut in half at the end of the sample.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")("strict").decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise ApplicationError(
            "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 文件", code="bad_encoding"
        ) from None


def _sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text, delimiters=",\t;|")
    except csv.Error:
        return csv.excel


def csv_rows(path: str | Path) -> Iterator[tuple[int, list]]:
    with open(path, "rb") as raw:
        sample = raw.read(SNIFF_BYTES)
    encoding = detect_encoding(sample)
    head = sample[:8192].decode(encoding, errors="ignore")
    first_lines = "\n".join(head.splitlines()[:5])
    dialect = _sniff_dialect(first_lines) if ("\t" in first_lines or ";" in first_lines) else csv.excel
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        yield from enumerate(csv.reader(handle, dialect), start=1)


def excel_rows(path: str | Path) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise ApplicationError(f"无法读取 Excel 文件：{exc}", code="bad_excel") from exc
    try:
        start_row, start_col = sheet.start or (0, 0)
    except (TypeError, ValueError):
        start_row, start_col = 0, 0
    fills = _merged_fills(sheet, start_row, start_col)
    for offset, cells in enumerate(sheet.iter_rows()):
        row_index = start_row + offset
        if start_col:
            cells = [""] * start_col + list(cells)
        if fills and row_index in fills:
            cells = list(cells)
            for col, value in fills[row_index].items():
                while len(cells) <= col:
                    cells.append("")
                cells[col] = value
        yield row_index + 1, cells


def _merged_fills(sheet, start_row: int, start_col: int) -> dict[int, dict[int, object]]:
    """Merged cells hold their value only in the top-left cell; a bank export that merges one
    debtor's cells over several contract rows means that value for every row of the range."""
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # noqa: BLE001 — not every format reports merges
        return {}
    if not ranges:
        return {}
    wanted = {}
    for (r0, c0), (r1, c1) in ranges:
        if r1 > r0:
            wanted[(r0, c0)] = (r1, c1)
    if not wanted:
        return {}
    values: dict[tuple[int, int], object] = {}
    rows_needed = {r for r, _ in wanted}
    for offset, cells in enumerate(sheet.iter_rows()):
        r = start_row + offset
        if r in rows_needed:
            for r0, c0 in wanted:
                if r0 == r and 0 <= c0 - start_col < len(cells):
                    values[(r0, c0)] = cells[c0 - start_col]
        if r >= max(rows_needed):
            break
    fills: dict[int, dict[int, object]] = {}
    for (r0, c0), (r1, c1) in wanted.items():
        value = values.get((r0, c0), "")
        for r in range(r0 + 1, r1 + 1):
            for c in range(c0, c1 + 1):
                fills.setdefault(r, {})[c] = value
    return fills


def open_rows(path: str | Path, fmt: str) -> Iterator[tuple[int, list]]:
    if fmt == "csv":
        return csv_rows(path)
    if fmt in {"xlsx", "xls"}:
        return excel_rows(path)
    raise ApplicationError("只支持 CSV、XLSX、XLS 文件", code="unsupported_format")


def read_head(path: str | Path, size: int = 8) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def text_rows(data: bytes) -> list[list[str]]:
    """Small helper for result files already in memory (contact recovery)."""
    encoding = detect_encoding(data[:SNIFF_BYTES])
    return list(csv.reader(io.StringIO(data.decode(encoding, errors="replace"))))
