"""Small helpers shared by the mediation, litigation and evidence views (thin views, one way to do it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from jiefen.common.errors import ApplicationError, NotFound
from jiefen.common.money import parse_amount


def not_found_as_404(view):
    """Another tenant's row, or one that does not exist, is a 404 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def act(request, fn, *, success: str, back: str, **kwargs):
    """Run one service for a POST form: show its Chinese error, or the success message; then redirect."""
    try:
        fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def absolute(request, path: str = "/") -> str:
    return request.build_absolute_uri(path)


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def date_or_none(value) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_date(str(value))
    except ValueError:
        raise ApplicationError("日期格式应为 YYYY-MM-DD", code="invalid_date") from None


def datetime_local(value) -> dt.datetime:
    """An <input type=datetime-local> value, in the centre's time zone."""
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        raise ApplicationError("请填写日期和时间", code="invalid_datetime")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def amount_or_none(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return parse_amount(value)
    except (ValueError, InvalidOperation) as exc:
        raise ApplicationError(str(exc) or "金额格式不正确", code="invalid_amount") from None


def pct(value, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApplicationError("减免比例应为 0 到 100 的数字", code="invalid_rate") from None
