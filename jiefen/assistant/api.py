"""API of the 7×24 assistant: the public question endpoint and the staff statistics."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from . import selectors, services
from .models import Conversation
from .ratelimit import check_rate, client_ip

router = Router(tags=["智能问答"])

SESSION_HEADER = "X-Assistant-Session"


class AskIn(Schema):
    question: str | None = Field(None, description="问题，最多500字")
    session: str | None = Field(
        None,
        description=f"可选：上次回答的 {SESSION_HEADER} 响应头。带上它，同一会话的追问和人工答复会连在一起",
    )


class AskOut(Schema):
    intent: str | None = Field(..., description="匹配到的知识库条目编号；转人工时为 null")
    answer: str
    confidence: float = Field(..., ge=0, le=1)
    handoff: bool = Field(..., description="true：机器人没有把握，问题已转人工")
    scam_warning: bool = Field(
        ..., description="true：问题涉及收费“征信修复”等，答案带有风险提示和四条免费渠道"
    )
    sources: list[str]


class ErrorOut(Schema):
    code: str
    message: str


@router.post("/ask", auth=None, response={200: AskOut, 400: ErrorOut, 429: ErrorOut})
def ask(request, payload: AskIn, response: HttpResponse):
    """Answer a credit-report question (public, no login). Rate-limited per client address.

    The conversation token comes back in the `X-Assistant-Session` header; the body has exactly the
    six documented fields."""
    question = services.question_clean(payload.question)
    check_rate(client_ip(request))
    result = services.assistant_ask(
        question=question, token=payload.session, channel=Conversation.Channel.API, ip=client_ip(request)
    )
    response[SESSION_HEADER] = result.conversation.token
    return services.answer_payload(result.answer)


class DayOut(Schema):
    date: dt.date
    questions: int
    bot_answered: int
    handed_over: int
    scam_warnings: int
    human_answered: int
    median_answer_seconds: int | None


class WaitOut(Schema):
    count: int
    median: int | None
    p90: int | None
    mean: int | None


class StatsOut(Schema):
    days: int
    totals: dict[str, int]
    bot_answer_rate: float | None
    handoff_rate: float | None
    waiting_now: int
    oldest_waiting_minutes: int | None
    human_answer_seconds: WaitOut
    per_day: list[DayOut]


class StatsQuery(Schema):
    days: int = Field(14, ge=1, le=366)


@router.get("/stats", response={200: StatsOut, 403: ErrorOut})
def stats(request, q: Query[StatsQuery]):
    """Questions per day, answered by the bot, handed over, and time to a human answer (seconds)."""
    return selectors.assistant_stats(request.user, days=q.days)
