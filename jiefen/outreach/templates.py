"""SMS templates with variables: {name} {amount} {deadline} {hotline} {institution} {center}.

The debtor's name is always masked (张*明): a text message can be read by whoever holds the phone,
and PIPL Art 51 asks for de-identification where the purpose allows it.
"""

from __future__ import annotations

import re
import string

from django.conf import settings

from jiefen.common.errors import ApplicationError
from jiefen.common.identifiers import mask_name
from jiefen.common.money import fmt

from .compliance import THIRD_PARTY_FORBIDDEN_VARIABLES, disclosure_refusal

VARIABLES = {
    "name": "债务人姓名（脱敏，如 张*明）",
    "amount": "欠款金额",
    "deadline": "还款或联系期限",
    "hotline": "调处中心热线",
    "institution": "债权机构简称",
    "center": "调处中心名称",
}
MAX_LENGTH = 300


def variables_in(body: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]
    except ValueError as exc:
        raise ApplicationError(f"模板格式有误：{exc}", code="invalid_template") from exc


def template_check(*, body: str, audience: str) -> None:
    """Refuse a template that uses unknown variables, or that would tell a third party of the debt."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError("模板内容不能为空", code="invalid_template")
    if len(body) > MAX_LENGTH:
        raise ApplicationError(f"模板不能超过{MAX_LENGTH}字", code="invalid_template")
    names = variables_in(body)
    unknown = [n for n in names if n not in VARIABLES]
    if unknown:
        raise ApplicationError(
            "未知的变量："
            + "、".join("{" + n + "}" for n in unknown)
            + "（可用："
            + " ".join("{" + v + "}" for v in VARIABLES)
            + "）",
            code="invalid_template",
        )
    if audience == "third_party":
        bad = [n for n in names if n in THIRD_PARTY_FORBIDDEN_VARIABLES]
        if bad:
            raise ApplicationError(
                "发给第三人的模板不得使用金额或期限变量（不得向第三人透露债务信息）",
                code="third_party_disclosure",
            )
        refusal = disclosure_refusal(re.sub(r"\{[a-z_]+\}", "", body))
        if refusal:
            raise ApplicationError(refusal, code="third_party_disclosure")


def context_for_case(case, *, deadline=None) -> dict[str, str]:
    due = deadline or case.stage_due_on
    return {
        "name": mask_name(case.debtor.name),
        "amount": fmt(case.claim_total),
        "deadline": due.strftime("%Y年%-m月%-d日") if due else "尽快",
        "hotline": settings.JIEFEN_HOTLINE,
        "institution": case.institution.short_name or case.institution.name,
        "center": settings.JIEFEN_CENTER_NAME,
    }


def render(body: str, context: dict[str, str]) -> str:
    return body.format_map({k: context.get(k, "") for k in VARIABLES})


def params_for(body: str, context: dict[str, str]) -> dict[str, str]:
    """The provider template's variables, in the order the template uses them."""
    out: dict[str, str] = {}
    for name in variables_in(body):
        out.setdefault(name, context.get(name, ""))
    return out
