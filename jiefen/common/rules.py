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
        Rule(
            "credit.dispute_escalate_day",
            15,
            "days",
            "征信异议未答复提前预警并报人民银行（收到之日起第N日）",
            "调处中心工作规则（异议处理督办）",
            configurable=True,
        ),
        Rule(
            "credit.reporting_update",
            10,
            "days",
            "每期还款后机构更新征信报送的期限（还款日起）",
            "调处中心工作规则（协议履行后征信更新）",
            configurable=True,
        ),
        Rule(
            "credit.counseling_contact",
            3,
            "working_days",
            "首期逾期信用辅导首次联系期限（标记之日起）",
            "调处中心首期逾期信用辅导试点工作规则",
            configurable=True,
        ),
        Rule(
            "credit.counseling_followup",
            3,
            "months",
            "首期逾期信用辅导回访（是否保持正常还款）",
            "调处中心首期逾期信用辅导试点工作规则",
            configurable=True,
        ),
        Rule(
            "credit.statement_review",
            15,
            "days",
            "个人声明审核期限（待与征信中心核实）",
            "调处中心工作规则（现行官方流程未核实）",
            configurable=True,
        ),
        Rule(
            "credit.statement_max_chars",
            200,
            "count",
            "个人声明字数上限（待与征信中心核实）",
            "调处中心工作规则（现行官方限制未核实）",
            configurable=True,
        ),
        Rule(
            "loan.short_term_max",
            12,
            "months",
            "短期贷款期限上限",
            "贷款通则（1996）第9条",
        ),
        Rule(
            "loan.medium_term_max",
            60,
            "months",
            "中期贷款期限上限",
            "贷款通则（1996）第9条",
        ),
        Rule(
            "loan.extension_long_max",
            36,
            "months",
            "长期贷款累计展期最长期限",
            "贷款通则（1996）第12条",
        ),
        Rule(
            "mediation.extension_max",
            30,
            "days",
            "经双方同意延长调解期限的单次上限",
            "调处中心工作规则（特邀调解规定第19条：当事人同意可延长）",
            configurable=True,
        ),
        Rule(
            "performance.reminder",
            3,
            "days",
            "每期还款日前发送提醒短信（提前天数）",
            "调处中心工作规则",
            configurable=True,
        ),
        Rule(
            "performance.grace",
            5,
            "days",
            "逾期宽限期：超过即认定违约（机构还款政策可另设）",
            "调处中心工作规则",
            configurable=True,
        ),
        Rule(
            "mediation.room_link",
            30,
            "days",
            "调解室短信链接有效期",
            "调处中心工作规则",
            configurable=True,
        ),
        Rule(
            "complaint.remind_before",
            3,
            "days",
            "投诉到期前提醒（日）",
            "调处中心工作规则（行长直通车）",
            configurable=True,
        ),
        Rule(
            "complaint.escalate_center_after",
            3,
            "working_days",
            "超期未答复升级至调处中心（超期后工作日）",
            "调处中心工作规则（行长直通车）",
            configurable=True,
        ),
        Rule(
            "complaint.confirm_window",
            7,
            "days",
            "答复后投诉人确认评价期限，逾期视为办结",
            "调处中心工作规则（行长直通车）",
            configurable=True,
        ),
        Rule(
            "complaint.reopen_window",
            30,
            "days",
            "办结后投诉人可申请重新处理的期限",
            "调处中心工作规则（行长直通车）",
            configurable=True,
        ),
        Rule(
            "assistant.max_question_chars",
            500,
            "count",
            "智能问答单个问题最大字数",
            "调处中心工作规则（智能问答）",
        ),
        Rule(
            "assistant.rate_per_minute",
            20,
            "count",
            "同一地址每分钟最多提问次数",
            "调处中心工作规则（智能问答）",
            configurable=True,
        ),
        Rule(
            "assistant.rate_per_day",
            400,
            "count",
            "同一地址每日最多提问次数",
            "调处中心工作规则（智能问答）",
            configurable=True,
        ),
        Rule(
            "assistant.link_days",
            30,
            "days",
            "人工答复短信中会话链接的有效期",
            "调处中心工作规则（智能问答）",
        ),
        Rule(
            "stats.datacube_review",
            10,
            "working_days",
            "机构确认数据立方的期限（逾期未确认，中心可径行发布）",
            "调处中心工作规则（数据发布）",
            configurable=True,
        ),
        Rule(
            "stats.open_min_cell",
            10,
            "count",
            "开放数据小数值单元格抑制阈值（小于该数不公布）",
            "调处中心工作规则（数据发布）",
            configurable=True,
        ),
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


def amount(key: str) -> int:
    return get(key).amount


def due(key: str, event: dt.datetime | dt.date) -> dt.date:
    rule = get(key)
    return clock.add_period(event, rule.amount, rule.unit)
