from django.apps import AppConfig


class LitigationConfig(AppConfig):
    name = "jiefen.litigation"
    label = "litigation"
    verbose_name = "诉讼与执行"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role

        register(
            "诉讼与执行",
            "litigation_home",
            order=40,
            roles=[Role.CENTER_ADMIN, Role.CENTER_STAFF, Role.JUDGE, Role.INST_MANAGER, Role.DISPOSAL_STAFF],
        )

        from django.urls import reverse

        from jiefen.cases.pages import register as case_page

        def latest(case, relation, url_name):
            item = getattr(case, relation).order_by("-pk").first()
            return reverse(url_name, args=[item.pk]) if item else None

        def enforcement(case):
            item = type(case).enforcement.related.related_model.objects.filter(case=case).first()
            return reverse("litigation_enforcement", args=[item.pk]) if item else None

        case_page(
            "confirmation_new",
            "申请司法确认",
            "litigation_confirmation_new",
            statuses=["agreed"],
            actions=["request_confirmation", "confirm", "reject_confirmation"],
        )
        case_page(
            "confirmation",
            "司法确认",
            lambda case: latest(case, "confirmations", "litigation_confirmation"),
            statuses=["confirmation_pending", "confirmed", "agreed"],
        )
        case_page(
            "transfer_new",
            "一键移送诉讼",
            "litigation_transfer_new",
            statuses=["mediation_failed", "defaulted"],
            actions=["transfer_litigation", "judge"],
        )

        def transfer(case):
            # A case handed over from the desk reached court without a package: build it first.
            found = latest(case, "transfers", "litigation_transfer")
            if found is None and case.status == "litigation":
                return reverse("litigation_transfer_new", args=[case.pk])
            return found

        case_page("transfer", "诉讼", transfer, statuses=["litigation", "judged", "enforcement", "closed"])
        case_page(
            "enforcement_new",
            "申请强制执行",
            "litigation_enforcement_new",
            statuses=["defaulted", "judged"],
            actions=["apply_enforcement", "close_enforcement"],
        )
        case_page("enforcement", "执行", enforcement, statuses=["enforcement", "closed"])
