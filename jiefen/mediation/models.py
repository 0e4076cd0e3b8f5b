"""Mediators, the mediation file and room of a case, agreements with their repayment plans, and subsidies."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from .plan import PlanKind, TermClass

PCT = {"max_digits": 5, "decimal_places": 2}
MONEY = {"max_digits": 14, "decimal_places": 2}


class Qualification(models.TextChoices):
    LAW = "law", "法律"
    FINANCE = "finance", "金融"
    ACCOUNTING = "accounting", "会计审计"
    PSYCHOLOGY = "psychology", "心理咨询"


class MediatorProfile(models.Model):
    """An invited mediator (特邀调解员): what they know, where, how much they can take, and whom they
    must never mediate for (declared conflicts of interest)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mediator_profile",
        verbose_name="账号",
    )
    organisation = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="mediator_profiles",
        verbose_name="所属调解组织",
        limit_choices_to={"kind": "mediation_org"},
    )
    title = models.CharField("身份", max_length=60, blank=True, help_text="如 退休法官、执业律师、银行业专家")
    qualifications = models.JSONField("专业资质", default=list, blank=True)
    qualification_note = models.CharField("资质说明", max_length=200, blank=True)
    specialties = models.JSONField("擅长案件类型", default=list, blank=True, help_text="产品类型代码")
    region_code = models.CharField("常驻区域", max_length=6, blank=True)
    max_caseload = models.PositiveSmallIntegerField("同时在办上限", default=10)
    available = models.BooleanField("可接受委派", default=True)
    conflicts = models.ManyToManyField(
        "orgs.Institution",
        blank=True,
        related_name="+",
        verbose_name="利益冲突申报",
        help_text="申报有利益关系的机构：其案件不会推荐、也不能指定给本调解员",
    )
    conflicts_declared_at = models.DateTimeField("冲突申报时间", null=True, blank=True)
    invited_on = models.DateField("聘任日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "特邀调解员"
        verbose_name_plural = "特邀调解员"

    def __str__(self) -> str:
        return str(self.user)

    def qualification_labels(self) -> list[str]:
        return [Qualification(q).label for q in self.qualifications if q in Qualification.values]

    def specialty_labels(self) -> list[str]:
        from jiefen.cases.models import ProductType

        return [ProductType(p).label for p in self.specialties if p in ProductType.values]


class TrainingRecord(models.Model):
    profile = models.ForeignKey(MediatorProfile, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField("课程", max_length=100)
    provider = models.CharField("举办单位", max_length=100, blank=True)
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    completed_on = models.DateField("完成日期")
    kind = models.CharField(
        "类别",
        max_length=10,
        choices=[("induction", "岗前培训"), ("annual", "年度培训"), ("other", "其他")],
        default="annual",
    )

    class Meta:
        ordering = ["-completed_on"]
        verbose_name = "培训记录"
        verbose_name_plural = "培训记录"

    def __str__(self) -> str:
        return f"{self.course}（{self.hours} 学时）"


class Mediation(models.Model):
    """The mediation file and room of one case: who mediates, the clocks, the room link, the outcome."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="mediation")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    party_choice = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="当事人选择的调解员",
    )
    party_choice_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField("指定时间", null=True, blank=True)
    accept_due = models.DateField("接受委派期限", null=True, blank=True)
    accepted_at = models.DateTimeField("接受委派时间", null=True, blank=True)
    period_due = models.DateField("调解期限", null=True, blank=True)
    declined_by = models.JSONField("曾拒绝委派", default=list, blank=True)
    failure_reason = models.TextField("调解不成原因", blank=True)
    ended_at = models.DateTimeField("调解终结时间", null=True, blank=True)
    # Changing the nonce revokes every link sent before (a phone changed hands, a link leaked).
    link_nonce = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "调解卷宗"
        verbose_name_plural = "调解卷宗"

    def __str__(self) -> str:
        return f"调解 {self.case}"


class Message(models.Model):
    class Side(models.TextChoices):
        SYSTEM = "system", "系统"
        CENTER = "center", "调处中心"
        MEDIATOR = "mediator", "调解员"
        CREDITOR = "creditor", "债权机构"
        DEBTOR = "debtor", "债务人"

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=80)
    body = models.TextField()
    evidence = models.ForeignKey(
        "evidence.EvidenceFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["mediation", "id"], name="message_room_id")]
        verbose_name = "调解室消息"
        verbose_name_plural = "调解室消息"

    def __str__(self) -> str:
        return f"{self.author_label}: {self.body[:20]}"


class ReadMark(models.Model):
    """How far each participant has read: the read receipts."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="read_marks")
    reader = models.CharField(max_length=30, help_text="user:<id> 或 debtor")
    side = models.CharField(max_length=10, choices=Message.Side.choices)
    last_read_id = models.BigIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mediation", "reader"], name="readmark_unique")]

    def __str__(self) -> str:
        return f"{self.reader} → {self.last_read_id}"


class Session(models.Model):
    class Mode(models.TextChoices):
        ONLINE = "online", "线上视频"
        IN_PERSON = "in_person", "现场"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "已安排"
        HELD = "held", "已召开"
        CANCELLED = "cancelled", "已取消"

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    mode = models.CharField("方式", max_length=10, choices=Mode.choices)
    starts_at = models.DateTimeField("时间")
    location = models.CharField("地点", max_length=200, blank=True)
    video_url = models.URLField("视频会议链接", blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.SCHEDULED)
    minutes = models.TextField("会议记录", blank=True)
    minutes_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "调解会议"
        verbose_name_plural = "调解会议"

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    """Extending the mediation period needs both parties' consent; who consented and how is kept."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField("延长天数")
    reason = models.TextField("事由")
    creditor_consent = models.CharField("债权机构同意（人员与方式）", max_length=200)
    debtor_consent = models.CharField("债务人同意（方式）", max_length=200)
    old_due = models.DateField()
    new_due = models.DateField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        verbose_name = "调解期限延长"
        verbose_name_plural = "调解期限延长"

    def __str__(self) -> str:
        return f"+{self.days}日 → {self.new_due}"


class WaiverPolicy(models.Model):
    """A creditor's configurable repayment policy: how much penalty interest, compound interest and
    fees it waives for each kind of plan, plus reminder and grace days. The row without an institution
    is the centre's default. Example (宁德蕉城): pay at once → all waived; instalments → half."""

    institution = models.OneToOneField(
        "orgs.Institution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waiver_policy",
        verbose_name="债权机构（留空为中心默认）",
    )
    lump_penalty_pct = models.DecimalField("一次性还款：罚息减免%", default=Decimal(100), **PCT)
    lump_compound_pct = models.DecimalField("一次性还款：复利减免%", default=Decimal(100), **PCT)
    lump_fees_pct = models.DecimalField("一次性还款：费用减免%", default=Decimal(0), **PCT)
    inst_penalty_pct = models.DecimalField("分期/展期：罚息减免%", default=Decimal(50), **PCT)
    inst_compound_pct = models.DecimalField("分期/展期：复利减免%", default=Decimal(50), **PCT)
    inst_fees_pct = models.DecimalField("分期/展期：费用减免%", default=Decimal(0), **PCT)
    grace_days = models.PositiveSmallIntegerField(
        "逾期宽限天数", null=True, blank=True, help_text="留空按中心规则 performance.grace"
    )
    note = models.CharField("政策依据", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "减免政策"
        verbose_name_plural = "减免政策"

    def __str__(self) -> str:
        return str(self.institution) if self.institution_id else "中心默认"


class ClauseTemplate(models.Model):
    """The centre's wording of the agreement's standard clauses, editable in the admin.

    Placeholders in braces are filled from the agreement: {creditor} {debtor} {total} {count}
    {last_due} {update_days} {card_promise} {number}.
    """

    class Key(models.TextChoices):
        PREAMBLE = "preamble", "首部说明"
        CREDIT_REPORT = "credit_report", "征信报送条款"
        PERFORMANCE = "performance", "履行与提前还款"
        DEFAULT = "default", "违约责任"
        CONFIRMATION = "confirmation", "司法确认"
        CLOSING = "closing", "尾部说明"

    key = models.CharField("条款", max_length=20, choices=Key.choices, unique=True)
    text = models.TextField("文字")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "协议条款模板"
        verbose_name_plural = "协议条款模板"

    def __str__(self) -> str:
        return self.get_key_display()


class Agreement(models.Model):
    class State(models.TextChoices):
        SIGNING = "signing", "待签署"
        EFFECTIVE = "effective", "已生效"
        COMPLETED = "completed", "已履行完毕"
        DEFAULTED = "defaulted", "已违约"
        VOID = "void", "已作废"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField("协议编号", max_length=30, unique=True)
    kind = models.CharField("还款方式", max_length=12, choices=PlanKind.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.SIGNING)
    principal = models.DecimalField("本金", **MONEY)
    interest = models.DecimalField("利息", **MONEY)
    penalty_interest = models.DecimalField("罚息", **MONEY)
    compound_interest = models.DecimalField("复利", **MONEY)
    fees = models.DecimalField("费用及违约金", **MONEY)
    waived_penalty = models.DecimalField("减免罚息", **MONEY)
    waived_compound = models.DecimalField("减免复利", **MONEY)
    waived_fees = models.DecimalField("减免费用", **MONEY)
    total = models.DecimalField("协议还款总额", **MONEY)
    down_payment = models.DecimalField("首付", default=Decimal("0.00"), **MONEY)
    original_term_months = models.PositiveSmallIntegerField("原贷款期限（月）", null=True, blank=True)
    term_class = models.CharField("贷款期限类别", max_length=10, choices=TermClass.choices, blank=True)
    limit_text = models.CharField("法定期限依据", max_length=200)
    limit_date = models.DateField("法定最长期限")
    grace_days = models.PositiveSmallIntegerField("逾期宽限天数")
    joint_confirmation = models.BooleanField("双方同意共同申请司法确认", default=True)
    credit_clause = models.TextField("征信报送条款")
    # The standard clauses as worded when the agreement was drawn up: a later edit of the centre's
    # templates never changes an agreement already issued.
    clauses = models.JSONField("条款文本", default=dict, blank=True)
    extra_terms = models.TextField("其他约定", blank=True)
    document = models.ForeignKey(
        "documents.StoredDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document_hash = models.CharField("签署文本 SHA-256", max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    effective_at = models.DateTimeField("生效时间", null=True, blank=True)
    default_detected_at = models.DateTimeField("发现违约", null=True, blank=True)
    defaulted_at = models.DateTimeField("认定违约", null=True, blank=True)
    completed_at = models.DateTimeField("履行完毕", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "调解协议"
        verbose_name_plural = "调解协议"

    def __str__(self) -> str:
        return self.number

    @property
    def claim_total(self) -> Decimal:
        return self.principal + self.interest + self.penalty_interest + self.compound_interest + self.fees

    @property
    def saving(self) -> Decimal:
        return self.waived_penalty + self.waived_compound + self.waived_fees

    @property
    def paid_total(self) -> Decimal:
        return sum((i.paid for i in self.instalments.all()), Decimal("0.00"))

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid_total


class Instalment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    seq = models.PositiveSmallIntegerField("期次")
    due_on = models.DateField("还款日")
    amount = models.DecimalField("应还", **MONEY)
    paid = models.DecimalField("已还", default=Decimal("0.00"), **MONEY)
    paid_on = models.DateField("还清日期", null=True, blank=True)
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)

    class Meta:
        ordering = ["agreement", "seq"]
        constraints = [models.UniqueConstraint(fields=["agreement", "seq"], name="instalment_seq_unique")]
        indexes = [models.Index(fields=["due_on"], name="instalment_due")]
        verbose_name = "分期"
        verbose_name_plural = "分期"

    def __str__(self) -> str:
        return f"第{self.seq}期 {self.due_on}"

    @property
    def settled(self) -> bool:
        return self.paid >= self.amount

    @property
    def remaining(self) -> Decimal:
        return max(self.amount - self.paid, Decimal("0.00"))


class Payment(models.Model):
    class Source(models.TextChoices):
        STAFF = "staff", "工作人员登记"
        API = "api", "机构接口"
        IMPORT = "import", "批量导入"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField("金额", **MONEY)
    paid_on = models.DateField("还款日期")
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    reference = models.CharField("流水号", max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            # An import or API call sent twice must not count the money twice.
            models.UniqueConstraint(
                fields=["agreement", "reference"],
                condition=~models.Q(reference=""),
                name="payment_ref_unique",
            )
        ]
        verbose_name = "还款记录"
        verbose_name_plural = "还款记录"

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"


class Signature(models.Model):
    """A simple electronic signature: the party proved their phone with a one-time code and confirmed
    the document with this hash, at this time, from this address. Its record is in the ledger."""

    class Side(models.TextChoices):
        DEBTOR = "debtor", "债务人"
        CREDITOR = "creditor", "债权机构"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(max_length=10, choices=Side.choices)
    signer_label = models.CharField("签署人", max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phone_hash = models.CharField(max_length=64)
    phone_masked = models.CharField(max_length=20)
    code_hash = models.CharField("验证码哈希", max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    document_hash = models.CharField("所确认文本 SHA-256", max_length=64)
    signed_at = models.DateTimeField()
    ledger_entry = models.ForeignKey("evidence.LedgerEntry", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "side"], name="signature_side_unique")]
        verbose_name = "电子签署"
        verbose_name_plural = "电子签署"

    def __str__(self) -> str:
        return f"{self.agreement} {self.get_side_display()}"


class SubsidyRule(models.Model):
    """Mediator compensation (误工、交通补贴), from a date on: per case handled, per success, per session."""

    effective_from = models.DateField("起始日期", unique=True)
    per_case = models.DecimalField("每件办结案件", **MONEY)
    per_success = models.DecimalField("每件调解成功另加", **MONEY)
    per_session = models.DecimalField("每次调解会议", default=Decimal("0.00"), **MONEY)
    note = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = "调解补贴标准"
        verbose_name_plural = "调解补贴标准"

    def __str__(self) -> str:
        return f"{self.effective_from} 起"
