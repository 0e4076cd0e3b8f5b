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

    extra = {"create": "收案", "assign": "分配", "import_update": "导入更新"}
    t = BY_ACTION.get(value)
    return t.label if t else extra.get(value, value)
