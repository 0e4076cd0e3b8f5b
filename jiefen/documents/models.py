from django.conf import settings
from django.db import models


class StoredDocument(models.Model):
    """A generated or received file kept outside the web root, with its SHA-256 (the evidence ledger cites it)."""

    kind = models.CharField("类型", max_length=40, db_index=True)
    subject = models.CharField("关联对象", max_length=60, db_index=True, help_text="如 case:123")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "文书文件"
        verbose_name_plural = "文书文件"

    def __str__(self) -> str:
        return self.filename

    def read(self) -> bytes:
        from pathlib import Path

        return (Path(settings.MEDIA_ROOT) / self.path).read_bytes()
