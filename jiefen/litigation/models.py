"""The court end of the loop: judicial confirmation (or notarisation), transfer to litigation (or
arbitration), electronic service, enforcement with asset inquiries, and the small-claims table."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2}


class SmallClaimsThreshold(models.Model):
    """民诉法 Art 165: small claims up to 50% of the province's previous-year average annual wage of
    employed persons (up to 2× with both parties' consent). The wage is published each year, so the
    table is data the centre keeps in the admin."""

    province_code = models.CharField("省级代码", max_length=2, help_text="GB/T 2260 前两位，如 35 福建")
    province_name = models.CharField("省份", max_length=20)
    year = models.PositiveSmallIntegerField("适用年度")
    wage_year = models.PositiveSmallIntegerField("工资统计年度", help_text="通常为适用年度的上一年")
    average_wage = models.DecimalField("就业人员年平均工资（元）", **MONEY)
    ratio_pct = models.PositiveSmallIntegerField("比例%", default=50)
    source = models.CharField("数据来源", max_length=200, blank=True)
    verified = models.BooleanField("已核实", default=False, help_text="未核实的数值在页面上标注“须核实”")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["province_code", "-year"]
        constraints = [models.UniqueConstraint(fields=["province_code", "year"], name="small_claims_unique")]
        verbose_name = "小额诉讼标准"
        verbose_name_plural = "小额诉讼标准"

    def __str__(self) -> str:
        return f"{self.province_name} {self.year} 年"

    @property
    def threshold(self) -> Decimal:
        return (self.average_wage * self.ratio_pct / Decimal(100)).quantize(Decimal("0.01"))


class ConfirmationApplication(models.Model):
    """A joint application to give an agreement enforceable force: judicial confirmation at a court
    (民诉法 Arts 205–206) or a notarised debt instrument with enforcement force (赋强公证) at a notary."""

    class Route(models.TextChoices):
        COURT = "court", "司法确认"
        NOTARY = "notary", "赋强公证"

    class State(models.TextChoices):
        PENDING = "pending", "待受理"
        ACCEPTED = "accepted", "已受理"
        CONFIRMED = "confirmed", "已确认"
        REJECTED = "rejected", "已驳回"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="confirmations")
    agreement = models.ForeignKey(
        "mediation.Agreement", on_delete=models.PROTECT, related_name="confirmations"
    )
    route = models.CharField("途径", max_length=10, choices=Route.choices, default=Route.COURT)
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="confirmation_queue",
        verbose_name="受理机构",
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    apply_due = models.DateField("申请期限（协议生效之日起30日）")
    applied_at = models.DateTimeField("申请时间")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decide_due = models.DateField("审查期限", null=True, blank=True)
    decided_at = models.DateTimeField("裁定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ruling_number = models.CharField("文书编号", max_length=60, blank=True)
    reasons = models.TextField("理由", blank=True)
    ruling_document = models.ForeignKey(
        "documents.StoredDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-applied_at"]
        indexes = [models.Index(fields=["institution", "state"], name="confirmation_queue")]
        verbose_name = "司法确认/赋强公证申请"
        verbose_name_plural = "司法确认/赋强公证申请"

    def __str__(self) -> str:
        return f"{self.get_route_display()} {self.case}"


class LitigationTransfer(models.Model):
    """The one-click transfer of a failed case, with its file package, to a court or arbitration."""

    class Route(models.TextChoices):
        COURT = "court", "诉讼"
        ARBITRATION = "arbitration", "仲裁"

    class State(models.TextChoices):
        SENT = "sent", "已移送"
        FILED = "filed", "已立案"
        DECIDED = "decided", "已判决/裁决"
        RETURNED = "returned", "已退回"

    class Procedure(models.TextChoices):
        SMALL_CLAIMS = "small_claims", "小额诉讼程序"
        SIMPLIFIED = "simplified", "简易程序"
        ORDINARY = "ordinary", "普通程序"
        ARBITRATION = "arbitration", "仲裁程序"

    class SmallClaims(models.TextChoices):
        YES = "yes", "适用小额诉讼（一审终审）"
        CONSENT = "consent", "双方约定可适用小额诉讼"
        NO = "no", "不适用小额诉讼"
        UNKNOWN = "unknown", "无法判断（缺少标准）"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="transfers")
    route = models.CharField("去向", max_length=12, choices=Route.choices, default=Route.COURT)
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="transfer_queue", verbose_name="接收机构"
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.SENT)
    reason = models.TextField("调解不成原因 / 移送理由")
    claim_total = models.DecimalField("诉请金额", **MONEY)
    small_claims = models.CharField("小额诉讼", max_length=10, choices=SmallClaims.choices)
    small_claims_text = models.CharField("小额诉讼说明", max_length=300)
    package = models.ForeignKey("documents.StoredDocument", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField("移送时间")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filing_number = models.CharField("案号", max_length=60, blank=True)
    filed_on = models.DateField("立案日期", null=True, blank=True)
    procedure = models.CharField("程序", max_length=14, choices=Procedure.choices, blank=True)
    trial_due = models.DateField("审理期限", null=True, blank=True)
    hearing_at = models.DateTimeField("开庭时间", null=True, blank=True)
    hearing_place = models.CharField("开庭地点", max_length=100, blank=True)
    judgment_on = models.DateField("判决/裁决日期", null=True, blank=True)
    judgment_amount = models.DecimalField("判决/裁决金额", null=True, blank=True, **MONEY)
    judgment_summary = models.TextField("判决/裁决主文", blank=True)
    perform_by = models.DateField("履行期限", null=True, blank=True)
    returned_reason = models.CharField("退回原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["institution", "state"], name="transfer_queue")]
        verbose_name = "移送诉讼/仲裁"
        verbose_name_plural = "移送诉讼/仲裁"

    def __str__(self) -> str:
        return f"{self.get_route_display()} {self.case}"


class ServiceAddress(models.Model):
    """送达地址确认书: the party confirms once where and how documents reach them."""

    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="service_addresses")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=64)
    phone_masked = models.CharField("手机号", max_length=20)
    address = models.CharField("送达地址", max_length=200)
    email = models.EmailField("电子邮箱", blank=True)
    accepts_electronic = models.BooleanField("同意电子送达", default=True)
    confirmed_at = models.DateTimeField("确认时间")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = "送达地址确认书"
        verbose_name_plural = "送达地址确认书"

    def __str__(self) -> str:
        return f"{self.party} {self.phone_masked}"


class ServiceDelivery(models.Model):
    """One document served electronically (电子送达): sent by SMS with a signed link; opening and
    acknowledging it are recorded with time and address as proof of service."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", "调解协议书"
        RULING = "ruling", "司法确认裁定书"
        JUDGMENT = "judgment", "判决书/裁决书"
        NOTICE = "notice", "通知书"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="deliveries")
    kind = models.CharField("文书类型", max_length=10, choices=Kind.choices)
    title = models.CharField("文书名称", max_length=100)
    document = models.ForeignKey("documents.StoredDocument", on_delete=models.PROTECT, related_name="+")
    document_hash = models.CharField(max_length=64)
    phone_hash = models.CharField(max_length=64)
    phone_masked = models.CharField("受送达手机", max_length=20)
    nonce = models.CharField(max_length=16)
    sent_at = models.DateTimeField("发送时间")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField("首次打开", null=True, blank=True)
    opened_ip = models.GenericIPAddressField(null=True, blank=True)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    ack_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "电子送达"
        verbose_name_plural = "电子送达"

    def __str__(self) -> str:
        return f"{self.title} → {self.phone_masked}"


class EnforcementCase(models.Model):
    class Basis(models.TextChoices):
        CONFIRMATION = "confirmation", "司法确认裁定"
        JUDGMENT = "judgment", "判决书"
        AWARD = "award", "仲裁裁决"
        NOTARIAL = "notarial", "赋强公证债权文书"

    class State(models.TextChoices):
        APPLIED = "applied", "已申请"
        FILED = "filed", "执行中"
        CLOSED = "closed", "已结案"

    class Closure(models.TextChoices):
        FULL = "full", "执行完毕"
        SETTLED = "settled", "执行和解"
        TERMINATED = "terminated", "终结本次执行"

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="enforcement")
    court = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="enforcement_queue")
    basis = models.CharField("执行依据", max_length=14, choices=Basis.choices)
    basis_ref = models.CharField("依据文书编号", max_length=60, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.APPLIED)
    amount_sought = models.DecimalField("申请执行金额", **MONEY)
    amount_enforced = models.DecimalField("已执行到位", default=Decimal("0.00"), **MONEY)
    last_performance_day = models.DateField("履行期限最后一日")
    apply_due = models.DateField("申请执行期限（2年）")
    applied_at = models.DateTimeField("申请时间")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filing_number = models.CharField("执行案号", max_length=60, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure = models.CharField("结案方式", max_length=12, choices=Closure.choices, blank=True)
    closure_note = models.TextField("结案说明", blank=True)

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = "强制执行"
        verbose_name_plural = "强制执行"

    def __str__(self) -> str:
        return f"执行 {self.case}"


class AssetInquiry(models.Model):
    """A request to the courts' online asset inquiry (网络查控) and its answer. The registries are
    outside the platform: the request goes through a backend and the answer is recorded here."""

    class Kind(models.TextChoices):
        BANK = "bank", "银行存款"
        REAL_ESTATE = "real_estate", "不动产"
        VEHICLE = "vehicle", "车辆"
        SECURITIES = "securities", "证券"

    class State(models.TextChoices):
        REQUESTED = "requested", "已提交查询"
        ANSWERED = "answered", "已反馈"
        FAILED = "failed", "查询失败"

    enforcement = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="inquiries")
    kind = models.CharField("查询类型", max_length=12, choices=Kind.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.REQUESTED)
    backend = models.CharField(max_length=30)
    request_ref = models.CharField("查询流水号", max_length=60, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    result_summary = models.TextField("反馈结果", blank=True)
    amount_found = models.DecimalField("查得金额/价值", null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["requested_at"]
        verbose_name = "网络查控"
        verbose_name_plural = "网络查控"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.request_ref}"
