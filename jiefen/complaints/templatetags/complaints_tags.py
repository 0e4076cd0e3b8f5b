from django import template

from ..models import Status

register = template.Library()

ACTIONS = {
    "submit": "提交投诉",
    "accept": "签收工单",
    "callback": "电话回访",
    "reply": "答复",
    "extension_request": "申请延期",
    "extension_rejected": "延期未获批准",
    "extend": "延长处理期限",
    "remind": "到期提醒",
    "escalate": "升级督办",
    "confirm_resolved": "投诉人确认已解决",
    "confirm_unresolved": "投诉人表示未解决",
    "auto_close": "逾期未评价，自动办结",
    "reopen": "申请重新处理",
    "withdraw": "撤回投诉",
    "convert": "转为调解案件",
    "scam_lead": "报告黑灰产线索",
}


@register.filter
def complaint_action(value: str) -> str:
    return ACTIONS.get(value, value)


@register.filter
def complaint_status(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value or ""
