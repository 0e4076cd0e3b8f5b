from django.conf import settings
from django.db import models


class RevealLog(models.Model):
    """Every time a person's full ID, phone or card number is shown (PIPL Art 51: restrict and record access)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="查看人")
    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, verbose_name="当事人")
    field = models.CharField("字段", max_length=30)
    reason = models.CharField("事由", max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "敏感信息查看记录"
        verbose_name_plural = "敏感信息查看记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.field}"
