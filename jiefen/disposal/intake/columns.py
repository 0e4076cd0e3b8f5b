"""Which column of a bank's export holds which field, found from the header under its many names.

Banks name the same column a dozen ways (借款人 / 客户姓名 / 客户名称 …); the synonyms below cover
the common ones, and an institution can save its own names (ColumnMapping) for the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .values import clean_text

# field key → (label shown to people, synonyms). Synonyms are compared after normalize_header().
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "contract_no": (
        "合同编号",
        (
            "合同编号",
            "合同号",
            "借款合同编号",
            "借款合同号",
            "贷款合同号",
            "贷款合同编号",
            "借据号",
            "借据编号",
            "合同编码",
            "业务编号",
            "协议编号",
            "账户编号",
            "贷款账号",
        ),
    ),
    "debtor_name": (
        "借款人",
        (
            "借款人",
            "借款人姓名",
            "借款人名称",
            "客户姓名",
            "客户名称",
            "客户名",
            "姓名",
            "名称",
            "债务人",
            "债务人姓名",
            "债务人名称",
            "户名",
            "持卡人",
            "持卡人姓名",
            "企业名称",
            "被申请人",
        ),
    ),
    "id_number": (
        "证件号码",
        (
            "证件号码",
            "证件号",
            "身份证号",
            "身份证号码",
            "身份证",
            "借款人证件号码",
            "借款人身份证号",
            "客户证件号码",
            "客户证件号",
            "证件号码统一社会信用代码",
            "身份证号统一社会信用代码",
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
        ),
    ),
    "debtor_kind": ("客户类型", ("客户类型", "借款人类型", "主体类型", "客户性质", "债务人类型", "对公对私")),
    "phone": (
        "手机号",
        (
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "电话号码",
            "联系方式",
            "手机",
            "移动电话",
            "联系手机",
            "预留手机号",
            "借款人手机号",
            "借款人电话",
            "客户手机号",
            "备用电话",
            "备用手机",
            "备用手机号",
            "其他电话",
            "其他联系电话",
        ),
    ),
    "product_type": (
        "产品类型",
        (
            "产品类型",
            "业务类型",
            "贷款类型",
            "业务品种",
            "产品名称",
            "贷款品种",
            "产品",
            "贷款种类",
            "案件类型",
        ),
    ),
    "principal": (
        "本金",
        (
            "本金",
            "欠款本金",
            "逾期本金",
            "本金余额",
            "贷款余额",
            "剩余本金",
            "透支本金",
            "借款本金",
            "未还本金",
            "欠本金",
        ),
    ),
    "interest": ("利息", ("利息", "欠息", "应收利息", "逾期利息", "未还利息", "正常利息", "欠款利息")),
    "penalty_interest": ("罚息", ("罚息", "逾期罚息", "罚息金额")),
    "compound_interest": ("复利", ("复利", "复息", "复利金额")),
    "fees": ("费用", ("费用", "违约金", "手续费", "滞纳金", "费用及违约金", "其他费用", "年费", "费用合计")),
    "total": (
        "欠款总额",
        (
            "欠款总额",
            "欠款金额",
            "合计金额",
            "总欠款",
            "应还总额",
            "逾期总额",
            "欠款合计",
            "债权总额",
            "诉求金额",
            "逾期金额",
            "拖欠金额",
        ),
    ),
    "overdue_since": (
        "逾期起始日",
        (
            "逾期起始日",
            "逾期起始日期",
            "逾期日期",
            "逾期开始日期",
            "逾期开始日",
            "首次逾期日",
            "首次逾期日期",
            "逾期日",
            "违约日期",
            "逾期时间",
        ),
    ),
    "branch": (
        "网点",
        ("网点", "网点代码", "网点名称", "经办网点", "支行", "经办机构", "所属网点", "开户网点", "经办行"),
    ),
    "involves_litigation": ("是否涉诉", ("是否涉诉", "涉诉", "涉诉情况", "涉诉涉访", "是否涉诉涉访")),
    "involves_petition": ("是否涉访", ("是否涉访", "涉访", "信访", "是否信访", "涉访情况")),
    "prior_negotiation_failed": (
        "前期协商未果",
        ("前期协商未果", "协商未果", "是否协商未果", "协商失败", "前期协商情况", "前期协商"),
    ),
    "vulnerable": ("困难群体", ("困难群体", "是否困难群体", "特殊群体")),
    "legal_rep": ("法定代表人", ("法定代表人", "法人代表", "法人", "法定代表人姓名")),
}

LABELS = {key: label for key, (label, _) in FIELDS.items()}
# Fields a file may carry several columns of (手机号1, 手机号2, 备用电话 …).
MULTI = frozenset({"phone"})
AMOUNT_FIELDS = ("principal", "interest", "penalty_interest", "compound_interest", "fees")

_PARENS = re.compile(r"[（(【\[].*?[）)】\]]")
_JUNK = re.compile(r"[\s*＊:：/、\-_#№.]")


def normalize_header(value) -> str:
    """证件号码（必填）→ 证件号码; ＊手机号2 → 手机号; 'Principal (元)' → principal."""
    text = unicodedata.normalize("NFKC", clean_text(value))
    text = _PARENS.sub("", text)
    text = _JUNK.sub("", text).lower()
    return text.rstrip("0123456789") or text


_SYNONYMS: dict[str, str] = {}
for _key, (_label, _names) in FIELDS.items():
    for _name in _names:
        _SYNONYMS.setdefault(normalize_header(_name), _key)
    _SYNONYMS.setdefault(_key, _key)


@dataclass
class Mapping:
    """The result of reading a header: field → column indices, and what was left unmapped."""

    header_row: int  # as a person counts rows in the file (1-based)
    headers: list[str]
    columns: dict[str, list[int]] = field(default_factory=dict)
    unmapped: list[int] = field(default_factory=list)

    def first(self, key: str) -> int | None:
        cols = self.columns.get(key)
        return cols[0] if cols else None

    def header_of(self, index: int) -> str:
        return self.headers[index] if index < len(self.headers) else ""

    def as_json(self) -> dict:
        return {
            "header_row": self.header_row,
            "headers": self.headers,
            "columns": self.columns,
            "unmapped": self.unmapped,
        }


def field_for(header, custom: dict[str, str] | None = None) -> str | None:
    key = normalize_header(header)
    if not key:
        return None
    if custom and key in custom:
        return custom[key] or None
    return _SYNONYMS.get(key)


def map_header(cells: list, row_number: int, custom: dict[str, str] | None = None) -> Mapping:
    headers = [clean_text(c) for c in cells]
    mapping = Mapping(header_row=row_number, headers=headers)
    for index, header in enumerate(headers):
        if not header:
            continue
        key = field_for(header, custom)
        if key is None or key not in FIELDS:
            mapping.unmapped.append(index)
            continue
        if key in mapping.columns and key not in MULTI:
            # A second column of the same meaning (借款人 and 客户名称): the first one wins.
            mapping.unmapped.append(index)
            continue
        mapping.columns.setdefault(key, []).append(index)
    return mapping


HEADER_SCAN_ROWS = 30


def looks_like_header(cells: list, custom: dict[str, str] | None = None) -> bool:
    keys = {field_for(c, custom) for c in cells if c not in (None, "")}
    keys.discard(None)
    return len(keys) >= 3 and bool(keys & {"contract_no", "id_number", "debtor_name"})


REQUIRED_COLUMNS = ("contract_no", "debtor_name", "id_number")


def missing_columns(mapping: Mapping, *, default_product: str = "") -> list[str]:
    missing = [LABELS[k] for k in REQUIRED_COLUMNS if k not in mapping.columns]
    if "principal" not in mapping.columns and "total" not in mapping.columns:
        missing.append("本金或欠款总额")
    if "product_type" not in mapping.columns and not default_product:
        missing.append("产品类型（或在上传时选择默认产品类型）")
    return missing
