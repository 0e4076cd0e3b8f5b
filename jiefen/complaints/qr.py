"""QR codes (segno, pure Python) for a complaint channel: PNG, SVG and a printable A4 poster (PDF)."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.urls import reverse

from .models import ComplaintChannel


def form_url(channel: ComplaintChannel, request=None) -> str:
    """The absolute address a code opens. JIEFEN_PUBLIC_URL (if set) wins over the address the staff
    member happens to use, so a poster printed from the intranet still works on the street."""
    path = reverse("complaints_form", args=[channel.token])
    base = getattr(settings, "JIEFEN_PUBLIC_URL", "")
    if base:
        return base.rstrip("/") + path
    return request.build_absolute_uri(path) if request is not None else path


def _code(url: str):
    # Level M survives a scuffed or partly covered poster in a branch hall.
    return segno.make(url, error="m", micro=False)


def qr_png(url: str, *, scale: int = 10) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 10) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, border=4, xmldecl=True, title="行长直通车投诉二维码")
    return out.getvalue()


def poster_pdf(channel: ComplaintChannel, url: str) -> bytes:
    from jiefen.common.rules import amount
    from jiefen.documents.render import render_pdf

    return render_pdf(
        "complaints/docs/poster.html",
        {
            "channel": channel,
            "institution": channel.institution,
            "branch": channel.branch,
            "url": url,
            "qr": _code(url).png_data_uri(scale=12, border=2),
            "decide_days": amount("complaint.decide"),
            "hotline": settings.JIEFEN_HOTLINE,
            "center_name": settings.JIEFEN_CENTER_NAME,
        },
    )
