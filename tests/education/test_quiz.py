"""Quizzes: server-side timing, scoring, one attempt per phone, leaderboards and the reproducible draw."""

import datetime as dt
import hashlib
import hmac

import pytest

from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.education.models import Attempt, Quiz
from jiefen.education.selectors import quiz_leaderboard, quiz_stats
from jiefen.education.services import (
    draw_verify,
    draw_winners,
    quiz_draw,
    quiz_start,
    quiz_submit,
)

from .conftest import all_right, at, make_quiz

pytestmark = pytest.mark.django_db


def take(quiz, phone, org, *, right=True, start="2026-03-10", seconds=60):
    attempt = quiz_start(quiz=quiz, phone=phone, organisation=org, at=at(start))
    answers = all_right(attempt) if right else {str(attempt.question_ids[0]): ["B"]}
    return quiz_submit(
        token=attempt.token, phone=phone, answers=answers, at=at(start) + dt.timedelta(seconds=seconds)
    )


class TestTiming:
    def test_the_deadline_is_fixed_by_the_server_at_the_start(self, quiz):
        attempt = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-10"))
        assert attempt.deadline_at == at("2026-03-10") + dt.timedelta(seconds=300)
        assert len(attempt.question_ids) == 3  # the inactive question is never drawn

    def test_a_paper_on_the_deadline_counts_and_one_after_the_grace_does_not(self, quiz):
        first = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-10"))
        on_time = quiz_submit(
            token=first.token,
            phone="13800138000",
            answers=all_right(first),
            at=first.deadline_at + dt.timedelta(seconds=5),
        )
        assert on_time.state == Attempt.State.SUBMITTED and on_time.score == 3 and on_time.eligible
        second = quiz_start(quiz=quiz, phone="13900139000", organisation="泉州师范学院", at=at("2026-03-10"))
        late = quiz_submit(
            token=second.token,
            phone="13900139000",
            answers=all_right(second),
            at=second.deadline_at + dt.timedelta(seconds=6),
        )
        assert late.state == Attempt.State.EXPIRED and late.score is None and not late.eligible

    def test_a_paper_is_handed_in_once(self, quiz):
        attempt = take(quiz, "13800138000", "丰泽区东海街道")
        with pytest.raises(ApplicationError):
            quiz_submit(token=attempt.token, phone="13800138000", answers={}, at=at("2026-03-10", 10, 3))

    def test_each_phone_plays_once_but_may_resume_before_the_deadline(self, quiz):
        first = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-10"))
        again = quiz_start(
            quiz=quiz, phone="13800138000", organisation="别的单位", at=at("2026-03-10", 10, 2)
        )
        assert again.pk == first.pk and again.deadline_at == first.deadline_at
        quiz_submit(token=first.token, phone="13800138000", answers={}, at=at("2026-03-10", 10, 3))
        with pytest.raises(ApplicationError) as err:
            quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-11"))
        assert err.value.code == "already_attempted"

    def test_no_attempt_outside_the_quiz_period(self, quiz):
        with pytest.raises(ApplicationError):
            quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-04-01"))

    def test_another_phone_cannot_hand_in_my_paper(self, quiz):
        attempt = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-10"))
        with pytest.raises(NotFound):
            quiz_submit(token=attempt.token, phone="13900139000", answers={}, at=at("2026-03-10", 10, 1))

    def test_the_organisation_must_come_from_the_list_when_there_is_one(self):
        quiz = make_quiz(organisations="工商银行泉州分行\n农业银行泉州分行")
        with pytest.raises(ApplicationError):
            quiz_start(quiz=quiz, phone="13800138000", organisation="别处", at=at("2026-03-10"))
        assert (
            quiz_start(
                quiz=quiz, phone="13800138000", organisation="农业银行泉州分行", at=at("2026-03-10")
            ).organisation
            == "农业银行泉州分行"
        )


class TestScoring:
    def test_one_mark_per_exactly_right_answer_including_multiple_choice(self, quiz):
        multi = quiz.bank.questions.get(kind="multiple")
        multi.is_active = True
        multi.save()
        attempt = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院", at=at("2026-03-10"))
        answers = all_right(attempt)
        answers[str(multi.pk)] = ["A"]  # half of a multiple choice is wrong
        result = quiz_submit(
            token=attempt.token, phone="13800138000", answers=answers, at=at("2026-03-10", 10, 1)
        )
        assert (result.score, result.max_score, result.eligible) == (3, 4, False)

    def test_the_leaderboard_ranks_organisations_by_mean_score(self, quiz):
        take(quiz, "13800000001", "甲小学")
        take(quiz, "13800000002", "甲小学", right=False)
        take(quiz, "13800000003", "乙社区")
        take(quiz, "13800000004", "乙社区")
        board = quiz_leaderboard(quiz)
        assert [(r["rank"], r["organisation"], r["participants"]) for r in board] == [
            (1, "乙社区", 2),
            (2, "甲小学", 2),
        ]
        assert board[1]["mean_percent"] == 50.0  # 3 of 3 and 0 of 3

    def test_participation_statistics(self, quiz):
        take(quiz, "13800000001", "甲小学")
        take(quiz, "13800000002", "甲小学", right=False)
        take(quiz, "13800000003", "甲小学", seconds=400)  # late
        stats = quiz_stats(quiz)
        assert (stats["participants"], stats["submitted"], stats["expired"], stats["eligible"]) == (
            3,
            2,
            1,
            1,
        )
        first = stats["per_question"][0]
        assert first["asked"] == 2


class TestDraw:
    def test_the_draw_is_reproducible_from_the_recorded_seed(self, world, quiz):
        for n in range(6):
            take(quiz, f"1380000000{n}", "甲小学", right=n != 3)
        with pytest.raises(ApplicationError) as err:
            quiz_draw(actor=world.pbc_officer, quiz_id=quiz.pk, at=at("2026-03-20"))
        assert err.value.code == "quiz_not_ended"
        draw = quiz_draw(
            actor=world.pbc_officer,
            quiz_id=quiz.pk,
            seed="20260401-福彩3D-517",
            witness="公证员",
            at=at("2026-04-01"),
        )
        assert len(draw.winners) == 2 and len(draw.entrants) == 5
        assert set(draw.winners) <= set(draw.entrants)
        # Anyone can recompute: sort entrants by HMAC-SHA256(seed, id), take the first two.
        recomputed = sorted(
            draw.entrants,
            key=lambda pk: hmac.new(
                b"20260401-\xe7\xa6\x8f\xe5\xbd\xa93D-517", str(pk).encode(), hashlib.sha256
            ).hexdigest(),
        )[:2]
        assert recomputed == draw.winners
        assert draw_verify(draw) == {
            "winners_match": True,
            "entrants_match": True,
            "recomputed": draw.winners,
        }
        assert Quiz.objects.get(pk=quiz.pk).state == Quiz.State.CLOSED

    def test_the_same_seed_gives_the_same_winners_and_another_seed_usually_not(self):
        entrants = list(range(1, 101))
        assert draw_winners("abc", entrants, 5) == draw_winners("abc", list(reversed(entrants)), 5)
        assert draw_winners("abc", entrants, 5) != draw_winners("abd", entrants, 5)

    def test_only_eligible_entrants_are_drawn_and_only_once(self, world, quiz):
        take(quiz, "13800000001", "甲小学", right=False)
        quiz.state = Quiz.State.CLOSED
        quiz.save()
        with pytest.raises(ApplicationError) as err:
            quiz_draw(actor=world.pbc_officer, quiz_id=quiz.pk, at=at("2026-04-01"))
        assert err.value.code == "no_entrants"
        take_late = Attempt.objects.count()
        assert take_late == 1

    def test_a_second_draw_is_refused_and_a_changed_list_is_noticed(self, world, quiz):
        first = take(quiz, "13800000001", "甲小学")
        take(quiz, "13800000002", "甲小学")
        draw = quiz_draw(actor=world.pbc_officer, quiz_id=quiz.pk, at=at("2026-04-01"))
        with pytest.raises(ApplicationError) as err:
            quiz_draw(actor=world.pbc_officer, quiz_id=quiz.pk, at=at("2026-04-02"))
        assert err.value.code == "already_drawn"
        Attempt.objects.filter(pk=first.pk).update(eligible=False)
        assert draw_verify(draw)["entrants_match"] is False

    def test_a_bank_cannot_run_the_draw(self, world, quiz):
        take(quiz, "13800000001", "甲小学")
        with pytest.raises(PermissionDenied):
            quiz_draw(actor=world.a_manager, quiz_id=quiz.pk, at=at("2026-04-01"))
