# ruff: noqa: S608 — SQL text is built from model metadata (table and column names); values are always parameters.
"""The bulk write path: raw executemany on SQLite, COPY on PostgreSQL, into the platform's own tables.

Django's bulk_create costs several times more per row here (it sends 66 rows per INSERT on SQLite and
builds a model instance per row); the importer writes tuples straight through the driver instead,
inside Django's transaction so that a chunk lands whole or not at all.
"""

from __future__ import annotations

import hashlib
import os
from binascii import b2a_base64
from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection


def table(model) -> str:
    return model._meta.db_table


def columns(model, names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


class Db:
    """The raw driver connection behind Django's, with the two dialects the platform runs on."""

    def __init__(self):
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.sqlite = self.vendor == "sqlite"
        self.true, self.false = (1, 0) if self.sqlite else (True, False)

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.sqlite else text

    def fetch(self, text: str, params: Sequence = ()) -> list[tuple]:
        cur = self.raw.cursor()
        try:
            cur.execute(self.sql(text), params)
            return cur.fetchall()
        finally:
            cur.close()

    def execute(self, text: str, params: Sequence = ()) -> None:
        cur = self.raw.cursor()
        try:
            cur.execute(self.sql(text), params)
        finally:
            cur.close()

    def executemany(self, text: str, rows: Iterable[Sequence]) -> None:
        rows = list(rows)
        if not rows:
            return
        cur = self.raw.cursor()
        try:
            cur.executemany(self.sql(text), rows)
        finally:
            cur.close()

    def in_list(self, column: str, values: Sequence) -> tuple[str, list]:
        """`column IN (...)` for SQLite, `column = ANY(%s)` for PostgreSQL (one parameter)."""
        if self.sqlite:
            return f"{column} IN ({','.join('?' * len(values))})", list(values)
        return f"{column} = ANY(%s)", [list(values)]

    def insert(
        self,
        table_name: str,
        cols: Sequence[str],
        rows: list[Sequence],
        fixed: Sequence[tuple[str, object]] = (),
    ) -> None:
        """Insert `rows` (values of `cols`); `fixed` are (column, value) pairs the same for every row.

        SQLite: the fixed values are SQL literals, not parameters — binding costs about a microsecond
        per value in the sqlite3 module, and a case row has eleven such columns. PostgreSQL: COPY has no
        literals, so each row is written with the fixed values after it.
        """
        if not rows:
            return
        cur = self.raw.cursor()
        try:
            if self.sqlite:
                names = [*cols, *(c for c, _ in fixed)]
                literals = [_literal(v) for _, v in fixed]
                if None in literals:
                    # A value with no safe literal form: bind every fixed value like the others.
                    tail = tuple(v for _, v in fixed)
                    rows = [(*row, *tail) for row in rows]
                    literals = []
                quoted = ", ".join(f'"{c}"' for c in names)
                marks = ", ".join(["?"] * (len(names) - len(literals)) + literals)
                cur.executemany(f'INSERT INTO "{table_name}" ({quoted}) VALUES ({marks})', rows)
            else:
                quoted = ", ".join(f'"{c}"' for c in [*cols, *(c for c, _ in fixed)])
                tail = tuple(v for _, v in fixed)
                with cur.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
                    write = copy.write_row
                    if tail:
                        for row in rows:
                            write((*row, *tail))
                    else:
                        for row in rows:
                            write(row)
        finally:
            cur.close()

    def next_ids(self, table_name: str, count: int) -> list[int]:
        """Primary keys for `count` new rows, reserved before the insert so children can point at them.

        SQLite: the chunk holds the database's write lock (its first statement is an UPDATE), so
        nobody else can take these numbers. PostgreSQL: the identity sequence hands them out.
        """
        if count <= 0:
            return []
        if self.sqlite:
            top = self.fetch(f'SELECT MAX(id) FROM "{table_name}"')[0][0] or 0
            seq = self.fetch("SELECT seq FROM sqlite_sequence WHERE name = ?", [table_name])
            start = max(top, seq[0][0] if seq else 0) + 1
            return list(range(start, start + count))
        rows = self.fetch(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table_name, count],
        )
        return [r[0] for r in rows]

    def lock_institution(self, institution_id: int) -> None:
        """Serialise two imports for one institution on PostgreSQL (SQLite has one writer anyway)."""
        if not self.sqlite:
            self.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7301, institution_id])

    def tune_for_bulk(self) -> None:
        """SQLite settings of this connection for a bulk load (end_bulk puts them back).

        A larger page cache (128 MiB) keeps the hot index pages in memory; 256 and 768 MiB were no
        faster on a 1 M-row import, and the memory is better left to the reading process. The
        write-ahead log is checkpointed every ~1 GiB instead of every 4 MB: a transaction dirties
        pages all over the random keyed-hash indexes, and a checkpoint after every one copied (and
        fsynced) those same pages into the database file again and again; with a large interval
        each page is copied once per checkpoint. Durability is unchanged (synchronous stays as
        configured): a killed import loses at most the transaction being written.
        """
        if self.sqlite and not getattr(self, "_bulk", None):
            saved = {}
            for name in ("cache_size", "wal_autocheckpoint", "journal_size_limit"):
                saved[name] = self.fetch(f"PRAGMA {name}")[0][0]
            self._bulk = saved
            self.execute("PRAGMA cache_size = -131072")  # 128 MiB
            self.execute("PRAGMA wal_autocheckpoint = 262144")  # pages of 4 KiB: 1 GiB
            # Once checkpointed, the log file shrinks back instead of keeping its peak size on disk.
            self.execute("PRAGMA journal_size_limit = 67108864")

    def end_bulk(self) -> None:
        """Checkpoint what the bulk load left in the write-ahead log, then restore the settings.

        PASSIVE never waits for readers (the progress page polls during an import); what a reader
        still holds is checkpointed by the next writer as usual.
        """
        saved = getattr(self, "_bulk", None)
        if not saved:
            return
        self._bulk = None
        if not connection.in_atomic_block:
            self.execute("PRAGMA wal_checkpoint(PASSIVE)")
        for name, value in saved.items():
            self.execute(f"PRAGMA {name} = {int(value)}")

    def datetime_value(self, value):
        return connection.ops.adapt_datetimefield_value(value) if self.sqlite else value


def _literal(value) -> str | None:
    """An SQLite literal for a value the importer fixes per chunk, or None when it has none."""
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


class Sealer:
    """jiefen.common.crypto.encrypt and lookup_hash, for a million values: the same output format,
    without the per-call settings look-ups and system calls (nonces come from one urandom read)."""

    def __init__(self, encryption_key: bytes | None = None, lookup_key: bytes | None = None):
        # The keys are given explicitly in the import's reading process, which has no settings.
        encryption_key = encryption_key or settings.FIELD_ENCRYPTION_KEY
        lookup_key = lookup_key or settings.LOOKUP_HASH_KEY
        self.keys = (encryption_key, lookup_key)
        self._aead = AESGCM(encryption_key)
        # HMAC-SHA256 with the key's inner and outer pads hashed once (RFC 2104): the same digest
        # as hmac.new(key, value, sha256), a third cheaper per value.
        key = lookup_key
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        self._nonces = b""
        self._pos = 0

    def hash(self, value: str) -> str:
        if not value:
            return ""
        inner = self._inner.copy()
        inner.update(value.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def seal(self, value: str) -> str:
        if value == "":
            return ""
        if self._pos + 12 > len(self._nonces):
            self._nonces, self._pos = os.urandom(12 * 4096), 0
        nonce = self._nonces[self._pos : self._pos + 12]
        self._pos += 12
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), None)
        # binascii directly: base64.b64encode is this call plus a Python frame and a copy.
        return "v1:" + b2a_base64(nonce + sealed, newline=False).decode("ascii")
