"""`jiefen scheduler`: enqueue periodic jobs (cube refresh, weekly/monthly/quarterly reports).

Safe to run more than one (or inside every worker): a run is claimed by compare-and-set, so it is
enqueued exactly once. `--once` does one tick and exits (cron-style use).
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from jiefen.stats import schedules


class Command(BaseCommand):
    help = "按计划把定时任务（汇总表刷新、周月季报告、投诉督办、异议预警、履约检查）放入后台任务队列"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只检查一次后退出")
        parser.add_argument("--max-sleep", type=float, default=15.0, help="两次检查之间最长等待秒数")

    def handle(self, *args, once: bool = False, max_sleep: float = 15.0, **options):
        if once:
            for key in schedules.tick():
                self.stdout.write(f"已排队：{key}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(f"调度器已启动，最长间隔 {max_sleep:g} 秒（Ctrl+C 停止）")
        schedules.loop(stop, max_sleep=max_sleep, say=self.stdout.write)
        self.stdout.write("调度器已停止")
