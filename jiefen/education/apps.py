from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "jiefen.education"
    label = "education"
    verbose_name = "宣传教育与黑灰产治理"

    def ready(self):
        from jiefen.common.nav import register
        from jiefen.orgs.roles import Role
        from jiefen.public.tiles import register as tile

        register(
            "宣教与治理",
            "education_home",
            order=60,
            roles=[
                Role.CENTER_ADMIN,
                Role.CENTER_STAFF,
                Role.PBC_OFFICER,
                Role.VIEWER,
                Role.INST_MANAGER,
                Role.COMPLAINT_HANDLER,
                Role.DISPUTE_LIAISON,
                Role.DISPOSAL_STAFF,
            ],
        )
        tile("征信知识课堂", "征信常识、异议维权、典型案例，可打印", "education_library", order=50)
        tile("有奖竞答", "“征信修复是骗局”知识竞答，答对有机会获奖", "education_quizzes", order=51)
        tile("举报“征信修复”", "遇到收费洗白征信、代理维权，请在这里举报", "education_report", order=52)
