"""Conduct rules of collection that the software enforces (domain-rules §1.6).

中国银行业协会《金融机构个人消费类贷款催收工作指引（试行）》: no calls or messages 22:00–08:00 without
the debtor's consent; at most 6 unanswered calls a day to one number; a third party may be contacted
only to find the debtor and must learn nothing of the debt. The hours are the centre's configurable
rules `collection.quiet_start` / `collection.quiet_end`.

`now()` is the one clock of these checks; tests and demos inject a time with `use_clock`, never by
patching the system clock.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

from django.utils import timezone

from jiefen.common import rules
from jiefen.common.clock import SHANGHAI

_clock = None


def now() -> dt.datetime:
    return _clock() if _clock is not None else timezone.now()


def set_clock(func) -> None:
    """Make `now()` return func() (None restores the real clock)."""
    global _clock
    _clock = func


@contextmanager
def use_clock(value: dt.datetime):
    previous = _clock
    set_clock(lambda: value)
    try:
        yield
    finally:
        set_clock(previous)


def quiet_hours_refusal(at: dt.datetime) -> str | None:
    """Why a reminder or call at `at` is not allowed, or None."""
    start = rules.get("collection.quiet_start").amount
    end = rules.get("collection.quiet_end").amount
    local = at.astimezone(SHANGHAI)
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    return (
        f"现在是北京时间{local:%H:%M}，{start}:00至次日{end:02d}:00为催收静默时段，不得发送催收短信或拨打催收电话"
        "（《金融机构个人消费类贷款催收工作指引（试行）》）"
    )


# What a message to a third party must never carry: an amount, a date to pay by, or debt words.
DEBT_WORDS = (
    "欠款",
    "欠费",
    "逾期",
    "债务",
    "还款",
    "催收",
    "贷款",
    "透支",
    "金额",
    "本金",
    "利息",
    "罚息",
    "起诉",
)
_AMOUNT = re.compile(r"[¥￥]|\d[\d,，.]*\s*(元|万)")
THIRD_PARTY_FORBIDDEN_VARIABLES = ("amount", "deadline")


def disclosure_refusal(text: str) -> str | None:
    """For a message to someone other than the debtor: does it disclose the debt?"""
    if _AMOUNT.search(text):
        return "发给第三人的短信不得包含金额（不得向第三人透露债务信息）"
    for word in DEBT_WORDS:
        if word in text:
            return f"发给第三人的短信不得出现“{word}”等债务信息"
    return None
