import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Migrate if needed, then serve the platform (ASGI, static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--demo", action="store_true", help="load the demo data if the database is empty")
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker and scheduler (run `jiefen worker` and "
            "`jiefen scheduler` as services of their own instead)",
        )

    def handle(self, *args, host, port, demo, workers, no_worker=False, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("正在迁移数据库…")
            call_command("migrate", interactive=False, verbosity=0)
        if demo:
            call_command("demo")
        import uvicorn

        self.stdout.write(self.style.SUCCESS(f"解纷已启动：http://{host}:{port}/   （Ctrl+C 停止）"))
        if settings.DEMO_MODE:
            from jiefen.accounts.views import DEMO_PASSWORD
            from jiefen.demo.data import DEMO_USERS

            self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
            for u in DEMO_USERS:
                self.stdout.write(f"  {u['username']:<18} {u['label']}")
        # Imports, SMS batches and reports are background tasks; without a worker beside the web
        # server an upload would wait forever, so one machine gets both unless told otherwise.
        helpers = [] if no_worker else self._start_helpers()
        sys.stdout.flush()
        # uvicorn re-raises SIGTERM after its graceful shutdown, with the handler it found installed:
        # this one turns it into an exit that runs the `finally` below, so the helpers stop too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            uvicorn.run(
                "config.asgi:application",
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                lifespan="off",
            )
        finally:
            for process in helpers:
                process.terminate()
            for process in helpers:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _start_helpers(self) -> list[subprocess.Popen]:
        started = []
        # Quiet beside the web server: a line per task every minute would bury the console; errors show.
        env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
        for command in (["worker", "--no-reload", "--no-startup-delay"], ["scheduler"]):
            started.append(
                subprocess.Popen(  # noqa: S603 — our own command line
                    [sys.executable, "-m", "jiefen.cli", *command], stdout=subprocess.DEVNULL, env=env
                )
            )
        self.stdout.write("后台任务进程与定时调度已启动（--no-worker 可关闭）")
        return started
