"""Reads of the station's rows, always through the viewer: another institution's row is a 404.

- Disputes: the data provider's dispute liaison and manager see their institution's; the centre, the
  PBOC credit officer and the regulator see all.
- Statements: the PBOC officer and the centre (the bank whose item it is may read it).
- Agreements, reporting-update tasks, counseling: the institution's own staff; the centre and the
  oversight roles read all.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import NotFound
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.roles import CENTER_ROLES, INSTITUTION_ROLES, Role

from .models import (
    Application,
    CounselingTask,
    CreditAgreement,
    CreditDispute,
    Escalation,
    PersonalStatement,
    ReliefMeasure,
    ReportingTask,
)

DISPUTE_ROLES = frozenset({Role.DISPUTE_LIAISON, Role.INST_MANAGER})
AGREEMENT_ROLES = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
REPORTING_ROLES = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF, Role.DISPUTE_LIAISON})
COUNSELING_ROLES = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
CATALOG_ROLES = frozenset({Role.INST_MANAGER})
STATION_ROLES = CENTER_ROLES | INSTITUTION_ROLES | {Role.PBC_OFFICER, Role.VIEWER}


def holds(viewer: Viewer, institution_id: int, roles: frozenset[str]) -> bool:
    """Whether the viewer holds one of `roles` at this institution (the right to act on its rows)."""
    return bool(viewer.institutions.get(institution_id, frozenset()) & roles)


def is_pbc(viewer: Viewer) -> bool:
    return viewer.is_superuser or Role.PBC_OFFICER in viewer.roles


def _scoped(qs: QuerySet, viewer: Viewer, roles: frozenset[str], field: str = "institution_id") -> QuerySet:
    if viewer.user_id is None:
        return qs.none()
    if viewer.sees_everything:
        return qs
    return qs.filter(**{f"{field}__in": viewer.institution_ids(roles)})


def _get(qs: QuerySet, pk, message: str):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(message) from None


# --- disputes ------------------------------------------------------------------------------------


def dispute_queryset_for(user_or_viewer) -> QuerySet[CreditDispute]:
    qs = CreditDispute.objects.select_related("application__party", "institution", "liaison")
    return _scoped(qs, viewer_for(user_or_viewer), DISPUTE_ROLES)


def dispute_get_for_user(user_or_viewer, dispute_id) -> CreditDispute:
    return _get(dispute_queryset_for(user_or_viewer), dispute_id, "异议不存在或您无权查看")


def dispute_list(user_or_viewer, *, status: str = "", escalated: bool = False, limit: int = 200):
    qs = dispute_queryset_for(user_or_viewer)
    if status:
        qs = qs.filter(status=status)
    if escalated:
        qs = qs.filter(pk__in=_escalated_ids("dispute"))
    return list(qs.order_by("status", "due_on", "-id")[:limit])


def _escalated_ids(kind: str) -> list[int]:
    subjects = Escalation.objects.filter(
        subject__startswith=f"{kind}:", resolved_at__isnull=True
    ).values_list("subject", flat=True)
    return [int(s.split(":")[1]) for s in subjects]


# --- applications --------------------------------------------------------------------------------


def application_queryset_for(user_or_viewer) -> QuerySet[Application]:
    """The centre and oversight see every application; an institution sees the ones that concern it
    (a dispute about its data, a debt it holds, a statement about its item)."""
    viewer = viewer_for(user_or_viewer)
    qs = Application.objects.select_related("party")
    if viewer.user_id is None:
        return qs.none()
    if viewer.sees_everything:
        return qs
    ids = viewer.institution_ids(INSTITUTION_ROLES)
    return qs.filter(
        Q(dispute__institution_id__in=ids)
        | Q(debts__institution_id__in=ids)
        | Q(statements__institution_id__in=ids)
    ).distinct()


def application_get_for_user(user_or_viewer, application_id) -> Application:
    return _get(application_queryset_for(user_or_viewer), application_id, "申请不存在或您无权查看")


def application_get_for_phone(number: str, phone: str | None) -> Application:
    """The applicant's own application: the number and the proven phone must both match."""
    if not phone:
        raise NotFound("申请不存在，或不是用这个手机号提交的")
    app = (
        Application.objects.select_related("party")
        .filter(number=(number or "").strip().upper(), phone_hash=lookup_hash(phone))
        .first()
    )
    if app is None:
        raise NotFound("申请不存在，或不是用这个手机号提交的")
    return app


def applications_for_phone(phone: str | None) -> list[Application]:
    if not phone:
        return []
    return list(Application.objects.filter(phone_hash=lookup_hash(phone)).order_by("-id")[:50])


# --- statements ----------------------------------------------------------------------------------


def statement_queryset_for(user_or_viewer) -> QuerySet[PersonalStatement]:
    viewer = viewer_for(user_or_viewer)
    qs = PersonalStatement.objects.select_related("application__party", "institution", "reviewer")
    if viewer.user_id is None:
        return qs.none()
    if viewer.sees_everything:
        return qs
    return qs.filter(institution_id__in=viewer.institution_ids(DISPUTE_ROLES))


def statement_get_for_user(user_or_viewer, statement_id) -> PersonalStatement:
    return _get(statement_queryset_for(user_or_viewer), statement_id, "声明不存在或您无权查看")


# --- catalog -------------------------------------------------------------------------------------


def measure_list(*, product_line: str = "", institution_id: int | None = None, kind: str = "", active=True):
    qs = ReliefMeasure.objects.select_related("institution")
    if active is not None:
        qs = qs.filter(is_active=active)
    if product_line:
        qs = qs.filter(product_line=product_line)
    if institution_id:
        qs = qs.filter(institution_id=institution_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("institution__code", "product_line", "kind", "id")


def measure_editable_by(user_or_viewer, institution_id: int) -> bool:
    viewer = viewer_for(user_or_viewer)
    if viewer.is_center:
        return True
    return institution_id in viewer.institution_ids(CATALOG_ROLES)


# --- agreements and reporting --------------------------------------------------------------------


def agreement_queryset_for(user_or_viewer) -> QuerySet[CreditAgreement]:
    qs = CreditAgreement.objects.select_related("plan__application__party", "institution")
    return _scoped(qs, viewer_for(user_or_viewer), INSTITUTION_ROLES)


def agreement_get_for_user(user_or_viewer, agreement_id) -> CreditAgreement:
    return _get(agreement_queryset_for(user_or_viewer), agreement_id, "协议不存在或您无权查看")


def reporting_queryset_for(user_or_viewer) -> QuerySet[ReportingTask]:
    qs = ReportingTask.objects.select_related("institution", "party", "agreement", "case")
    return _scoped(qs, viewer_for(user_or_viewer), INSTITUTION_ROLES)


def reporting_get_for_user(user_or_viewer, task_id) -> ReportingTask:
    return _get(reporting_queryset_for(user_or_viewer), task_id, "任务不存在或您无权查看")


def reporting_tasks_for_phone(phone: str | None) -> QuerySet[ReportingTask]:
    if not phone:
        return ReportingTask.objects.none()
    return ReportingTask.objects.select_related("institution").filter(phone_hash=lookup_hash(phone))


# --- counseling ----------------------------------------------------------------------------------


def counseling_queryset_for(user_or_viewer) -> QuerySet[CounselingTask]:
    qs = CounselingTask.objects.select_related("institution", "assignee")
    return _scoped(qs, viewer_for(user_or_viewer), COUNSELING_ROLES)


def counseling_get_for_user(user_or_viewer, task_id) -> CounselingTask:
    return _get(counseling_queryset_for(user_or_viewer), task_id, "辅导任务不存在或您无权查看")


# --- escalations ---------------------------------------------------------------------------------


def escalation_queryset_for(user_or_viewer) -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related("institution", "application")
    return _scoped(qs, viewer_for(user_or_viewer), INSTITUTION_ROLES)
