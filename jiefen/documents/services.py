from __future__ import annotations

import hashlib
import mimetypes
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import StoredDocument


def document_store(*, kind: str, subject: str, filename: str, content: bytes, actor=None) -> StoredDocument:
    """Write the bytes under MEDIA_ROOT/documents/YYYY/MM/ with a random name; record size and hash."""
    now = timezone.now()
    relative = (
        Path("documents") / f"{now:%Y}" / f"{now:%m}" / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    )
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return StoredDocument.objects.create(
        kind=kind,
        subject=subject,
        filename=filename,
        content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
        path=str(relative),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        actor=actor,
    )
