from __future__ import annotations

import datetime as dt

from ninja import File, Router, Schema
from ninja.files import UploadedFile

from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for

from . import chain
from .models import MerkleRoot
from .selectors import ledger_lookup
from .services import MAX_UPLOAD_BYTES, ledger_verify

router = Router(tags=["存证"])


class VerificationOut(Schema):
    ok: bool
    checked: int
    files_checked: int
    roots_checked: int
    broken_seq: int | None
    summary: str


class MatchOut(Schema):
    seq: int
    kind: str
    label: str
    at: dt.datetime
    entry_hash: str
    intact: bool
    merkle_root: str | None
    in_root: bool


class LookupOut(Schema):
    sha256: str
    found: bool
    matches: list[MatchOut]


class RootOut(Schema):
    day: dt.date
    first_seq: int
    last_seq: int
    count: int
    root: str
    anchor_backend: str
    anchor_receipt: str
    anchored_at: dt.datetime | None


class HashIn(Schema):
    sha256: str


def _lookup(digest: str) -> dict:
    matches = ledger_lookup(digest)
    return {
        "sha256": digest,
        "found": bool(matches),
        "matches": [
            {
                "seq": m.entry.seq,
                "kind": m.entry.kind,
                "label": m.label,
                "at": m.entry.at,
                "entry_hash": m.entry.entry_hash,
                "intact": m.intact,
                "merkle_root": m.root.root if m.root else None,
                "in_root": m.in_root,
            }
            for m in matches
        ],
    }


@router.get("/ledger/verify", response=VerificationOut)
def verify_ledger(request, files: bool = True):
    """Walk the whole chain (centre and oversight only)."""
    if not viewer_for(request.user).sees_everything:
        raise NotFound("资源不存在或您无权查看")
    result = ledger_verify(check_files=files)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "files_checked": result.files_checked,
        "roots_checked": result.roots_checked,
        "broken_seq": result.broken_seq,
        "summary": result.summary,
    }


@router.post("/verify/file", auth=None, response=LookupOut)
def verify_file(request, file: File[UploadedFile]):
    """Anyone: is this exactly a file the platform entered in the ledger?"""
    if file.size > MAX_UPLOAD_BYTES:
        raise ApplicationError("文件过大", code="file_too_large", status=413)
    return _lookup(chain.sha256_bytes(file.read()))


@router.post("/verify/hash", auth=None, response=LookupOut)
def verify_hash(request, payload: HashIn):
    digest = payload.sha256.strip().lower()
    if len(digest) != 64:
        raise ApplicationError("SHA-256 应为64位十六进制", code="invalid_hash")
    return _lookup(digest)


@router.get("/roots", auth=None, response=list[RootOut])
def roots(request, limit: int = 30):
    """The sealed daily Merkle roots, public so that anyone can compare them with the anchored copies."""
    return list(MerkleRoot.objects.all()[: max(1, min(limit, 365))])
