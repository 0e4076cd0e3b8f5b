"""The arithmetic of the ledger, kept free of the database so it can be checked by anyone.

entry hash = SHA-256 of the canonical JSON of [seq, prev_hash, kind, subject, content_hash,
actor_label, at (UTC, microseconds), data]. Merkle tree (RFC 6962 style, so a leaf can never pass for
a node): leaf = SHA-256(0x00 || entry hash), node = SHA-256(0x01 || left || right); an odd node
at the end of a level is promoted unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable


def sha256_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sha256_file(path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_record(record: dict) -> str:
    """The content hash of a fact that is not a file (a signature, a payment): its canonical JSON."""
    return sha256_bytes(canonical(record).encode("utf-8"))


def canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def clean_data(data: dict | None) -> dict:
    """What survives a JSON round trip unchanged (Decimals and dates become strings)."""
    return json.loads(canonical(data or {}))


def time_text(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in the ledger")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(
    *,
    seq: int,
    prev_hash: str,
    kind: str,
    subject: str,
    content_hash: str,
    actor_label: str,
    at: dt.datetime,
    data: dict,
) -> str:
    payload = [seq, prev_hash, kind, subject, content_hash, actor_label, time_text(at), data]
    return sha256_bytes(canonical(payload).encode("utf-8"))


def _leaf(entry_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(entry_hashes: Iterable[str]) -> str:
    level = [_leaf(h) for h in entry_hashes]
    if not level:
        return sha256_bytes(b"")
    while len(level) > 1:
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def merkle_proof(entry_hashes: list[str], index: int) -> list[tuple[str, str]]:
    """The audit path of one leaf: [(side, sibling hash)], side "L" when the sibling is on the left."""
    level = [_leaf(h) for h in entry_hashes]
    path: list[tuple[str, str]] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("L" if sibling < index else "R", level[sibling].hex()))
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, index = nxt, index // 2
    return path


def merkle_check(entry_hash: str, path: list[tuple[str, str]], root: str) -> bool:
    node = _leaf(entry_hash)
    for side, sibling in path:
        other = bytes.fromhex(sibling)
        node = _node(other, node) if side == "L" else _node(node, other)
    return node.hex() == root
