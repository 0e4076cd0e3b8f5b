"""The direct line to the branch executive (行长直通车): a QR code per branch opens a complaint form; the
complaint is a work order with the statutory clock, a timeline, extensions, callbacks and a rating."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_name, mask_phone


class Category(models.TextChoices):
    SERVICE = "service", "服务态度与质量"
    BUSINESS = "business", "业务办理（开户、变更、挂失等）"
    CARD = "card", "信用卡"
    LOAN = "loan", "贷款与还款"
    CREDIT_REPORT = "credit_report", "征信记录"
    FEES = "fees", "收费与利率"
    COLLECTION = "collection", "催收行为"
    WEALTH = "wealth", "理财、保险与基金代销"
    PAYMENT = "payment", "支付与电子银行"
    OTHER = "other", "其他"


class Status(models.TextChoices):
    RECEIVED = "received", "待处理"
    PROCESSING = "processing", "处理中"
    REPLIED = "replied", "已答复待确认"
    UNRESOLVED = "unresolved", "投诉人表示未解决"
    CLOSED = "closed", "已办结"
    CONVERTED = "converted", "已转调解"
    WITHDRAWN = "withdrawn", "已撤回"


# The institution still owes a decision while the complaint sits in one of these.
AWAITING_DECISION = frozenset({Status.RECEIVED, Status.PROCESSING})
# The work order is finished (a closed complaint may still be reopened within the window).
FINISHED = frozenset({Status.CLOSED, Status.CONVERTED, Status.WITHDRAWN})


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "投诉人确认已解决"
    NO_RESPONSE = "no_response", "投诉人逾期未评价，视为办结"
    CONVERTED = "converted", "转为调解案件"
    WITHDRAWN = "withdrawn", "投诉人撤回"


class ComplaintChannel(models.Model):
    """Where a QR code points: one per branch, and one per institution (the person then picks a branch).

    The token is random so that codes cannot be enumerated and a branch's id is never printed.
    """

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name="机构"
    )
    branch = models.ForeignKey(
        "orgs.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="网点"
    )
    token = models.CharField("二维码令牌", max_length=40, unique=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "投诉二维码"
        verbose_name_plural = "投诉二维码"
        constraints = [
            models.UniqueConstraint(
                fields=["branch"], condition=Q(branch__isnull=False), name="complaint_channel_branch"
            ),
            models.UniqueConstraint(
                fields=["institution"], condition=Q(branch__isnull=True), name="complaint_channel_inst"
            ),
        ]

    def __str__(self) -> str:
        return str(self.branch or self.institution)


class Complaint(models.Model):
    number = models.CharField("投诉编号", max_length=20, unique=True)
    channel = models.ForeignKey(
        ComplaintChannel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="complaints", verbose_name="被投诉机构"
    )
    branch = models.ForeignKey(
        "orgs.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="网点"
    )
    category = models.CharField("投诉类别", max_length=20, choices=Category.choices)
    description = models.TextField("事情经过")
    request = models.TextField("诉求")
    name = models.CharField("投诉人姓名", max_length=50, blank=True)
    phone = EncryptedTextField("手机号")
    phone_hash = models.CharField(max_length=64, db_index=True)
    # PIPL Arts 14, 29: consent to processing, and a separate consent for sensitive data (金融账户).
    consent_personal_at = models.DateTimeField("同意处理个人信息时间")
    consent_sensitive_at = models.DateTimeField("单独同意处理敏感个人信息时间", null=True, blank=True)
    consent_version = models.CharField("告知同意书版本", max_length=20)
    # For the handler's eyes only: the text reads like a paid agent's complaint (代理维权).
    scam_flagged = models.BooleanField("疑似代理维权", default=False)
    scam_reasons = models.JSONField("识别依据", default=list, blank=True)
    scam_score = models.FloatField(default=0)

    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.RECEIVED)
    version = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField("受理时间")
    # The clock runs from receipt, or from the day the complainant reopened the complaint.
    clock_started_at = models.DateTimeField("期限起算时间")
    status_changed_at = models.DateTimeField("进入本状态时间")
    # The decision period in days counted from receipt: 15, extended to 30, at most 60 (see rules).
    period_days = models.PositiveSmallIntegerField("处理期限（日）")
    due_at = models.DateField("答复期限")
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    reply_text = models.TextField("答复内容", blank=True)
    on_time = models.BooleanField("按期答复", null=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    outcome = models.CharField("办结方式", max_length=20, choices=Outcome.choices, blank=True)
    resolved = models.BooleanField("投诉人确认已解决", null=True)
    rating = models.PositiveSmallIntegerField("满意度（1-5）", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重新处理次数", default=0)
    # 0: branch; 1: escalated to the institution's head office; 2: escalated to the centre.
    escalation_level = models.PositiveSmallIntegerField("督办级别", default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    mediation_requested = models.BooleanField("投诉人申请调解", default=False)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="调解案件",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "投诉工单"
        verbose_name_plural = "投诉工单"
        indexes = [
            models.Index(fields=["institution", "status", "-id"], name="complaint_inst_status"),
            models.Index(fields=["branch", "status"], name="complaint_branch_status"),
            models.Index(fields=["status", "due_at"], name="complaint_status_due"),
            models.Index(fields=["received_at"], name="complaint_received"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name) or "（未留姓名）"

    @property
    def extended_days(self) -> int:
        from jiefen.common.rules import amount

        return max(0, self.period_days - amount("complaint.decide"))

    @property
    def awaiting_decision(self) -> bool:
        return self.status in AWAITING_DECISION


class ComplaintEvent(models.Model):
    """The timeline: every change with who, when, from, to and why (the complainant acts as 投诉人)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=30)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=60)
    reason = models.TextField("事由", blank=True)
    due_on = models.DateField("期限", null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaintevent_at")]
        verbose_name = "投诉流转记录"
        verbose_name_plural = "投诉流转记录"

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class ComplaintExtension(models.Model):
    """A request to extend the decision period, and who approved or refused it (four eyes)."""

    class State(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extensions")
    from_days = models.PositiveSmallIntegerField("原期限（日）")
    to_days = models.PositiveSmallIntegerField("延长至（日）")
    special = models.BooleanField("特别复杂（需上级审批）", default=False)
    reason = models.TextField("延长理由")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    state = models.CharField("审批状态", max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_days}→{self.to_days}"


class ComplaintCallback(models.Model):
    """The handler phoned the complainant (回访): when, whether they got through, what was said."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="callbacks")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("回访时间")
    reached = models.BooleanField("已接通", default=True)
    minutes = models.PositiveSmallIntegerField("通话时长（分钟）", null=True, blank=True)
    note = models.TextField("回访记录")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "电话回访"
        verbose_name_plural = "电话回访"

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.at:%Y-%m-%d}"


class ComplaintAttachment(models.Model):
    """A file the complainant attached, kept under MEDIA_ROOT (outside the web root)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "投诉附件"
        verbose_name_plural = "投诉附件"

    def __str__(self) -> str:
        return self.filename


class ComplaintReminder(models.Model):
    """A reminder or escalation already made for one due date: what makes the sweep idempotent."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "即将到期提醒"
        HEAD_OFFICE = "head_office", "超期升级至总行（总部）"
        CENTER = "center", "超期升级至调处中心"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    due_on = models.DateField("针对的期限")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "提醒与督办"
        verbose_name_plural = "提醒与督办"
        constraints = [
            models.UniqueConstraint(fields=["complaint", "kind", "due_on"], name="complaint_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.due_on}"
