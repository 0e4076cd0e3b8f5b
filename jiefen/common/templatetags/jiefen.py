from django import template

from jiefen.common import clock
from jiefen.common.money import fmt

register = template.Library()


@register.filter
def days_left(due):
    return clock.days_left(due)


@register.filter
def abs_int(value):
    return abs(int(value))


@register.filter
def money(value):
    return fmt(value)


@register.filter
def status_label(value):
    from jiefen.cases.machine import Status

    try:
        return Status(value).label
    except ValueError:
        return value or ""


@register.filter
def action_label(value):
    from jiefen.cases.machine import BY_ACTION

    # Timeline entries that are not transitions of the state machine.
    extra = {
        "create": "收案",
        "assign": "分配",
        "import_update": "导入更新",
        "contact_sms": "催告短信",
        "contact_call": "电话联系",
        "promise": "还款承诺",
        "triage_override": "人工调整初筛",
        "triage_rerun": "重新初筛",
        "lost_contact": "标记失联",
        "phone_added": "新增号码",
        "sms_opt_out": "短信退订",
        "recovery_requested": "发起失联修复",
        "recovery_result": "失联修复回盘",
    }
    t = BY_ACTION.get(value)
    return t.label if t else extra.get(value, value)
