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


class SmsTemplate(models.Model):
    """A reminder text with variables ({name} {amount} {deadline} {hotline} {institution} {center}).

    Templates for third parties (a relative, a colleague) may ask the person to get in touch and
    nothing more: they are refused at save time if they carry an amount, a deadline or debt words
    (《个人消费类贷款催收工作指引（试行）》: never disclose the debt to a third party).
    """

    class Audience(models.TextChoices):
        DEBTOR = "debtor", "债务人本人"
        THIRD_PARTY = "third_party", "第三人（不得透露债务）"

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    body = models.TextField(
        "内容", help_text="可用变量：{name} {amount} {deadline} {hotline} {institution} {center}"
    )
    audience = models.CharField("对象", max_length=12, choices=Audience.choices, default=Audience.DEBTOR)
    purpose = models.CharField("用途", max_length=30, default="reminder")
    aliyun_template_code = models.CharField("阿里云模板代码", max_length=40, blank=True)
    tencent_template_id = models.CharField("腾讯云模板ID", max_length=40, blank=True)
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "短信模板"
        verbose_name_plural = "短信模板"

    def __str__(self) -> str:
        return self.name


class SmsOptOut(models.Model):
    """A number that asked for no more reminders (replied 退订/TD, or told the staff)."""

    number_hash = models.CharField(max_length=64, unique=True)
    masked = models.CharField("号码", max_length=20)
    source = models.CharField("来源", max_length=20, default="staff")  # staff | reply | public
    reason = models.CharField("说明", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "退订号码"
        verbose_name_plural = "退订号码"

    def __str__(self) -> str:
        return self.masked


class SmsBatch(models.Model):
    """A batch of templated reminders: counts of what went out and what the conduct rules stopped."""

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    template = models.ForeignKey(SmsTemplate, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField("数量", default=0)
    sent = models.PositiveIntegerField("已发送", default=0)
    blocked = models.PositiveIntegerField("已拦截", default=0)
    failed = models.PositiveIntegerField("失败", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "短信批次"
        verbose_name_plural = "短信批次"

    def __str__(self) -> str:
        return f"{self.template} × {self.total}"
