from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load the demo data into an empty database (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=500)
        parser.add_argument("--force", action="store_true", help="also outside demo mode")

    def handle(self, *args, cases, force, **options):
        if not settings.DEMO_MODE and not force:
            raise CommandError("演示数据只能在演示模式（DEBUG=true）下载入；确需载入请加 --force")
        from jiefen.demo.data import load

        result = load(cases=cases)
        if result["cases"] == 0:
            self.stdout.write("数据库中已有案件，未载入演示数据。")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已载入演示数据：{result['cases']} 件案件，{result['institutions']} 家机构，{result['users']} 个账号"
                )
            )
