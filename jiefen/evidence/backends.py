"""Pluggable outside services of the ledger, each with a default that works offline.

- Anchoring a daily Merkle root (a trusted timestamp authority, a judicial blockchain): the default
  `OfflineAnchor` exports the root as a JSON file for someone to carry out; adapters subclass
  `AnchorBackend` and are named in JIEFEN_ANCHOR_BACKEND.
- Virus scanning of uploads: the default `SignatureScanner` recognises the EICAR test file (so the
  hook can be tried); `ClamdScanner` talks to a clamd daemon (JIEFEN_CLAMD_SOCKET). JIEFEN_VIRUS_SCANNER
  names the one to use.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .chain import canonical, sha256_bytes


@dataclass
class AnchorReceipt:
    ok: bool
    receipt: str = ""
    error: str = ""


class AnchorBackend:
    name = "base"

    def anchor(self, root) -> AnchorReceipt:  # pragma: no cover - interface
        raise NotImplementedError


class OfflineAnchor(AnchorBackend):
    """Writes the root to MEDIA_ROOT/ledger/roots/ for export; the receipt is the export's own hash."""

    name = "offline"

    def anchor(self, root) -> AnchorReceipt:
        record = {
            "platform": settings.JIEFEN_CENTER_NAME,
            "day": root.day.isoformat(),
            "first_seq": root.first_seq,
            "last_seq": root.last_seq,
            "count": root.count,
            "merkle_root": root.root,
            "exported_at": timezone.now().isoformat(),
        }
        body = canonical(record).encode("utf-8")
        folder = Path(settings.MEDIA_ROOT) / "ledger" / "roots"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{root.day:%Y%m%d}-{root.first_seq}-{root.last_seq}.json").write_bytes(body)
        return AnchorReceipt(ok=True, receipt="offline:" + sha256_bytes(body))


def anchor_backend() -> AnchorBackend:
    return import_string(
        getattr(settings, "JIEFEN_ANCHOR_BACKEND", "jiefen.evidence.backends.OfflineAnchor")
    )()


@dataclass
class ScanResult:
    clean: bool
    detail: str


class VirusScanner:
    name = "base"

    def scan(self, content: bytes) -> ScanResult:  # pragma: no cover - interface
        raise NotImplementedError


EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class SignatureScanner(VirusScanner):
    """Offline stand-in: finds only the EICAR test signature. Use clamd in production."""

    name = "signature"

    def scan(self, content: bytes) -> ScanResult:
        if EICAR in content:
            return ScanResult(False, "EICAR-Test-Signature")
        return ScanResult(True, "未发现已知特征（离线检查）")


class ClamdScanner(VirusScanner):
    """clamd's INSTREAM protocol over its Unix socket."""

    name = "clamd"

    def scan(self, content: bytes) -> ScanResult:
        path = getattr(settings, "JIEFEN_CLAMD_SOCKET", "/var/run/clamav/clamd.ctl")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(path)
            sock.sendall(b"zINSTREAM\0")
            for i in range(0, len(content), 1 << 16):
                block = content[i : i + (1 << 16)]
                sock.sendall(struct.pack("!L", len(block)) + block)
            sock.sendall(struct.pack("!L", 0))
            answer = sock.recv(4096).decode("utf-8", "replace").strip("\0 \n")
        return ScanResult(answer.endswith("OK"), answer)


def virus_scanner() -> VirusScanner:
    return import_string(
        getattr(settings, "JIEFEN_VIRUS_SCANNER", "jiefen.evidence.backends.SignatureScanner")
    )()
