"""jiefen ask "问题" [--kb FILE] [--json] | jiefen ask --batch FILE|- [--kb FILE]

Prints the answer as one JSON line (the fields of POST /api/v1/assistant/ask). Without --kb it answers
from the published knowledge base: the database's published entries when there are any, otherwise the
file the project ships, so it works on a fresh checkout before any migration. It writes nothing to
the database and needs no running server.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from jiefen.assistant.runtime import matcher_for_cli
from jiefen.assistant.services import answer_payload


def _utf8(stream):
    if (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8" and hasattr(
        stream, "reconfigure"
    ):
        stream.reconfigure(encoding="utf-8")
    return stream


class Command(BaseCommand):
    help = "向智能问答提问，输出一行 JSON；--batch 逐行批量提问（- 表示标准输入）"
    # Answering needs neither the system checks nor a migrated database.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("question", nargs="?", help="要问的问题")
        parser.add_argument("--kb", help="使用指定的知识库文件（JSON 或 YAML）代替已发布的知识库")
        parser.add_argument("--json", action="store_true", help="输出一行 JSON（默认即为 JSON）")
        parser.add_argument("--text", action="store_true", help="输出便于阅读的文字，而不是 JSON")
        parser.add_argument("--batch", metavar="FILE", help="每行一个问题的文件，- 表示从标准输入读取")

    def handle(self, *args, question, kb, batch, text, **options):
        if batch and question:
            raise CommandError("--batch 与单个问题不能同时使用")
        if not batch and not (question or "").strip():
            raise CommandError('请输入问题，例如：jiefen ask "怎么查征信"')
        try:
            matcher, _origin = matcher_for_cli(kb)
        except ValueError as exc:  # a malformed knowledge-base file: the message names entry and field
            raise CommandError(str(exc)) from exc
        out = _utf8(sys.stdout)
        if not batch:
            answer = matcher.ask(question.strip())
            out.write(self._render(answer, text) + "\n")
            return
        for line in self._lines(batch):
            out.write(self._render(matcher.ask(line), text) + "\n")
        out.flush()

    @staticmethod
    def _render(answer, text: bool) -> str:
        payload = answer_payload(answer)
        if not text:
            return json.dumps(payload, ensure_ascii=False)
        head = (
            "【转人工】"
            if payload["handoff"]
            else f"【{payload['intent']}，置信度 {payload['confidence']:.2f}】"
        )
        return head + "\n" + payload["answer"] + "\n"

    @staticmethod
    def _lines(batch: str):
        if batch == "-":
            stream = sys.stdin
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(encoding="utf-8-sig", errors="replace")
        else:
            try:
                stream = open(batch, encoding="utf-8-sig", errors="replace")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"无法读取问题文件 {batch}：{exc.strerror}") from exc
        with stream:
            for raw in stream:
                line = raw.strip()
                # A blank line is not a question: it gets no answer line.
                if line:
                    yield line
