"""Contact recovery (失联修复) providers behind one small interface.

The default backend exchanges files, which is how the centre works with a telecom-data provider
today: export a request file (batch, sequence, name, ID number), receive a result file
(sequence, phone, relation, contact name). Another provider implements the same two methods and is
named in JIEFEN_RECOVERY_BACKEND (a dotted path).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from jiefen.common.errors import ApplicationError

from .intake.columns import normalize_header
from .intake.values import clean_text

RELATIONS = {
    "本人": "self",
    "": "self",
    "亲属": "family",
    "家属": "family",
    "配偶": "family",
    "父母": "family",
    "子女": "family",
    "同事": "colleague",
    "单位": "colleague",
    "其他": "other",
    "朋友": "other",
    "联系人": "other",
}
SEQ_HEADERS = {"序号", "seq", "请求序号"}
PHONE_HEADERS = {"手机号", "手机号码", "修复号码", "号码", "联系电话", "phone"}
RELATION_HEADERS = {"关系", "号码关系", "与本人关系", "relation"}
NAME_HEADERS = {"联系人", "联系人姓名", "contact"}


class RecoveryBackend:
    name = "base"

    def request_file(self, batch, items) -> tuple[str, bytes]:  # pragma: no cover - interface
        raise NotImplementedError

    def parse_result(self, data: bytes, filename: str) -> list[tuple[int, str, str, str]]:  # pragma: no cover
        raise NotImplementedError


class FileExchangeBackend(RecoveryBackend):
    """Request: CSV (UTF-8 with BOM, opens in Excel). Result: CSV or XLSX with 序号 and 手机号 columns."""

    name = "file"

    def request_file(self, batch, items) -> tuple[str, bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["批次号", "序号", "姓名", "证件号码", "证件类型"])
        for item in items:
            party = item.case.debtor
            kind = "统一社会信用代码" if party.kind == "enterprise" else "居民身份证"
            writer.writerow([batch.number, item.seq, party.name, party.id_number, kind])
        return f"{batch.number}-request.csv", out.getvalue().encode("utf-8-sig")

    def parse_result(self, data: bytes, filename: str) -> list[tuple[int, str, str, str]]:
        rows = _rows(data, filename)
        header_at, columns = None, {}
        for index, row in enumerate(rows[:10]):
            names = [normalize_header(c) for c in row]
            if any(n in SEQ_HEADERS for n in names) and any(n in PHONE_HEADERS for n in names):
                header_at = index
                for i, n in enumerate(names):
                    for key, options in (
                        ("seq", SEQ_HEADERS),
                        ("phone", PHONE_HEADERS),
                        ("relation", RELATION_HEADERS),
                        ("name", NAME_HEADERS),
                    ):
                        if n in options and key not in columns:
                            columns[key] = i
                break
        if header_at is None:
            raise ApplicationError("结果文件须包含“序号”和“手机号”两列", code="bad_result_file")
        out = []
        for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):

            def cell(key, row=row):
                i = columns.get(key)
                return clean_text(row[i]) if i is not None and i < len(row) else ""

            seq, phone = cell("seq"), cell("phone")
            if not seq and not phone:
                continue
            try:
                seq_no = int(float(seq))
            except ValueError:
                raise ApplicationError(
                    f"结果文件第{number}行的序号“{seq}”不是数字", code="bad_result_file"
                ) from None
            if not phone:
                continue
            relation = RELATIONS.get(cell("relation"), "other")
            out.append((seq_no, phone, relation, cell("name")))
        return out


def _rows(data: bytes, filename: str) -> list[list]:
    suffix = Path(filename).suffix.lower()
    if data.startswith(b"PK") or suffix in {".xlsx", ".xls"}:
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        except Exception as exc:  # noqa: BLE001 — calamine raises several types for a bad file
            raise ApplicationError(f"无法读取结果文件：{exc}", code="bad_result_file") from exc
        return [list(r) for r in sheet.iter_rows()]
    from .intake.reader import text_rows

    return text_rows(data)


def get_backend() -> RecoveryBackend:
    path = getattr(settings, "JIEFEN_RECOVERY_BACKEND", None) or os.environ.get(
        "JIEFEN_RECOVERY_BACKEND", "jiefen.disposal.recovery.FileExchangeBackend"
    )
    return import_string(path)()
