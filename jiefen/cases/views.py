"""Thin views: parse the request, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Branch, Institution
from jiefen.orgs.roles import CENTER_ROLES, Role

from . import services
from .machine import Status
from .models import ProductType
from .pages import owned_actions, pages_for
from .selectors import CaseFilters, acting_roles, allowed_transitions, case_get_for_user, case_list


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def case_list_view(request):
    viewer = viewer_for(request.user)
    g = request.GET
    filters = CaseFilters(
        status=g.get("status", "") if g.get("status", "") in Status.values else "",
        product_type=g.get("product_type", "") if g.get("product_type", "") in ProductType.values else "",
        institution=_int(g.get("institution")),
        branch=_int(g.get("branch")),
        assignee=_int(g.get("assignee")),
        overdue=g.get("overdue") == "1",
        q=g.get("q", "")[:64],
    )
    rows, next_before = case_list(viewer, filters, before_id=_int(g.get("before")))
    if viewer.sees_everything:
        institutions = Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])
        branches = (
            Branch.objects.filter(institution_id=filters.institution)
            if filters.institution
            else Branch.objects.none()
        )
    else:
        own = viewer.institution_ids()
        institutions = Institution.objects.filter(pk__in=own)
        branches = Branch.objects.filter(institution_id__in=own)
    assignees = (
        get_user_model()
        .objects.filter(memberships__role=Role.DISPOSAL_STAFF, memberships__institution__in=institutions)
        .distinct()[:200]
    )
    query = request.GET.copy()
    query.pop("before", None)
    ctx = {
        "cases": rows,
        "next_before": next_before,
        "filters": filters,
        "statuses": Status.choices,
        "products": ProductType.choices,
        "institutions": institutions,
        "branches": branches,
        "assignees": assignees,
        "query": query.urlencode(),
    }
    template = "cases/_list_results.html" if request.headers.get("HX-Request") else "cases/list.html"
    return render(request, template, ctx)


@login_required
def case_detail_view(request, case_id: int):
    viewer = viewer_for(request.user)
    try:
        case = case_get_for_user(viewer, case_id)
    except NotFound:
        raise Http404("案件不存在或您无权查看") from None
    roles = acting_roles(viewer, case)
    can_assign_mediator = bool(roles & CENTER_ROLES) and case.status in {
        Status.MEDIATION_PENDING,
        Status.MEDIATING,
    }
    can_assign_staff = (
        bool(roles & (CENTER_ROLES | {Role.INST_MANAGER, Role.DISPOSAL_STAFF})) and not case.is_terminal
    )
    User = get_user_model()
    ctx = {
        "case": case,
        "events": case.events.select_related("actor").all(),
        "transitions": []
        if viewer.read_only
        else [t for t in allowed_transitions(viewer, case) if t.action not in owned_actions()],
        "pages": pages_for(case),
        "phones": list(case.debtor.phones.all()),
        "courts": Institution.objects.filter(kind=Institution.Kind.COURT, is_active=True),
        "mediators": User.objects.filter(memberships__role=Role.MEDIATOR).distinct()
        if can_assign_mediator
        else [],
        "staff": User.objects.filter(
            memberships__role=Role.DISPOSAL_STAFF, memberships__institution=case.institution
        ).distinct()
        if can_assign_staff
        else [],
        "can_reveal": not viewer.read_only or viewer.is_center,
    }
    return render(request, "cases/detail.html", ctx)


@login_required
@require_POST
def case_transition_view(request, case_id: int):
    court = None
    if request.POST.get("court"):
        court = Institution.objects.filter(
            pk=_int(request.POST["court"]), kind=Institution.Kind.COURT
        ).first()
    try:
        case = services.case_transition(
            actor=request.user,
            case_id=case_id,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_int(request.POST.get("version")),
            court=court,
        )
    except NotFound:
        raise Http404("案件不存在或您无权查看") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("case_detail", case_id=case_id)
    messages.success(request, f"已办理：{case.get_status_display()}")
    return redirect("case_detail", case_id=case_id)


@login_required
@require_POST
def case_assign_view(request, case_id: int):
    User = get_user_model()
    assignee = (
        User.objects.filter(pk=_int(request.POST.get("assignee"))).first()
        if request.POST.get("assignee")
        else None
    )
    mediator = (
        User.objects.filter(pk=_int(request.POST.get("mediator"))).first()
        if request.POST.get("mediator")
        else None
    )
    try:
        services.case_assign(
            actor=request.user,
            case_id=case_id,
            reason=request.POST.get("reason", ""),
            assignee=assignee,
            mediator=mediator,
        )
    except NotFound:
        raise Http404("案件不存在或您无权查看") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("case_detail", case_id=case_id)
    messages.success(request, "已分配")
    return redirect("case_detail", case_id=case_id)
