import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from jiefen.common.clock import SHANGHAI
from jiefen.complaints.services import complaint_sweep


class Command(BaseCommand):
    help = "行长直通车：到期提醒、超期升级督办、逾期未评价自动办结（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天（YYYY-MM-DD，上海时间正午）运行，用于补跑或演示")
        parser.add_argument("--enqueue", action="store_true", help="放入后台任务队列，由 jiefen worker 执行")

    def handle(self, *args, date=None, enqueue=False, **options):
        now = None
        if date:
            try:
                now = dt.datetime.combine(dt.date.fromisoformat(date), dt.time(12), tzinfo=SHANGHAI)
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        if enqueue:
            from jiefen.complaints.tasks import complaint_sweep_task

            result = complaint_sweep_task.enqueue(now=now.isoformat() if now else None)
            self.stdout.write(f"已加入任务队列：{result.id}")
            return
        counts = complaint_sweep(now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"到期提醒 {counts['reminded']} 件，升级至总行 {counts['head_office']} 件，"
                f"升级至调处中心 {counts['center']} 件，自动办结 {counts['auto_closed']} 件"
            )
        )
