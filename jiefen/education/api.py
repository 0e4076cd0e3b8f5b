"""API: the registry (for the PBOC and the centre; leads from banks' and the assistant's systems),
published education content and quiz results (anonymous reads)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from jiefen.common.errors import NotFound, PermissionDenied
from jiefen.orgs.access import viewer_for

from . import selectors, services
from .access import can_read_registry
from .models import LeadSource, PrizeDraw

router = Router(tags=["宣传教育与黑灰产治理"])


class EntityOut(Schema):
    id: int
    number: str
    name: str
    uscc: str
    kind: str
    status: str
    status_label: str
    region_code: str
    source: str
    identifiers: list[str]
    last_action_on: dt.date | None
    closed_on: dt.date | None
    created_at: dt.datetime


def entity_out(e) -> dict:
    return {
        "id": e.pk,
        "number": e.number,
        "name": e.name,
        "uscc": e.uscc,
        "kind": e.kind,
        "status": e.status,
        "status_label": e.get_status_display(),
        "region_code": e.region_code,
        "source": e.source,
        "identifiers": e.identifier_list,
        "last_action_on": e.last_action_on,
        "closed_on": e.closed_on,
        "created_at": e.created_at,
    }


class EntityPage(Schema):
    items: list[EntityOut]
    next_before: int | None = None


class RegistryParams(Schema):
    status: str = ""
    region: str = ""
    source: str = ""
    q: str = ""
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/registry", response=EntityPage)
def list_entities(request, params: Query[RegistryParams]):
    """The registry (a bank sees only the leads it reported)."""
    rows, next_before = selectors.scam_list(
        request.user,
        selectors.ScamFilters(status=params.status, region=params.region, source=params.source, q=params.q),
        before_id=params.before,
        limit=params.limit,
    )
    return {"items": [entity_out(e) for e in rows], "next_before": next_before}


class LeadIn(Schema):
    name: str
    uscc: str = ""
    identifiers: list[str] = []
    region_code: str = ""
    note: str = ""
    source: str = Field("staff", description="staff | assistant | complaint")
    source_ref: str = ""


@router.post("/registry", response={201: EntityOut})
def create_lead(request, payload: LeadIn):
    """Report a lead (a bank's staff, the centre, the PBOC, or the assistant's service account)."""
    if payload.source not in {LeadSource.STAFF, LeadSource.ASSISTANT, LeadSource.COMPLAINT}:
        raise PermissionDenied("接口只能登记工作人员、智能问答或投诉来源的线索", code="invalid_source")
    entity = services.scam_lead_create(
        actor=request.user,
        name=payload.name,
        uscc=payload.uscc,
        identifiers="\n".join(payload.identifiers),
        region_code=payload.region_code,
        note=payload.note,
        source=payload.source,
        source_ref=payload.source_ref,
    )
    return Status(201, entity_out(entity))


@router.get("/registry/stats", response=dict)
def registry_stats(request):
    """Entities listed, contacted %, rectified %, closed, per district (清零 when all are closed)."""
    if not can_read_registry(viewer_for(request.user)):
        raise NotFound("资源不存在或您无权查看")
    stats = selectors.scam_stats(request.user)
    stats["by_status"] = {value: n for value, _label, n in stats["by_status"]}
    return stats


class MaterialOut(Schema):
    slug: str
    title: str
    kind: str
    topic: str
    audience: str
    summary: str
    published_at: dt.datetime | None
    url: str


@router.get("/materials", auth=None, response=list[MaterialOut])
def list_materials(request, topic: str = "", kind: str = "", audience: str = ""):
    """Published education material (for mini-programs and bank apps to link to)."""
    from django.urls import reverse

    return [
        {
            "slug": m.slug,
            "title": m.title,
            "kind": m.kind,
            "topic": m.topic,
            "audience": m.audience,
            "summary": m.summary,
            "published_at": m.published_at,
            "url": request.build_absolute_uri(reverse("education_material", args=[m.slug])),
        }
        for m in selectors.material_public_list(topic=topic, kind=kind, audience=audience)[:200]
    ]


class BoardRow(Schema):
    rank: int
    organisation: str
    participants: int
    mean_percent: float
    eligible: int


class DrawOut(Schema):
    seed: str
    algorithm: str
    entrants: list[int]
    entrants_digest: str
    winners: list[int]
    drawn_at: dt.datetime
    winners_match: bool
    entrants_match: bool


class QuizResultOut(Schema):
    slug: str
    title: str
    participants: int
    submitted: int
    eligible: int
    leaderboard: list[BoardRow]
    draw: DrawOut | None


@router.get("/quizzes/{slug}", auth=None, response=QuizResultOut)
def quiz_results(request, slug: str):
    """Participation, the organisations' leaderboard and the draw with everything needed to re-run it."""
    quiz = selectors.quiz_public_get(slug)
    stats = selectors.quiz_stats(quiz)
    draw = PrizeDraw.objects.filter(quiz=quiz).first()
    draw_data = None
    if draw:
        check = services.draw_verify(draw)
        draw_data = {
            "seed": draw.seed,
            "algorithm": draw.algorithm,
            "entrants": draw.entrants,
            "entrants_digest": draw.entrants_digest,
            "winners": draw.winners,
            "drawn_at": draw.drawn_at,
            "winners_match": check["winners_match"],
            "entrants_match": check["entrants_match"],
        }
    return {
        "slug": quiz.slug,
        "title": quiz.title,
        "participants": stats["participants"],
        "submitted": stats["submitted"],
        "eligible": stats["eligible"],
        "leaderboard": selectors.quiz_leaderboard(quiz),
        "draw": draw_data,
    }
