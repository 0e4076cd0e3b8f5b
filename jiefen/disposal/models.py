from decimal import Decimal

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded bank file, from preview to the imported cases, with progress the UI polls."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "已上传"
        VALIDATING = "validating", "校验中"
        VALIDATED = "validated", "待确认"
        QUEUED = "queued", "排队中"
        IMPORTING = "importing", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    class Mode(models.TextChoices):
        PARTIAL = "partial", "导入有效行，跳过错误行"
        ALL_OR_NOTHING = "all", "全部正确才导入"

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name="债权机构"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField("文件名", max_length=200)
    path = models.CharField(max_length=300, help_text="上传文件的存放位置（网站目录之外）")
    size = models.BigIntegerField("大小", default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    fmt = models.CharField("格式", max_length=8)
    source = models.CharField("来源", max_length=10, default="web")  # web | api | command
    mode = models.CharField("导入方式", max_length=10, choices=Mode.choices, default=Mode.PARTIAL)
    default_product = models.CharField("默认产品类型", max_length=20, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.UPLOADED)
    phase = models.CharField(max_length=10, blank=True)  # validate | import: what progress counts
    message = models.CharField("说明", max_length=500, blank=True)
    mapping = models.JSONField("列对应", default=dict, blank=True)
    # Counts. `position` is the last file row of the last committed chunk: a restarted job resumes there.
    total_rows = models.PositiveIntegerField("文件行数（估算）", default=0)
    position = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField("数据行", default=0)
    valid = models.PositiveIntegerField("有效行", default=0)
    rejected = models.PositiveIntegerField("错误行", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("无变化", default=0)
    simple = models.PositiveIntegerField("简易", default=0)
    complex = models.PositiveIntegerField("复杂", default=0)
    lost_contact = models.PositiveIntegerField("失联", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["institution", "-id"], name="importjob_inst")]
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status in {self.Status.DONE, self.Status.VALIDATED}:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.position * 100 / self.total_rows))

    @property
    def running(self) -> bool:
        return self.status in {self.Status.VALIDATING, self.Status.QUEUED, self.Status.IMPORTING}


class ImportRowError(models.Model):
    """A rejected row: where it is in the file, which column, the value and why, in Chinese."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField("行号")
    column = models.CharField("列", max_length=100, blank=True)
    value = models.CharField("值", max_length=200, blank=True)
    reason = models.CharField("原因", max_length=300)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="importerror_job_row")]
        verbose_name = "导入错误"
        verbose_name_plural = "导入错误"

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.reason}"


class ColumnMapping(models.Model):
    """An institution's own names for columns that the built-in synonyms do not know."""

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.CASCADE, related_name="+", verbose_name="机构"
    )
    header = models.CharField("表头（规范化后）", max_length=100)
    field = models.CharField("对应字段", max_length=30, blank=True, help_text="留空表示忽略该列")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "header"], name="columnmapping_unique")]
        verbose_name = "导入列对应"
        verbose_name_plural = "导入列对应"

    def __str__(self) -> str:
        return f"{self.header} → {self.field or '忽略'}"


class TriageRule(models.Model):
    """A rule of 智能初筛 the centre configures. Rules that match send the case to mediation
    (complex); a case no rule matches is simple and goes to its institution's disposal queue."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", "金额达到阈值"
        ENTERPRISE = "enterprise", "企业债务人"
        LITIGATION = "litigation", "涉诉涉访"
        NEGOTIATION = "negotiation", "前期协商未果"
        MULTI_CREDITOR = "multi_creditor", "一人多家债权机构"

    kind = models.CharField("规则类型", max_length=20, choices=Kind.choices)
    product_type = models.CharField("适用产品", max_length=20, blank=True, help_text="留空表示全部产品")
    threshold = models.DecimalField(
        "金额阈值（元）",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        help_text="诉求金额≥此值时适用",
    )
    min_creditors = models.PositiveSmallIntegerField("其他债权机构数≥", default=1)
    order = models.PositiveSmallIntegerField("顺序", default=10)
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "初筛规则"
        verbose_name_plural = "初筛规则"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product_type or '全部'}"


class TriageLog(models.Model):
    """Rule edits and re-runs of triage: who, when, what, and how many cases moved."""

    action = models.CharField("动作", max_length=20)  # rule_create | rule_update | rule_delete | rerun
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "初筛规则变更记录"
        verbose_name_plural = "初筛规则变更记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class ContactAttempt(models.Model):
    """One reminder SMS or call to a number about a case — or one refused by the conduct rules."""

    class Channel(models.TextChoices):
        SMS = "sms", "短信"
        CALL = "call", "电话"

    class Outcome(models.TextChoices):
        SENT = "sent", "已发送"
        REACHED = "reached", "已接通"
        PROMISED = "promised", "承诺还款"
        REFUSED = "refused", "拒绝还款"
        WRONG_NUMBER = "wrong_number", "号码错误"
        NO_ANSWER = "no_answer", "无人接听"
        THIRD_PARTY = "third_party", "第三人接听"
        BLOCKED = "blocked", "已拦截"
        FAILED = "failed", "发送失败"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="contact_attempts")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    phone = models.ForeignKey(
        "parties.PartyPhone", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    number_hash = models.CharField(max_length=64, blank=True)
    channel = models.CharField("方式", max_length=4, choices=Channel.choices)
    outcome = models.CharField("结果", max_length=14, choices=Outcome.choices)
    note = models.CharField("备注", max_length=500, blank=True)
    next_contact_on = models.DateField("下次联系日期", null=True, blank=True)
    promised_amount = models.DecimalField("承诺金额", max_digits=14, decimal_places=2, null=True, blank=True)
    promised_on = models.DateField("承诺还款日", null=True, blank=True)
    message = models.ForeignKey(
        "outreach.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    batch = models.ForeignKey(
        "outreach.SmsBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts"
    )
    blocked_reason = models.CharField("拦截原因", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["case", "-at"], name="contact_case_at"),
            models.Index(fields=["institution", "number_hash", "at"], name="contact_number_day"),
        ]
        verbose_name = "联系记录"
        verbose_name_plural = "联系记录"

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_channel_display()} {self.get_outcome_display()}"


class PhoneRelation(models.Model):
    """Who answers a number that is not the debtor's own (a relative, a colleague): a third party,
    who may be asked only to pass on a message and must never learn of the debt."""

    class Relation(models.TextChoices):
        SELF = "self", "本人"
        FAMILY = "family", "亲属"
        COLLEAGUE = "colleague", "同事"
        OTHER = "other", "其他联系人"

    phone = models.OneToOneField("parties.PartyPhone", on_delete=models.CASCADE, related_name="relation")
    relation = models.CharField("关系", max_length=10, choices=Relation.choices, default=Relation.SELF)
    contact_name = models.CharField("联系人", max_length=50, blank=True)

    class Meta:
        verbose_name = "号码关系"
        verbose_name_plural = "号码关系"

    def __str__(self) -> str:
        return self.get_relation_display()

    @property
    def third_party(self) -> bool:
        return self.relation != self.Relation.SELF


class RecoveryBatch(models.Model):
    """失联修复: lost-contact cases sent to a provider, whose answer adds numbers to the debtors."""

    class Status(models.TextChoices):
        CREATED = "created", "已创建"
        SENT = "sent", "已导出，待回盘"
        DONE = "done", "已回盘"

    number = models.CharField("批次号", max_length=30, unique=True)
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    backend = models.CharField("修复渠道", max_length=30, default="file")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CREATED)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    found = models.PositiveIntegerField("修复成功", default=0)
    not_found = models.PositiveIntegerField("未修复", default=0)
    numbers_added = models.PositiveIntegerField("新增号码", default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = "失联修复批次"
        verbose_name_plural = "失联修复批次"

    def __str__(self) -> str:
        return self.number


class RecoveryItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待回盘"
        FOUND = "found", "已修复"
        NOT_FOUND = "not_found", "未修复"

    batch = models.ForeignKey(RecoveryBatch, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField("序号")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    numbers_added = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["batch", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="recoveryitem_seq"),
            models.UniqueConstraint(fields=["batch", "case"], name="recoveryitem_case"),
        ]
        verbose_name = "失联修复明细"
        verbose_name_plural = "失联修复明细"

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.seq}"
