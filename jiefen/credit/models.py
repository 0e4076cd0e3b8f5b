"""The credit rescue station (金融信用助航站): applications from the public, credit-report disputes on
the 20-day clock, personal statements, the relief-measure catalog and per-person plans, agreements,
credit-reporting updates after each payment, and first-overdue counseling.

Every lifecycle is a status field plus `Event` rows (who, when, from, to, why); services.py is the
only writer.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_id, mask_phone

ZERO = Decimal("0")


class ProductLine(models.TextChoices):
    CREDIT_CARD = "credit_card", "信用卡"
    PERSONAL_LOAN = "personal_loan", "个人贷款"
    ENTERPRISE_LOAN = "enterprise_loan", "企业贷款"


class ItemKind(models.TextChoices):
    """The five kinds of information in a credit report (the items a dispute or statement is about)."""

    BASIC = "basic_info", "个人/企业基本信息"
    CREDIT = "credit_transaction", "信贷交易信息"
    NON_CREDIT = "non_credit_transaction", "非信贷交易信息"
    PUBLIC = "public_info", "公共信息"
    QUERY = "query_record", "查询记录"


class HardshipReason(models.TextChoices):
    ILLNESS = "illness", "重大疾病或意外伤害"
    INCOME_LOSS = "income_loss", "失业或收入大幅下降"
    BUSINESS = "business_downturn", "生产经营困难"
    DISASTER = "disaster", "自然灾害等突发事件"
    FAMILY = "family", "家庭重大变故"
    FORCE_MAJEURE = "force_majeure", "疫情等不可抗力"
    OTHER = "other", "其他原因"


class EnterpriseSize(models.TextChoices):
    MICRO = "micro", "微型企业"
    SMALL = "small", "小型企业"
    MEDIUM = "medium", "中型企业"
    LARGE = "large", "大型企业"


class Application(models.Model):
    """One request from a person or an enterprise to the station, followed by its number and phone."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", "征信异议"
        STATEMENT = "statement", "个人声明"
        RESCUE = "rescue", "信用救助（还款困难）"
        CONSULTATION = "consultation", "征信咨询"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交"
        IN_PROGRESS = "in_progress", "办理中"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已办结"
        CONVERTED = "converted", "已转办"
        WITHDRAWN = "withdrawn", "已撤回"

    number = models.CharField("申请编号", max_length=20, unique=True)
    kind = models.CharField("申请类型", max_length=16, choices=Kind.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    party = models.ForeignKey(
        "parties.Party", on_delete=models.PROTECT, related_name="credit_applications", verbose_name="申请人"
    )
    phone = EncryptedTextField("手机号")
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    summary = models.TextField("申请内容", blank=True)
    answer = models.TextField("答复", blank=True)
    # The assistant's detector at intake: a paid agent (代理维权, "征信修复") may be behind the application.
    # Staff see it; the applicant never does.
    scam_flagged = models.BooleanField("疑似中介代理", default=False)
    scam_reasons = models.JSONField("识别依据", default=list, blank=True)
    # PIPL Art 13/14 (processing) and Art 29 (separate consent for sensitive data: ID, accounts,
    # credit report); the time and address of each are the proof.
    consent_at = models.DateTimeField("同意处理个人信息时间")
    sensitive_consent_at = models.DateTimeField("单独同意处理敏感个人信息时间", null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    consent_version = models.CharField("告知同意书版本", max_length=20)
    notice_issued_at = models.DateTimeField("告知单出具时间", null=True, blank=True)
    converted_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="converted_into",
        verbose_name="由此申请转来",
    )
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="+", verbose_name="调解案件")
    created_at = models.DateTimeField("提交时间")
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "status", "-id"], name="credit_app_kind_status")]
        verbose_name = "信用救助申请"
        verbose_name_plural = "信用救助申请"

    def __str__(self) -> str:
        return self.number

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_enterprise(self) -> bool:
        return self.party.kind == "enterprise"


class Event(models.Model):
    """The station's timeline: every change to an application, dispute, statement, plan, agreement,
    reporting task or counseling task. `public` rows are shown to the applicant."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    subject = models.CharField("对象", max_length=40, db_index=True, help_text="如 dispute:12")
    action = models.CharField("动作", max_length=40)
    from_status = models.CharField("原状态", max_length=24, blank=True)
    to_status = models.CharField("新状态", max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=60, blank=True)
    note = models.TextField("说明", blank=True)
    public = models.BooleanField("申请人可见", default=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"

    def __str__(self) -> str:
        return f"{self.subject} {self.action}"


class CreditDispute(models.Model):
    """A credit-report dispute handled by the data provider (征信业管理条例 Art 25: annotate, check, answer
    in writing within 20 days of receipt)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "核查中"
        ANSWERED = "answered", "已书面答复"
        PBC_COMPLAINT = "pbc_complaint", "已投诉至人民银行"
        CLOSED = "closed", "已办结"
        CONVERTED = "converted", "已转信用救助/调解"
        WITHDRAWN = "withdrawn", "已撤回"

    class Outcome(models.TextChoices):
        CORRECTED = "corrected", "信息有误，已更正"
        NO_ERROR = "no_error", "信息无误，已删除异议标注"
        UNCONFIRMED = "unconfirmed", "无法核实，已记录核查情况和异议内容"
        MIXED = "mixed", "部分更正"

    class Annotation(models.TextChoices):
        MARKED = "marked", "已标注"
        REMOVED = "removed", "已删除"
        RECORDED = "recorded", "已记录核查情况"

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="dispute")
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="credit_disputes",
        verbose_name="数据报送机构",
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField("收到时间")
    due_on = models.DateField("答复期限")
    escalate_on = models.DateField("预警日")
    annotation = models.CharField(
        "异议标注", max_length=10, choices=Annotation.choices, default=Annotation.MARKED
    )
    annotation_changed_at = models.DateTimeField("标注变更时间")
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="异议联络专员",
    )
    outcome = models.CharField("处理结果", max_length=12, choices=Outcome.choices, blank=True)
    reply_text = models.TextField("书面答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    satisfied = models.BooleanField("申请人是否满意", null=True, blank=True)
    responded_at = models.DateTimeField("申请人反馈时间", null=True, blank=True)
    pbc_complaint_at = models.DateTimeField("投诉受理时间", null=True, blank=True)
    pbc_complaint_due = models.DateField("投诉答复期限", null=True, blank=True)
    pbc_reply = models.TextField("人民银行答复", blank=True)
    pbc_replied_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["institution", "status", "due_on"], name="credit_dispute_inst"),
            models.Index(fields=["status", "escalate_on"], name="credit_dispute_escalate"),
        ]
        verbose_name = "征信异议"
        verbose_name_plural = "征信异议"

    def __str__(self) -> str:
        return f"{self.application.number}"

    @property
    def answered_on_time(self) -> bool | None:
        if self.answered_at is None:
            return None
        from jiefen.common import clock

        return clock.local_date(self.answered_at) <= self.due_on


class DisputeItem(models.Model):
    dispute = models.ForeignKey(CreditDispute, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField("信息类别", max_length=24, choices=ItemKind.choices)
    account_ref = models.CharField("账户/记录标识", max_length=60, blank=True)
    description = models.TextField("异议内容")
    expected = models.TextField("申请人认为正确的信息", blank=True)
    outcome = models.CharField("核查结果", max_length=12, choices=CreditDispute.Outcome.choices, blank=True)
    outcome_note = models.TextField("核查说明", blank=True)

    class Meta:
        ordering = ["dispute", "position"]
        verbose_name = "异议事项"
        verbose_name_plural = "异议事项"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.account_ref}"


class Attachment(models.Model):
    """A file the applicant sent (kept in the database, served only after an access check)."""

    item = models.ForeignKey(DisputeItem, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField("文件名", max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.filename


class CreditFile(models.Model):
    """A document the station generated (reply letter, agreement): the exact bytes sent, with their hash."""

    class Kind(models.TextChoices):
        REPLY_LETTER = "reply_letter", "异议书面答复函"
        AGREEMENT = "agreement", "还款协议"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=40, db_index=True)
    filename = models.CharField(max_length=120)
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "生成文书"
        verbose_name_plural = "生成文书"

    def __str__(self) -> str:
        return self.filename


class Escalation(models.Model):
    """A clock that ran short or out, raised to the PBOC credit officer. One row per subject and level,
    so running the escalation job again never raises the same thing twice."""

    class Level(models.TextChoices):
        WARNING = "warning", "临期预警"
        OVERDUE = "overdue", "已超期"

    subject = models.CharField("对象", max_length=40)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, null=True, blank=True)
    title = models.CharField("事项", max_length=120)
    due_on = models.DateField("期限")
    at = models.DateTimeField("升级时间")
    resolved_at = models.DateTimeField("处理完毕时间", null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "level"], name="credit_escalation_once"),
        ]
        verbose_name = "督办升级"
        verbose_name_plural = "督办升级"

    def __str__(self) -> str:
        return f"{self.subject} {self.level}"


class PersonalStatement(models.Model):
    """A person's short note on an item of their report (征信业管理条例 Art 16 ¶2). The current official
    procedure is unverified (domain-rules §1.2 [U]): review, length and withdrawal are configurable."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        ACCEPTED = "accepted", "已采纳"
        REJECTED = "rejected", "未采纳"
        CHANGE_REQUESTED = "change_requested", "请修改后重新提交"
        WITHDRAWN = "withdrawn", "已撤回"
        REPLACED = "replaced", "已被新声明替换"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="statements")
    dispute = models.ForeignKey(
        CreditDispute, on_delete=models.SET_NULL, null=True, blank=True, related_name="statements"
    )
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="数据报送机构",
    )
    item_kind = models.CharField("信息类别", max_length=24, choices=ItemKind.choices)
    account_ref = models.CharField("账户/记录标识", max_length=60, blank=True)
    text = models.TextField("声明内容")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    revision = models.PositiveSmallIntegerField("版本", default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    submitted_at = models.DateTimeField("提交时间")
    review_due = models.DateField("审核期限")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_reason = models.TextField("审核意见", blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = "个人声明"
        verbose_name_plural = "个人声明"

    def __str__(self) -> str:
        return f"{self.application.number} 声明{self.revision}"


class ReliefMeasure(models.Model):
    """One relief measure an institution offers for one product line, as data the centre can compute
    with: parameters and eligibility are columns, never free text."""

    class Kind(models.TextChoices):
        INSTALMENTS = "instalments", "个性化分期"
        WAIVER = "waiver", "部分息费减免"
        EXTENSION = "extension", "展期"
        GUARANTEE = "guarantee_change", "变更担保条件"
        GRACE = "grace", "宽限本息偿还计划"
        RESTRUCTURING = "restructuring", "债务重组"
        RATE = "rate_adjustment", "调整授信利率"

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="relief_measures", verbose_name="机构"
    )
    product_line = models.CharField("业务条线", max_length=16, choices=ProductLine.choices)
    kind = models.CharField("举措类型", max_length=20, choices=Kind.choices)
    name = models.CharField("举措名称", max_length=80)
    summary = models.CharField("简要说明", max_length=300, blank=True)
    # Parameters
    max_months = models.PositiveSmallIntegerField("最长期数（月）", null=True, blank=True)
    grace_months = models.PositiveSmallIntegerField("宽限期（月，只还利息）", default=0)
    interest_waiver_pct = models.DecimalField("利息减免比例%", max_digits=5, decimal_places=2, default=ZERO)
    penalty_waiver_pct = models.DecimalField(
        "罚息复利减免比例%", max_digits=5, decimal_places=2, default=ZERO
    )
    fee_waiver_pct = models.DecimalField("费用违约金减免比例%", max_digits=5, decimal_places=2, default=ZERO)
    min_down_payment_pct = models.DecimalField("最低首付比例%", max_digits=5, decimal_places=2, default=ZERO)
    annual_rate_pct = models.DecimalField("重新安排部分年利率%", max_digits=6, decimal_places=3, default=ZERO)
    monthly_fee_pct = models.DecimalField(
        "分期手续费（每期，按分期本金）%", max_digits=6, decimal_places=4, default=ZERO
    )
    # Eligibility
    hardship_reasons = models.JSONField("适用困难原因", default=list, blank=True, help_text="空：不限")
    min_overdue_days = models.PositiveIntegerField("最短逾期天数", null=True, blank=True)
    max_overdue_days = models.PositiveIntegerField("最长逾期天数", null=True, blank=True)
    min_amount = models.DecimalField("欠款下限", max_digits=14, decimal_places=2, null=True, blank=True)
    max_amount = models.DecimalField("欠款上限", max_digits=14, decimal_places=2, null=True, blank=True)
    enterprise_sizes = models.JSONField("适用企业规模", default=list, blank=True, help_text="空：不限")
    requires_willingness = models.BooleanField("须有还款意愿", default=True)
    source = models.CharField("政策依据", max_length=120, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["institution", "product_line", "kind", "id"]
        indexes = [models.Index(fields=["product_line", "is_active"], name="credit_measure_line")]
        verbose_name = "脱困举措"
        verbose_name_plural = "脱困举措"

    def __str__(self) -> str:
        return f"{self.institution} · {self.name}"


class RescueProfile(models.Model):
    """The hardship facts of a rescue application (one per application)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rescue")
    hardship_reasons = models.JSONField("困难原因", default=list)
    hardship_note = models.TextField("困难情况说明", blank=True)
    monthly_income = models.DecimalField("月收入", max_digits=14, decimal_places=2, null=True, blank=True)
    essential_expenses = models.DecimalField(
        "月必要支出", max_digits=14, decimal_places=2, null=True, blank=True
    )
    available_cash = models.DecimalField(
        "可一次性筹措金额", max_digits=14, decimal_places=2, null=True, blank=True
    )
    enterprise_size = models.CharField("企业规模", max_length=10, choices=EnterpriseSize.choices, blank=True)
    willing_to_repay = models.BooleanField("有还款意愿", default=True)

    class Meta:
        verbose_name = "困难情况"
        verbose_name_plural = "困难情况"

    def __str__(self) -> str:
        return str(self.application)


class Debt(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="debts")
    position = models.PositiveSmallIntegerField(default=1)
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    product_line = models.CharField("业务条线", max_length=16, choices=ProductLine.choices)
    contract_ref = models.CharField("合同号/卡号后四位", max_length=40, blank=True)
    principal = models.DecimalField("本金", max_digits=14, decimal_places=2)
    interest = models.DecimalField("利息", max_digits=14, decimal_places=2, default=ZERO)
    penalty = models.DecimalField("罚息及复利", max_digits=14, decimal_places=2, default=ZERO)
    fees = models.DecimalField("费用及违约金", max_digits=14, decimal_places=2, default=ZERO)
    overdue_days = models.PositiveIntegerField("逾期天数", default=0)
    original_term_months = models.PositiveSmallIntegerField("原贷款期限（月）", null=True, blank=True)
    matured = models.BooleanField("贷款已到期", default=False)

    class Meta:
        ordering = ["application", "position"]
        verbose_name = "债务"
        verbose_name_plural = "债务"

    def __str__(self) -> str:
        return f"{self.institution} {self.get_product_line_display()}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fees


class ReliefPlan(models.Model):
    """The plan the applicant chose from the ranked options ("一人一策 / 一企一策")."""

    class Route(models.TextChoices):
        DIRECT = "direct", "与机构直接签订协议"
        MEDIATION = "mediation", "申请调解"

    class Status(models.TextChoices):
        CHOSEN = "chosen", "已选定"
        SIGNING = "signing", "签署中"
        EFFECTIVE = "effective", "协议已生效"
        MEDIATION = "mediation", "已转调解"
        CANCELLED = "cancelled", "已取消"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="plans")
    route = models.CharField("方式", max_length=10, choices=Route.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CHOSEN)
    monthly_payment = models.DecimalField("每月最高还款", max_digits=14, decimal_places=2)
    total_cost = models.DecimalField("还款总额", max_digits=14, decimal_places=2)
    saving = models.DecimalField("节省金额", max_digits=14, decimal_places=2)
    affordable = models.BooleanField("在可负担范围内", null=True)
    snapshot = models.JSONField("推荐结果快照", default=dict)
    chosen_at = models.DateTimeField("选定时间")
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = "帮扶方案"
        verbose_name_plural = "帮扶方案"

    def __str__(self) -> str:
        return f"{self.application.number} 方案"


class CreditAgreement(models.Model):
    """A direct agreement with one institution: the applicant signs by phone code, the institution
    confirms, then it takes effect and the reporting-update tasks are created."""

    class Status(models.TextChoices):
        AWAITING_APPLICANT = "awaiting_applicant", "待申请人签署"
        AWAITING_INSTITUTION = "awaiting_institution", "待机构确认"
        EFFECTIVE = "effective", "已生效"
        DECLINED = "declined", "机构未同意"
        CANCELLED = "cancelled", "已取消"

    plan = models.ForeignKey(ReliefPlan, on_delete=models.CASCADE, related_name="agreements")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("协议编号", max_length=24, unique=True)
    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.AWAITING_APPLICANT
    )
    document_sha256 = models.CharField("协议文本哈希", max_length=64)
    signed_at = models.DateTimeField("申请人签署时间", null=True, blank=True)
    signed_ip = models.GenericIPAddressField("签署IP", null=True, blank=True)
    signed_code_hash = models.CharField("验证码哈希", max_length=64, blank=True)
    signed_document_sha256 = models.CharField("签署时文本哈希", max_length=64, blank=True)
    confirmed_at = models.DateTimeField("机构确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = "还款协议"
        verbose_name_plural = "还款协议"

    def __str__(self) -> str:
        return self.number


class PlanLine(models.Model):
    """One debt of the plan with the measure chosen for it and the computed schedule."""

    plan = models.ForeignKey(ReliefPlan, on_delete=models.CASCADE, related_name="lines")
    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(ReliefMeasure, on_delete=models.PROTECT, related_name="plan_lines")
    agreement = models.ForeignKey(
        CreditAgreement, on_delete=models.SET_NULL, null=True, blank=True, related_name="lines"
    )
    months = models.PositiveSmallIntegerField("期数")
    grace_months = models.PositiveSmallIntegerField("宽限期", default=0)
    waived = models.DecimalField("减免金额", max_digits=14, decimal_places=2, default=ZERO)
    down_payment = models.DecimalField("首付款", max_digits=14, decimal_places=2)
    monthly_payment = models.DecimalField("每月最高还款", max_digits=14, decimal_places=2)
    total_cost = models.DecimalField("还款总额", max_digits=14, decimal_places=2)
    saving = models.DecimalField("节省金额", max_digits=14, decimal_places=2)
    # [[month offset, amount as string], ...]: month 0 is the down payment.
    schedule = models.JSONField("还款计划", default=list)

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = "方案明细"
        verbose_name_plural = "方案明细"

    def __str__(self) -> str:
        return f"{self.plan} {self.measure}"


class ReportingTask(models.Model):
    """What the institution must make the credit report show after one payment of an agreement."""

    class Status(models.TextChoices):
        PENDING = "pending", "待更新"
        UPDATED = "updated", "已更新，待申请人确认"
        CONFIRMED = "confirmed", "申请人已确认"
        DISPUTED = "disputed", "申请人有异议"

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="credit_reporting_tasks"
    )
    agreement = models.ForeignKey(
        CreditAgreement, on_delete=models.CASCADE, null=True, blank=True, related_name="reporting_tasks"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="credit_reporting_tasks"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="reporting_tasks"
    )
    party = models.ForeignKey("parties.Party", on_delete=models.PROTECT, related_name="+")
    phone = EncryptedTextField("通知手机号", blank=True)
    phone_hash = models.CharField(max_length=64, db_index=True, blank=True)
    seq = models.PositiveSmallIntegerField("期次")
    of_total = models.PositiveSmallIntegerField("总期数")
    payment_due_on = models.DateField("还款日")
    payment_amount = models.DecimalField("本期应还", max_digits=14, decimal_places=2)
    remaining_after = models.DecimalField("还款后剩余欠款", max_digits=14, decimal_places=2)
    expected_report = models.CharField("信用报告应显示", max_length=200)
    update_due_on = models.DateField("更新期限")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    payment_received = models.BooleanField("已收到还款", null=True, blank=True)
    reported_note = models.TextField("报送说明", blank=True)
    updated_at_report = models.DateTimeField("更新时间", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applicant_note = models.TextField("申请人意见", blank=True)
    applicant_responded_at = models.DateTimeField(null=True, blank=True)
    # Each dispute by the applicant opens a new round with its own deadline (and escalation).
    rounds = models.PositiveSmallIntegerField("异议次数", default=0)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["payment_due_on", "id"]
        indexes = [
            models.Index(fields=["institution", "status", "update_due_on"], name="credit_task_inst"),
            models.Index(fields=["status", "update_due_on"], name="credit_task_due"),
        ]
        verbose_name = "征信更新任务"
        verbose_name_plural = "征信更新任务"

    def __str__(self) -> str:
        return f"{self.institution} {self.seq}/{self.of_total}"

    @property
    def escalation_subject(self) -> str:
        return f"reporting:{self.pk}" + (f":{self.rounds}" if self.rounds else "")

    @property
    def source_label(self) -> str:
        if self.agreement_id:
            return self.agreement.number
        if self.case_id:
            return self.case.number
        return "—"


class CounselingBatch(models.Model):
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=120)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = "首逾名单导入"
        verbose_name_plural = "首逾名单导入"

    def __str__(self) -> str:
        return self.filename


class CounselingTask(models.Model):
    """First-overdue counseling (首期逾期信用辅导): one-to-one contact with a borrower at their first
    overdue, before the trouble grows."""

    class Status(models.TextChoices):
        OPEN = "open", "待联系"
        CONTACTED = "contacted", "已联系"
        CLOSED = "closed", "辅导完成，待回访"
        FOLLOWED_UP = "followed_up", "已回访"

    class Reason(models.TextChoices):
        FORGOT = "forgot", "忘记还款日"
        CASHFLOW = "cashflow", "临时资金周转"
        INCOME = "income_loss", "收入下降或失业"
        ILLNESS = "illness", "疾病或意外"
        BUSINESS = "business", "经营困难"
        DISPUTE = "dispute", "对账单或扣款有异议"
        ACCOUNT = "account", "还款账户或扣款问题"
        OTHER = "other", "其他"

    class Outcome(models.TextChoices):
        REPAID = "repaid", "已足额还款"
        WILL_REPAY = "will_repay", "承诺按期还款"
        RELIEF = "relief", "已提供脱困举措"
        UNREACHABLE = "unreachable", "无法联系"
        REFUSED = "refused", "拒绝沟通"

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="credit_counseling"
    )
    batch = models.ForeignKey(CounselingBatch, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField("来源", max_length=10, default="upload")
    borrower_name = models.CharField("借款人", max_length=100)
    id_number = EncryptedTextField("证件号码", blank=True)
    id_hash = models.CharField(max_length=64, db_index=True, blank=True)
    phone = EncryptedTextField("手机号")
    phone_hash = models.CharField(max_length=64, db_index=True)
    product_line = models.CharField("业务条线", max_length=16, choices=ProductLine.choices)
    account_ref = models.CharField("账户/合同号", max_length=40)
    first_overdue_on = models.DateField("首次逾期日")
    overdue_amount = models.DecimalField("逾期金额", max_digits=14, decimal_places=2)
    next_due_on = models.DateField("下一还款日", null=True, blank=True)
    contact_due = models.DateField("首次联系期限")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("逾期原因", max_length=12, choices=Reason.choices, blank=True)
    outcome = models.CharField("辅导结果", max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("辅导记录", blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    relief_measures = models.ManyToManyField(ReliefMeasure, blank=True, related_name="+")
    reminders_sent = models.PositiveSmallIntegerField("已发送还款提醒", default=0)
    followup_on = models.DateField("回访日", null=True, blank=True)
    still_current = models.BooleanField("三个月后仍正常还款", null=True, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "account_ref", "first_overdue_on"], name="credit_counsel_once"
            )
        ]
        indexes = [models.Index(fields=["institution", "status", "-id"], name="credit_counsel_inst")]
        verbose_name = "首逾辅导任务"
        verbose_name_plural = "首逾辅导任务"

    def __str__(self) -> str:
        return f"{self.institution} {self.account_ref}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


class CounselingContact(models.Model):
    class Channel(models.TextChoices):
        CALL = "call", "电话"
        SMS = "sms", "短信"
        VISIT = "visit", "上门/到店"
        WECHAT = "wechat", "企业微信"

    task = models.ForeignKey(CounselingTask, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField("方式", max_length=10, choices=Channel.choices)
    reached = models.BooleanField("已联系上")
    note = models.TextField("记录", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "辅导联系记录"
        verbose_name_plural = "辅导联系记录"

    def __str__(self) -> str:
        return f"{self.task_id} {self.channel}"
