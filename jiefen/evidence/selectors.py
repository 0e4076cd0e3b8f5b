"""Reads of the ledger. Entries carry no personal data (hashes, subjects like case:12, file names)."""

from __future__ import annotations

from dataclasses import dataclass

from . import chain
from .models import LedgerEntry, MerkleRoot
from .services import KIND_LABELS, merkle_proof_for


@dataclass
class Match:
    entry: LedgerEntry
    label: str
    intact: bool  # the entry's own hash still matches its content
    root: MerkleRoot | None
    in_root: bool  # the entry's audit path leads to the sealed root


def ledger_lookup(sha256: str) -> list[Match]:
    """Every entry that proves content with this SHA-256, checked on the spot."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return []
    out = []
    for entry in LedgerEntry.objects.filter(content_hash=sha256).order_by("seq")[:20]:
        intact = (
            chain.entry_digest(
                seq=entry.seq,
                prev_hash=entry.prev_hash,
                kind=entry.kind,
                subject=entry.subject,
                content_hash=entry.content_hash,
                actor_label=entry.actor_label,
                at=entry.at,
                data=entry.data,
            )
            == entry.entry_hash
        )
        proof = merkle_proof_for(entry)
        root, in_root = None, False
        if proof is not None:
            root, path = proof
            in_root = chain.merkle_check(entry.entry_hash, path, root.root)
        out.append(Match(entry, KIND_LABELS.get(entry.kind, entry.kind), intact, root, in_root))
    return out


def ledger_recent(*, kind: str = "", subject: str = "", before: int | None = None, limit: int = 50):
    qs = LedgerEntry.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if subject:
        qs = qs.filter(subject=subject)
    if before:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: limit + 1])
    return rows[:limit], (rows[limit - 1].seq if len(rows) > limit else None)


def ledger_for_subjects(subjects: list[str], limit: int = 200) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(subject__in=subjects).order_by("seq")[:limit])
