"""The station's figures (seed 000 reports them this way): enterprises and individuals helped, debt
amounts (enterprise vs individual), measures used by kind, disputes by outcome and on-time rate,
statements, counseling outcomes. The centre and the oversight roles see every institution; an
institution sees its own rows only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from jiefen.common import clock
from jiefen.orgs.access import Viewer, viewer_for

from .models import (
    Application,
    CounselingTask,
    CreditDispute,
    Debt,
    Escalation,
    PersonalStatement,
    PlanLine,
    ProductLine,
    ReliefMeasure,
    ReliefPlan,
    ReportingTask,
)
from .selectors import (
    counseling_queryset_for,
    dispute_queryset_for,
    reporting_queryset_for,
    statement_queryset_for,
)

ZERO = Decimal("0")
HELPED_PLANS = [ReliefPlan.Status.EFFECTIVE, ReliefPlan.Status.MEDIATION]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _labelled(rows, choices) -> list[dict]:
    labels = dict(choices)
    return [{"key": k, "label": labels.get(k, k or "—"), "count": n} for k, n in rows]


def applications_helped(viewer: Viewer):
    """Ids of the applications where the station delivered something, within the viewer's scope."""
    qs = Application.objects.filter(
        Q(dispute__status__in=["answered", "pbc_complaint", "closed", "converted"])
        | Q(statements__status="accepted")
        | Q(kind=Application.Kind.CONSULTATION, status__in=["answered", "closed"])
        | Q(plans__status__in=HELPED_PLANS)
    )
    if not viewer.sees_everything:
        own = viewer.institution_ids()
        qs = qs.filter(Q(dispute__institution_id__in=own) | Q(debts__institution_id__in=own))
    return qs.values("pk")


def station_stats(user_or_viewer, *, today: dt.date | None = None) -> dict:
    viewer: Viewer = viewer_for(user_or_viewer)
    today = today or clock.local_today()
    everything = viewer.sees_everything
    own = viewer.institution_ids()

    # Helped (seed 000 counts enterprises and individuals): a dispute answered or converted, a
    # statement accepted, a consultation answered, or a rescue plan that took effect or went to mediation.
    helped_apps = applications_helped(viewer)
    parties = dict(
        Application.objects.filter(pk__in=helped_apps)
        .values_list("party__kind")
        .annotate(n=Count("party", distinct=True))
    )
    # Debt amounts: the debts of plans that took effect or went to mediation (each debt once).
    debt_ids = Debt.objects.filter(application__plans__status__in=HELPED_PLANS)
    if not everything:
        debt_ids = debt_ids.filter(institution_id__in=own)
    amounts = dict(
        Debt.objects.filter(pk__in=debt_ids.values("pk"))
        .values_list("application__party__kind")
        .annotate(amount=Sum(F("principal") + F("interest") + F("penalty") + F("fees")))
    )

    lines = PlanLine.objects.filter(plan__status=ReliefPlan.Status.EFFECTIVE)
    if not everything:
        lines = lines.filter(debt__institution_id__in=own)
    measures_used = _labelled(
        lines.values_list("measure__kind").annotate(n=Count("id")).order_by("-n"), ReliefMeasure.Kind.choices
    )

    disputes = dispute_queryset_for(viewer)
    answered = disputes.filter(answered_at__isnull=False)
    on_time = sum(
        1
        for answered_at, due_on in answered.values_list("answered_at", "due_on")
        if clock.local_date(answered_at) <= due_on
    )
    dispute_outcomes = _labelled(
        answered.values_list("outcome").annotate(n=Count("id")).order_by("-n"), CreditDispute.Outcome.choices
    )
    statements = _labelled(
        statement_queryset_for(viewer).values_list("status").annotate(n=Count("id")).order_by("-n"),
        PersonalStatement.Status.choices,
    )
    counseling = counseling_queryset_for(viewer)
    followed = counseling.filter(still_current__isnull=False)
    tasks = reporting_queryset_for(viewer)
    open_tasks = tasks.filter(status__in=[ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED])
    escalations = (
        Escalation.objects.all() if everything else Escalation.objects.filter(institution_id__in=own)
    )
    applications = Application.objects.all()
    if not everything:
        applications = applications.filter(
            Q(dispute__institution_id__in=own) | Q(debts__institution_id__in=own)
        ).distinct()

    catalog = ReliefMeasure.objects.filter(is_active=True)
    return {
        "today": today,
        "scope": "全部机构" if everything else "本机构",
        "applications": _labelled(
            applications.values_list("kind").annotate(n=Count("id", distinct=True)).order_by("kind"),
            Application.Kind.choices,
        ),
        "individuals_helped": parties.get("individual", 0),
        "enterprises_helped": parties.get("enterprise", 0),
        "individual_debt": amounts.get("individual") or ZERO,
        "enterprise_debt": amounts.get("enterprise") or ZERO,
        "measures_used": measures_used,
        "disputes_total": disputes.count(),
        "disputes_open": disputes.filter(status=CreditDispute.Status.RECEIVED).count(),
        "disputes_overdue": disputes.filter(status=CreditDispute.Status.RECEIVED, due_on__lt=today).count(),
        "disputes_answered": answered.count(),
        "disputes_on_time": on_time,
        "disputes_on_time_rate": _rate(on_time, answered.count()),
        "dispute_outcomes": dispute_outcomes,
        "statements": statements,
        "counseling_total": counseling.count(),
        "counseling_outcomes": _labelled(
            counseling.exclude(outcome="").values_list("outcome").annotate(n=Count("id")).order_by("-n"),
            CounselingTask.Outcome.choices,
        ),
        "counseling_followed": followed.count(),
        "counseling_still_current": followed.filter(still_current=True).count(),
        "counseling_still_current_rate": _rate(followed.filter(still_current=True).count(), followed.count()),
        "reporting_total": tasks.count(),
        "reporting_done": tasks.filter(
            status__in=[ReportingTask.Status.UPDATED, ReportingTask.Status.CONFIRMED]
        ).count(),
        "reporting_confirmed": tasks.filter(status=ReportingTask.Status.CONFIRMED).count(),
        "reporting_overdue": open_tasks.filter(update_due_on__lt=today).count(),
        "escalations_open": escalations.filter(resolved_at__isnull=True).count(),
        "escalations_total": escalations.count(),
        "catalog": _labelled(
            catalog.values_list("product_line").annotate(n=Count("id")).order_by("product_line"),
            ProductLine.choices,
        ),
        "catalog_total": catalog.count(),
        "catalog_institutions": catalog.values("institution").distinct().count(),
    }
