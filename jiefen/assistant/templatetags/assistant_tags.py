from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as people read a waiting time: 45秒, 12分钟, 3小时5分钟, 2天3小时."""
    if seconds is None or seconds == "":
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s}秒"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    days, hours = divmod(hours, 24)
    return f"{days}天{hours}小时" if hours else f"{days}天"
