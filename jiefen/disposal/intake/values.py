"""Cell values as bank exports write them, turned into Python values or a Chinese reason.

The hot path (a million rows) takes the plain ASCII form first and only falls back to the general
parsers (full-width characters, 万, 元, Excel serials) when that fails.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jiefen.common.money import CENT, parse_amount

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serials between these are dates from 1927 to 2119: anything else is not a date.
SERIAL_MIN, SERIAL_MAX = 10_000, 80_000


def clean_text(value) -> str:
    """A cell as trimmed text; full-width letters and digits become ASCII (NFKC)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    return text.strip()


def parse_money(value) -> Decimal:
    """Amount ≥ 0 with two places; raises ValueError with a Chinese reason."""
    if isinstance(value, str) and value.isascii() and "," not in value:
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            return parse_amount(value)
        if not amount.is_finite():
            raise ValueError(f"无法识别的金额“{value}”")
        if amount < 0:
            raise ValueError("金额不能为负数")
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, float):
        value = repr(value)
    return parse_amount(value)


_DATE_SEP = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value) -> dt.date:
    """2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, an Excel serial or a calamine date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = clean_text(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    match = _DATE_SEP.match(text) or _DATE_COMPACT.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ValueError(f"日期“{text}”不存在") from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial(float(text))
    raise ValueError(f"无法识别的日期“{text}”，请使用2024-03-05等格式")


def _serial(number: float) -> dt.date:
    if not SERIAL_MIN <= number <= SERIAL_MAX:
        raise ValueError(f"无法识别的日期“{number}”")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有", "涉诉", "涉访", "未果", "失败", "已涉诉"})
_FALSE = frozenset({"", "否", "n", "no", "false", "0", "无", "×", "没有", "未涉诉", "成功"})


def parse_bool(value) -> bool:
    text = clean_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"请填写“是”或“否”，而不是“{text}”")


# Product names as banks label them → ProductType values. Longest match first.
_PRODUCTS = [
    ("小微企业", "sme_loan"),
    ("小微", "sme_loan"),
    ("个人经营", "business_loan"),
    ("经营性", "business_loan"),
    ("经营贷", "business_loan"),
    ("信用卡", "credit_card"),
    ("贷记卡", "credit_card"),
    ("准贷记卡", "credit_card"),
    ("小额贷款", "small_loan"),
    ("小额", "small_loan"),
    ("小贷", "small_loan"),
    ("消费", "consumer_loan"),
    ("其他", "other"),
    ("其它", "other"),
]
_PRODUCT_CODES = {
    "credit_card",
    "small_loan",
    "sme_loan",
    "business_loan",
    "consumer_loan",
    "other",
}


def parse_product(value) -> str:
    text = clean_text(value)
    if text in _PRODUCT_CODES:
        return text
    for needle, code in _PRODUCTS:
        if needle in text:
            return code
    raise ValueError(
        f"无法识别的产品类型“{text}”（信用卡、小额贷款、小微企业贷款、个人经营贷款、消费贷款、其他）"
    )


_INDIVIDUAL = ("个人", "自然人", "对私", "individual", "私")
_ENTERPRISE = ("企业", "公司", "对公", "单位", "法人", "个体工商户", "enterprise", "公")


def parse_kind(value) -> str:
    text = clean_text(value).lower()
    if not text:
        return ""
    for needle in _INDIVIDUAL:
        if needle in text:
            return "individual"
    for needle in _ENTERPRISE:
        if needle in text:
            return "enterprise"
    raise ValueError(f"无法识别的客户类型“{text}”（个人或企业）")


_PHONE_SPLIT = re.compile(r"[,，;；/、]+")
_SPACES = re.compile(r"[\s\-]+")


def split_phones(value) -> list[str]:
    """One cell may hold several numbers (138…，139…); spaces inside one number (138 1234 5678) stay."""
    text = clean_text(value)
    if not text:
        return []
    if len(text) == 11 and text.isdigit():
        return [text]
    out = []
    for token in _PHONE_SPLIT.split(text):
        token = token.strip()
        if not token:
            continue
        compact = _SPACES.sub("", token)
        if len(compact) > 14 and " " in token:
            out.extend(t for t in token.split() if t)
        else:
            out.append(compact)
    return out


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
