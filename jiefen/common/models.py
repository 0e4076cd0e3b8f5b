from django.db import models


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week on the official calendar.

    The State Council publishes each year's holidays and make-up working days (调休) in the autumn
    before, so they are data, edited in the admin, never code.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（休息）"
        WORKDAY = "workday", "调休上班日"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=40, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "工作日历例外"
        verbose_name_plural = "工作日历（节假日与调休）"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """Marks a year whose official calendar has been entered, so the clock can say when it is guessing."""

    year = models.PositiveIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "已录入日历年份"
        verbose_name_plural = "已录入日历年份"

    def __str__(self) -> str:
        return str(self.year)


class RuleOverride(models.Model):
    """The centre's value for a configurable rule (see jiefen.common.rules)."""

    key = models.CharField("规则", max_length=60, unique=True)
    amount = models.PositiveIntegerField("数值")
    reason = models.CharField("调整依据", max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    _cache: dict[str, int] | None = None

    class Meta:
        verbose_name = "规则参数调整"
        verbose_name_plural = "规则参数调整"

    def __str__(self) -> str:
        return f"{self.key} = {self.amount}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from .rules import RULES

        rule = RULES.get(self.key)
        if rule is None:
            raise ValidationError({"key": "没有这条规则"})
        if not rule.configurable:
            raise ValidationError({"key": "这条规则来自法律规定，不能在系统中修改"})

    @classmethod
    def cached(cls) -> dict[str, int]:
        if cls._cache is None:
            cls._cache = dict(cls.objects.values_list("key", "amount"))
        return cls._cache

    @classmethod
    def invalidate(cls) -> None:
        cls._cache = None


class Counter(models.Model):
    """Gap-tolerant sequences for human-readable numbers (case numbers, application numbers)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = "编号计数器"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

    @classmethod
    def reserve(cls, name: str, count: int = 1) -> int:
        """Reserve `count` numbers and return the first. Must run inside a transaction: the UPDATE
        locks the row, so two writers never get the same block."""
        from django.db.models import F

        cls.objects.get_or_create(name=name)
        cls.objects.filter(name=name).update(value=F("value") + count)
        return cls.objects.get(name=name).value - count + 1
