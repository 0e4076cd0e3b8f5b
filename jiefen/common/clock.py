"""The one clock: every deadline in jiefen is computed here.

Counting rules (民法典 Arts 200–204, see docs/rules.md):
- a period in days starts the day after the event (the event day is not counted);
- if the last day is a statutory rest day (holiday or weekend that is not a make-up working day),
  the period ends on the first working day after it;
- a period in months ends on the same day number of the last month, or that month's last day.
Working days are Monday–Friday plus make-up working days, minus holidays, as entered per year
in CalendarDay. Day boundaries and display use Asia/Shanghai.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_cache: dict[str, object] | None = None


def _load() -> dict[str, object]:
    global _cache
    if _cache is None:
        with _lock:
            if _cache is None:
                from .models import CalendarDay, CalendarYear

                days = {d.date: d.kind for d in CalendarDay.objects.all()}
                years = set(CalendarYear.objects.values_list("year", flat=True))
                _cache = {"days": days, "years": years}
    return _cache


def invalidate() -> None:
    """Called when the calendar changes (admin edit, fixture load)."""
    global _cache
    with _lock:
        _cache = None


def local_today() -> dt.date:
    from django.utils import timezone

    return timezone.now().astimezone(SHANGHAI).date()


def local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: jiefen stores aware times only")
        return value.astimezone(SHANGHAI).date()
    return value


def is_working_day(day: dt.date) -> bool:
    kind = _load()["days"].get(day)  # type: ignore[attr-defined]
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def calendar_known(year: int) -> bool:
    """False when the official calendar of `year` is not entered: weekends alone are then assumed."""
    return year in _load()["years"]  # type: ignore[operator]


def next_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_days(event: dt.datetime | dt.date, days: int) -> dt.date:
    """Last day of a period of `days` calendar days that starts the day after `event`."""
    if days < 1:
        raise ValueError("a period has at least one day")
    last = local_date(event) + dt.timedelta(days=days)
    return next_working_day(last)


def add_working_days(event: dt.datetime | dt.date, days: int) -> dt.date:
    """Last day of a period of `days` working days, counted from the day after `event`."""
    if days < 1:
        raise ValueError("a period has at least one day")
    day = local_date(event)
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def add_months(event: dt.datetime | dt.date, months: int) -> dt.date:
    start = local_date(event)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return next_working_day(dt.date(year, month, day))


def add_years(event: dt.datetime | dt.date, years: int) -> dt.date:
    return add_months(event, 12 * years)


def add_period(event: dt.datetime | dt.date, amount: int, unit: str) -> dt.date:
    if unit == "days":
        return add_days(event, amount)
    if unit == "working_days":
        return add_working_days(event, amount)
    if unit == "months":
        return add_months(event, amount)
    if unit == "years":
        return add_years(event, amount)
    raise ValueError(f"unknown period unit {unit!r}")


def days_left(due: dt.date, today: dt.date | None = None) -> int:
    """Calendar days from today to the due date: 0 on the last day, negative once overdue."""
    return (due - (today or local_today())).days
