from django.conf import settings
from django.db import models

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_phone


class OutboundMessage(models.Model):
    """Every SMS the platform sends, whatever the gateway: the outbox, the delivery log and the proof."""

    class Status(models.TextChoices):
        QUEUED = "queued", "待发送"
        SENT = "sent", "已提交"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "发送失败"
        BLOCKED = "blocked", "已拦截"

    to = EncryptedTextField("接收号码")
    to_hash = models.CharField(max_length=64, db_index=True)
    text = models.TextField("内容")
    purpose = models.CharField("用途", max_length=30, db_index=True)
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发送机构",
    )
    subject = models.CharField("关联对象", max_length=60, blank=True, db_index=True, help_text="如 case:123")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    backend = models.CharField("通道", max_length=30)
    provider_id = models.CharField("通道流水号", max_length=80, blank=True)
    error = models.CharField("错误", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "短信"
        verbose_name_plural = "短信发件箱"

    def __str__(self) -> str:
        return f"{self.masked_to} {self.purpose}"

    @property
    def masked_to(self) -> str:
        return mask_phone(self.to)
