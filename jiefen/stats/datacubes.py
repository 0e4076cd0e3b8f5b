"""The per-institution datacube and its review before publication (AFCA's model).

The centre prepares each institution's figures for a period (a frozen snapshot of the cubes); the
institution's manager reviews them and accepts or comments; the centre then publishes. Published
datacubes are the open data. Every step is a compare-and-set on (id, status, version) plus a
DatacubeEvent row.

    review ──accept──► accepted ──publish──► published ──withdraw──► withdrawn
      │ └──comment──► commented ──publish (with the centre's reply)──┘    │
      │                 │                                                 │
      └── publish once the review period has passed without an answer     │
    accepted / commented / withdrawn ──revise (re-snapshot)──► review ◄───┘
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jiefen.cases.models import ProductType
from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.orgs.access import Viewer, viewer_for

from . import figures, panels
from .figures import Scope, add_month, rate
from .models import Datacube, DatacubeEvent
from .selectors import MANAGER, creditors, datacube_get_for_user

S = Datacube.Status


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: frozenset[str]
    target: str
    by: str  # institution | centre
    reason: str = ""  # "required" | "" ; publish from commented needs the centre's reply


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in [
        Action("accept", "确认数据无误", frozenset({S.REVIEW}), S.ACCEPTED, "institution"),
        Action("comment", "提出意见", frozenset({S.REVIEW}), S.COMMENTED, "institution", reason="required"),
        Action("publish", "发布", frozenset({S.REVIEW, S.ACCEPTED, S.COMMENTED}), S.PUBLISHED, "centre"),
        Action(
            "revise",
            "按最新数据重新生成并送机构确认",
            frozenset({S.ACCEPTED, S.COMMENTED, S.WITHDRAWN}),
            S.REVIEW,
            "centre",
            reason="required",
        ),
        Action("withdraw", "撤回发布", frozenset({S.PUBLISHED}), S.WITHDRAWN, "centre", reason="required"),
    ]
}


# --- periods ------------------------------------------------------------------------------------


def parse_period(raw: str) -> tuple[dt.date, dt.date]:
    """'2026Q3', '2026H1' or '2026': first month and last day."""
    raw = (raw or "").strip().upper()
    try:
        year = int(raw[:4])
        if len(raw) == 4:
            first, months = dt.date(year, 1, 1), 12
        elif raw[4] == "Q" and raw[5:] in {"1", "2", "3", "4"}:
            first, months = dt.date(year, 3 * int(raw[5:]) - 2, 1), 3
        elif raw[4] == "H" and raw[5:] in {"1", "2"}:
            first, months = dt.date(year, 6 * int(raw[5:]) - 5, 1), 6
        else:
            raise ValueError(raw)
    except (ValueError, IndexError):
        raise ApplicationError("期间格式应为 2026Q3、2026H1 或 2026", code="invalid_period") from None
    if not 2000 <= year <= 2100:
        raise ApplicationError("期间年份有误", code="invalid_period")
    return first, add_month(first, months) - dt.timedelta(days=1)


def period_code(start: dt.date, end: dt.date) -> str:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 12 and start.month == 1:
        return f"{start.year}"
    if months == 6:
        return f"{start.year}H{1 if start.month == 1 else 2}"
    if months == 3:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}_{end:%Y-%m}"


def period_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    """Completed quarters, halves and years, most recent first."""
    today = today or clock.local_today()
    out = []
    q = (today.month - 1) // 3 + 1
    year = today.year
    for _ in range(4):
        q -= 1
        if q == 0:
            q, year = 4, year - 1
        out.append((f"{year}Q{q}", f"{year}年第{q}季度"))
    half_year, half = (today.year, 1) if today.month > 6 else (today.year - 1, 2)
    out.append((f"{half_year}H{half}", f"{half_year}年{'上' if half == 1 else '下'}半年"))
    out.append((f"{today.year - 1}", f"{today.year - 1}年"))
    return out


# --- the snapshot -------------------------------------------------------------------------------

CUBE_KEYS = [
    "cases.received",
    "cases.closed",
    "amounts.claimed",
    "disposal.resolved_share",
    "mediation.success_rate",
]


def snapshot(institution_id: int, start: dt.date, end: dt.date) -> dict:
    """The institution's figures for the period, frozen: what it reviews is what gets published.

    Counts keep their numerators and denominators so that open data can suppress small cells.
    """
    scope = Scope(start=start, end=end.replace(day=1), institution_id=institution_id)
    with figures.pinned_state():
        head = figures.headline(scope)
        flow = figures.stage_flow(scope, "p")
        totals = figures.case_totals(scope, "p")
        deadlines = {r["key"]: r for r in panels.deadline_rows(scope)}
        ext = figures.ext(scope)
        st = figures.state()  # the watermark of the rows just read, not of a later switch

    def part(stage, key, measure):
        return (flow.get((stage, key)) or {}).get(measure, 0)

    by_product = {}
    for product in ProductType.values:
        t = totals.get(product) or {"received": 0, "claimed": 0}
        by_product[product] = {
            "received": t["received"],
            "claimed_cents": t["claimed"],
            "closed": part("closed", product, "entered"),
            "disposal_exited": part("disposal", product, "exited"),
            "disposal_resolved": part("disposal", product, "resolved"),
            "mediation_exited": part("mediating", product, "exited"),
            "mediation_agreed": part("mediating", product, "resolved"),
        }
    total = {k: sum(p[k] for p in by_product.values()) for k in next(iter(by_product.values()))}
    total.update(
        {
            "complaints_received": ext.get("complaints.received", (None, 0))[0],
            "credit_disputes_received": ext.get("credit.disputes_received", (None, 0))[0],
        }
    )
    for key in ["deadline.disposal", "deadline.mediation", "deadline.credit_dispute", "deadline.complaints"]:
        r = deadlines[key]
        total[f"{key}.met"], total[f"{key}.missed"] = r["met"], r["missed"]
    return {
        "by_product": by_product,
        "total": total,
        "headline": {k: panels.exact(v) for k, v in head.items()},
        "as_of": st.as_of.isoformat() if st and st.as_of else None,
    }


def display_rows(cube: Datacube) -> list[list]:
    """The review table: one row per product and the total (what the institution checks)."""
    data = cube.figures or {}
    rows = []
    names = dict(ProductType.choices)
    items = [(names.get(k, k), v) for k, v in data.get("by_product", {}).items()]
    if data.get("total"):
        items.append(("合计", data["total"]))
    for name, v in items:
        rows.append(
            [
                name,
                v.get("received", 0),
                f"{v.get('claimed_cents', 0) / 100:,.2f}",
                v.get("closed", 0),
                _pct(rate(v.get("disposal_resolved", 0), v.get("disposal_exited", 0))),
                _pct(rate(v.get("mediation_agreed", 0), v.get("mediation_exited", 0))),
            ]
        )
    return rows


def _pct(v) -> str:
    return "—" if v is None else f"{v}%"


# --- the state machine --------------------------------------------------------------------------


def _role(viewer: Viewer, cube: Datacube) -> set[str]:
    roles = set()
    if viewer.is_center and not viewer.read_only:
        roles.add("centre")
    if cube.institution_id in viewer.institution_ids(MANAGER):
        roles.add("institution")
    return roles


def refusal(viewer: Viewer, cube: Datacube, action: Action, today: dt.date | None = None) -> str | None:
    if cube.status not in action.sources:
        return f"数据立方当前为“{cube.get_status_display()}”，不能执行“{action.label}”"
    if action.by not in _role(viewer, cube):
        return f"您的角色不能执行“{action.label}”"
    if (
        action.key == "publish"
        and cube.status == S.REVIEW
        and (today or clock.local_today()) <= cube.review_due
    ):
        return f"机构确认期限（{cube.review_due:%Y-%m-%d}）届满前，须待机构确认后发布"
    return None


def allowed_actions(user_or_viewer, cube: Datacube) -> list[Action]:
    viewer = user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)
    return [a for a in ACTIONS.values() if refusal(viewer, cube, a) is None]


def _log(cube: Datacube, action: str, old: str, new: str, actor, reason: str, at) -> None:
    DatacubeEvent.objects.create(
        datacube=cube,
        action=action,
        from_status=old,
        to_status=new,
        actor=actor,
        actor_label=str(actor) if actor is not None else "系统",
        reason=reason,
        at=at,
    )


@transaction.atomic
def datacube_prepare(
    *, actor, period: str, institution_id: int | None = None, now: dt.datetime | None = None
) -> list[Datacube]:
    """Freeze each creditor's figures for the period and send them for review.

    Institutions that already have a datacube for the period keep it (use `revise`); institutions
    without a case in the period get none.
    """
    viewer = viewer_for(actor)
    if not (viewer.is_center and not viewer.read_only):
        raise PermissionDenied("只有调处中心可以准备数据立方")
    start, end = parse_period(period)
    now = now or timezone.now()
    if end >= clock.local_date(now):
        raise ApplicationError("只能为已结束的期间准备数据立方", code="period_not_over")
    institutions = creditors()
    if institution_id:
        institutions = institutions.filter(pk=institution_id)
        if not institutions.exists():
            raise NotFound("机构不存在")
    scope = Scope(start=start, end=end.replace(day=1))
    active = {k for k, v in figures.case_totals(scope, "i").items() if v["received"]}
    made = []
    for inst in institutions.order_by("code"):
        if (
            inst.pk not in active
            or Datacube.objects.filter(institution=inst, period_start=start, period_end=end).exists()
        ):
            continue
        cube = Datacube.objects.create(
            institution=inst,
            period_start=start,
            period_end=end,
            status=S.REVIEW,
            figures=snapshot(inst.pk, start, end),
            data_as_of=figures.state().as_of if figures.state() else None,
            review_due=rules.due("stats.datacube_review", now),
            prepared_at=now,
        )
        _log(cube, "prepare", "", S.REVIEW, actor, f"期间 {period_code(start, end)}", now)
        made.append(cube)
    return made


@transaction.atomic
def datacube_act(
    *,
    actor,
    datacube_id: int,
    action: str,
    reason: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Datacube:
    viewer = viewer_for(actor)
    cube = datacube_get_for_user(viewer, datacube_id)
    step = ACTIONS.get(action)
    if step is None:
        raise ApplicationError(f"未知的操作“{action}”", code="invalid_action")
    if expected_version is not None and expected_version != cube.version:
        raise Conflict("数据立方已被他人更新，请刷新后重试")
    now = now or timezone.now()
    why = refusal(viewer, cube, step, clock.local_date(now))
    if why:
        raise ApplicationError(why, code="action_refused", status=403 if "角色" in why else 400)
    reason = (reason or "").strip()
    if step.reason == "required" and not reason:
        raise ApplicationError("请填写意见或理由", code="reason_required")
    if step.key == "publish" and cube.status == S.COMMENTED and not reason:
        raise ApplicationError("机构提出了意见：发布前请填写中心的答复", code="reason_required")
    changes: dict = {"status": step.target, "version": cube.version + 1}
    if step.key == "comment":
        changes["institution_comment"] = reason
    elif step.key == "publish":
        changes["published_at"] = now
        if reason:
            changes["centre_note"] = reason
    elif step.key == "revise":
        changes.update(
            figures=snapshot(cube.institution_id, cube.period_start, cube.period_end),
            review_due=rules.due("stats.datacube_review", now),
            prepared_at=now,
            institution_comment="",
            published_at=None,
        )
        st = figures.state()
        changes["data_as_of"] = st.as_of if st else None
    elif step.key == "withdraw":
        changes["centre_note"] = reason
    updated = Datacube.objects.filter(pk=cube.pk, status=cube.status, version=cube.version).update(**changes)
    if updated != 1:
        raise Conflict("数据立方已被他人更新，请刷新后重试")
    _log(cube, step.key, cube.status, step.target, actor, reason, now)
    cube.refresh_from_db()
    return cube
