import datetime as dt

import pytest

from jiefen.common.clock import SHANGHAI
from jiefen.education.models import Choice, Question, QuestionBank, Quiz
from jiefen.orgs.models import Region


def at(day: str, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute, second), tzinfo=SHANGHAI)


@pytest.fixture
def regions(db):
    for code, name in {"350502": "鲤城区", "350503": "丰泽区", "350582": "晋江市"}.items():
        Region.objects.get_or_create(code=code, defaults={"name": name})


def make_quiz(*, questions: int = 3, time_limit: int = 300, prizes: int = 2, organisations: str = "") -> Quiz:
    bank = QuestionBank.objects.create(title="测试题库", topic="scams")
    for n in range(questions):
        q = Question.objects.create(bank=bank, kind="single", text=f"第{n + 1}题", position=n)
        Choice.objects.create(question=q, label="A", text="对", is_correct=True)
        Choice.objects.create(question=q, label="B", text="错")
    multi = Question.objects.create(
        bank=bank, kind="multiple", text="哪些是免费渠道", position=99, is_active=False
    )
    Choice.objects.create(question=multi, label="A", text="异议", is_correct=True)
    Choice.objects.create(question=multi, label="B", text="投诉", is_correct=True)
    Choice.objects.create(question=multi, label="C", text="付费修复")
    return Quiz.objects.create(
        title="“征信修复”是骗局 知识竞答",
        slug="quiz-test",
        bank=bank,
        num_questions=0,
        time_limit_seconds=time_limit,
        starts_at=at("2026-03-01", 0),
        ends_at=at("2026-03-31", 23, 59),
        state="open",
        prize_count=prizes,
        organisations=organisations,
    )


@pytest.fixture
def quiz(db):
    return make_quiz()


def all_right(attempt) -> dict:
    return {str(pk): ["A"] for pk in attempt.question_ids}
