import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiefen.common.identifiers import (
    IdentifierError,
    id_check_char,
    mask_id,
    mask_name,
    mask_phone,
    normalize_bank_card,
    normalize_id_card,
    normalize_mobile,
    normalize_uscc,
)
from jiefen.common.money import parse_amount


def test_it_accepts_a_valid_id_with_a_lowercase_x_and_spaces():
    assert normalize_id_card(" 11010519491231002x ") == "11010519491231002X"


def test_it_accepts_full_width_digits():
    assert normalize_id_card("３６０４２６１９９１０１０１００７１") == "360426199101010071"


def test_it_upgrades_a_fifteen_digit_legacy_id():
    upgraded = normalize_id_card("350503900101123")
    assert upgraded.startswith("35050319900101123") and len(upgraded) == 18


def test_it_accepts_new_district_codes_that_stdnum_does_not_know():
    first17 = "35050319900101123"
    assert normalize_id_card(first17 + id_check_char(first17))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("360426199101010072", "校验位"),
        ("36042619910101007", "18位"),
        ("990426199101010071", "省份代码"),
        ("360426199113010071", "出生日期"),
    ],
)
def test_it_explains_a_bad_id(value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_id_card(value)


def test_uscc_checksum():
    assert normalize_uscc("91110000600037341L") == "91110000600037341L"
    with pytest.raises(IdentifierError, match="校验位"):
        normalize_uscc("91110000600037341M")


def test_mobile_numbers():
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    with pytest.raises(IdentifierError):
        normalize_mobile("12800138000")


def test_bank_card_luhn():
    from stdnum import luhn

    body = "622202020000000000"
    good = body + luhn.calc_check_digit(body)
    assert normalize_bank_card(good[:4] + " " + good[4:]) == good
    bad = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    with pytest.raises(IdentifierError, match="校验"):
        normalize_bank_card(bad)


def test_masks_hide_the_middle():
    assert mask_id("360426199101010071") == "3604**********0071"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三") == "张*" and mask_name("欧阳明月") == "欧**月"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_computed_check_character_validates(first17):
    number = "11" + first17[2:6] + "19900101" + first17[14:]
    assert normalize_id_card(number + id_check_char(number)) == number + id_check_char(number)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,345.60", "12345.60"),
        ("12345.6元", "12345.60"),
        ("￥1.2万", "12000.00"),
        ("１２３", "123.00"),
        (88, "88.00"),
    ],
)
def test_amounts_as_banks_write_them(raw, expected):
    assert str(parse_amount(raw)) == expected


def test_a_negative_amount_is_refused():
    with pytest.raises(ValueError, match="负数"):
        parse_amount("-5")
