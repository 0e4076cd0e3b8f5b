"""Reads of cases, always through the viewer: another tenant's case does not exist (404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from jiefen.common import clock
from jiefen.common.errors import NotFound
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.roles import CENTER_ROLES, INSTITUTION_ROLES, Role

from .machine import TERMINAL, Transition, extra_guard, transitions_from
from .models import Case


def case_visibility(viewer: Viewer) -> Q | None:
    """The condition a case must meet to be seen; None means every case."""
    if viewer.sees_everything:
        return None
    condition = Q(pk__in=[])
    inst_ids = viewer.institution_ids(INSTITUTION_ROLES)
    if inst_ids:
        condition |= Q(institution_id__in=inst_ids)
    if Role.MEDIATOR in viewer.roles:
        condition |= Q(mediator_id=viewer.user_id)
    court_ids = viewer.institution_ids(frozenset({Role.JUDGE}))
    if court_ids:
        condition |= Q(court_id__in=court_ids)
    return condition


def case_queryset_for(user_or_viewer) -> QuerySet[Case]:
    viewer = viewer_for(user_or_viewer)
    qs = Case.objects.all()
    if viewer.user_id is None:
        return qs.none()
    condition = case_visibility(viewer)
    return qs if condition is None else qs.filter(condition)


def case_get_for_user(user_or_viewer, case_id: int) -> Case:
    try:
        return (
            case_queryset_for(user_or_viewer)
            .select_related("institution", "branch", "debtor", "assignee", "mediator", "court")
            .get(pk=case_id)
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound("案件不存在或您无权查看") from None


def acting_roles(viewer: Viewer, case: Case) -> set[str]:
    """The roles the viewer holds *for this case* (a judge only for cases at their court, ...)."""
    roles: set[str] = set()
    if viewer.is_superuser:
        roles.add(Role.CENTER_ADMIN)
    roles |= viewer.roles & CENTER_ROLES
    held_here = viewer.institutions.get(case.institution_id, frozenset())
    roles |= set(held_here & INSTITUTION_ROLES)
    if Role.MEDIATOR in viewer.roles and case.mediator_id == viewer.user_id:
        roles.add(Role.MEDIATOR)
    if case.court_id is not None and Role.JUDGE in viewer.institutions.get(case.court_id, frozenset()):
        roles.add(Role.JUDGE)
    return roles


def transition_refusal(viewer: Viewer, case: Case, transition: Transition) -> str | None:
    """Why the viewer may not take this step now, or None when they may."""
    if case.status not in transition.sources:
        return f"案件当前为“{case.get_status_display()}”，不能执行“{transition.label}”"
    if not (acting_roles(viewer, case) & transition.roles):
        return f"您的角色不能执行“{transition.label}”"
    return extra_guard(case, transition)


def allowed_transitions(user_or_viewer, case: Case) -> list[Transition]:
    viewer = viewer_for(user_or_viewer)
    return [t for t in transitions_from(case.status) if transition_refusal(viewer, case, t) is None]


@dataclass
class CaseFilters:
    status: str = ""
    product_type: str = ""
    institution: int | None = None
    branch: int | None = None
    assignee: int | None = None
    overdue: bool = False
    q: str = ""


def case_list(
    user_or_viewer, filters: CaseFilters, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[Case], int | None]:
    """One page of the viewer's cases, newest first, and the id to continue from (keyset paging).

    Keyset paging keeps every page as fast as the first on a table of millions; the list therefore
    shows "next page" rather than a total count.
    """
    qs = case_queryset_for(user_or_viewer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.product_type:
        qs = qs.filter(product_type=filters.product_type)
    if filters.institution:
        qs = qs.filter(institution_id=filters.institution)
    if filters.branch:
        qs = qs.filter(branch_id=filters.branch)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.overdue:
        qs = qs.filter(stage_due_on__lt=clock.local_today()).exclude(status__in=TERMINAL)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number=term) | Q(contract_no=term) | Q(debtor__name=term))
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.select_related("institution", "branch", "debtor", "assignee").order_by("-pk")[: limit + 1])
    next_before = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_before


def work_queue(user_or_viewer, *, limit: int = 20) -> dict[str, list[Case]]:
    """The home page: what is waiting on this person, and what has run past its deadline."""
    viewer = viewer_for(user_or_viewer)
    qs = case_queryset_for(viewer).exclude(status__in=TERMINAL).select_related("institution", "debtor")
    today = clock.local_today()
    mine: QuerySet[Case]
    if viewer.is_center:
        mine = qs.filter(status__in=["new", "mediation_pending"])
    elif Role.JUDGE in viewer.roles:
        mine = qs.filter(status__in=["confirmation_pending", "litigation", "enforcement"])
    elif Role.MEDIATOR in viewer.roles:
        mine = qs.filter(mediator_id=viewer.user_id, status__in=["mediation_pending", "mediating"])
    elif viewer.roles & INSTITUTION_ROLES:
        mine = qs.filter(Q(assignee_id=viewer.user_id) | Q(assignee__isnull=True), status="disposal")
    else:
        mine = qs.none()
    return {
        "mine": list(mine.order_by("stage_due_on", "pk")[:limit]),
        "overdue": list(qs.filter(stage_due_on__lt=today).order_by("stage_due_on", "pk")[:limit]),
        "due_soon": list(
            qs.filter(stage_due_on__gte=today, stage_due_on__lte=today + dt.timedelta(days=3)).order_by(
                "stage_due_on"
            )[:limit]
        ),
    }
