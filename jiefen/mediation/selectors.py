"""Reads for mediation, always through the viewer (or, for the debtor, through a signed room link)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from jiefen.cases.machine import Status
from jiefen.cases.models import Case, CaseEvent
from jiefen.cases.selectors import acting_roles, case_get_for_user, case_queryset_for
from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Region
from jiefen.orgs.roles import CENTER_ROLES, Role
from jiefen.public.services import read_signed_token, signed_token

from .models import Agreement, Mediation, MediatorProfile, Message, SubsidyRule, WaiverPolicy
from .plan import Rates

ACTIVE = (Status.MEDIATION_PENDING, Status.MEDIATING)
# Statuses in which the debtor must not be chased: the mediation (and the agreement it produces) has
# taken over from collection (信用卡办法 Art 70: collection stops once an instalment agreement is signed).
COLLECTION_PAUSED = frozenset(
    {
        Status.MEDIATION_PENDING,
        Status.MEDIATING,
        Status.AGREED,
        Status.CONFIRMATION_PENDING,
        Status.CONFIRMED,
        Status.PERFORMING,
    }
)
ROOM_OPEN = frozenset({Status.MEDIATION_PENDING, Status.MEDIATING, Status.AGREED})
CREDITOR_ROLES = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})


def collection_paused(case: Case) -> bool:
    """For outreach and disposal: no collection SMS or calls to a debtor whose case is in mediation."""
    return case.status in COLLECTION_PAUSED


# --- room participants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    side: str  # Message.Side
    label: str
    reader: str  # ReadMark.reader
    user: object = None

    @property
    def is_debtor(self) -> bool:
        return self.side == Message.Side.DEBTOR


def mediation_for_case(case: Case) -> Mediation:
    """The case's mediation file, created on first use (kept on the case object for the request)."""
    cached = case.__dict__.get("_mediation_file")
    if cached is not None:
        return cached
    mediation = Mediation.objects.filter(case=case).first()
    if mediation is None:
        mediation, _ = Mediation.objects.get_or_create(
            case=case, defaults={"link_nonce": secrets.token_hex(4), "mediator_id": case.mediator_id}
        )
    mediation.case = case
    case.__dict__["_mediation_file"] = mediation
    return mediation


def participant_for_user(user, case: Case) -> Participant | None:
    viewer = viewer_for(user)
    roles = acting_roles(viewer, case)
    label = str(user)
    if Role.MEDIATOR in roles:
        return Participant(Message.Side.MEDIATOR, f"调解员 {label}", f"user:{user.pk}", user)
    if roles & CREDITOR_ROLES:
        return Participant(Message.Side.CREDITOR, f"{case.institution} {label}", f"user:{user.pk}", user)
    if roles & CENTER_ROLES:
        return Participant(Message.Side.CENTER, f"调处中心 {label}", f"user:{user.pk}", user)
    return None


def debtor_participant(case: Case) -> Participant:
    return Participant(Message.Side.DEBTOR, f"债务人 {case.debtor.name}", "debtor")


def room_get_for_user(user, case_id: int) -> tuple[Mediation, Participant]:
    case = case_get_for_user(user, case_id)
    participant = participant_for_user(user, case)
    if participant is None:
        raise NotFound("调解室不存在或您无权进入")
    return mediation_for_case(case), participant


def room_token(mediation: Mediation) -> str:
    return signed_token("mediation-room", {"m": mediation.pk, "n": mediation.link_nonce})


def room_from_token(token: str) -> tuple[Mediation, Participant]:
    days = rules.amount("mediation.room_link")
    data = read_signed_token("mediation-room", token, max_age=dt.timedelta(days=days))
    mediation = (
        Mediation.objects.select_related("case", "case__debtor", "case__institution", "case__mediator")
        .filter(pk=data.get("m"))
        .first()
    )
    if mediation is None or data.get("n") != mediation.link_nonce:
        raise ApplicationError("链接已失效，请联系调解员重新发送", code="link_revoked", status=403)
    return mediation, debtor_participant(mediation.case)


def room_is_open(mediation: Mediation) -> bool:
    return mediation.case.status in ROOM_OPEN


def rooms_for_phone(phone_hash: str) -> list[Mediation]:
    """The rooms of every case whose debtor has this phone on record (entry by one-time code)."""
    return list(
        Mediation.objects.select_related("case", "case__institution")
        .filter(case__debtor__phones__number_hash=phone_hash)
        .exclude(case__status__in=[Status.CLOSED, Status.WITHDRAWN])
        .distinct()
        .order_by("-id")[:20]
    )


@dataclass
class ShownMessage:
    message: Message
    mine: bool
    read_by: list[str]


def room_messages(mediation: Mediation, participant: Participant, *, limit: int = 200) -> list[ShownMessage]:
    messages = list(mediation.messages.select_related("evidence").order_by("-id")[:limit])[::-1]
    marks = list(mediation.read_marks.all())
    side_labels = dict(Message.Side.choices)
    out = []
    for m in messages:
        readers = sorted(
            {side_labels[r.side] for r in marks if r.last_read_id >= m.pk and r.reader != participant.reader}
        )
        mine = (m.author_id is not None and m.author_id == getattr(participant.user, "pk", None)) or (
            participant.is_debtor and m.side == Message.Side.DEBTOR
        )
        out.append(ShownMessage(m, mine, readers if mine else []))
    return out


def room_state(mediation: Mediation) -> str:
    """Changes whenever something a viewer would see changes: a new message or a new read mark."""
    last = mediation.messages.order_by("-id").values_list("id", flat=True).first() or 0
    reads = sum(mediation.read_marks.values_list("last_read_id", flat=True))
    return f"{last}-{reads}"


# --- mediators -----------------------------------------------------------------------------------


@dataclass
class MediatorStats:
    active: int = 0
    agreed: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)

    @property
    def concluded(self) -> int:
        return self.agreed + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.agreed / self.concluded if self.concluded else None

    @property
    def average_days(self) -> float | None:
        return sum(self.durations) / len(self.durations) if self.durations else None


def mediator_stats(
    user_ids: list[int] | None = None, *, since: dt.datetime | None = None
) -> dict[int, MediatorStats]:
    stats: dict[int, MediatorStats] = defaultdict(MediatorStats)
    active = Case.objects.filter(status__in=ACTIVE, mediator__isnull=False)
    if user_ids is not None:
        active = active.filter(mediator_id__in=user_ids)
    for uid, n in active.values_list("mediator_id").annotate(n=Count("id")):
        stats[uid].active = n
    events = CaseEvent.objects.filter(action__in=["start_mediation", "mediation_agreed", "mediation_fail"])
    if user_ids is not None:
        events = events.filter(case__mediator_id__in=user_ids)
    if since is not None:
        events = events.filter(at__gte=since)
    started: dict[int, dt.datetime] = {}
    for case_id, action, at, uid in events.order_by("at").values_list(
        "case_id", "action", "at", "case__mediator_id"
    ):
        if uid is None:
            continue
        if action == "start_mediation":
            started[case_id] = at
            continue
        s = stats[uid]
        if action == "mediation_agreed":
            s.agreed += 1
        else:
            s.failed += 1
        if case_id in started:
            s.durations.append((at - started[case_id]).total_seconds() / 86400)
    return stats


@dataclass
class Recommendation:
    profile: MediatorProfile
    score: float
    reasons: list[str]
    stats: MediatorStats
    excluded: str = ""
    chosen_by_party: bool = False

    @property
    def user(self):
        return self.profile.user


def mediator_recommendations(case: Case, *, include_excluded: bool = True) -> list[Recommendation]:
    """Every mediator, scored for this case, with the reasons shown to whoever assigns.

    Specialty in the product (30), same district (15), spare capacity (up to 25) and past success
    (up to 20, smoothed so one lucky case does not top the list). Excluded, and said why: declared
    conflicts with the creditor, not taking cases, full, or declined this case before.
    """
    from jiefen.cases.models import ProductType

    profiles = list(
        MediatorProfile.objects.select_related("user", "organisation").prefetch_related("conflicts")
    )
    stats = mediator_stats([p.user_id for p in profiles])
    mediation = Mediation.objects.filter(case=case).first()
    declined = set(mediation.declined_by) if mediation else set()
    chosen = mediation.party_choice_id if mediation else None
    regions = dict(Region.objects.values_list("code", "name"))
    product = ProductType(case.product_type).label if case.product_type in ProductType.values else ""
    out = []
    for p in profiles:
        s = stats.get(p.user_id, MediatorStats())
        reasons: list[str] = []
        score = 0.0
        if case.product_type in p.specialties:
            score += 30
            reasons.append(f"擅长{product}纠纷")
        if p.region_code and case.region_code and p.region_code[:6] == case.region_code[:6]:
            score += 15
            reasons.append(f"常驻{regions.get(p.region_code, p.region_code)}，与案件同区")
        elif p.region_code and case.region_code and p.region_code[:4] == case.region_code[:4]:
            score += 8
            reasons.append("与案件同市")
        spare = max(p.max_caseload - s.active, 0)
        score += 25 * spare / max(p.max_caseload, 1)
        reasons.append(f"在办 {s.active}/{p.max_caseload} 件")
        smoothed = (s.agreed + 1) / (s.concluded + 2)
        score += 20 * smoothed
        if s.concluded:
            reasons.append(f"调解成功率 {s.success_rate:.0%}（{s.agreed}/{s.concluded} 件）")
        else:
            reasons.append("尚无办结案件")
        excluded = ""
        if any(c.pk == case.institution_id for c in p.conflicts.all()):
            excluded = f"已申报与{case.institution}存在利益冲突"
        elif p.user_id in declined:
            excluded = "曾拒绝本案委派"
        elif not p.available:
            excluded = "暂停接受委派"
        elif s.active >= p.max_caseload:
            excluded = "已满负荷"
        rec = Recommendation(p, round(score, 1), reasons, s, excluded, chosen_by_party=p.user_id == chosen)
        if excluded and not include_excluded:
            continue
        out.append(rec)
    out.sort(key=lambda r: (bool(r.excluded), -r.score, r.profile.pk))
    return out


def shortlist(case: Case, size: int = 3) -> list[Recommendation]:
    return [r for r in mediator_recommendations(case, include_excluded=False)][:size]


# --- agreements ----------------------------------------------------------------------------------


def policy_for(institution) -> WaiverPolicy:
    """The creditor's waiver policy, else the centre's default row, else the built-in default
    (the Ningde example: pay at once → all penalty and compound interest waived; instalments → half)."""
    return (
        WaiverPolicy.objects.filter(institution=institution).first()
        or WaiverPolicy.objects.filter(institution__isnull=True).first()
        or WaiverPolicy(note="平台默认（参照宁德蕉城做法）")
    )


def ceiling(policy: WaiverPolicy, kind: str) -> Rates:
    if kind == "lump_sum":
        return Rates(policy.lump_penalty_pct, policy.lump_compound_pct, policy.lump_fees_pct)
    return Rates(policy.inst_penalty_pct, policy.inst_compound_pct, policy.inst_fees_pct)


def grace_days(policy: WaiverPolicy) -> int:
    return policy.grace_days if policy.grace_days is not None else rules.amount("performance.grace")


def agreement_get_for_user(user_or_viewer, agreement_id: int) -> Agreement:
    agreement = Agreement.objects.filter(pk=agreement_id).only("id", "case_id").first()
    if agreement is None:
        raise NotFound("协议不存在或您无权查看")
    case = case_get_for_user(user_or_viewer, agreement.case_id)
    full = Agreement.objects.prefetch_related("instalments", "signatures", "payments").get(pk=agreement_id)
    full.case = case
    return full


def current_agreement(case: Case) -> Agreement | None:
    return case.agreements.exclude(state=Agreement.State.VOID).order_by("-id").first()


@dataclass
class DueRow:
    agreement: Agreement
    next_due: dt.date | None
    next_amount: Decimal
    overdue_amount: Decimal
    days_overdue: int


def performance_rows(user_or_viewer, *, only_problems: bool = False, limit: int = 200) -> list[DueRow]:
    """Agreements being performed that the viewer may see, with what is due next and what is late."""
    viewer = user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)
    cases = case_queryset_for(viewer)
    qs = (
        Agreement.objects.filter(
            case__in=cases, state__in=[Agreement.State.EFFECTIVE, Agreement.State.DEFAULTED]
        )
        .select_related("case", "case__institution", "case__debtor")
        .prefetch_related("instalments")
        .order_by("-id")
    )
    if only_problems:
        qs = qs.filter(Q(default_detected_at__isnull=False) | Q(state=Agreement.State.DEFAULTED))
    today = clock.local_today()
    rows = []
    for a in qs[:limit]:
        unpaid = [i for i in a.instalments.all() if not i.settled]
        late = [i for i in unpaid if i.due_on < today]
        nxt = next((i for i in unpaid if i.due_on >= today), None)
        rows.append(
            DueRow(
                agreement=a,
                next_due=nxt.due_on if nxt else None,
                next_amount=nxt.remaining if nxt else Decimal("0.00"),
                overdue_amount=sum((i.remaining for i in late), Decimal("0.00")),
                days_overdue=(today - late[0].due_on).days if late else 0,
            )
        )
    return rows


# --- subsidies -----------------------------------------------------------------------------------


@dataclass
class StatementLine:
    user: object
    concluded: int
    agreed: int
    sessions: int
    per_case: Decimal
    per_success: Decimal
    per_session: Decimal

    @property
    def amount(self) -> Decimal:
        return (
            self.concluded * self.per_case + self.agreed * self.per_success + self.sessions * self.per_session
        )


def subsidy_statement(month: dt.date) -> tuple[list[StatementLine], SubsidyRule | None]:
    """The month's compensation per mediator: cases concluded (agreed or failed) that month, successes,
    and sessions held, at the rule in force on the first of the month."""
    from jiefen.accounts.models import User

    from .models import Session

    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    rule = SubsidyRule.objects.filter(effective_from__lte=first).order_by("-effective_from").first()
    start = dt.datetime.combine(first, dt.time(), tzinfo=clock.SHANGHAI)
    end = dt.datetime.combine(nxt, dt.time(), tzinfo=clock.SHANGHAI)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for uid, action in CaseEvent.objects.filter(
        action__in=["mediation_agreed", "mediation_fail"], at__gte=start, at__lt=end
    ).values_list("case__mediator_id", "action"):
        if uid is None:
            continue
        counts[uid][0] += 1
        if action == "mediation_agreed":
            counts[uid][1] += 1
    for uid in Session.objects.filter(
        state=Session.State.HELD, starts_at__gte=start, starts_at__lt=end
    ).values_list("mediation__mediator_id", flat=True):
        if uid is not None:
            counts[uid][2] += 1
    users = {u.pk: u for u in User.objects.filter(pk__in=counts)}
    zero = Decimal("0.00")
    lines = [
        StatementLine(
            users[uid],
            c[0],
            c[1],
            c[2],
            rule.per_case if rule else zero,
            rule.per_success if rule else zero,
            rule.per_session if rule else zero,
        )
        for uid, c in sorted(counts.items(), key=lambda kv: str(users.get(kv[0], "")))
        if uid in users
    ]
    return lines, rule


def mediation_clocks(mediation: Mediation) -> list[tuple[str, dt.date | None, bool]]:
    """(label, due date, met) for the assignment, acceptance and mediation clocks."""
    case = mediation.case
    out: list[tuple[str, dt.date | None, bool]] = []
    entered = (
        CaseEvent.objects.filter(case=case, to_status=Status.MEDIATION_PENDING)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if entered:
        out.append(
            (
                "指定调解员（3个工作日）",
                rules.due("mediation.assign", entered),
                mediation.assigned_at is not None,
            )
        )
    if mediation.accept_due:
        out.append(("接受委派（3个工作日）", mediation.accept_due, mediation.accepted_at is not None))
    if mediation.period_due:
        out.append(
            ("调解期限（30日，可经双方同意延长）", mediation.period_due, mediation.ended_at is not None)
        )
    return out
