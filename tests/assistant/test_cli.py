"""`jiefen ask`: one question, --json, --batch (file and standard input), --kb, and a fresh checkout."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiefen.assistant.services import kb_version_publish, kb_version_save, kb_version_submit

JIEFEN = Path(sys.executable).parent / "jiefen"
FIELDS = {"intent", "answer", "confidence", "handoff", "scam_warning", "sources"}

MINIMAL_KB = [
    {
        "id": "local.hours",
        "category": "local",
        "question": "征信查询网点几点开门？",
        "paraphrases": ["查询网点营业时间", "征信柜台周末开不开"],
        "answer": "本中心查询网点工作日 8:30–17:00 开放。",
    },
    {
        "id": "local.parking",
        "category": "local",
        "question": "来征信网点办事能停车吗？",
        "paraphrases": [],
        "answer": "网点门口有临时停车位。",
    },
]


def run(args, *, tmp_path, stdin=None, timeout=120):
    """The real command in a fresh checkout: its own empty var directory, no database yet."""
    env = {**os.environ, "JIEFEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603
        [str(JIEFEN), "ask", *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout
    )


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# ----------------------------------------------------------------------------- a fresh checkout
def test_it_answers_on_a_fresh_checkout_from_the_shipped_file(tmp_path):
    r = run(["查征信要钱吗"], tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    (answer,) = lines(r.stdout)
    assert set(answer) == FIELDS
    assert answer["intent"] == "query.fee"
    assert "10元" in answer["answer"], "Chinese is printed as is (ensure_ascii=False)"


def test_json_flag_prints_the_same_single_line(tmp_path):
    r = run(["征信报告有错怎么申诉", "--json"], tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1
    assert lines(r.stdout)[0]["intent"] == "dispute.how"


def test_batch_from_standard_input_answers_every_line_in_order(tmp_path):
    questions = ["怎么查征信", "明天天气怎么样", "花3000块能帮我洗白征信吗，包成功", "个人声明怎么撤销"]
    r = run(["--batch", "-"], tmp_path=tmp_path, stdin="\n".join(questions) + "\n\n")
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert len(out) == 4, "one line per question; blank lines are not questions"
    assert out[0]["intent"] == "query.channels"
    assert out[1]["handoff"] is True and out[1]["intent"] is None
    assert out[2]["scam_warning"] is True
    assert out[3]["intent"] == "statement.withdraw"


def test_batch_of_thousands_of_lines_is_fast(tmp_path):
    base = ["怎么查征信", "查征信要钱吗", "异议多久有结果", "逾期记录保存几年", "本人声明是什么"]
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(base * 600), encoding="utf-8")
    started = time.monotonic()
    r = run(["--batch", str(path)], tmp_path=tmp_path)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == 3000
    assert json.loads(out[2])["intent"] == "dispute.deadline"
    assert elapsed < 30, f"3000 questions took {elapsed:.1f}s (one matcher, built once)"


def test_kb_option_answers_from_a_minimal_custom_file(tmp_path):
    kb = tmp_path / "mine.json"
    kb.write_text(json.dumps(MINIMAL_KB, ensure_ascii=False), encoding="utf-8")
    r = run(["征信柜台周末开门吗", "--kb", str(kb)], tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    answer = lines(r.stdout)[0]
    assert answer["intent"] == "local.hours"
    assert answer["sources"] == []


def test_kb_option_reads_yaml_and_batches(tmp_path):
    yaml_kb = tmp_path / "mine.yaml"
    yaml_kb.write_text(
        "- id: local.hours\n  category: local\n  question: 征信查询网点几点开门？\n"
        "  paraphrases: [查询网点营业时间]\n  answer: 工作日 8:30–17:00 开放。\n",
        encoding="utf-8",
    )
    r = run(["--batch", "-", "--kb", str(yaml_kb)], tmp_path=tmp_path, stdin="征信查询网点几点开门\n")
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout)[0]["intent"] == "local.hours"


def test_a_malformed_kb_file_is_refused_with_a_chinese_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"id": "x", "category": "q", "question": "问？", "paraphrases": []}]), encoding="utf-8"
    )
    r = run(["问题", "--kb", str(bad)], tmp_path=tmp_path)
    assert r.returncode != 0
    assert "缺少必填字段“answer”" in r.stderr


def test_an_empty_question_is_refused(tmp_path):
    r = run(["  "], tmp_path=tmp_path)
    assert r.returncode != 0
    assert "请输入问题" in r.stderr


# ----------------------------------------------------------------------------- the published database
def call(*args, stdin: str | None = None) -> str:
    out = io.StringIO()
    old_stdout, old_stdin = sys.stdout, sys.stdin
    sys.stdout = out
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        call_command("ask", *args)
    finally:
        sys.stdout, sys.stdin = old_stdout, old_stdin
    return out.getvalue()


@pytest.mark.django_db
def test_without_kb_it_answers_from_the_published_database(world, published_kb):
    v = kb_version_save(
        actor=world.pbc_officer,
        key="query.fee",
        category="query",
        question="查询信用报告收费吗？",
        paraphrases=["查征信要钱吗"],
        answer="（新版本）每年两次免费。",
        source="《征信业管理条例》第17条",
    )
    assert json.loads(call("查征信要钱吗"))["answer"] != "（新版本）每年两次免费。", "a draft is not answered"
    kb_version_submit(actor=world.pbc_officer, version_id=v.pk)
    kb_version_publish(actor=world.center_admin, version_id=v.pk)
    answer = json.loads(call("查征信要钱吗", "--json"))
    assert answer["intent"] == "query.fee"
    assert answer["answer"] == "（新版本）每年两次免费。"


@pytest.mark.django_db
def test_batch_through_call_command_reads_standard_input(published_kb):
    out = call("--batch", "-", stdin="怎么查征信\n个人声明是什么\n")
    assert [json.loads(x)["intent"] for x in out.splitlines()] == ["query.channels", "statement.what"]


@pytest.mark.django_db
def test_batch_and_a_question_together_are_refused(db):
    with pytest.raises(CommandError, match="不能同时使用"):
        call_command("ask", "怎么查征信", "--batch", "-")
