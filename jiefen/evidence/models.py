"""The evidence ledger (区块链存证): an append-only chain of hashes, and the files it proves.

Each LedgerEntry holds the hash of the entry before it, so changing, removing or reordering any stored
entry breaks every link after it; an entry that proves a file also names the file, so changing the
file is found too. Daily Merkle roots summarise the chain in one hash that can be anchored outside.
"""

from django.conf import settings
from django.db import models

GENESIS = "0" * 64


class LedgerHead(models.Model):
    """The chain's tip, one row. Appending locks it, so two writers can never fork the chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = "账本链头"
        verbose_name_plural = "账本链头"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class LedgerEntry(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    kind = models.CharField("类型", max_length=40, db_index=True)
    subject = models.CharField("对象", max_length=60, db_index=True, help_text="如 case:12、agreement:3")
    content_hash = models.CharField("内容哈希（SHA-256）", max_length=64, db_index=True)
    file_path = models.CharField(
        "存证文件", max_length=300, blank=True, help_text="相对于文件存储目录；校验时重新计算其哈希"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=80)
    data = models.JSONField("附加信息", default=dict, blank=True)
    at = models.DateTimeField("时间")
    entry_hash = models.CharField("本条哈希", max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = "存证记录"
        verbose_name_plural = "存证账本"

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"


class MerkleRoot(models.Model):
    """The Merkle root of the entries sealed in one daily run, and where it was anchored."""

    day = models.DateField("封存日")
    first_seq = models.BigIntegerField("起始序号")
    last_seq = models.BigIntegerField("截止序号", unique=True)
    count = models.PositiveIntegerField("条数")
    root = models.CharField("默克尔根", max_length=64)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    anchor_backend = models.CharField("锚定方式", max_length=40, blank=True)
    anchor_receipt = models.CharField("锚定凭证", max_length=200, blank=True)
    anchored_at = models.DateTimeField("锚定时间", null=True, blank=True)

    class Meta:
        ordering = ["-last_seq"]
        verbose_name = "每日默克尔根"
        verbose_name_plural = "每日默克尔根"

    def __str__(self) -> str:
        return f"{self.day} #{self.first_seq}-{self.last_seq}"


class EvidenceFile(models.Model):
    """A file a party or the mediator put into a case (room upload), kept outside the web root."""

    class Side(models.TextChoices):
        CENTER = "center", "调处中心"
        MEDIATOR = "mediator", "调解员"
        CREDITOR = "creditor", "债权机构"
        DEBTOR = "debtor", "债务人"
        COURT = "court", "法院"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence_files")
    document = models.ForeignKey("documents.StoredDocument", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField("文件名", max_length=200)
    description = models.CharField("说明", max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    side = models.CharField("提交方", max_length=10, choices=Side.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_label = models.CharField("提交人", max_length=80)
    scan_result = models.CharField("病毒扫描", max_length=60, blank=True)
    ledger_entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("上传时间")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "证据文件"
        verbose_name_plural = "证据文件"

    def __str__(self) -> str:
        return self.filename
