"""Reads for the court end. A row is visible to whoever sees its case, and to the receiving
institution (the court, arbitration commission or notary office whose queue it is in)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from jiefen.cases.selectors import case_queryset_for
from jiefen.common import clock
from jiefen.common.errors import NotFound
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import Role

from .models import ConfirmationApplication, EnforcementCase, LitigationTransfer, SmallClaimsThreshold

K = Institution.Kind


def receiving_ids(viewer: Viewer) -> set[int]:
    """Institutions whose queue the viewer works: courts as judge; arbitration and notary offices as any member."""
    ids = viewer.institution_ids(frozenset({Role.JUDGE}))
    others = Institution.objects.filter(
        pk__in=list(viewer.institutions), kind__in=[K.ARBITRATION, K.NOTARY]
    ).values_list("pk", flat=True)
    return ids | set(others)


def _visible(qs, viewer: Viewer, inst_field: str):
    if viewer.user_id is None:
        return qs.none()
    if viewer.sees_everything:
        return qs
    return qs.filter(
        Q(case__in=case_queryset_for(viewer)) | Q(**{f"{inst_field}__in": receiving_ids(viewer)})
    )


def confirmations_for(user_or_viewer):
    viewer = viewer_for(user_or_viewer)
    qs = ConfirmationApplication.objects.select_related(
        "case", "case__institution", "case__debtor", "institution", "agreement"
    )
    return _visible(qs, viewer, "institution_id")


def transfers_for(user_or_viewer):
    viewer = viewer_for(user_or_viewer)
    qs = LitigationTransfer.objects.select_related("case", "case__institution", "case__debtor", "institution")
    return _visible(qs, viewer, "institution_id")


def enforcements_for(user_or_viewer):
    viewer = viewer_for(user_or_viewer)
    qs = EnforcementCase.objects.select_related("case", "case__institution", "case__debtor", "court")
    return _visible(qs, viewer, "court_id")


def _get(qs, pk, what: str):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{what}不存在或您无权查看") from None


def confirmation_get_for_user(user_or_viewer, pk: int) -> ConfirmationApplication:
    return _get(confirmations_for(user_or_viewer), pk, "申请")


def transfer_get_for_user(user_or_viewer, pk: int) -> LitigationTransfer:
    return _get(transfers_for(user_or_viewer), pk, "移送记录")


def enforcement_get_for_user(user_or_viewer, pk: int) -> EnforcementCase:
    return _get(enforcements_for(user_or_viewer), pk, "执行案件")


def works_queue(viewer: Viewer, institution: Institution) -> bool:
    """May the viewer decide for this receiving institution?"""
    if institution.kind == K.COURT:
        return Role.JUDGE in viewer.institutions.get(institution.pk, frozenset())
    if institution.kind in {K.ARBITRATION, K.NOTARY}:
        # The commission or notary office records its own outcome, or the centre records it for them.
        return institution.pk in viewer.institutions or viewer.is_center
    return False


# --- small claims ---------------------------------------------------------------------------------


def threshold_for(province_code: str, year: int) -> SmallClaimsThreshold | None:
    """The row for the year, else the latest earlier one (the new wage is published mid-year)."""
    return (
        SmallClaimsThreshold.objects.filter(province_code=province_code, year__lte=year)
        .order_by("-year")
        .first()
    )


def small_claims_assessment(
    case, court, *, on: dt.date | None = None
) -> tuple[str, str, SmallClaimsThreshold | None]:
    """Whether the claim fits small-claims procedure (民诉法 Arts 165–166): up to 50% of the province's
    previous-year average wage; up to 2× only if both parties agree; not when a party cannot be found."""
    year = (on or clock.local_today()).year
    region = (getattr(court, "region_code", "") or case.region_code or "")[:2]
    row = threshold_for(region, year) if region else None
    amount = case.claim_total
    if row is None:
        return "unknown", f"未录入该省 {year} 年的小额诉讼标准，无法判断", None
    caveat = (
        ""
        if row.verified and row.year == year
        else "（标准" + ("须核实" if not row.verified else f"沿用{row.year}年") + "）"
    )
    limit = row.threshold
    if case.lost_contact:
        return "no", f"被告下落不明（失联），不适用小额诉讼程序{caveat}", row
    if amount <= limit:
        return (
            "yes",
            f"诉请 {amount:,.2f} 元不超过{row.province_name}标准 {limit:,.2f} 元，适用小额诉讼，一审终审{caveat}",
            row,
        )
    if amount <= limit * 2:
        return (
            "consent",
            f"诉请 {amount:,.2f} 元超过标准 {limit:,.2f} 元但不超过两倍，双方约定后可适用小额诉讼{caveat}",
            row,
        )
    return "no", f"诉请 {amount:,.2f} 元超过标准两倍（{limit * 2:,.2f} 元），适用简易或普通程序{caveat}", row
