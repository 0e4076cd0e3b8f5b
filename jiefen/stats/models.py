"""Summary tables the dashboard reads (never the case table), and the monitoring centre's own records.

The cubes are rebuilt wholesale by `services.cube_refresh`; each row belongs to one *grouping set*
(`grp`): the letters of the dimensions that are real in that row (i institution, p product, r region,
b branch). A dimension not in `grp` holds its neutral value (0 or ""), so every panel reads exactly the
rows of one grouping set through one index prefix, whatever the number of cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CaseCube(models.Model):
    """Cases by received month (Asia/Shanghai) and their *current* status: the cohort view.

    Besides the rows per status, each grouping set has rows with status "*" (all statuses: the intake
    totals) and, under grp "o…" without a month, the cases open now (the snapshot figures).
    """

    gen = models.SmallIntegerField(default=0, help_text="双缓冲：当前读取的一代见 RefreshState.generation")
    grp = models.CharField(max_length=4)
    month = models.DateField("收案月份", null=True)
    institution_id = models.BigIntegerField(default=0)
    branch_id = models.BigIntegerField(default=0)
    product = models.CharField(max_length=20, default="")
    region = models.CharField(max_length=6, default="")
    status = models.CharField(max_length=24)
    outcome = models.CharField(max_length=24, default="")
    cases = models.BigIntegerField(default=0)
    overdue = models.BigIntegerField(default=0, help_text="未结且已过本阶段期限（按刷新日）")
    # Amounts in cents: integer sums are exact on both databases.
    principal = models.BigIntegerField(default=0)
    interest = models.BigIntegerField(default=0)
    penalty_interest = models.BigIntegerField(default=0)
    compound_interest = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["gen", "grp", "institution_id", "product", "region", "month"], name="casecube_q"
            )
        ]
        verbose_name = verbose_name_plural = "案件汇总表"

    def __str__(self) -> str:
        return f"{self.grp}:{self.month:%Y-%m}:{self.status}"


class StageCube(models.Model):
    """Stage entries counted in the month they happened, exits in the month they happened, and stage
    deadlines in the month they fell due (met: left on or before the due day; missed: left later, or
    still there after the due day)."""

    gen = models.SmallIntegerField(default=0, help_text="双缓冲：当前读取的一代见 RefreshState.generation")
    grp = models.CharField(max_length=4)
    month = models.DateField("月份")
    institution_id = models.BigIntegerField(default=0)
    product = models.CharField(max_length=20, default="")
    region = models.CharField(max_length=6, default="")
    stage = models.CharField(max_length=24)
    entered = models.BigIntegerField(default=0)
    exited = models.BigIntegerField(default=0)
    resolved = models.BigIntegerField(default=0, help_text="以本阶段的成功去向离开")
    days = models.BigIntegerField(default=0, help_text="离开者在本阶段的天数之和")
    due_met = models.BigIntegerField(default=0)
    due_missed = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["gen", "grp", "institution_id", "product", "region", "month"], name="stagecube_q"
            )
        ]
        verbose_name = verbose_name_plural = "阶段汇总表"

    def __str__(self) -> str:
        return f"{self.grp}:{self.month:%Y-%m}:{self.stage}"


class DurationCube(models.Model):
    """How many stage exits took exactly `days` days: exact averages and percentiles."""

    gen = models.SmallIntegerField(default=0, help_text="双缓冲：当前读取的一代见 RefreshState.generation")
    grp = models.CharField(max_length=4)
    month = models.DateField("离开月份")
    institution_id = models.BigIntegerField(default=0)
    product = models.CharField(max_length=20, default="")
    region = models.CharField(max_length=6, default="")
    stage = models.CharField(max_length=24)
    days = models.IntegerField()
    n = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["gen", "grp", "institution_id", "product", "region", "month"], name="durcube_q"
            )
        ]
        verbose_name = verbose_name_plural = "阶段用时分布表"

    def __str__(self) -> str:
        return f"{self.grp}:{self.month:%Y-%m}:{self.stage}:{self.days}"


class ExtCube(models.Model):
    """Figures contributed by other capabilities (providers.py): additive counts and amounts by month
    and institution. institution_id is null for figures no institution owns (the assistant)."""

    figure = models.CharField(max_length=60)
    month = models.DateField()
    institution_id = models.BigIntegerField(null=True)
    n = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0, help_text="分")

    class Meta:
        indexes = [models.Index(fields=["figure", "month"], name="extcube_q")]
        verbose_name = verbose_name_plural = "其他业务汇总表"

    def __str__(self) -> str:
        return f"{self.figure}:{self.month:%Y-%m}"


class RefreshState(models.Model):
    """The watermark: what the cubes were built from and when (one row)."""

    as_of = models.DateTimeField("数据截至", null=True)
    built_at = models.DateTimeField("上次全量重建", null=True)
    local_date = models.DateField("刷新日（计算超期）", null=True)
    signature = models.CharField(max_length=200, blank=True)
    seconds = models.FloatField(default=0)
    rows = models.JSONField(default=dict, blank=True)
    providers = models.JSONField(default=dict, blank=True, help_text="各业务指标提供者的状态")
    runs = models.PositiveIntegerField(default=0)
    generation = models.SmallIntegerField(default=0, help_text="面板读取的一代（0/1）")
    running_since = models.DateTimeField(null=True, blank=True, help_text="正在重建（锁）")

    class Meta:
        verbose_name = verbose_name_plural = "汇总表刷新状态"

    def __str__(self) -> str:
        return f"{self.as_of}"


class Schedule(models.Model):
    """A periodic job. `next_run_at` is moved forward by compare-and-set, so two schedulers never both
    enqueue the same run and a restart neither repeats nor skips one."""

    key = models.CharField("任务", max_length=60, unique=True)
    title = models.CharField("说明", max_length=100)
    every = models.CharField("周期", max_length=12)  # minutes:N | weekly | monthly | quarterly
    task_path = models.CharField(max_length=120)
    enabled = models.BooleanField("启用", default=True)
    next_run_at = models.DateTimeField("下次运行")
    last_run_at = models.DateTimeField("上次运行", null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key"]
        verbose_name = verbose_name_plural = "定时任务"

    def __str__(self) -> str:
        return self.title


class Report(models.Model):
    """A weekly, monthly or quarterly report (周小结、月通报、季讲评) for the centre or one institution."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "周小结"
        MONTHLY = "monthly", "月通报"
        QUARTERLY = "quarterly", "季讲评"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    period_start = models.DateField("起始日")
    period_end = models.DateField("截止日")
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="机构（空为全中心）",
    )
    title = models.CharField("标题", max_length=120)
    docx = models.ForeignKey(
        "documents.StoredDocument", on_delete=models.PROTECT, related_name="+", null=True
    )
    pdf = models.ForeignKey(
        "documents.StoredDocument", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    xlsx = models.ForeignKey(
        "documents.StoredDocument", on_delete=models.PROTECT, related_name="+", null=True
    )
    pdf_note = models.CharField(max_length=200, blank=True)
    data_as_of = models.DateTimeField("数据截至", null=True)
    trigger = models.CharField("生成方式", max_length=10, default="manual")  # schedule | manual | demo
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("生成时间")

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [models.Index(fields=["institution", "kind", "period_start"], name="report_scope")]
        verbose_name = verbose_name_plural = "统计报告"

    def __str__(self) -> str:
        return self.title


class Datacube(models.Model):
    """One institution's figures for one period: prepared by the centre, reviewed by the institution,
    then published (AFCA's datacube model)."""

    class Status(models.TextChoices):
        REVIEW = "review", "待机构确认"
        ACCEPTED = "accepted", "机构已确认"
        COMMENTED = "commented", "机构有意见"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name="机构"
    )
    period_start = models.DateField("起始月")
    period_end = models.DateField("截止日")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.REVIEW)
    version = models.PositiveIntegerField(default=0)
    figures = models.JSONField("数据", default=dict)
    data_as_of = models.DateTimeField("数据截至", null=True)
    review_due = models.DateField("确认期限")
    institution_comment = models.TextField("机构意见", blank=True)
    centre_note = models.TextField("中心说明", blank=True)
    prepared_at = models.DateTimeField("准备时间")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "institution_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "period_start", "period_end"], name="datacube_unique_period"
            )
        ]
        verbose_name = verbose_name_plural = "机构数据立方"

    def __str__(self) -> str:
        return f"{self.institution} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"


class DatacubeEvent(models.Model):
    datacube = models.ForeignKey(Datacube, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=60)
    reason = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "数据立方流转记录"

    def __str__(self) -> str:
        return f"{self.datacube_id} {self.action}"
