from django.conf import settings
from django.db import models

from .roles import Role


class Institution(models.Model):
    """A tenant. Banks and other lenders are creditors; the others take part in the closed loop."""

    class Kind(models.TextChoices):
        CENTER = "center", "调处中心"
        BANK = "bank", "银行"
        LENDER = "lender", "其他金融机构"
        COURT = "court", "法院"
        PBC = "pbc", "人民银行分支机构"
        REGULATOR = "regulator", "金融监管部门"
        MEDIATION_ORG = "mediation_org", "调解组织"
        ARBITRATION = "arbitration", "仲裁委员会"
        NOTARY = "notary", "公证机构"

    code = models.SlugField(
        "机构代码", max_length=32, unique=True, help_text="导入文件和接口使用的代码，如 ICBC-QZ"
    )
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    region_code = models.CharField("行政区划代码", max_length=6, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = "机构"
        verbose_name_plural = "机构"

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_creditor(self) -> bool:
        return self.kind in {self.Kind.BANK, self.Kind.LENDER}


class Branch(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="branches", verbose_name="机构"
    )
    code = models.SlugField("网点代码", max_length=32)
    name = models.CharField("名称", max_length=100)
    region_code = models.CharField(
        "行政区划代码", max_length=6, help_text="GB/T 2260 六位代码，如 350503 丰泽区"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["institution", "code"]
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="branch_code_unique")]
        verbose_name = "网点"
        verbose_name_plural = "网点"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """What a staff user is, and where. A branch narrows an institution role to that branch's work."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="memberships", verbose_name="机构"
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, verbose_name="网点")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "institution", "role"], name="membership_unique")
        ]
        verbose_name = "任职"
        verbose_name_plural = "任职"

    def __str__(self) -> str:
        return f"{self.user} · {self.institution} · {self.get_role_display()}"


class Region(models.Model):
    """Administrative divisions the centre reports by (GB/T 2260)."""

    code = models.CharField("代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return f"{self.name}"
