"""jiefen assistant-kb load FILE [--review] | export FILE | status

`load` reads a knowledge-base file (the one the project ships, or a centre's own, JSON or YAML) into
the database. By default the file counts as reviewed and its new or changed entries are published at
once; with --review they wait for a PBOC credit officer or the centre administrator to publish them.
Loading the same file twice changes nothing. `export` writes the published entries back in the file
format (YAML if FILE ends in .yaml/.yml; - for standard output).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiefen.assistant.kb import default_kb_path, dump_kb, load_kb
from jiefen.assistant.models import KbEntry, KbState, KbVersion
from jiefen.assistant.services import kb_export, kb_load
from jiefen.common.errors import ApplicationError


class Command(BaseCommand):
    help = "智能问答知识库：load 导入文件、export 导出为文件、status 查看发布情况"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="导入知识库文件（默认即发布；--review 则待审核）")
        load.add_argument(
            "file", nargs="?", default=str(default_kb_path()), help="默认为项目自带的知识库文件"
        )
        load.add_argument("--review", action="store_true", help="导入为待审核版本，不直接发布")
        load.add_argument("--user", help="以该用户名记录操作人（默认记为“系统”）")
        export = sub.add_parser("export", help="把已发布的知识库导出为文件")
        export.add_argument("file", help="输出文件（.json 或 .yaml），- 表示标准输出")
        export.add_argument(
            "--include-drafts", action="store_true", help="用草稿和待审核版本替代已发布版本（预览）"
        )
        sub.add_parser("status", help="显示条目数、待审核数和发布版本号")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _load(self, *, file, review, user, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在")
        try:
            kb = load_kb(file)
            counts = kb_load(actor=actor, kb=kb, publish=not review)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        what = "待审核" if review else "已发布"
        self.stdout.write(
            f"已导入 {file}：新增 {counts['created']} 条、更新 {counts['updated']} 条（{what}），"
            f"未变 {counts['unchanged']} 条"
        )

    def _export(self, *, file, include_drafts, **options):
        kb = kb_export(include_open=include_drafts)
        if not kb:
            raise CommandError("数据库中没有已发布的知识库条目（可先运行 jiefen assistant-kb load）")
        if file == "-":
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "kb.json"
                dump_kb(kb, path)
                sys.stdout.write(path.read_text(encoding="utf-8"))
            return
        dump_kb(kb, file)
        self.stdout.write(f"已导出 {len(kb)} 条到 {file}")

    def _status(self, **options):
        state = KbState.objects.filter(pk=1).first()
        counts = {s: KbVersion.objects.filter(status=s).count() for s in KbVersion.Status.values}
        self.stdout.write(
            json.dumps(
                {
                    "entries": KbEntry.objects.count(),
                    "published": counts["published"],
                    "review": counts["review"],
                    "draft": counts["draft"],
                    "revision": state.revision if state else 0,
                },
                ensure_ascii=False,
            )
        )
