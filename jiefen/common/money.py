"""Money is Decimal with two places, everywhere: parsing, arithmetic and display."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def quantize(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: object) -> Decimal:
    """Parse amounts as banks write them: 12,345.60 / 12345.6元 / ￥1.2万 / full-width digits."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        text = re.sub(r"[,，\s¥￥]|人民币|元$|RMB", "", text, flags=re.IGNORECASE)
        multiplier = Decimal(1)
        if text.endswith("万"):
            multiplier, text = Decimal(10000), text[:-1]
        if text in {"", "-", "—"}:
            raise ValueError("金额为空")
        try:
            value = Decimal(text) * multiplier
        except InvalidOperation as exc:
            raise ValueError(f"无法识别的金额“{raw}”") from exc
    if not value.is_finite():
        raise ValueError(f"无法识别的金额“{raw}”")
    if value < 0:
        raise ValueError("金额不能为负数")
    return quantize(value)


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"¥{quantize(value):,.2f}"
