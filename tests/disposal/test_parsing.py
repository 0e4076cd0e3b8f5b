"""Reading messy bank exports: encodings, headers, formats, and the reasons a row is refused."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from jiefen.common.errors import ApplicationError
from jiefen.common.identifiers import id_check_char
from jiefen.demo.fake import id_number, mobile, uscc_number
from jiefen.disposal.intake.columns import map_header, missing_columns, normalize_header
from jiefen.disposal.intake.feed import find_header
from jiefen.disposal.intake.reader import detect_encoding, file_format, open_rows
from jiefen.disposal.intake.rows import RowParser, check_char
from jiefen.disposal.intake.values import parse_bool, parse_date, parse_money, parse_product, split_phones

from .conftest import HEADER, person_rows, write_csv

TODAY = dt.date(2026, 11, 20)


def parser_for(header, **kw):
    mapping = map_header(header, 1)
    return RowParser(mapping, today=TODAY, **kw)


def parse(cells, header=HEADER, **kw):
    return parser_for(header, **kw).parse(7, cells)


def good_row(**changes):
    rng = random.Random(3)
    row = {
        "借款合同号": "HT-0001",
        "客户姓名": "陈晓东",
        "身份证号": id_number(rng),
        "联系电话": "13812345678",
        "业务品种": "信用卡",
        "欠款本金": "12000.00",
        "欠息": "300.50",
        "首次逾期日": "2026-03-05",
    }
    row.update(changes)
    return [row[h] for h in HEADER]


def test_it_maps_the_many_names_banks_give_a_column():
    for header in (
        ["借款人", "证件号码", "手机号", "合同编号"],
        ["客户名称", "身份证号码", "联系电话", "借据号"],
    ):
        mapping = map_header(header, 1)
        assert set(mapping.columns) == {"debtor_name", "id_number", "phone", "contract_no"}
    assert normalize_header("＊证件号码（必填）") == "证件号码"
    assert normalize_header("手机号2") == "手机号"
    several = map_header(["合同号", "姓名", "证件号", "手机号1", "手机号2", "备用电话"], 1)
    assert several.columns["phone"] == [3, 4, 5]


def test_an_institution_mapping_names_a_column_the_synonyms_do_not_know():
    mapping = map_header(["合同号", "姓名", "证件号", "客户经理备注"], 1, {"客户经理备注": "legal_rep"})
    assert mapping.columns["legal_rep"] == [3]


def test_it_says_which_required_columns_are_missing():
    mapping = map_header(["姓名", "手机号", "备注"], 1)
    missing = missing_columns(mapping)
    assert "合同编号" in missing and "证件号码" in missing and "本金或欠款总额" in missing
    assert not missing_columns(map_header(HEADER, 1))


def test_it_skips_title_rows_and_finds_the_header(tmp_path):
    path = write_csv(tmp_path / "a.csv", person_rows(2), title="某银行泉州分行不良贷款移交清单（2026年11月）")
    rows = open_rows(path, "csv")
    mapping, _ = find_header(rows, None)
    assert mapping.header_row == 2
    assert [n for n, _ in rows] == [3, 4, 5]


def test_a_file_without_a_header_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match="未找到表头"):
        find_header(open_rows(path, "csv"), None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_every_encoding_banks_export_without_asking(tmp_path, encoding):
    rows = person_rows(3)
    path = write_csv(tmp_path / "e.csv", rows, encoding=encoding)
    read = [cells for _, cells in open_rows(path, "csv")]
    assert read[1] == HEADER
    assert read[2][1] == rows[0][1]


def test_encoding_detection_knows_gbk_from_utf8():
    text = "借款人,证件号码\n陈晓东,350503199001011234\n"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    # A multi-byte character cut at the end of the sample is still UTF-8.
    assert detect_encoding(text.encode("utf-8")[:-2] + "晓".encode()[:2]) == "utf-8"


def test_the_format_comes_from_the_content_before_the_name():
    assert file_format("清单.csv", b"PK\x03\x04") == "xlsx"
    assert file_format("清单.xls", b"\xd0\xcf\x11\xe0") == "xls"
    assert file_format("清单.CSV", b"a,b") == "csv"
    with pytest.raises(ApplicationError):
        file_format("清单.pdf", b"%PDF")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12,345.60", "12345.60"),
        ("12345.6元", "12345.60"),
        ("１２３４５．６", "12345.60"),
        ("￥1,000", "1000.00"),
        ("1.2万", "12000.00"),
        (1234.5, "1234.50"),
        ("0.005", "0.01"),
    ],
)
def test_amounts_are_read_as_banks_write_them(raw, expected):
    assert parse_money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["-100", "abc", "1.2.3"])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(ValueError):
        parse_money(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "20240305",
        "2024.3.5",
        45356,
        45356.0,
        "45356",
        "2024-03-05 00:00:00",
        dt.datetime(2024, 3, 5, 8),
    ],
)
def test_dates_in_every_format_including_excel_serials(raw):
    assert parse_date(raw) == dt.date(2024, 3, 5)


@pytest.mark.parametrize("raw", ["2024-13-45", "明天", "123", 5])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_products_flags_and_phones():
    assert parse_product("贷记卡") == "credit_card"
    assert parse_product("个人经营性贷款") == "business_loan"
    assert parse_product("小微企业流动资金贷款") == "sme_loan"
    with pytest.raises(ValueError):
        parse_product("理财")
    assert parse_bool("是") is True and parse_bool("") is False and parse_bool("√") is True
    assert split_phones("138 1234 5678") == ["13812345678"]
    assert split_phones("13812345678，13912345678") == ["13812345678", "13912345678"]


def test_the_fast_check_character_equals_the_reference():
    rng = random.Random(5)
    for _ in range(2000):
        first17 = "".join(str(rng.randrange(10)) for _ in range(17))
        assert check_char(first17) == id_check_char(first17)


def test_a_clean_row_becomes_a_record():
    record, errors = parse(good_row())
    assert errors == []
    assert record.contract_no == "HT-0001" and record.kind == "individual"
    assert record.principal == Decimal("12000.00") and record.total == Decimal("12300.50")
    assert record.phones == ["13812345678"] and record.overdue_since == dt.date(2026, 3, 5)


def test_ids_with_a_lowercase_x_spaces_full_width_or_15_digits_are_normalised():
    rng = random.Random(11)
    ident = next(i for i in (id_number(rng) for _ in range(200)) if i.endswith("X"))
    for raw in (
        ident[:-1] + "x",
        f"{ident[:6]} {ident[6:14]} {ident[14:]}",
        ident.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
    ):
        record, errors = parse(good_row(身份证号=raw))
        assert errors == [] and record.id_number == ident, raw
    legacy = "350503900101123"
    record, errors = parse(good_row(身份证号=legacy))
    first17 = "35050319900101123"
    assert errors == [] and record.id_number == first17 + id_check_char(first17)


def test_enterprise_debtors_are_recognised_by_their_credit_code():
    code = uscc_number(random.Random(2))
    record, errors = parse(
        good_row(身份证号=code, 业务品种="小微企业贷款", 客户姓名="泉州市某某贸易有限公司")
    )
    assert errors == [] and record.kind == "enterprise" and record.id_number == code


def test_a_bad_row_says_where_what_and_why_in_chinese():
    row = good_row(
        身份证号="350503199001011230", 联系电话="0595-2288", 欠款本金="-5", 首次逾期日="2026-13-45"
    )
    record, errors = parse(row)
    assert record is None
    by_column = {column: (value, reason) for _, column, value, reason in errors}
    assert by_column["身份证号"] == ("350503199001011230", "身份证号校验位不正确")
    assert by_column["联系电话"][1] == "手机号应为以1开头的11位数字"
    assert by_column["欠款本金"] == ("-5", "金额不能为负数")
    assert "不存在" in by_column["首次逾期日"][1]
    assert {r for r, *_ in errors} == {7}


def test_required_fields_depend_on_the_product():
    _, errors = parse(good_row(业务品种="小额贷款", 首次逾期日=""))
    assert [e[3] for e in errors] == ["贷款类案件须填写逾期起始日"]
    assert parse(good_row(业务品种="信用卡", 首次逾期日=""))[1] == []
    _, errors = parse(good_row(业务品种="小微企业贷款"))
    assert any("统一社会信用代码" in e[3] for e in errors)


def test_an_id_number_excel_turned_into_a_float_is_explained():
    _, errors = parse(good_row(身份证号=3.50503199001011e17))
    assert "文本" in errors[0][3]


def test_totals_and_blank_rows_are_skipped_silently():
    parser = parser_for(HEADER)
    assert parser.is_skippable(["合计", "", "", "", "", "1,000.00"])
    assert parser.is_skippable(["", "总 计："])
    assert parser.parse(9, [""] * 8) == (None, [])
    assert parser.parse(9, ["", "", "", "", "", "", "", "制表人：张三"]) == (None, [])


def test_the_fast_path_and_the_checked_path_agree_on_every_accepted_row():
    rng = random.Random(9)
    parser = parser_for(HEADER)
    variants = []
    for _ in range(400):
        row = good_row(
            身份证号=id_number(rng),
            联系电话=rng.choice([mobile(rng), "", "138 0000 1111", "12345", 13800001111.0]),
            欠款本金=rng.choice(
                ["12,000.00", "5000", "9999.999", "1.5元", "０", "0.125", "100.005", 1234.5, 0.125, 700]
            ),
            首次逾期日=rng.choice(
                ["2026-02-30", "2026/2/3", "20260203", "2026-02-03", "", 45356.0, dt.datetime(2024, 3, 5)]
            ),
            业务品种=rng.choice(["信用卡", "小额贷款", "消费贷款"]),
        )
        variants.append(row)
    for row in variants:
        fast = parser.parse_fast(7, row)
        checked, errors = parser.parse_checked(7, row)
        if fast is not None:
            assert errors == [] and checked == fast, row


def test_xlsx_with_merged_cells_a_title_and_numbers(tmp_path):
    import xlsxwriter

    path = tmp_path / "b.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.merge_range("A1:E1", "某银行逾期清单")
    sheet.write_row(2, 0, ["合同编号", "借款人", "证件号码", "手机号", "本金", "逾期日期"])
    ident = id_number(random.Random(1))
    sheet.merge_range("B4:B5", "陈晓东")
    sheet.merge_range("C4:C5", ident)
    sheet.write_row(3, 0, ["HT1"])
    sheet.write_row(4, 0, ["HT2"])
    sheet.write_number(3, 3, 13812345678)
    sheet.write_number(3, 4, 1500.5)
    sheet.write_number(4, 4, 300)
    sheet.write_number(3, 5, 45356)
    sheet.write_datetime(4, 5, dt.datetime(2024, 3, 5), book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    rows = open_rows(path, "xlsx")
    mapping, _ = find_header(rows, None)
    assert mapping.header_row == 3
    parser = RowParser(mapping, default_product="credit_card", today=TODAY)
    records = [parser.parse(n, cells) for n, cells in rows]
    assert [e for _, e in records] == [[], []]
    (first, _), (second, _) = records
    assert (first.row, second.row) == (4, 5)
    assert second.name == "陈晓东" and second.id_number == ident  # filled from the merged cell
    assert first.phones == ["13812345678"] and first.principal == Decimal("1500.50")
    assert first.overdue_since == second.overdue_since == dt.date(2024, 3, 5)


def test_the_progress_bar_counts_xlsx_rows_from_the_sheet_dimension(tmp_path):
    import zipfile

    import xlsxwriter

    from jiefen.disposal.intake.pipeline import count_rows

    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("清单").write_row(1233, 0, ["HT9", "陈晓东"])
    book.add_worksheet("另一张").write_row(9, 0, ["x"])
    book.close()
    assert count_rows(path, "xlsx") == 1234  # the first sheet's last row as Excel numbers it
    # A writer that leaves the dimension out: the count comes from reading the sheet instead.
    plain = tmp_path / "d.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(plain, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1234:B1234"/>', b"")
                assert b"<dimension" not in data
            dst.writestr(item, data)
    assert count_rows(plain, "xlsx") > 0


def test_legacy_xls_files_are_read(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("清单")
    for c, value in enumerate(["合同编号", "借款人", "证件号码", "本金", "产品类型"]):
        sheet.write(0, c, value)
    ident = id_number(random.Random(4))
    for c, value in enumerate(["HT9", "林秀英", ident, 800.0, "信用卡"]):
        sheet.write(1, c, value)
    path = tmp_path / "c.xls"
    book.save(str(path))
    rows = open_rows(path, "xls")
    mapping, _ = find_header(rows, None)
    record, errors = RowParser(mapping, today=TODAY).parse(*next(rows))
    assert errors == [] and record.id_number == ident and record.row == 2
