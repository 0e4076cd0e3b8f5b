"""Reads of complaints, always through the viewer: another institution's complaint does not exist (404).

Who sees a work order: the centre and the oversight roles (all; the latter read-only); at a bank, the
executive (inst_manager) and the complaint desk (complaint_handler). A membership tied to a branch
narrows the view to that branch; one without a branch is the head office and sees the whole institution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from jiefen.common import clock
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import NotFound
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Branch, Institution, Membership
from jiefen.orgs.roles import CENTER_ROLES, Role

from .models import AWAITING_DECISION, FINISHED, Complaint, Status

COMPLAINT_ROLES = frozenset({Role.INST_MANAGER, Role.COMPLAINT_HANDLER})


def complaint_scopes(viewer: Viewer) -> list[tuple[int, int | None, str]]:
    """(institution id, branch id or None for the head office, role) of each complaint membership."""
    if viewer.user_id is None or not (viewer.roles & COMPLAINT_ROLES):
        return []
    return list(
        Membership.objects.filter(user_id=viewer.user_id, role__in=COMPLAINT_ROLES).values_list(
            "institution_id", "branch_id", "role"
        )
    )


def complaint_visibility(viewer: Viewer) -> Q | None:
    """The condition a complaint must meet to be seen; None means every complaint."""
    if viewer.sees_everything:
        return None
    condition = Q(pk__in=[])
    for inst_id, branch_id, _role in complaint_scopes(viewer):
        if branch_id is None:
            condition |= Q(institution_id=inst_id)
        else:
            condition |= Q(institution_id=inst_id, branch_id=branch_id)
    return condition


def complaint_queryset_for(user_or_viewer) -> QuerySet[Complaint]:
    viewer = viewer_for(user_or_viewer)
    qs = Complaint.objects.all()
    if viewer.user_id is None:
        return qs.none()
    condition = complaint_visibility(viewer)
    return qs if condition is None else qs.filter(condition)


def complaint_get_for_user(user_or_viewer, complaint_id) -> Complaint:
    try:
        return (
            complaint_queryset_for(user_or_viewer)
            .select_related("institution", "branch", "case")
            .get(pk=complaint_id)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound("投诉不存在或您无权查看") from None


def complaint_get_public(number: str, phone: str) -> Complaint:
    """The complainant's own complaint: the number and the proven phone must both match."""
    complaint = (
        Complaint.objects.select_related("institution", "branch")
        .filter(number=(number or "").strip().upper(), phone_hash=lookup_hash(phone or ""))
        .first()
    )
    if complaint is None:
        raise NotFound("没有找到该手机号提交的这件投诉，请核对投诉编号")
    return complaint


def acting_roles(viewer: Viewer, complaint: Complaint) -> set[str]:
    """What the viewer is *for this complaint*: centre, head_office (manager without branch),
    manager (the branch's executive or the head office), handler (the complaint desk)."""
    roles: set[str] = set()
    if viewer.is_superuser or viewer.roles & CENTER_ROLES:
        roles.add("center")
    for inst_id, branch_id, role in complaint_scopes(viewer):
        if inst_id != complaint.institution_id:
            continue
        if branch_id is not None and branch_id != complaint.branch_id:
            continue
        if role == Role.INST_MANAGER:
            roles.add("manager")
            if branch_id is None:
                roles.add("head_office")
        else:
            roles.add("handler")
    return roles


@dataclass
class ComplaintFilters:
    status: str = ""
    category: str = ""
    institution: int | None = None
    branch: int | None = None
    overdue: bool = False
    escalated: bool = False
    flagged: bool = False
    q: str = ""


def complaint_list(
    user_or_viewer,
    filters: ComplaintFilters,
    *,
    before_id: int | None = None,
    limit: int = 50,
    today: dt.date | None = None,
) -> tuple[list[Complaint], int | None]:
    """One page of the viewer's work orders, newest first, keyset-paged like the case list."""
    qs = complaint_queryset_for(user_or_viewer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.institution:
        qs = qs.filter(institution_id=filters.institution)
    if filters.branch:
        qs = qs.filter(branch_id=filters.branch)
    if filters.overdue:
        qs = qs.filter(status__in=AWAITING_DECISION, due_at__lt=today or clock.local_today())
    if filters.escalated:
        qs = qs.filter(escalation_level__gt=0)
    if filters.flagged:
        qs = qs.filter(scam_flagged=True)
    if filters.q:
        qs = qs.filter(number=filters.q.strip().upper())
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.select_related("institution", "branch").order_by("-pk")[: limit + 1])
    next_before = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_before


def complaint_desk(user_or_viewer, *, today: dt.date | None = None, limit: int = 20) -> dict[str, list]:
    """The top of the work-order page: overdue, due within the reminder window, escalated."""
    from jiefen.common.rules import amount

    today = today or clock.local_today()
    qs = complaint_queryset_for(user_or_viewer).filter(status__in=AWAITING_DECISION)
    qs = qs.select_related("institution", "branch")
    soon = today + dt.timedelta(days=amount("complaint.remind_before"))
    return {
        "overdue": list(qs.filter(due_at__lt=today).order_by("due_at", "pk")[:limit]),
        "due_soon": list(qs.filter(due_at__gte=today, due_at__lte=soon).order_by("due_at", "pk")[:limit]),
        "escalated": list(qs.filter(escalation_level__gt=0).order_by("-escalation_level", "due_at")[:limit]),
    }


def branches_for_viewer(user_or_viewer) -> QuerySet[Branch]:
    """Branches whose QR codes the viewer may print: the centre all, a bank its own (a branch its own)."""
    viewer = viewer_for(user_or_viewer)
    qs = Branch.objects.filter(institution__kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])
    qs = qs.select_related("institution").order_by("institution__code", "code")
    if viewer.sees_everything:
        return qs
    condition = Q(pk__in=[])
    for inst_id, branch_id, _role in complaint_scopes(viewer):
        condition |= Q(institution_id=inst_id) if branch_id is None else Q(pk=branch_id)
    return qs.filter(condition)


def institutions_for_viewer(user_or_viewer) -> QuerySet[Institution]:
    viewer = viewer_for(user_or_viewer)
    qs = Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])
    if viewer.sees_everything:
        return qs
    heads = [inst for inst, branch, _ in complaint_scopes(viewer) if branch is None]
    return qs.filter(pk__in=heads)


def branch_get_for_user(user_or_viewer, branch_id) -> Branch:
    try:
        return branches_for_viewer(user_or_viewer).get(pk=branch_id)
    except (Branch.DoesNotExist, ValueError, TypeError):
        raise NotFound("网点不存在或您无权查看") from None


def institution_get_for_user(user_or_viewer, inst_id) -> Institution:
    try:
        return institutions_for_viewer(user_or_viewer).get(pk=inst_id)
    except (Institution.DoesNotExist, ValueError, TypeError):
        raise NotFound("机构不存在或您无权查看") from None


# --- statistics -----------------------------------------------------------------------------------

GROUPS = {
    "institution": ("institution_id", "按机构"),
    "branch": ("branch_id", "按网点"),
    "category": ("category", "按投诉类别"),
    "month": ("month", "按受理月份"),
}


def complaint_stats(
    user_or_viewer,
    *,
    group: str = "institution",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    today: dt.date | None = None,
) -> dict:
    """Received, closed, closure rate, on-time rate and satisfaction, per group and in total.

    - closed (办结): closed, converted to mediation or withdrawn;
    - on-time rate: replies given by the due date, over replies plus complaints still unanswered past it;
    - satisfaction: mean rating (1–5) and the share of ratings of 4 or 5.
    The period filters on the day of receipt (Asia/Shanghai).
    """
    if group not in GROUPS:
        group = "institution"
    today = today or clock.local_today()
    qs = complaint_queryset_for(user_or_viewer)
    if date_from:
        qs = qs.filter(received_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(received_at__date__lte=date_to)
    field = GROUPS[group][0]
    if group == "month":
        qs = qs.annotate(month=TruncMonth("received_at", tzinfo=clock.SHANGHAI))
    measures = {
        "received": Count("pk"),
        "closed": Count("pk", filter=Q(status__in=FINISHED)),
        "replied": Count("pk", filter=Q(on_time__isnull=False)),
        "on_time": Count("pk", filter=Q(on_time=True)),
        "late_open": Count("pk", filter=Q(status__in=AWAITING_DECISION, due_at__lt=today)),
        "rated": Count("pk", filter=Q(rating__isnull=False)),
        "satisfied": Count("pk", filter=Q(rating__gte=4)),
        "rating_avg": Avg("rating"),
        "extended": Count("pk", filter=Q(period_days__gt=_decide_days())),
        "escalated": Count("pk", filter=Q(escalation_level__gt=0)),
    }
    rows = list(qs.values(field).annotate(**measures).order_by(field))
    total = qs.aggregate(**measures)
    labels = _labels(group, [r[field] for r in rows])
    out_rows = []
    for r in rows:
        key = r[field]
        out_rows.append({"key": _key(key), "label": labels.get(key, "（未指定网点）"), **_rates(r)})
    return {"group": group, "rows": out_rows, "total": {"key": "", "label": "合计", **_rates(total)}}


def _decide_days() -> int:
    from jiefen.common.rules import amount

    return amount("complaint.decide")


def _key(value) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.SHANGHAI).strftime("%Y-%m")
    return "" if value is None else str(value)


def _labels(group: str, keys: list) -> dict:
    from .models import Category

    if group == "institution":
        return {i.pk: str(i) for i in Institution.objects.filter(pk__in=keys)}
    if group == "branch":
        return {
            b.pk: _branch_label(b) for b in Branch.objects.filter(pk__in=keys).select_related("institution")
        }
    if group == "category":
        return dict(Category.choices)
    return {k: _key(k) for k in keys}


def _branch_label(branch: Branch) -> str:
    inst = str(branch.institution)
    return branch.name if branch.name.startswith(inst) else f"{inst} · {branch.name}"


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _rates(r: dict) -> dict:
    late_total = r["replied"] + r["late_open"]
    return {
        "received": r["received"],
        "closed": r["closed"],
        "closure_rate": _pct(r["closed"], r["received"]),
        "replied": r["replied"],
        "on_time": r["on_time"],
        "on_time_rate": _pct(r["on_time"], late_total),
        "overdue_open": r["late_open"],
        "rated": r["rated"],
        "satisfaction_avg": round(r["rating_avg"], 2) if r["rating_avg"] is not None else None,
        "satisfied_rate": _pct(r["satisfied"], r["rated"]),
        "extended": r["extended"],
        "escalated": r["escalated"],
    }


def open_statuses() -> list[str]:
    return [s for s in Status.values if s not in FINISHED]
