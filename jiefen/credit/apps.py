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
        from jiefen.mediation.services import performance_started

        performance_started.connect(_reporting_tasks_for_agreement, dispatch_uid="credit.reporting_tasks")
        tile("查询办理进度", "凭申请编号和手机号查看进度、答复函和协议", "credit_public_track", order=11)


def _reporting_tasks_for_agreement(sender, *, agreement, case, actor, **kwargs):
    """A mediated agreement being performed: the creditor updates the credit report after each payment."""
    from contextlib import suppress

    from jiefen.common.errors import Conflict

    from .services import reporting_tasks_create_for_agreement

    schedule = [(i.due_on, i.amount) for i in agreement.instalments.order_by("seq")]
    # Tasks of an earlier agreement of this case stay (Conflict); the station's page shows them.
    with suppress(Conflict):
        if schedule:
            reporting_tasks_create_for_agreement(case=case, schedule=schedule, actor=actor)
