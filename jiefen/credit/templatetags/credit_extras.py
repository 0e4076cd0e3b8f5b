from django import template

register = template.Library()


@register.simple_tag
def slot(post, prefix: str, n: int, name: str) -> str:
    """The value a numbered form slot (debt-2-principal) had, to refill the form after an error."""
    if not post:
        return ""
    return post.get(f"{prefix}-{n}-{name}", "")


@register.filter
def yuan(value) -> str:
    from jiefen.common.money import fmt

    return fmt(value)


@register.filter
def absval(value):
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def reason_labels(codes) -> str:
    from jiefen.credit.plans import REASON_LABELS

    return "、".join(REASON_LABELS.get(c, c) for c in codes or [])


@register.filter
def size_labels(codes) -> str:
    from jiefen.credit.plans import SIZE_LABELS

    return "、".join(SIZE_LABELS.get(c, c) for c in codes or [])
