"""`jiefen ledger verify` walks the whole chain; `jiefen ledger seal` makes the day's Merkle root.

verify exits 0 when the chain is whole and 1 naming the first broken link, so a cron job or a
monitoring check can alert on it. seal is meant to run once a day (after midnight).
"""

from django.core.management.base import BaseCommand, CommandError

from jiefen.evidence.services import ledger_verify, merkle_seal


class Command(BaseCommand):
    help = "存证账本：verify 校验整条哈希链；seal 生成并锚定每日默克尔根"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验哈希链、存证文件与默克尔根；断裂时退出码为 1")
        verify.add_argument("--no-files", action="store_true", help="不重新计算存证文件的哈希")
        verify.add_argument("--all", action="store_true", help="列出全部问题，而不是在第一处停止")
        seal = sub.add_parser("seal", help="封存上次以来的新记录为一个默克尔根，并锚定")
        seal.add_argument("--no-anchor", action="store_true", help="只计算，不锚定")

    def handle(self, *args, action, **options):
        if action == "verify":
            result = ledger_verify(check_files=not options["no_files"], stop_at_first=not options["all"])
            if not result.ok:
                for problem in result.problems[1:]:
                    self.stderr.write(problem)
                raise CommandError(result.summary, returncode=1)
            self.stdout.write(self.style.SUCCESS(result.summary))
        elif action == "seal":
            root = merkle_seal(anchor=not options["no_anchor"])
            if root is None:
                self.stdout.write("没有新的存证记录需要封存。")
                return
            anchored = f"，已锚定（{root.anchor_receipt}）" if root.anchored_at else "，尚未锚定"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{root.day} 封存第 {root.first_seq}–{root.last_seq} 条（{root.count} 条），"
                    f"默克尔根 {root.root}{anchored}"
                )
            )
