"""Reads for education and the registry, always through the viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate

from jiefen.common import clock
from jiefen.common.errors import NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Region
from jiefen.orgs.roles import INSTITUTION_ROLES

from .access import can_read_registry
from .models import Attempt, Material, Question, Quiz, ScamEntity, ScamStatus, TypicalCase
from .registry import CONTACTED, RECTIFIED

# --- registry -------------------------------------------------------------------------------------


def scam_entity_queryset_for(user_or_viewer) -> QuerySet[ScamEntity]:
    viewer = viewer_for(user_or_viewer)
    qs = ScamEntity.objects.all()
    if viewer.user_id is None:
        return qs.none()
    if can_read_registry(viewer):
        return qs
    inst_ids = viewer.institution_ids(INSTITUTION_ROLES)
    if inst_ids:
        # A bank sees the leads its own people reported, not the registry.
        return qs.filter(Q(reported_by_id=viewer.user_id) | Q(reporting_institution_id__in=inst_ids))
    return qs.none()


def scam_entity_get_for_user(user_or_viewer, entity_id) -> ScamEntity:
    try:
        return (
            scam_entity_queryset_for(user_or_viewer)
            .select_related("officer", "reported_by")
            .get(pk=entity_id)
        )
    except (ScamEntity.DoesNotExist, ValueError, TypeError):
        raise NotFound("台账记录不存在或您无权查看") from None


@dataclass
class ScamFilters:
    status: str = ""
    region: str = ""
    source: str = ""
    kind: str = ""
    q: str = ""


def scam_list(
    user_or_viewer, filters: ScamFilters, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[ScamEntity], int | None]:
    qs = scam_entity_queryset_for(user_or_viewer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.region:
        qs = qs.filter(region_code=filters.region)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number=term.upper()) | Q(uscc=term.upper()) | Q(name__contains=term))
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.select_related("officer").order_by("-pk")[: limit + 1])
    return rows[:limit], (rows[limit - 1].pk if len(rows) > limit else None)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def scam_stats(user_or_viewer) -> dict:
    """The seed's figures: entities on the list, share contacted (对接沟通), share rectified (完成整改),
    closed (销号), per district; a district is "cleared" (清零) when every entity in it is closed.
    Dismissed leads (not an outfit after all) are left out of every figure."""
    qs = scam_entity_queryset_for(user_or_viewer).exclude(status=ScamStatus.DISMISSED)
    measures = {
        "total": Count("pk"),
        "contacted": Count("pk", filter=Q(contacted=True) | Q(status__in=CONTACTED)),
        "rectified": Count("pk", filter=Q(status__in=RECTIFIED)),
        "closed": Count("pk", filter=Q(status=ScamStatus.CLOSED)),
        "leads": Count("pk", filter=Q(status=ScamStatus.LEAD)),
    }
    names = dict(Region.objects.values_list("code", "name"))
    districts = []
    for row in qs.values("region_code").annotate(**measures).order_by("region_code"):
        districts.append(
            {
                "region_code": row["region_code"],
                "region": names.get(row["region_code"], row["region_code"] or "（未填写）"),
                **_shares(row),
                "cleared": row["total"] > 0 and row["closed"] == row["total"],
            }
        )
    total = qs.aggregate(**measures)
    by_status = dict(
        scam_entity_queryset_for(user_or_viewer).values_list("status").annotate(n=Count("pk")).order_by()
    )
    by_source = dict(qs.values_list("source").annotate(n=Count("pk")).order_by())
    return {
        "total": _shares(total),
        "districts": districts,
        "by_status": [(value, label, by_status.get(value, 0)) for value, label in ScamStatus.choices],
        "by_source": by_source,
    }


def _shares(row: dict) -> dict:
    return {
        "total": row["total"],
        "contacted": row["contacted"],
        "contacted_pct": _pct(row["contacted"], row["total"]),
        "rectified": row["rectified"],
        "rectified_pct": _pct(row["rectified"], row["total"]),
        "closed": row["closed"],
        "leads": row["leads"],
    }


# --- library --------------------------------------------------------------------------------------


def material_public_list(*, topic: str = "", kind: str = "", audience: str = "") -> QuerySet[Material]:
    qs = Material.objects.filter(is_published=True)
    if topic:
        qs = qs.filter(topic=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if audience:
        qs = qs.filter(audience=audience)
    return qs.order_by("-published_at", "-id")


def material_public_get(slug: str) -> Material:
    material = Material.objects.filter(slug=slug, is_published=True).first()
    if material is None:
        raise NotFound("材料不存在或尚未发布")
    return material


def typical_case_public_list(*, kind: str = "") -> QuerySet[TypicalCase]:
    qs = TypicalCase.objects.filter(is_published=True)
    return (qs.filter(kind=kind) if kind else qs).order_by("-published_at", "-id")


def typical_case_public_get(slug: str) -> TypicalCase:
    case = TypicalCase.objects.filter(slug=slug, is_published=True).first()
    if case is None:
        raise NotFound("案例不存在或尚未发布")
    return case


# --- quizzes --------------------------------------------------------------------------------------


def quiz_public_list(now: dt.datetime) -> list[Quiz]:
    return list(Quiz.objects.exclude(state=Quiz.State.DRAFT).select_related("bank").order_by("-starts_at"))


def quiz_public_get(slug: str) -> Quiz:
    quiz = Quiz.objects.filter(slug=slug).exclude(state=Quiz.State.DRAFT).select_related("bank").first()
    if quiz is None:
        raise NotFound("竞答不存在")
    return quiz


def attempt_get(token: str, phone: str | None) -> Attempt:
    from jiefen.common.crypto import lookup_hash

    attempt = Attempt.objects.select_related("quiz").filter(token=token or "").first()
    if attempt is None or not phone or attempt.phone_hash != lookup_hash(phone):
        raise NotFound("答题记录不存在")
    return attempt


def paper(attempt: Attempt) -> list[Question]:
    """The attempt's questions in the order drawn, with their choices."""
    by_id = {
        q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")
    }
    return [by_id[pk] for pk in attempt.question_ids if pk in by_id]


def quiz_leaderboard(quiz: Quiz, *, limit: int = 50) -> list[dict]:
    """Organisations ranked by mean score (then by participants): the 组织奖 of a campaign."""
    rows = (
        Attempt.objects.filter(quiz=quiz, state=Attempt.State.SUBMITTED)
        .values("organisation")
        .annotate(
            participants=Count("pk"),
            mean=Avg("score"),
            mean_max=Avg("max_score"),
            full_marks=Count("pk", filter=Q(eligible=True)),
        )
    )
    board = []
    for r in rows:
        percent = round(100.0 * r["mean"] / r["mean_max"], 1) if r["mean_max"] else 0.0
        board.append(
            {
                "organisation": r["organisation"],
                "participants": r["participants"],
                "mean_percent": percent,
                "eligible": r["full_marks"],
            }
        )
    board.sort(key=lambda r: (-r["mean_percent"], -r["participants"], r["organisation"]))
    for rank, row in enumerate(board, start=1):
        row["rank"] = rank
    return board[:limit]


def quiz_stats(quiz: Quiz) -> dict:
    """Participation: attempts, papers handed in, expired, mean score, eligible entrants, per day,
    and the share of right answers per question (which topics the public gets wrong)."""
    attempts = Attempt.objects.filter(quiz=quiz)
    states = dict(attempts.values_list("state").annotate(n=Count("pk")).order_by())
    submitted = attempts.filter(state=Attempt.State.SUBMITTED)
    agg = submitted.aggregate(
        mean=Avg("score"), mean_max=Avg("max_score"), eligible=Count("pk", filter=Q(eligible=True))
    )
    per_day = list(
        attempts.annotate(day=TruncDate("started_at", tzinfo=clock.SHANGHAI))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    right: dict[int, int] = {}
    asked: dict[int, int] = {}
    questions = {q.pk: q for q in Question.objects.filter(bank=quiz.bank).prefetch_related("choices")}
    correct = {pk: sorted(c.label for c in q.choices.all() if c.is_correct) for pk, q in questions.items()}
    for ids, answers in submitted.values_list("question_ids", "answers").iterator():
        for pk in ids:
            asked[pk] = asked.get(pk, 0) + 1
            if sorted((answers or {}).get(str(pk), [])) == correct.get(pk):
                right[pk] = right.get(pk, 0) + 1
    per_question = [
        {"question": questions[pk], "asked": asked[pk], "right_pct": _pct(right.get(pk, 0), asked[pk])}
        for pk in sorted(asked, key=lambda k: questions[k].position if k in questions else 0)
        if pk in questions
    ]
    mean_pct = (
        round(100.0 * agg["mean"] / agg["mean_max"], 1)
        if agg["mean"] is not None and agg["mean_max"]
        else None
    )
    return {
        "participants": attempts.count(),
        "submitted": states.get(Attempt.State.SUBMITTED, 0),
        "expired": states.get(Attempt.State.EXPIRED, 0),
        "in_progress": states.get(Attempt.State.IN_PROGRESS, 0),
        "mean_percent": mean_pct,
        "eligible": agg["eligible"],
        "per_day": per_day,
        "per_question": per_question,
    }
