"""The hash-chained ledger: written in the transaction of the change, verified end to end, and any
alteration of a stored entry or a linked file is found and named."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from jiefen.common.errors import ApplicationError
from jiefen.evidence import chain
from jiefen.evidence.backends import EICAR
from jiefen.evidence.models import EvidenceFile, LedgerEntry, LedgerHead, MerkleRoot
from jiefen.evidence.selectors import ledger_lookup
from jiefen.evidence.services import (
    evidence_upload,
    ledger_record,
    ledger_verify,
    merkle_proof_for,
    merkle_seal,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def write(n: int = 5):
    for i in range(n):
        ledger_record(
            kind="payment.record", subject=f"agreement:{i}", record={"amount": str(i), "note": "还款"}
        )


def verify_command(*args) -> str:
    out = StringIO()
    call_command("ledger", "verify", *args, stdout=out)
    return out.getvalue()


def test_entries_link_to_the_one_before(world):
    write(3)
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].entry_hash
    assert LedgerHead.objects.get().hash == entries[2].entry_hash


def test_a_whole_chain_verifies_and_the_command_says_so(world):
    write(4)
    result = ledger_verify()
    assert result.ok and result.checked == 4
    assert "账本完整" in verify_command()


def test_an_entry_outside_a_transaction_is_refused():
    from jiefen.evidence.services import ledger_append

    # pytest-django wraps the test in a transaction, so leave it to find the bare connection.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            ledger_append(kind="x", subject="y", content_hash="0" * 64)
    finally:
        connection.in_atomic_block = saved


def test_changing_a_stored_entry_is_named(world):
    write(5)
    LedgerEntry.objects.filter(seq=3).update(data={"amount": "999999", "note": "还款"})
    result = ledger_verify()
    assert not result.ok and result.broken_seq == 3
    with pytest.raises(CommandError) as err:
        verify_command()
    assert err.value.returncode == 1
    assert "第 3 条" in str(err.value)


def test_rewriting_an_entry_with_a_fresh_hash_breaks_the_next_link(world):
    write(5)
    entry = LedgerEntry.objects.get(seq=2)
    entry.actor_label = "冒名者"
    entry.entry_hash = chain.entry_digest(
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        kind=entry.kind,
        subject=entry.subject,
        content_hash=entry.content_hash,
        actor_label=entry.actor_label,
        at=entry.at,
        data=entry.data,
    )
    entry.save()
    result = ledger_verify()
    assert result.broken_seq == 3 and "前一条哈希" in result.reason


def test_a_deleted_entry_is_named(world):
    write(5)
    LedgerEntry.objects.filter(seq=4).delete()
    result = ledger_verify()
    assert result.broken_seq == 4 and "删除" in result.reason


def test_a_deleted_last_entry_shows_at_the_head(world):
    write(5)
    LedgerEntry.objects.filter(seq=5).delete()
    result = ledger_verify()
    assert not result.ok and "链头" in result.reason


def test_an_altered_evidence_file_is_named(world):
    case = world.case(world.bank_a, path=["triage_complex"])
    write(2)
    with transaction.atomic():
        ev = evidence_upload(
            case=case, side="debtor", filename="收入证明.png", content=PNG, actor_label="债务人"
        )
    write(1)
    assert ledger_verify().ok
    path = Path(settings.MEDIA_ROOT) / ev.document.path
    path.write_bytes(PNG + b"\x01")
    result = ledger_verify()
    assert result.broken_seq == ev.ledger_entry.seq
    assert "存证文件被改动" in result.reason
    with pytest.raises(CommandError, match=f"第 {ev.ledger_entry.seq} 条"):
        verify_command()
    # Checking without files passes: it was the file, not the entry, that changed.
    assert "账本完整" in verify_command("--no-files")


def test_a_missing_evidence_file_is_named(world):
    case = world.case(world.bank_a, path=["triage_complex"])
    ev = evidence_upload(case=case, side="debtor", filename="a.png", content=PNG, actor_label="债务人")
    (Path(settings.MEDIA_ROOT) / ev.document.path).unlink()
    assert "缺失" in ledger_verify().reason


class TestUploads:
    def test_a_file_is_stored_outside_the_web_root_with_its_hash_in_the_ledger(self, world):
        case = world.case(world.bank_a, path=["triage_complex"])
        ev = evidence_upload(
            case=case, side="creditor", filename="../../etc/欠款明细.txt", content="本金 1000".encode()
        )
        assert ev.filename == "欠款明细.txt"
        assert ev.sha256 == chain.sha256_bytes("本金 1000".encode())
        assert ev.ledger_entry.content_hash == ev.sha256
        assert Path(settings.MEDIA_ROOT, ev.document.path).is_file()
        assert not str(ev.document.path).startswith("/")

    @pytest.mark.parametrize(
        ("name", "content", "code"),
        [
            ("x.exe", b"MZ\x90", "file_type"),
            ("x.pdf", b"not a pdf", "file_type"),
            ("x.txt", b"\xff\xfe\x00bad", "file_type"),
            ("x.png", b"", "file_empty"),
            ("x.txt", EICAR, "file_infected"),
        ],
    )
    def test_bad_uploads_are_refused_and_leave_no_trace(self, world, name, content, code):
        case = world.case(world.bank_a, path=["triage_complex"])
        with pytest.raises(ApplicationError) as err:
            evidence_upload(case=case, side="debtor", filename=name, content=content)
        assert err.value.code == code
        assert not EvidenceFile.objects.exists() and not LedgerEntry.objects.exists()

    def test_a_file_over_the_limit_is_refused(self, world, monkeypatch):
        from jiefen.evidence import services

        monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 10)
        case = world.case(world.bank_a, path=["triage_complex"])
        with pytest.raises(ApplicationError) as err:
            evidence_upload(case=case, side="debtor", filename="a.png", content=PNG)
        assert err.value.status == 413


class TestMerkle:
    def test_a_seal_covers_everything_since_the_last_and_is_anchored_offline(self, world):
        write(5)
        root = merkle_seal()
        assert (root.first_seq, root.last_seq, root.count) == (1, 5, 5)
        assert root.anchor_backend == "offline" and root.anchor_receipt.startswith("offline:")
        assert list(Path(settings.MEDIA_ROOT, "ledger", "roots").glob("*.json"))
        write(2)
        second = merkle_seal()
        assert (second.first_seq, second.last_seq) == (6, 7)
        assert merkle_seal() is None

    @pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 13])
    def test_every_entry_has_a_proof_up_to_its_root(self, world, n):
        write(n)
        root = merkle_seal(anchor=False)
        for entry in LedgerEntry.objects.all():
            found, path = merkle_proof_for(entry)
            assert found == root
            assert chain.merkle_check(entry.entry_hash, path, root.root)
            assert not chain.merkle_check(entry.entry_hash, path, "0" * 64)

    def test_a_rewritten_chain_no_longer_matches_its_sealed_root(self, world):
        write(3)
        merkle_seal(anchor=False)
        MerkleRoot.objects.update(root="f" * 64)
        result = ledger_verify()
        assert not result.ok and "默克尔根" in result.reason

    def test_the_seal_command(self, world):
        write(2)
        out = StringIO()
        call_command("ledger", "seal", stdout=out)
        assert "默克尔根" in out.getvalue()


class TestPublicVerification:
    def test_the_exact_file_is_found_and_a_changed_one_is_not(self, client, world):
        case = world.case(world.bank_a, path=["triage_complex"])
        evidence_upload(case=case, side="debtor", filename="a.png", content=PNG)
        merkle_seal()
        from django.core.files.uploadedfile import SimpleUploadedFile

        same = client.post(reverse("evidence_verify"), {"file": SimpleUploadedFile("a.png", PNG)})
        assert "一致" in same.content.decode() and "已纳入" in same.content.decode()
        changed = client.post(reverse("evidence_verify"), {"file": SimpleUploadedFile("a.png", PNG + b"!")})
        assert "未找到" in changed.content.decode()

    def test_lookup_by_hash_and_the_api(self, client, world):
        write(1)
        digest = LedgerEntry.objects.get().content_hash
        assert ledger_lookup(digest)[0].intact
        assert ledger_lookup("not-a-hash") == []
        answer = client.post(
            "/api/v1/evidence/verify/hash", {"sha256": digest}, content_type="application/json"
        )
        assert answer.status_code == 200 and answer.json()["found"] is True

    def test_only_the_centre_walks_the_ledger_through_the_api(self, client, world):
        write(1)
        client.force_login(world.a_staff)
        assert client.get("/api/v1/evidence/ledger/verify").status_code == 404
        client.force_login(world.center_admin)
        assert client.get("/api/v1/evidence/ledger/verify").json()["ok"] is True

    def test_the_ledger_page_is_for_the_centre_only(self, client, world):
        client.force_login(world.b_staff)
        assert client.get(reverse("evidence_ledger")).status_code == 404
        client.force_login(world.center_staff)
        assert client.get(reverse("evidence_ledger") + "?verify=1").status_code == 200
