from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "jiefen.mediation"
    label = "mediation"
    verbose_name = "调解"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role
        from jiefen.public.tiles import register as tile

        register(
            "调解",
            "mediation_home",
            order=30,
            roles=[
                Role.CENTER_ADMIN,
                Role.CENTER_STAFF,
                Role.MEDIATOR,
                Role.INST_MANAGER,
                Role.DISPOSAL_STAFF,
            ],
        )
        register(
            "履约",
            "mediation_performance",
            order=35,
            roles=[
                Role.CENTER_ADMIN,
                Role.CENTER_STAFF,
                Role.INST_MANAGER,
                Role.DISPOSAL_STAFF,
                Role.MEDIATOR,
            ],
        )
        from jiefen.cases.pages import register as case_page

        case_page(
            "mediation",
            "调解（指派、调解室、协议、履约）",
            "mediation_case",
            statuses=[
                "mediation_pending",
                "mediating",
                "agreed",
                "confirmation_pending",
                "confirmed",
                "performing",
                "defaulted",
                "mediation_failed",
            ],
            # Performance steps stay on the case page too: a plan agreed at the desk has no mediation.
            actions=["start_mediation", "mediation_agreed", "mediation_fail"],
        )
        tile("我的调解", "用手机验证码进入线上调解室、查看和签署调解协议", "mediation_my_rooms", order=20)
