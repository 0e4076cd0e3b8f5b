"""The `jiefen` command: Django's management commands plus the platform's own.

`jiefen serve`, `jiefen demo`, `jiefen worker` and the rest; `jiefen --help` lists them.
"""

from __future__ import annotations

import os
import sys

OWN_COMMANDS = {
    "serve": "迁移数据库（如需要）并启动平台：jiefen serve [--host H] [--port P] [--demo]",
    "demo": "向空数据库载入演示数据（重复执行是安全的）",
    "worker": "运行后台任务（导入、报表、短信）",
    "scheduler": "定时把周期任务放入队列（汇总刷新、报告、投诉督办、异议预警、履约检查）",
    "import-cases": "导入机构案件文件：jiefen import-cases --institution 代码 文件 [--json]",
    "ask": '向智能问答提问：jiefen ask "问题" [--kb 知识库文件]',
    "assistant-kb": "智能问答知识库：load 导入、export 导出、status 查看",
    "ledger": "存证账本：verify 校验哈希链、seal 生成每日默克尔根",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"} and len(argv) == 2:
        print("用法：jiefen <命令> [选项]\n\n平台命令：")
        for name, text in OWN_COMMANDS.items():
            print(f"  {name:<10} {text}")
        print(
            "\n以及所有 Django 管理命令（migrate、createsuperuser、shell 等）；jiefen help --commands 列出全部。"
        )
        return
    if argv[1] == "worker":
        argv[1] = "db_worker"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jiefen", *argv[1:]])


if __name__ == "__main__":
    main()
