"""Validation and normalisation of Chinese identifiers. Errors are Chinese sentences for the person.

ID card: GB 11643-1999 (18 characters, check character), legacy 15-digit cards are upgraded.
USCC: GB 32100-2015. Bank card: Luhn. Mobile: 11 digits, 1[3-9]….
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from stdnum import luhn
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

# GB/T 2260 province-level codes.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


class IdentifierError(ValueError):
    pass


def _clean(value: str) -> str:
    # NFKC turns full-width digits and letters into ASCII; bank exports are full of them.
    return re.sub(r"[\s\-－_]", "", unicodedata.normalize("NFKC", str(value))).upper()


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_id_card(value: str) -> str:
    """Return the 18-character ID number or raise IdentifierError saying what is wrong."""
    number = _clean(value)
    if len(number) == 15 and number.isdigit():
        # Legacy cards: insert the century and compute the check character (GB 11643-1999 §5).
        first17 = number[:6] + "19" + number[6:]
        number = first17 + id_check_char(first17)
    if len(number) != 18:
        raise IdentifierError(f"身份证号应为18位（或15位旧号），实际为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentifierError("身份证号前17位应为数字，最后一位为数字或X")
    # Only the province is checked against a list: python-stdnum's county table misses districts
    # created since (丰泽区 350503, 晋江市 350582, ...), and rejecting a real person is worse.
    if number[:2] not in PROVINCE_CODES:
        raise IdentifierError(f"身份证号的省份代码“{number[:2]}”不存在")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError("身份证号中的出生日期无效") from None
    if not dt.date(1900, 1, 1) <= born <= dt.date.today():
        raise IdentifierError("身份证号中的出生日期无效")
    if id_check_char(number[:17]) != number[17]:
        raise IdentifierError("身份证号校验位不正确")
    return number


def normalize_uscc(value: str) -> str:
    code = _clean(value)
    if len(code) != 18:
        raise IdentifierError(f"统一社会信用代码应为18位，实际为{len(code)}位")
    try:
        uscc.validate(code)
    except InvalidChecksum as exc:
        raise IdentifierError("统一社会信用代码校验位不正确") from exc
    except (InvalidFormat, InvalidComponent, InvalidLength, ValidationError) as exc:
        raise IdentifierError("统一社会信用代码格式不正确") from exc
    return code


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value: str) -> str:
    number = _clean(value)
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE.match(number):
        raise IdentifierError("手机号应为以1开头的11位数字")
    return number


def normalize_bank_card(value: str) -> str:
    number = _clean(value)
    if not number.isdigit() or not 12 <= len(number) <= 19:
        raise IdentifierError("银行卡号应为12至19位数字")
    if not luhn.is_valid(number):
        raise IdentifierError("银行卡号校验不通过")
    return number


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask_id(number: str) -> str:
    """3604**********0071: region and last four, as banks print them."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str) -> str:
    if not number:
        return ""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "****" + number[-4:]


def mask_card(number: str) -> str:
    if not number:
        return ""
    return "*" * (len(number) - 4) + number[-4:]


def mask_name(name: str) -> str:
    """张*明 / 李* : the surname and (for three or more characters) the last character."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
