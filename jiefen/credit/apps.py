from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "jiefen.credit"
    label = "credit"
    verbose_name = "信用救助"

    def ready(self):
        from jiefen.common.nav import register as nav
        from jiefen.orgs.roles import CENTER_ROLES, INSTITUTION_ROLES, Role
        from jiefen.public.tiles import register as tile

        nav(
            "信用助航站",
            "credit_home",
            order=30,
            roles=CENTER_ROLES | INSTITUTION_ROLES | {Role.PBC_OFFICER, Role.VIEWER},
        )
        nav("征信异议", "credit_disputes", order=31, roles={Role.DISPUTE_LIAISON, Role.PBC_OFFICER})
        tile(
            "信用救助申请",
            "征信异议、个人声明、还款困难帮扶、征信咨询，全部免费",
            "credit_public_home",
            order=10,
        )
        tile("查询办理进度", "凭申请编号和手机号查看进度、答复函和协议", "credit_public_track", order=11)
