"""Reads of the disposal desk, always through the viewer (another institution's rows are a 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from jiefen.cases.machine import Status
from jiefen.cases.selectors import acting_roles, case_get_for_user, case_queryset_for
from jiefen.common import clock
from jiefen.orgs.access import viewer_for
from jiefen.outreach.models import OutboundMessage, SmsBatch
from jiefen.parties.models import PartyPhone

from .models import ContactAttempt, PhoneRelation, RecoveryBatch
from .services import DESK_ROLES, collection_refusal, triage_explanation, triage_explanations

QUEUE_STATUSES = {
    "disposal": [Status.DISPOSAL],
    "defaulted": [Status.DEFAULTED],
    "mediation_pending": [Status.MEDIATION_PENDING],
}


@dataclass
class QueueFilters:
    scope: str = "mine"  # mine | unassigned | all
    status: str = "disposal"
    institution: int | None = None
    lost: str = ""  # "" | yes | no
    product_type: str = ""
    due: str = ""  # "" | overdue | today (next contact due)
    q: str = ""


def desk_queue(user_or_viewer, filters: QueueFilters, *, before_id: int | None = None, limit: int = 50):
    """One page of the desk's queue, newest first (keyset paging, like the case list)."""
    viewer = viewer_for(user_or_viewer)
    qs = case_queryset_for(viewer).filter(status__in=QUEUE_STATUSES.get(filters.status, [Status.DISPOSAL]))
    if filters.scope == "mine":
        qs = qs.filter(assignee_id=viewer.user_id)
    elif filters.scope == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if filters.institution:
        qs = qs.filter(institution_id=filters.institution)
    if filters.lost == "yes":
        qs = qs.filter(lost_contact=True)
    elif filters.lost == "no":
        qs = qs.filter(lost_contact=False)
    if filters.product_type:
        qs = qs.filter(product_type=filters.product_type)
    today = clock.local_today()
    if filters.due == "overdue":
        qs = qs.filter(stage_due_on__lt=today)
    elif filters.due == "today":
        ids = ContactAttempt.objects.filter(next_contact_on__lte=today).values("case_id")
        qs = qs.filter(pk__in=ids)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number=term) | Q(contract_no=term) | Q(debtor__name=term))
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.select_related("institution", "debtor", "assignee").order_by("-pk")[: limit + 1])
    next_before = rows[limit - 1].pk if len(rows) > limit else None
    rows = rows[:limit]
    ids = [c.pk for c in rows]
    reasons = triage_explanations(ids)
    last: dict[int, ContactAttempt] = {}
    for attempt in ContactAttempt.objects.filter(case_id__in=ids).order_by("at", "id"):
        last[attempt.case_id] = attempt
    for case in rows:
        case.triage = reasons.get(case.pk)
        case.last_contact = last.get(case.pk)
    return rows, next_before


@dataclass
class PhoneView:
    phone: PartyPhone
    relation: str
    relation_label: str
    contact_name: str
    third_party: bool
    unanswered_today: int


def desk_case(user, case_id: int, *, now: dt.datetime | None = None) -> dict:
    """Everything the case-work page shows."""
    from jiefen.outreach import compliance

    from .services import unanswered_today

    viewer = viewer_for(user)
    case = case_get_for_user(viewer, case_id)
    at = now or compliance.now()
    phones = []
    relations = {r.phone_id: r for r in PhoneRelation.objects.filter(phone__party_id=case.debtor_id)}
    for phone in PartyPhone.objects.filter(party_id=case.debtor_id).order_by("-is_valid", "id"):
        rel = relations.get(phone.pk)
        phones.append(
            PhoneView(
                phone=phone,
                relation=rel.relation if rel else "self",
                relation_label=rel.get_relation_display() if rel else "本人",
                contact_name=rel.contact_name if rel else "",
                third_party=bool(rel and rel.third_party),
                unanswered_today=unanswered_today(case.institution_id, phone.number_hash, at),
            )
        )
    roles = acting_roles(viewer, case)
    can_work = bool(roles & DESK_ROLES) and not viewer.read_only
    return {
        "case": case,
        "phones": phones,
        "attempts": list(
            ContactAttempt.objects.filter(case=case)
            .select_related("actor", "phone", "message")
            .order_by("-at", "-id")[:50]
        ),
        "triage": triage_explanation(case),
        "can_work": can_work,
        "is_center": viewer.is_center and not viewer.read_only,
        "collection_refusal": collection_refusal(case),
        "quiet_refusal": compliance.quiet_hours_refusal(at),
    }


def outbox_for_user(user, *, limit: int = 100):
    viewer = viewer_for(user)
    qs = OutboundMessage.objects.select_related("institution").filter(purpose__in=["reminder", "notice"])
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    return list(qs.order_by("-pk")[:limit])


def sms_batches_for_user(user, *, limit: int = 20):
    viewer = viewer_for(user)
    qs = SmsBatch.objects.select_related("template", "actor", "institution")
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    return list(qs.order_by("-pk")[:limit])


def recovery_batches_for_user(user, *, limit: int = 30):
    viewer = viewer_for(user)
    qs = RecoveryBatch.objects.select_related("institution", "created_by")
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    return list(qs.order_by("-pk")[:limit])
