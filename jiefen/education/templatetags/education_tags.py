from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..registry import CHANNEL_LABELS

register = template.Library()


@register.filter
def edu_body(text: str) -> str:
    """Plain text to HTML: blank lines separate paragraphs, "## " starts a heading, "- " a list item.
    Everything is escaped first, so editors cannot inject markup into public pages."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + "<br>".join(para) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in (text or "").splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("## "):
            flush()
            out.append(f"<h2>{escape(s[3:])}</h2>")
        elif s.startswith("- "):
            if para:
                flush()
            items.append(escape(s[2:]))
        else:
            if items:
                flush()
            para.append(escape(s))
    flush()
    return mark_safe("".join(out))  # noqa: S308 — every fragment above is escaped


@register.filter
def channel_label(value: str) -> str:
    return CHANNEL_LABELS.get(value, value or "")


ACTIONS = {
    "create": "登记线索",
    "follow_up": "跟进",
    "identify": "核实确认",
    "notify": "对接告知",
    "start_rectify": "督促整改",
    "rectified": "整改完成",
    "renamed": "变更名称或经营范围",
    "cancelled": "注销",
    "close": "销号",
    "dismiss": "排除",
}


@register.filter
def scam_action(value: str) -> str:
    return ACTIONS.get(value, value)


@register.filter
def letter_of(index: int) -> str:
    return "ABCDEFGH"[index] if 0 <= index < 8 else str(index)


@register.filter
def get_mark(marks: dict, key) -> bool:
    return bool(marks.get(key)) if marks else False
