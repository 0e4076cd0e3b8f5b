"""jiefen import-cases --institution CODE FILE [--json]: import a bank file from the command line."""

import json

from django.core.management.base import BaseCommand, CommandError

from jiefen.common.errors import ApplicationError
from jiefen.disposal.imports import import_file, job_summary
from jiefen.disposal.models import ImportJob
from jiefen.orgs.models import Institution


class Command(BaseCommand):
    help = "导入机构案件文件（CSV/XLSX/XLS）：按（机构, 合同编号）去重，可重复执行"

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True, help="机构代码，如 ICBC-QZ")
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="只输出一行 JSON 结果")
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="有任何错误行时不导入（默认只导入有效行）"
        )
        parser.add_argument("--product", default="", help="文件没有“产品类型”列时使用的产品类型代码")

    def handle(self, *args, institution, file, json: bool, all_or_nothing: bool, product: str, **options):
        inst = Institution.objects.filter(code=institution).first()
        if inst is None:
            raise CommandError(f"没有代码为“{institution}”的机构")
        try:
            job = import_file(
                actor=None,
                institution=inst,
                path=file,
                mode=ImportJob.Mode.ALL_OR_NOTHING if all_or_nothing else ImportJob.Mode.PARTIAL,
                default_product=product,
                source="command",
            )
        except (ApplicationError, OSError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        summary = job_summary(job)
        if json:
            self.stdout.write(_dumps(summary))
            if job.status == ImportJob.Status.FAILED and job.message and not summary["errors"]:
                raise CommandError(job.message)
            return
        if job.status == ImportJob.Status.FAILED:
            self.stderr.write(job.message)
        self.stdout.write(
            f"数据行 {job.rows}：新增 {job.created}，更新 {job.updated}，无变化 {job.unchanged}，错误 {job.rejected}"
        )
        self.stdout.write(f"初筛：简易 {job.simple}，复杂 {job.complex}，失联 {job.lost_contact}")
        for error in summary["errors"][:50]:
            self.stdout.write(
                f"  第{error['row']}行 {error['column']}「{error['value']}」：{error['reason']}"
            )
        if len(summary["errors"]) > 50:
            self.stdout.write(f"  …… 共 {len(summary['errors'])} 条错误，完整清单请用 --json 或在网页下载")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
