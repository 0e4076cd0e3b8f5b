"""Writing to the ledger, storing evidence files, sealing daily roots, and checking the whole chain.

`ledger_append` must be called inside the transaction of the change it proves: if the change rolls
back, so does its entry, and an entry never exists for a change that did not happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiefen.common import clock
from jiefen.common.errors import ApplicationError

from . import chain
from .backends import anchor_backend, virus_scanner
from .models import GENESIS, EvidenceFile, LedgerEntry, LedgerHead, MerkleRoot

# What each kind of entry proves, for people reading the ledger or verifying a file.
KIND_LABELS = {
    "evidence.file": "证据文件",
    "room.message": "调解室消息",
    "mediation.assign": "指定调解员",
    "mediation.accept": "调解员接受委派",
    "mediation.extend": "延长调解期限",
    "mediation.session": "调解会议记录",
    "mediation.fail": "调解不成",
    "agreement.issue": "调解协议书（签署文本）",
    "agreement.sign": "协议签署（短信验证码）",
    "agreement.effective": "协议生效",
    "payment.record": "还款记录",
    "agreement.default": "违约认定",
    "confirmation.apply": "司法确认申请",
    "confirmation.decide": "司法确认裁定",
    "confirmation.ruling": "司法确认裁定书",
    "notary.apply": "赋强公证申请",
    "notary.decide": "公证结果",
    "transfer.package": "移送诉讼/仲裁材料包",
    "litigation.record": "立案、开庭与判决",
    "service.send": "电子送达（发送）",
    "service.address": "送达地址确认",
    "service.open": "电子送达（打开）",
    "service.ack": "电子送达（签收）",
    "enforcement.apply": "申请强制执行",
    "enforcement.record": "执行记录",
    "asset.inquiry": "网络查控",
}

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Extension → (content type, test on the first bytes). Office files are ZIPs; text must be UTF-8.
ALLOWED_TYPES = {
    "pdf": ("application/pdf", lambda b: b.startswith(b"%PDF-")),
    "jpg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda b: b.startswith(b"PK\x03\x04"),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda b: b.startswith(b"PK\x03\x04"),
    ),
    "mp3": ("audio/mpeg", lambda b: b.startswith(b"ID3") or b[:2] in {b"\xff\xfb", b"\xff\xf3"}),
    "m4a": ("audio/mp4", lambda b: b[4:8] == b"ftyp"),
    "wav": ("audio/wav", lambda b: b.startswith(b"RIFF")),
    "txt": ("text/plain; charset=utf-8", None),
}


def actor_text(actor, label: str = "") -> str:
    if label:
        return label[:80]
    return str(actor)[:80] if actor is not None else "系统"


def ledger_append(
    *,
    kind: str,
    subject: str,
    content_hash: str,
    actor=None,
    actor_label: str = "",
    data: dict | None = None,
    file_path: str = "",
    at: dt.datetime | None = None,
) -> LedgerEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_append must run inside the transaction of the change it proves")
    if len(content_hash) != 64:
        raise ValueError("content_hash must be a SHA-256 hex digest")
    # The head row is the chain's lock: whoever holds it appends next, so the chain never forks.
    head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1)
    at = at or timezone.now()
    data = chain.clean_data(data)
    label = actor_text(actor, actor_label)
    seq = head.seq + 1
    digest = chain.entry_digest(
        seq=seq,
        prev_hash=head.hash,
        kind=kind,
        subject=subject,
        content_hash=content_hash,
        actor_label=label,
        at=at,
        data=data,
    )
    entry = LedgerEntry.objects.create(
        seq=seq,
        prev_hash=head.hash,
        kind=kind,
        subject=subject,
        content_hash=content_hash,
        file_path=file_path,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label,
        data=data,
        at=at,
        entry_hash=digest,
    )
    LedgerHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return entry


def ledger_record(*, kind: str, subject: str, record: dict, actor=None, actor_label: str = "", at=None):
    """Prove a fact that is not a file: the entry holds the hash of the fact's canonical JSON."""
    return ledger_append(
        kind=kind,
        subject=subject,
        content_hash=chain.sha256_record(record),
        actor=actor,
        actor_label=actor_label,
        data=record,
        at=at,
    )


def check_upload(filename: str, content: bytes) -> str:
    """The content type of an acceptable upload, or an ApplicationError saying what is wrong."""
    name = (filename or "").strip()
    if not name:
        raise ApplicationError("请选择要上传的文件", code="file_required")
    if not content:
        raise ApplicationError("文件是空的", code="file_empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            f"文件不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", code="file_too_large", status=413
        )
    ext = Path(name).suffix.lower().lstrip(".")
    spec = ALLOWED_TYPES.get(ext)
    if spec is None:
        allowed = "、".join(sorted({k.upper() for k in ALLOWED_TYPES if k != "jpeg"}))
        raise ApplicationError(f"不支持的文件类型，请上传 {allowed}", code="file_type")
    content_type, sniff = spec
    if sniff is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise ApplicationError("文本文件必须是 UTF-8 编码", code="file_type") from None
    elif not sniff(content[:16]):
        raise ApplicationError("文件内容与扩展名不符", code="file_type")
    return content_type


@transaction.atomic
def evidence_upload(
    *,
    case,
    side: str,
    filename: str,
    content: bytes,
    actor=None,
    actor_label: str = "",
    description: str = "",
    at: dt.datetime | None = None,
) -> EvidenceFile:
    """Check, scan, store outside the web root and enter the file's SHA-256 in the ledger."""
    from jiefen.documents.services import document_store

    filename = Path(filename or "").name[:200]
    content_type = check_upload(filename, content)
    result = virus_scanner().scan(content)
    if not result.clean:
        raise ApplicationError(f"文件未通过病毒扫描（{result.detail}），已拒收", code="file_infected")
    stored = document_store(
        kind="evidence", subject=f"case:{case.pk}", filename=filename, content=content, actor=actor
    )
    label = actor_text(actor, actor_label)
    now = at or timezone.now()
    entry = ledger_append(
        kind="evidence.file",
        subject=f"case:{case.pk}",
        content_hash=stored.sha256,
        actor=actor,
        actor_label=label,
        data={"filename": filename, "side": side, "size": len(content), "document": stored.pk},
        file_path=stored.path,
        at=now,
    )
    return EvidenceFile.objects.create(
        case=case,
        document=stored,
        filename=filename,
        description=(description or "")[:200],
        content_type=content_type,
        size=len(content),
        sha256=stored.sha256,
        side=side,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        uploaded_label=label,
        scan_result=result.detail[:60],
        ledger_entry=entry,
        created_at=now,
    )


def evidence_read(evidence: EvidenceFile) -> bytes:
    return (Path(settings.MEDIA_ROOT) / evidence.document.path).read_bytes()


# --- daily Merkle roots -------------------------------------------------------------------------


@transaction.atomic
def merkle_seal(*, anchor: bool = True) -> MerkleRoot | None:
    """Seal every entry appended since the last root into a new root (run once a day)."""
    last = MerkleRoot.objects.select_for_update().order_by("-last_seq").first()
    start = (last.last_seq if last else 0) + 1
    hashes = list(LedgerEntry.objects.filter(seq__gte=start).order_by("seq").values_list("seq", "entry_hash"))
    if not hashes:
        return None
    root = MerkleRoot.objects.create(
        day=clock.local_today(),
        first_seq=start,
        last_seq=hashes[-1][0],
        count=len(hashes),
        root=chain.merkle_root(h for _, h in hashes),
    )
    if anchor:
        merkle_anchor(root)
    return root


def merkle_anchor(root: MerkleRoot) -> MerkleRoot:
    backend = anchor_backend()
    receipt = backend.anchor(root)
    if receipt.ok:
        root.anchor_backend, root.anchor_receipt, root.anchored_at = (
            backend.name,
            receipt.receipt[:200],
            timezone.now(),
        )
        root.save(update_fields=["anchor_backend", "anchor_receipt", "anchored_at"])
    return root


def merkle_proof_for(entry: LedgerEntry) -> tuple[MerkleRoot, list[tuple[str, str]]] | None:
    root = MerkleRoot.objects.filter(first_seq__lte=entry.seq, last_seq__gte=entry.seq).first()
    if root is None:
        return None
    hashes = list(
        LedgerEntry.objects.filter(seq__gte=root.first_seq, seq__lte=root.last_seq)
        .order_by("seq")
        .values_list("entry_hash", flat=True)
    )
    return root, chain.merkle_proof(hashes, entry.seq - root.first_seq)


# --- verification -------------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool = True
    checked: int = 0
    files_checked: int = 0
    roots_checked: int = 0
    broken_seq: int | None = None
    reason: str = ""
    problems: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, reason: str) -> None:
        if self.ok:
            self.ok, self.broken_seq, self.reason = False, seq, reason
        self.problems.append(reason)

    @property
    def summary(self) -> str:
        if self.ok:
            return (
                f"账本完整：共 {self.checked} 条记录，校验文件 {self.files_checked} 个，"
                f"默克尔根 {self.roots_checked} 个，均一致"
            )
        where = f"第 {self.broken_seq} 条" if self.broken_seq is not None else "链头"
        return f"账本在{where}断裂：{self.reason}"


def ledger_verify(*, check_files: bool = True, stop_at_first: bool = True) -> Verification:
    """Walk the chain from the first entry: sequence, links, each entry's own hash, linked files,
    the head, and every sealed Merkle root. Reports the first broken link."""
    result = Verification()
    media = Path(settings.MEDIA_ROOT)
    expected_seq, prev = 1, GENESIS
    qs = LedgerEntry.objects.order_by("seq").values_list(
        "seq",
        "prev_hash",
        "kind",
        "subject",
        "content_hash",
        "actor_label",
        "at",
        "data",
        "entry_hash",
        "file_path",
    )
    for seq, prev_hash, kind, subject, content_hash, actor_label, at, data, entry_hash, path in qs.iterator(
        chunk_size=2000
    ):
        if seq != expected_seq:
            result.fail(expected_seq, f"缺少第 {expected_seq} 条记录（下一条是第 {seq} 条），记录被删除")
        elif prev_hash != prev:
            result.fail(seq, "“前一条哈希”与上一条记录不符，链接被改动")
        elif (
            chain.entry_digest(
                seq=seq,
                prev_hash=prev_hash,
                kind=kind,
                subject=subject,
                content_hash=content_hash,
                actor_label=actor_label,
                at=at,
                data=data,
            )
            != entry_hash
        ):
            result.fail(seq, "记录内容与其哈希不符，记录被改动")
        elif check_files and path:
            target = media / path
            if not target.exists():
                result.fail(seq, f"存证文件缺失（{path}）")
            elif chain.sha256_file(target) != content_hash:
                result.fail(seq, f"存证文件被改动（{path}），其哈希与存证时不一致")
            else:
                result.files_checked += 1
        if not result.ok and stop_at_first:
            return result
        result.checked += 1
        expected_seq, prev = seq + 1, entry_hash
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        result.fail(
            None, f"链头指向第 {head.seq} 条，而账本最后一条是第 {expected_seq - 1} 条：末尾记录被删除"
        )
        if stop_at_first:
            return result
    for root in MerkleRoot.objects.order_by("first_seq"):
        hashes = list(
            LedgerEntry.objects.filter(seq__gte=root.first_seq, seq__lte=root.last_seq)
            .order_by("seq")
            .values_list("entry_hash", flat=True)
        )
        if len(hashes) != root.count or chain.merkle_root(hashes) != root.root:
            result.fail(
                root.first_seq,
                f"{root.day} 封存的默克尔根与记录不符（第 {root.first_seq}–{root.last_seq} 条）",
            )
            if stop_at_first:
                return result
        result.roots_checked += 1
    return result
