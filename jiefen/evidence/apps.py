from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "jiefen.evidence"
    label = "evidence"
    verbose_name = "存证"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role
        from jiefen.public.tiles import register as tile

        register("存证", "evidence_ledger", order=60, roles=[Role.CENTER_ADMIN, Role.CENTER_STAFF])
        tile(
            "文书核验",
            "上传收到的协议、裁定等文件，核对是否与签署存证的文件一字不差",
            "evidence_verify",
            order=60,
        )
