from django.core.management.base import BaseCommand
from django.utils import timezone

from jiefen.education.content import seed_content


class Command(BaseCommand):
    help = "载入宣传教育初始内容：征信知识文章、典型案例和竞答题库（可重复运行，已存在的不覆盖）"

    def handle(self, *args, **options):
        made = seed_content(now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"新增宣传材料 {made['materials']} 篇，典型案例 {made['cases']} 个，题目 {made['questions']} 道"
            )
        )
