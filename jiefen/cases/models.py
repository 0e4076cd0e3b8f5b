from decimal import Decimal

from django.conf import settings
from django.db import models

from .machine import Status


class ProductType(models.TextChoices):
    CREDIT_CARD = "credit_card", "信用卡"
    SMALL_LOAN = "small_loan", "小额贷款"
    SME_LOAN = "sme_loan", "小微企业贷款"
    BUSINESS_LOAN = "business_loan", "个人经营贷款"
    CONSUMER_LOAN = "consumer_loan", "消费贷款"
    OTHER = "other", "其他"


class Complexity(models.TextChoices):
    UNKNOWN = "unknown", "未分流"
    SIMPLE = "simple", "简易"
    COMPLEX = "complex", "复杂"


class Case(models.Model):
    """A debt dispute between a creditor institution and a debtor party, through the whole closed loop."""

    # Unique by a constraint in Meta, not unique=True: on PostgreSQL that adds a LIKE index as well,
    # which no query uses and every import pays for.
    number = models.CharField("案件编号", max_length=20)
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="cases", verbose_name="债权机构"
    )
    branch = models.ForeignKey(
        "orgs.Branch", on_delete=models.PROTECT, null=True, blank=True, verbose_name="网点"
    )
    debtor = models.ForeignKey(
        "parties.Party", on_delete=models.PROTECT, related_name="cases", verbose_name="债务人"
    )
    product_type = models.CharField("产品类型", max_length=20, choices=ProductType.choices)
    contract_no = models.CharField("合同编号", max_length=64)
    region_code = models.CharField("行政区划代码", max_length=6, blank=True)

    principal = models.DecimalField("本金", max_digits=14, decimal_places=2, default=Decimal("0"))
    interest = models.DecimalField("利息", max_digits=14, decimal_places=2, default=Decimal("0"))
    penalty_interest = models.DecimalField("罚息", max_digits=14, decimal_places=2, default=Decimal("0"))
    compound_interest = models.DecimalField("复利", max_digits=14, decimal_places=2, default=Decimal("0"))
    fees = models.DecimalField("费用及违约金", max_digits=14, decimal_places=2, default=Decimal("0"))
    overdue_since = models.DateField("逾期起始日", null=True, blank=True)

    complexity = models.CharField(
        "复杂程度", max_length=10, choices=Complexity.choices, default=Complexity.UNKNOWN
    )
    lost_contact = models.BooleanField("失联", default=False)
    involves_litigation = models.BooleanField("涉诉", default=False)
    involves_petition = models.BooleanField("涉访", default=False)
    prior_negotiation_failed = models.BooleanField("前期协商未果", default=False)
    vulnerable = models.BooleanField("困难群体", default=False)

    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField("进入本阶段时间")
    stage_due_on = models.DateField("本阶段期限", null=True, blank=True)
    outcome = models.CharField("结案方式", max_length=24, blank=True)
    # Compare-and-set token: a transition only lands if nobody moved the case since it was read.
    version = models.PositiveIntegerField(default=0)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="经办人",
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="调解员",
    )
    court = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="court_cases",
        verbose_name="受理法院",
    )
    enforceable = models.BooleanField("具有强制执行效力", default=False)

    created_at = models.DateTimeField("收案时间")
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "案件"
        verbose_name_plural = "案件"
        constraints = [
            models.UniqueConstraint(fields=["institution", "contract_no"], name="case_contract_unique"),
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
        ]
        indexes = [
            # The list filters by tenant and status and pages by id (keyset), so these serve it.
            models.Index(fields=["institution", "status", "-id"], name="case_inst_status"),
            models.Index(fields=["status", "-id"], name="case_status"),
            models.Index(fields=["status", "stage_due_on"], name="case_status_due"),
            models.Index(fields=["assignee", "status"], name="case_assignee"),
            models.Index(fields=["mediator", "status"], name="case_mediator"),
            models.Index(fields=["court", "status"], name="case_court"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def claim_total(self) -> Decimal:
        return self.principal + self.interest + self.penalty_interest + self.compound_interest + self.fees

    @property
    def is_terminal(self) -> bool:
        from .machine import TERMINAL

        return self.status in TERMINAL


class CaseEvent(models.Model):
    """The timeline: every change to a case, with who, when, from, to and why."""

    # No index of its own: caseevent_case_at (case, at) serves every look-up by case, and at a
    # million imported cases a second index on the same column costs the import ~7 % of its time.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    action = models.CharField("动作", max_length=40)
    from_status = models.CharField("原状态", max_length=24, blank=True)
    to_status = models.CharField("新状态", max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="操作人"
    )
    actor_label = models.CharField("操作人", max_length=60, blank=True, help_text="系统或外部来源")
    reason = models.TextField("事由", blank=True)
    due_on = models.DateField("新阶段期限", null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]
        verbose_name = "案件流转记录"
        verbose_name_plural = "案件流转记录"

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
