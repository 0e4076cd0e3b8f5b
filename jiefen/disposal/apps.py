from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "jiefen.disposal"
    label = "disposal"
    verbose_name = "集中处置"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role

        desk = [
            Role.CENTER_ADMIN,
            Role.CENTER_STAFF,
            Role.INST_MANAGER,
            Role.DISPOSAL_STAFF,
            Role.PBC_OFFICER,
            Role.VIEWER,
        ]
        register("集中处置", "disposal_desk", order=20, roles=desk)
        register(
            "案件导入",
            "disposal_imports",
            order=21,
            roles=[Role.CENTER_ADMIN, Role.CENTER_STAFF, Role.INST_MANAGER, Role.DISPOSAL_STAFF],
        )
        register("初筛规则", "disposal_rules", order=22, roles=[Role.CENTER_ADMIN, Role.CENTER_STAFF])

        from jiefen.cases.pages import register as case_page

        case_page("disposal", "处置台（短信、电话、失联修复）", "disposal_case", statuses=["new", "disposal"])
