"""Demo of mediation: mediator profiles, rooms with messages and evidence on the cases being mediated,
and agreements (signed, with plans, payments and defaults) on every case that reached an agreement.

The cases already moved through the real case services (jiefen.demo.data); this replays what the
room and the agreement would have recorded at those moments, through this app's services where
they do not move the case again, so the ledger entries carry the historical times.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from jiefen.accounts.models import User
from jiefen.cases.machine import Status
from jiefen.cases.models import Case, CaseEvent
from jiefen.common import clock
from jiefen.common.crypto import lookup_hash
from jiefen.common.identifiers import mask_phone
from jiefen.evidence.services import ledger_record
from jiefen.orgs.models import Membership
from jiefen.orgs.roles import Role

from . import services
from .models import (
    Agreement,
    ClauseTemplate,
    Mediation,
    MediatorProfile,
    Message,
    Session,
    SubsidyRule,
    TrainingRecord,
    WaiverPolicy,
)
from .plan import PlanKind, extension_limit
from .realtime import muted
from .selectors import debtor_participant, mediation_for_case, participant_for_user

EXTRA_MEDIATORS = [
    ("med_lin", "林律师", "执业律师", ["law"], ["business_loan", "sme_loan"], "350502", 8),
    (
        "med_huang",
        "黄会计师",
        "注册会计师",
        ["finance", "accounting"],
        ["sme_loan", "consumer_loan"],
        "350582",
        6,
    ),
    ("med_xu", "许老师", "退休法官", ["law"], ["credit_card", "small_loan"], "350503", 10),
]

DEBTOR_LINES = [
    "我不是不想还，去年生意亏了，现在每个月只能拿出两三千。",
    "能不能把罚息免掉一些？本金我认。",
    "我愿意分期，但希望每期金额低一点。",
    "我的征信以后能恢复吗？",
]
CREDITOR_LINES = [
    "按我行政策，一次性结清可以免除全部罚息和复利；分期的可以减免一半。",
    "请提供近三个月的收入证明，我们据此评估分期期数。",
    "同意按调解员的方案办理。",
]
MEDIATOR_LINES = [
    "双方好，我是本案调解员。调解免费，期间银行暂停催收。",
    "我先核对一下欠款构成：本金、利息、罚息和复利。",
    "结合您的收入，建议分12期，每月还款约两千元，罚息复利按政策减免一半。",
]

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _events(case_ids: list[int]) -> dict[int, dict[str, dt.datetime]]:
    out: dict[int, dict[str, dt.datetime]] = {}
    for case_id, action, at in (
        CaseEvent.objects.filter(case_id__in=case_ids).order_by("at").values_list("case_id", "action", "at")
    ):
        out.setdefault(case_id, {}).setdefault(action, at)
    return out


def _profiles(ctx) -> list[MediatorProfile]:
    insts, users, password = ctx["institutions"], ctx["users"], ctx["password"]
    org = insts["MED-QZ"]
    specs = [
        (users["mediator"], "退休法官", ["law"], ["credit_card", "consumer_loan"], "350503", 12),
        (
            users["mediator2"],
            "银行业专家",
            ["finance"],
            ["small_loan", "business_loan", "credit_card"],
            "350582",
            12,
        ),
    ]
    hashed = make_password(password)  # hashed once: argon2 is slow on purpose
    for username, name, title, quals, specs_, region, cap in EXTRA_MEDIATORS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"display_name": name, "password": hashed}
        )
        Membership.objects.get_or_create(user=user, institution=org, role=Role.MEDIATOR)
        specs.append((user, title, quals, specs_, region, cap))
    profiles = []
    for user, title, quals, specialties, region, cap in specs:
        profile, _ = MediatorProfile.objects.get_or_create(
            user=user,
            defaults={
                "organisation": org,
                "title": title,
                "qualifications": quals,
                "specialties": specialties,
                "region_code": region,
                "max_caseload": cap,
                "invited_on": dt.date(2024, 3, 1),
            },
        )
        profiles.append(profile)
        if not profile.trainings.exists():
            TrainingRecord.objects.bulk_create(
                [
                    TrainingRecord(
                        profile=profile,
                        course="特邀调解员岗前培训",
                        provider="泉州市中级人民法院",
                        hours=Decimal("16"),
                        completed_on=dt.date(2024, 3, 20),
                        kind="induction",
                    ),
                    TrainingRecord(
                        profile=profile,
                        course="金融纠纷调解实务与征信知识",
                        provider="人民银行泉州市分行",
                        hours=Decimal("8"),
                        completed_on=dt.date(2025, 9, 12),
                    ),
                ]
            )
    # One mediator declared a conflict with ICBC (a relative works there): never offered its cases.
    huang = next(p for p in profiles if p.user.username == "med_huang")
    huang.conflicts.add(insts["ICBC-QZ"])
    return profiles


def _policies(ctx) -> None:
    insts = ctx["institutions"]
    WaiverPolicy.objects.get_or_create(
        institution=None,
        defaults={"note": "中心默认：一次性还款减免全部罚息、复利；分期还款减免50%（参照宁德蕉城做法）"},
    )
    WaiverPolicy.objects.get_or_create(
        institution=insts["ICBC-QZ"],
        defaults={
            "lump_fees_pct": Decimal(50),
            "note": "工商银行泉州分行2025年信用卡不良化解政策：一次性结清另减免50%费用",
            "grace_days": 3,
        },
    )
    WaiverPolicy.objects.get_or_create(
        institution=insts["ABC-QZ"],
        defaults={
            "inst_penalty_pct": Decimal(60),
            "inst_compound_pct": Decimal(60),
            "note": "农业银行泉州分行普惠贷款纠纷调解政策",
        },
    )
    SubsidyRule.objects.get_or_create(
        effective_from=dt.date(2025, 1, 1),
        defaults={
            "per_case": Decimal("200.00"),
            "per_success": Decimal("300.00"),
            "per_session": Decimal("50.00"),
            "note": "调处中心与入驻机构共同列支（误工、交通补贴）",
        },
    )
    for key in ("credit_report",):
        ClauseTemplate.objects.get_or_create(
            key=key, defaults={"text": services.documents.DEFAULT_CLAUSES[key]}
        )


def _room(case: Case, ev: dict[str, dt.datetime], rng, now: dt.datetime, *, with_evidence: bool) -> None:
    mediation = mediation_for_case(case)
    accepted = ev.get("start_mediation")
    # The demo loader assigns without a historical time, so place the assignment the day before acceptance.
    assigned = accepted - dt.timedelta(hours=20) if accepted else ev.get("assign")
    if assigned:
        mediation.mediator_id = case.mediator_id
        mediation.assigned_at = assigned
        mediation.accept_due = services.rules.due("mediation.accept", assigned)
    if accepted:
        mediation.accepted_at = accepted
        mediation.period_due = services.rules.due("mediation.period", accepted)
    if "mediation_fail" in ev:
        mediation.failure_reason = "债务人不同意任何还款方案，坚持要求全部免除利息"
        mediation.ended_at = ev["mediation_fail"]
    if "mediation_agreed" in ev:
        mediation.ended_at = ev["mediation_agreed"]
    mediation.save()
    if not accepted or mediation.messages.exists():
        return
    mediator = participant_for_user(case.mediator, case) if case.mediator_id else None
    creditor_user = User.objects.filter(
        memberships__institution=case.institution, memberships__role=Role.DISPOSAL_STAFF
    ).first()
    creditor = participant_for_user(creditor_user, case) if creditor_user else None
    debtor = debtor_participant(case)
    at = accepted
    Message.objects.create(
        mediation=mediation,
        side="system",
        author_label="系统",
        body=f"调解员 {case.mediator} 已接受委派，调解开始；调解期限至 {mediation.period_due:%Y-%m-%d}。调解期间暂停催收。",
        created_at=at,
    )
    end = mediation.ended_at or now - dt.timedelta(hours=1)
    script = [(mediator, MEDIATOR_LINES[0])]
    script += [
        (debtor, rng.choice(DEBTOR_LINES)),
        (creditor, CREDITOR_LINES[0]),
        (mediator, MEDIATOR_LINES[2]),
    ]
    script += [(debtor, DEBTOR_LINES[2])] if rng.random() < 0.5 else []
    step = max((end - at) / (len(script) + 2), dt.timedelta(minutes=5))
    open_room = case.status in {Status.MEDIATION_PENDING, Status.MEDIATING, Status.AGREED}
    for who, text in script:
        if who is None:
            continue
        at = min(at + step, end)
        if open_room:
            services.room_post(mediation=mediation, participant=who, body=text, at=at)
        else:
            # The room is closed for new posts now; history is replayed as it was written then.
            Message.objects.create(
                mediation=mediation,
                side=who.side,
                author=who.user,
                author_label=who.label,
                body=text,
                created_at=at,
            )
    if with_evidence and open_room:
        services.room_upload(
            mediation=mediation,
            participant=debtor,
            filename="收入证明.pdf",
            content=PDF + f"% {case.number} {secrets.token_hex(4)}\n".encode(),
            description="近三个月收入证明",
            at=min(at + step, end),
        )
        if creditor:
            services.room_upload(
                mediation=mediation,
                participant=creditor,
                filename="欠款明细.txt",
                content=(
                    f"案件 {case.number}\n本金 {case.principal}\n利息 {case.interest}\n罚息 {case.penalty_interest}\n"
                    f"复利 {case.compound_interest}\n费用 {case.fees}\n合计 {case.claim_total}\n"
                ).encode(),
                description="截至调解日的欠款构成",
                at=min(at + step * 2, end),
            )
    if rng.random() < 0.5:
        starts = min(accepted + dt.timedelta(days=rng.randint(2, 8), hours=10), end)
        online = rng.random() < 0.7
        held = starts < now
        session = Session.objects.create(
            mediation=mediation,
            mode="online" if online else "in_person",
            starts_at=starts,
            location="" if online else "调处中心第二调解室",
            state="held" if held else "scheduled",
            minutes="双方对欠款金额无异议，就分期期数进一步协商。" if held else "",
            minutes_at=starts + dt.timedelta(hours=1) if held else None,
            created_by=case.mediator,
        )
        if online:
            session.video_url = services.video_backend().room_url(session)
            session.save(update_fields=["video_url"])


def _agreement(case: Case, ev: dict[str, dt.datetime], rng, now: dt.datetime, users) -> Agreement | None:
    agreed_at = ev.get("mediation_agreed") or ev.get("plan_agreed")
    if agreed_at is None:
        return None
    actor = (
        case.mediator
        or User.objects.filter(memberships__institution=case.institution).first()
        or users["center_admin"]
    )
    drawn = agreed_at - dt.timedelta(hours=3)
    card = case.product_type == "credit_card"
    kind = PlanKind.LUMP_SUM if rng.random() < 0.2 else PlanKind.INSTALMENTS
    count = rng.choice([6, 12, 18, 24]) if card else rng.choice([6, 10, 12])
    term = None if card else rng.choice([12, 24, 36, 60, 96])
    if not card and kind == PlanKind.INSTALMENTS:
        cap, _ = extension_limit(term)
        count = max(2, min(count, cap))
    agreement = services.agreement_create(
        actor=actor,
        case_id=case.pk,
        kind=kind,
        count=count,
        original_term_months=term,
        render="txt",
        at=drawn,
        _internal=True,
    )
    agreement.case = case
    phone = case.debtor.primary_phone
    number = phone.number if phone else "13800000000"
    bank_user = User.objects.filter(memberships__institution=case.institution).first()
    services.signature_record(
        agreement=agreement,
        side="debtor",
        label=case.debtor.name,
        phone_hash=lookup_hash(number),
        phone_masked=mask_phone(number),
        code_hash=lookup_hash(f"demo:{agreement.number}:debtor"),
        ip=f"10.20.0.{rng.randint(2, 250)}",
        user_agent="Mozilla/5.0 (Linux; Android 14) MicroMessenger",
        at=agreed_at - dt.timedelta(hours=2),
    )
    creditor_phone = f"139{rng.randint(0, 10**8 - 1):08d}"
    services.signature_record(
        agreement=agreement,
        side="creditor",
        label=f"{bank_user or case.institution}（{case.institution}）",
        phone_hash=lookup_hash(creditor_phone),
        phone_masked=mask_phone(creditor_phone),
        code_hash=lookup_hash(f"demo:{agreement.number}:creditor"),
        ip=f"10.10.0.{rng.randint(2, 250)}",
        user=bank_user,
        at=agreed_at - dt.timedelta(hours=1),
    )
    agreement.refresh_from_db()
    return agreement


def _perform(agreement: Agreement, case: Case, ev, rng, now: dt.datetime, users) -> None:
    """Payments consistent with where the case ended: all paid when closed, the due ones when being
    performed, the first few then nothing when defaulted."""
    staff = User.objects.filter(
        memberships__institution=case.institution, memberships__role=Role.DISPOSAL_STAFF
    ).first()
    actor = staff or users["center_admin"]
    today = clock.local_today()
    instalments = list(agreement.instalments.all())
    if case.status == Status.CLOSED and case.outcome == "performed":
        done = ev.get("plan_completed", now)
        services.payment_record(
            actor=actor,
            agreement_id=agreement.pk,
            amount=agreement.total,
            paid_on=min(clock.local_date(done), today),
            reference=f"DEMO-{agreement.number}-ALL",
            at=done,
        )
        return
    if case.status in {Status.PERFORMING, Status.CONFIRMED, Status.CONFIRMATION_PENDING, Status.AGREED}:
        # Never the last instalment: a fully paid plan would have closed the case, and these are open.
        due = [i for i in instalments[:-1] if i.due_on < today]
        if case.status == Status.PERFORMING and due and rng.random() < 0.15:
            due = due[:-1]  # one debtor is late: the daily check will flag it
        # The two most recent instalments are paid one by one; older ones are shown as one catch-up payment.
        if len(due) > 2:
            _pay(agreement, due[-3], actor, amount=sum(i.amount for i in due[:-2]))
            due = due[-2:]
        for i in due:
            _pay(agreement, i, actor)
        return
    if case.status in {Status.DEFAULTED, Status.ENFORCEMENT}:
        for i in instalments[: max(0, min(2, len(instalments) - 2))]:
            if i.due_on < today:
                _pay(agreement, i, actor)
        defaulted_at = ev.get("plan_default", now)
        Agreement.objects.filter(pk=agreement.pk).update(
            state=Agreement.State.DEFAULTED, defaulted_at=defaulted_at, default_detected_at=defaulted_at
        )
        ledger_record(
            kind="agreement.default",
            subject=f"agreement:{agreement.pk}",
            record={"agreement": agreement.number, "reason": "连续两期未按约还款"},
            actor=actor,
            at=defaulted_at,
        )


def _pay(agreement: Agreement, instalment, actor, *, amount: Decimal | None = None) -> None:
    paid_on = instalment.due_on - dt.timedelta(days=1)
    services.payment_record(
        actor=actor,
        agreement_id=agreement.pk,
        amount=amount if amount is not None else instalment.amount,
        paid_on=paid_on,
        reference=f"DEMO-{agreement.number}-{instalment.seq}",
        at=dt.datetime.combine(paid_on, dt.time(10), tzinfo=clock.SHANGHAI),
    )


AGREED_STATUSES = [
    Status.AGREED,
    Status.CONFIRMATION_PENDING,
    Status.CONFIRMED,
    Status.PERFORMING,
    Status.DEFAULTED,
    Status.ENFORCEMENT,
    Status.CLOSED,
]


def load(ctx) -> dict[str, int]:
    rng, now, users = ctx["rng"], ctx["now"], ctx["users"]
    with transaction.atomic(), muted():
        profiles = _profiles(ctx)
        _policies(ctx)
        mediated = list(
            Case.objects.filter(mediator__isnull=False)
            .select_related("institution", "debtor", "mediator")
            .order_by("pk")
        )
        agreed = list(
            Case.objects.filter(status__in=AGREED_STATUSES)
            .exclude(
                status=Status.CLOSED, outcome__in=["paid", "withdrawn", "enforced", "judgment_performed"]
            )
            .select_related("institution", "debtor", "mediator")
            .order_by("pk")
        )
        events = _events([c.pk for c in mediated] + [c.pk for c in agreed])
        rooms = agreements = 0
        for n, case in enumerate(mediated):
            _room(
                case,
                events.get(case.pk, {}),
                rng,
                now,
                with_evidence=case.status == Status.MEDIATING and n % 2 == 0,
            )
            rooms += 1
        for case in agreed:
            ev = events.get(case.pk, {})
            if "mediation_agreed" not in ev and "plan_agreed" not in ev:
                continue
            agreement = _agreement(case, ev, rng, now, users)
            if agreement is None:
                continue
            _perform(agreement, case, ev, rng, now, users)
            agreements += 1
        # The pending cases with no mediator yet keep an empty file, so the debtor's link works.
        for case in Case.objects.filter(status=Status.MEDIATION_PENDING, mediation__isnull=True)[:50]:
            Mediation.objects.get_or_create(case=case, defaults={"link_nonce": secrets.token_hex(4)})
    return {"mediators": len(profiles), "rooms": rooms, "agreements": agreements}
