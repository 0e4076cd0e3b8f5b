from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _calendar_changed(**kwargs):
    from . import clock

    clock.invalidate()


def _rules_changed(**kwargs):
    from .models import RuleOverride

    RuleOverride.invalidate()


class CommonConfig(AppConfig):
    name = "jiefen.common"
    label = "common"
    verbose_name = "通用"

    def ready(self):
        from .models import CalendarDay, CalendarYear, RuleOverride

        for model in (CalendarDay, CalendarYear):
            post_save.connect(_calendar_changed, sender=model, dispatch_uid=f"cal-save-{model.__name__}")
            post_delete.connect(_calendar_changed, sender=model, dispatch_uid=f"cal-del-{model.__name__}")
        post_save.connect(_rules_changed, sender=RuleOverride, dispatch_uid="rule-save")
        post_delete.connect(_rules_changed, sender=RuleOverride, dispatch_uid="rule-del")
