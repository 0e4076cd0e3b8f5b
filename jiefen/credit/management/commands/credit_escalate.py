import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from jiefen.common.clock import SHANGHAI


class Command(BaseCommand):
    help = "Raise overdue credit disputes and reporting-update tasks to the PBOC credit officer (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD: run as of this day (replaying a missed run)")
        parser.add_argument("--enqueue", action="store_true", help="hand the job to the background worker")

    def handle(self, *args, today=None, enqueue=False, **options):
        from jiefen.credit import services
        from jiefen.credit.tasks import run_escalations

        if enqueue:
            if today:
                raise CommandError("--today 不能与 --enqueue 同时使用")
            result = run_escalations.enqueue()
            self.stdout.write(f"已提交后台任务 {result.id}")
            return
        now = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError("--today 应为 YYYY-MM-DD") from None
            now = dt.datetime.combine(day, dt.time(23, 0), tzinfo=SHANGHAI)
        counts = services.escalations_run(now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"异议临期预警 {counts['dispute_warning']} 件，异议超期 {counts['dispute_overdue']} 件，"
                f"征信更新任务超期 {counts['reporting_overdue']} 项"
            )
        )
