from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "jiefen.assistant"
    label = "assistant"
    verbose_name = "智能问答"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role
        from jiefen.public.tiles import register as tile

        register(
            "智能问答",
            "assistant_queue",
            order=60,
            roles=[Role.CENTER_ADMIN, Role.CENTER_STAFF, Role.PBC_OFFICER],
        )
        # The regulator's read-only viewers see the statistics only.
        register("问答统计", "assistant_stats", order=61, roles=[Role.VIEWER])
        tile("智能问答", "7×24小时征信问题解答", "assistant_public", order=5)
