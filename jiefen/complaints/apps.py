from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "jiefen.complaints"
    label = "complaints"
    verbose_name = "行长直通车"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role
        from jiefen.public.tiles import register as tile

        register(
            "直通车工单",
            "complaints_list",
            order=40,
            roles=[
                Role.CENTER_ADMIN,
                Role.CENTER_STAFF,
                Role.INST_MANAGER,
                Role.COMPLAINT_HANDLER,
                Role.PBC_OFFICER,
                Role.VIEWER,
            ],
        )
        tile("行长直通车", "对银行服务不满意？在线投诉，行长接单，15日内答复", "complaints_public", order=30)
        tile("投诉进度", "查询投诉办理情况，确认结果并评价", "complaints_track", order=31)
