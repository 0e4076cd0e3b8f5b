"""Every legal or centre-set number jiefen enforces, defined once with its source.

docs/rules.md is the human-readable table of this file; tests check they agree.
A rule marked `configurable` may be changed by the centre in the admin (RuleOverride), because
its number is centre policy or not verified against the statute text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import clock


@dataclass(frozen=True)
class Rule:
    key: str
    amount: int
    unit: str  # days | working_days | months | years | count | hour
    title: str
    source: str
    configurable: bool = False


RULES: dict[str, Rule] = {
    r.key: r
    for r in [
        Rule(
            "disposal.period",
            30,
            "days",
            "集中处置期限（调处中心设定）",
            "调处中心工作规则",
            configurable=True,
        ),
        Rule("mediation.assign", 3, "working_days", "指定调解员期限", "人民法院在线调解规则（2021）第12条"),
        Rule(
            "mediation.accept", 3, "working_days", "调解员接受委派期限", "人民法院在线调解规则（2021）第12条"
        ),
        Rule(
            "mediation.period",
            30,
            "days",
            "诉前（委派）调解期限",
            "最高法特邀调解规定（2016）第19条；在线调解规则第24条",
        ),
        Rule(
            "confirmation.apply",
            30,
            "days",
            "申请司法确认期限（协议生效之日起）",
            "民事诉讼法（2023）第205条；人民调解法第33条",
        ),
        Rule(
            "confirmation.decide", 30, "days", "司法确认审查期限（受理之日起）", "民事诉讼法（2023）第187条"
        ),
        Rule("litigation.small_claims", 2, "months", "小额诉讼审理期限", "民事诉讼法（2023）第168条"),
        Rule("litigation.simplified", 3, "months", "简易程序审理期限", "民事诉讼法（2023）第164条"),
        Rule("litigation.ordinary", 6, "months", "普通程序审理期限", "民事诉讼法（2023）第152条"),
        Rule(
            "enforcement.apply", 2, "years", "申请执行期限（履行期限最后一日起）", "民事诉讼法（2023）第250条"
        ),
        Rule(
            "credit.dispute_reply", 20, "days", "征信异议书面答复期限（收到之日起）", "征信业管理条例第25条"
        ),
        Rule(
            "credit.pbc_complaint_reply", 30, "days", "人民银行征信投诉书面答复期限", "征信业管理条例第26条"
        ),
        Rule(
            "complaint.decide",
            15,
            "days",
            "投诉处理决定期限",
            "银行保险机构消费投诉处理管理办法（2020）",
            configurable=True,
        ),
        Rule(
            "complaint.extend_to",
            30,
            "days",
            "复杂投诉可延长至",
            "银行保险机构消费投诉处理管理办法（2020）",
            configurable=True,
        ),
        Rule(
            "complaint.max",
            60,
            "days",
            "特别复杂投诉最长期限",
            "银行保险机构消费投诉处理管理办法（2020）",
            configurable=True,
        ),
        Rule(
            "collection.quiet_start",
            22,
            "hour",
            "催收静默时段开始（时）",
            "中国银行业协会《个人消费类贷款催收工作指引（试行）》",
            configurable=True,
        ),
        Rule(
            "collection.quiet_end",
            8,
            "hour",
            "催收静默时段结束（时）",
            "中国银行业协会《个人消费类贷款催收工作指引（试行）》",
            configurable=True,
        ),
        Rule(
            "collection.max_unanswered_calls",
            6,
            "count",
            "同一号码每日未接通拨打上限",
            "中国银行业协会《个人消费类贷款催收工作指引（试行）》",
            configurable=True,
        ),
        Rule(
            "card.max_instalments",
            60,
            "count",
            "信用卡个性化分期最长期数",
            "商业银行信用卡业务监督管理办法第70条",
        ),
        Rule("limitation.general", 3, "years", "诉讼时效", "民法典第188条"),
    ]
}


def get(key: str) -> Rule:
    """The rule with the centre's override applied, if it may be overridden."""
    rule = RULES[key]
    if rule.configurable:
        from .models import RuleOverride

        override = RuleOverride.cached().get(key)
        if override is not None:
            return Rule(rule.key, override, rule.unit, rule.title, rule.source, True)
    return rule


def due(key: str, event: dt.datetime | dt.date) -> dt.date:
    rule = get(key)
    return clock.add_period(event, rule.amount, rule.unit)
