"""`jiefen performance`: the daily job of the repayment plans (run once a day, e.g. at 08:30).

Sends a reminder SMS before each instalment falls due and flags agreements whose instalment is unpaid
past the grace days, telling the mediator and the creditor in the room.
"""

import datetime as dt

from django.core.management.base import BaseCommand

from jiefen.mediation.services import performance_check


class Command(BaseCommand):
    help = "履约检查：还款提醒短信与违约预警（每日运行一次）"

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, help="按指定日期检查（YYYY-MM-DD）")

    def handle(self, *args, today=None, **options):
        result = performance_check(today=today)
        self.stdout.write(
            self.style.SUCCESS(f"发送还款提醒 {result['reminded']} 条，发现违约 {result['flagged']} 件")
        )
