"""Figures of the other capabilities, each from one small provider that reads its app's models.

The capabilities are built alongside this app, so a provider never assumes its models exist: when the
app, a model or a field is missing (or a query fails), the provider reports "not available" with the
reason, the dashboard shows 暂未接入, and every other figure is unaffected. Each provider returns
additive rows (figure key, local month, institution id, count, amount in cents) that the refresh
stores in ExtCube; ratios are computed when read, never stored.

To wire a capability: add its function to PROVIDERS (and its figures to figures.FIGURES).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate, TruncMonth

from jiefen.common.clock import SHANGHAI

log = logging.getLogger(__name__)

Row = tuple[str, dt.date, int | None, int, int]


class NotAvailable(Exception):
    """The capability (or the part a figure needs) is not there yet."""


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    fn: Callable[[dt.date], Iterable[Row]]


def model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError as exc:
        raise NotAvailable(f"{app_label}.{name} 尚未建立") from exc


def require_fields(m, *names: str) -> None:
    have = {f.name for f in m._meta.get_fields()}
    missing = [n for n in names if n not in have]
    if missing:
        raise NotAvailable(f"{m._meta.label} 缺少字段 {', '.join(missing)}")


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date().replace(day=1)
    return value.replace(day=1)


def _cents(value) -> int:
    return int((Decimal(value or 0) * 100).quantize(Decimal("1")))


def monthly(qs, when: str, inst: str | None, **measures) -> list[dict]:
    """Rows of qs grouped by the local month of `when` (and the institution), with the measures."""
    is_datetime = qs.model._meta.get_field(when.split("__")[0]).get_internal_type() == "DateTimeField"
    trunc = TruncMonth(when, tzinfo=SHANGHAI) if is_datetime else TruncMonth(when)
    qs = qs.exclude(**{f"{when}__isnull": True}).annotate(m=trunc)
    key = inst
    if inst and "__" in inst:
        # The institution sits on a related row (usually the case): looked up per row of this small
        # table rather than joined. Joined, SQLite's planner drives from the case table whenever this
        # table had no statistics at the last ANALYZE (it was empty), and every minute tick then scans
        # every case (0.7 s at a million).
        hop, rest = inst.split("__", 1)
        related = qs.model._meta.get_field(hop).related_model
        qs = qs.annotate(inst_=Subquery(related.objects.filter(pk=OuterRef(hop)).values(rest)[:1]))
        key = "inst_"
    keys = ["m"] + ([key] if key else [])
    rows = list(qs.values(*keys).annotate(**measures).order_by())
    if key != inst:
        for r in rows:
            r[inst] = r.pop(key)
    return rows


def emit(rows: list[dict], inst: str | None, figures: dict[str, tuple[str | None, str | None]]) -> list[Row]:
    """Turn grouped rows into ExtCube rows: figures maps a key to (count measure, amount measure)."""
    out: list[Row] = []
    for r in rows:
        for key, (n_name, amount_name) in figures.items():
            n = int(r[n_name] or 0) if n_name else 0
            amount = _cents(r[amount_name]) if amount_name else 0
            if n or amount:
                out.append((key, _month(r["m"]), r[inst] if inst else None, n, amount))
    return out


def deadline_rows(qs, *, due: str, done: str, inst: str, prefix: str, today: dt.date) -> list[Row]:
    """Deadlines counted in the month they fall due: met when done on or before the due day (local
    date), missed when done later or still not done after it."""
    require_fields(qs.model, due, done)
    done_is_dt = qs.model._meta.get_field(done).get_internal_type() == "DateTimeField"
    qs = qs.annotate(done_day=TruncDate(done, tzinfo=SHANGHAI) if done_is_dt else F(done))
    rows = monthly(
        qs,
        due,
        inst,
        met=Count("id", filter=Q(done_day__isnull=False, done_day__lte=F(due))),
        missed=Count(
            "id",
            filter=Q(done_day__isnull=False, done_day__gt=F(due))
            | Q(done_day__isnull=True, **{f"{due}__lt": today}),
        ),
    )
    return emit(rows, inst, {f"{prefix}.due_met": ("met", None), f"{prefix}.due_missed": ("missed", None)})


# --- providers ----------------------------------------------------------------------------------


def disposal(today: dt.date) -> list[Row]:
    attempt = model("disposal", "ContactAttempt")
    require_fields(attempt, "channel", "at", "institution")
    rows = monthly(
        attempt.objects.all(),
        "at",
        "institution_id",
        sms=Count("id", filter=Q(channel="sms")),
        calls=Count("id", filter=Q(channel="call")),
    )
    out = emit(rows, "institution_id", {"disposal.sms": ("sms", None), "disposal.calls": ("calls", None)})
    item = model("disposal", "RecoveryItem")
    require_fields(item, "status", "case", "batch")
    batch = model("disposal", "RecoveryBatch")
    require_fields(batch, "resolved_at")
    found = monthly(
        item.objects.filter(status="found"),
        "batch__resolved_at",
        "case__institution_id",
        n=Count("id"),
    )
    out += emit(found, "case__institution_id", {"disposal.contacts_recovered": ("n", None)})
    return out


def mediation(today: dt.date) -> list[Row]:
    agreement = model("mediation", "Agreement")
    require_fields(
        agreement,
        "effective_at",
        "total",
        "waived_penalty",
        "waived_compound",
        "waived_fees",
        "case",
        "state",
    )
    rows = monthly(
        agreement.objects.exclude(state="void"),
        "effective_at",
        "case__institution_id",
        n=Count("id"),
        total=Sum("total"),
        waived=Sum(F("waived_penalty") + F("waived_compound") + F("waived_fees")),
    )
    out = emit(
        rows,
        "case__institution_id",
        {
            "mediation.agreements": ("n", "total"),
            "amounts.waived": (None, "waived"),
        },
    )
    payment = model("mediation", "Payment")
    require_fields(payment, "amount", "paid_on", "agreement")
    paid = monthly(payment.objects.all(), "paid_on", "agreement__case__institution_id", total=Sum("amount"))
    out += emit(paid, "agreement__case__institution_id", {"amounts.recovered": (None, "total")})
    return out


def litigation(today: dt.date) -> list[Row]:
    transfer = model("litigation", "LitigationTransfer")
    require_fields(transfer, "judgment_on", "judgment_amount", "case")
    judged = monthly(
        transfer.objects.all(),
        "judgment_on",
        "case__institution_id",
        n=Count("id"),
        total=Sum("judgment_amount"),
    )
    out = emit(judged, "case__institution_id", {"litigation.judgments": ("n", "total")})
    enforcement = model("litigation", "EnforcementCase")
    require_fields(enforcement, "applied_at", "closed_at", "amount_sought", "amount_enforced", "case")
    applied = monthly(
        enforcement.objects.all(),
        "applied_at",
        "case__institution_id",
        n=Count("id"),
        total=Sum("amount_sought"),
    )
    out += emit(applied, "case__institution_id", {"enforcement.applied": ("n", "total")})
    closed = monthly(
        enforcement.objects.all(),
        "closed_at",
        "case__institution_id",
        n=Count("id"),
        total=Sum("amount_enforced"),
    )
    out += emit(closed, "case__institution_id", {"enforcement.closed": ("n", "total")})
    confirmation = model("litigation", "ConfirmationApplication")
    require_fields(confirmation, "applied_at", "decided_at", "state", "case")
    applications = monthly(confirmation.objects.all(), "applied_at", "case__institution_id", n=Count("id"))
    out += emit(applications, "case__institution_id", {"confirmation.applications": ("n", None)})
    return out


def credit(today: dt.date) -> list[Row]:
    dispute = model("credit", "CreditDispute")
    require_fields(dispute, "institution", "received_at", "due_on", "answered_at", "status")
    received = monthly(dispute.objects.all(), "received_at", "institution_id", n=Count("id"))
    out = emit(received, "institution_id", {"credit.disputes_received": ("n", None)})
    out += deadline_rows(
        dispute.objects.exclude(status="withdrawn", answered_at__isnull=True),
        due="due_on",
        done="answered_at",
        inst="institution_id",
        prefix="credit.disputes",
        today=today,
    )
    statement = model("credit", "PersonalStatement")
    require_fields(statement, "submitted_at", "institution")
    statements = monthly(statement.objects.all(), "submitted_at", "institution_id", n=Count("id"))
    out += emit(statements, "institution_id", {"credit.statements": ("n", None)})
    application = model("credit", "Application")
    require_fields(application, "kind", "created_at")
    # Applications are the public's, not an institution's: counted centre-wide only.
    apps_rows = monthly(
        application.objects.all(),
        "created_at",
        None,
        rescue=Count("id", filter=Q(kind="rescue")),
        n=Count("id"),
    )
    out += emit(
        apps_rows, None, {"credit.applications": ("n", None), "credit.rescue_applications": ("rescue", None)}
    )
    return out


def complaints(today: dt.date) -> list[Row]:
    complaint = model("complaints", "Complaint")
    require_fields(complaint, "institution", "received_at", "due_at", "replied_at", "status")
    received = monthly(
        complaint.objects.all(),
        "received_at",
        "institution_id",
        n=Count("id"),
        resolved=Count("id", filter=Q(resolved=True)),
    )
    out = emit(
        received,
        "institution_id",
        {"complaints.received": ("n", None), "complaints.resolved": ("resolved", None)},
    )
    out += deadline_rows(
        complaint.objects.exclude(status="withdrawn", replied_at__isnull=True),
        due="due_at",
        done="replied_at",
        inst="institution_id",
        prefix="complaints",
        today=today,
    )
    return out


def assistant(today: dt.date) -> list[Row]:
    conversation = model("assistant", "Conversation")
    require_fields(conversation, "started_at")
    rows = monthly(conversation.objects.all(), "started_at", None, n=Count("id"))
    out = emit(rows, None, {"assistant.conversations": ("n", None)})
    handoff = model("assistant", "Handoff")
    require_fields(handoff, "created_at")
    handed = monthly(handoff.objects.all(), "created_at", None, n=Count("id"))
    out += emit(handed, None, {"assistant.handoffs": ("n", None)})
    return out


PROVIDERS: list[Provider] = [
    Provider("disposal", "集中处置（短信、电话、失联修复）", disposal),
    Provider("mediation", "调解协议与履行", mediation),
    Provider("litigation", "诉讼、司法确认与执行", litigation),
    Provider("credit", "信用救助（征信异议、个人声明）", credit),
    Provider("complaints", "行长直通车（投诉）", complaints),
    Provider("assistant", "7×24 智能问答", assistant),
]


def collect(today: dt.date) -> tuple[list[Row], dict[str, dict]]:
    """Run every provider; one failing never stops the others (each runs in its own savepoint)."""
    rows: list[Row] = []
    status: dict[str, dict] = {}
    for provider in PROVIDERS:
        try:
            with transaction.atomic():
                got = list(provider.fn(today))
        except NotAvailable as exc:
            status[provider.key] = {"label": provider.label, "available": False, "reason": str(exc)}
            continue
        except Exception as exc:  # noqa: BLE001 - models in flux: a renamed field, a table not migrated
            log.warning("stats provider %s failed: %s", provider.key, exc)
            status[provider.key] = {"label": provider.label, "available": False, "reason": f"查询失败：{exc}"}
            continue
        rows += got
        status[provider.key] = {"label": provider.label, "available": True, "rows": len(got)}
    return rows, status
