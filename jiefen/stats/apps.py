from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "jiefen.stats"
    label = "stats"
    verbose_name = "监测统计"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import CENTER_ROLES, Role
        from jiefen.public.tiles import register as tile

        register(
            "监测统计",
            "stats_home",
            order=80,
            roles=CENTER_ROLES | {Role.INST_MANAGER, Role.PBC_OFFICER, Role.VIEWER},
        )
        tile("开放数据", "调处中心发布的分机构汇总数据（CSV/JSON）及数据字典", "stats_open_data", order=90)
