"""Reads for the assistant's staff pages, each taking the viewer.

The hand-off queue and the knowledge base belong to the PBOC credit window and the centre; other
institutions' staff do not see them at all (403), and a queue item that does not exist is a 404.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiefen.common import clock
from jiefen.common.errors import NotFound, PermissionDenied
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.roles import Role

from .models import Handoff, KbEntry, KbVersion, Message

# Who answers the people the bot hands over, and who edits the knowledge base.
QUEUE_ROLES = (Role.CENTER_ADMIN, Role.CENTER_STAFF, Role.PBC_OFFICER)
KB_EDIT_ROLES = QUEUE_ROLES
# Publishing is the review: PBOC credit officers (the facts are theirs) and the centre's administrator.
KB_PUBLISH_ROLES = (Role.CENTER_ADMIN, Role.PBC_OFFICER)
# Statistics are also for the read-only oversight viewers.
STATS_ROLES = (*QUEUE_ROLES, Role.VIEWER)


def require(viewer, roles, message: str = "您没有权限使用智能问答的管理功能") -> Viewer:
    viewer = viewer_for(viewer)
    if viewer.user_id is None or not viewer.has(*roles):
        raise PermissionDenied(message)
    return viewer


def can(viewer, roles) -> bool:
    viewer = viewer_for(viewer)
    return viewer.user_id is not None and viewer.has(*roles)


# ------------------------------------------------------------------------------------ queue
def handoff_queue(viewer, *, status: str = Handoff.Status.WAITING, limit: int = 200):
    require(viewer, QUEUE_ROLES)
    qs = Handoff.objects.select_related("conversation", "question", "answered_by").filter(status=status)
    # Waiting: oldest first (fairness); answered or closed: most recent first.
    qs = (
        qs.order_by("created_at", "id")
        if status == Handoff.Status.WAITING
        else qs.order_by("-answered_at", "-id")
    )
    return list(qs[:limit])


def handoff_get(viewer, handoff_id: int) -> Handoff:
    require(viewer, QUEUE_ROLES)
    h = (
        Handoff.objects.select_related("conversation", "question", "answered_by", "reply")
        .filter(pk=handoff_id)
        .first()
    )
    if h is None:
        raise NotFound("转人工记录不存在")
    return h


def queue_counts(viewer) -> dict[str, int]:
    require(viewer, QUEUE_ROLES)
    rows = Handoff.objects.values("status").annotate(n=Count("id"))
    out = {s: 0 for s in Handoff.Status.values}
    out.update({r["status"]: r["n"] for r in rows})
    return out


# ------------------------------------------------------------------------------------ knowledge base
def kb_entries(viewer, *, q: str = "", status: str = "", category: str = ""):
    """Entries with their published and open (draft / in review) versions."""
    require(viewer, KB_EDIT_ROLES)
    entries = list(KbEntry.objects.select_related("published").order_by("position", "key"))
    open_versions = {
        v.entry_id: v
        for v in KbVersion.objects.filter(status__in=[KbVersion.Status.DRAFT, KbVersion.Status.REVIEW])
    }
    rows = []
    q = q.strip().lower()
    for e in entries:
        current = open_versions.get(e.pk) or e.published
        if current is None:
            current = e.versions.order_by("-number").first()
        if current is None:
            continue
        row = {"entry": e, "published": e.published, "open": open_versions.get(e.pk), "current": current}
        if category and current.category != category:
            continue
        if status == "open" and row["open"] is None:
            continue
        if status in (KbVersion.Status.DRAFT, KbVersion.Status.REVIEW) and (
            row["open"] is None or row["open"].status != status
        ):
            continue
        if status == "unpublished" and e.published is not None:
            continue
        if q and q not in e.key.lower() and q not in current.question.lower():
            continue
        rows.append(row)
    return rows


def kb_entry_get(viewer, key: str) -> KbEntry:
    require(viewer, KB_EDIT_ROLES)
    entry = KbEntry.objects.select_related("published").filter(key=key).first()
    if entry is None:
        raise NotFound("知识库条目不存在")
    return entry


def kb_open_version(entry: KbEntry) -> KbVersion | None:
    return entry.versions.filter(status__in=[KbVersion.Status.DRAFT, KbVersion.Status.REVIEW]).first()


def kb_categories() -> list[str]:
    return sorted(set(KbVersion.objects.values_list("category", flat=True)))


# ------------------------------------------------------------------------------------ statistics
def assistant_stats(viewer, *, days: int = 14, now: dt.datetime | None = None) -> dict:
    """Questions per day, answered by the bot, handed over, scam warnings, time to a human answer."""
    require(viewer, STATS_ROLES, "您没有权限查看智能问答统计")
    days = max(1, min(int(days), 366))
    now = now or timezone.now()
    today = clock.local_date(now)
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=clock.SHANGHAI)
    per_day: dict[dt.date, dict] = {
        first + dt.timedelta(days=i): {
            "questions": 0,
            "bot_answered": 0,
            "handed_over": 0,
            "scam_warnings": 0,
            "human_answered": 0,
        }
        for i in range(days)
    }
    msgs = (
        Message.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=clock.SHANGHAI))
        .values("day")
        .annotate(
            questions=Count("id", filter=Q(role=Message.Role.USER)),
            bot_answered=Count("id", filter=Q(role=Message.Role.BOT, handoff=False)),
            handed_over=Count("id", filter=Q(role=Message.Role.BOT, handoff=True)),
            scam_warnings=Count("id", filter=Q(role=Message.Role.BOT, scam_warning=True)),
            human_answered=Count("id", filter=Q(role=Message.Role.STAFF)),
        )
    )
    for row in msgs:
        if row["day"] in per_day:
            for k in ("questions", "bot_answered", "handed_over", "scam_warnings", "human_answered"):
                per_day[row["day"]][k] = row[k]
    answered = list(
        Handoff.objects.filter(answered_at__gte=since, status=Handoff.Status.ANSWERED).values_list(
            "created_at", "answered_at"
        )
    )
    waits = sorted((a - c).total_seconds() for c, a in answered)
    waiting = list(Handoff.objects.filter(status=Handoff.Status.WAITING).values_list("created_at", flat=True))
    wait_by_day: dict[dt.date, list[float]] = defaultdict(list)
    for c, a in answered:
        wait_by_day[clock.local_date(a)].append((a - c).total_seconds())
    totals = {k: sum(d[k] for d in per_day.values()) for k in next(iter(per_day.values()))}
    return {
        "days": days,
        "from": first,
        "to": today,
        "totals": totals,
        "bot_answer_rate": round(totals["bot_answered"] / totals["questions"], 4)
        if totals["questions"]
        else None,
        "handoff_rate": round(totals["handed_over"] / totals["questions"], 4)
        if totals["questions"]
        else None,
        "waiting_now": len(waiting),
        "oldest_waiting_minutes": int((now - min(waiting)).total_seconds() // 60) if waiting else None,
        "human_answer_seconds": {
            "count": len(waits),
            "median": int(statistics.median(waits)) if waits else None,
            "p90": int(waits[min(len(waits) - 1, int(0.9 * len(waits)))]) if waits else None,
            "mean": int(sum(waits) / len(waits)) if waits else None,
        },
        "per_day": [
            {
                "date": day,
                **counts,
                "median_answer_seconds": int(statistics.median(wait_by_day[day]))
                if wait_by_day.get(day)
                else None,
            }
            for day, counts in sorted(per_day.items())
        ],
    }
