"""Demo of the credit rescue station, built through the real services with `now=` in the past, so
every clock, letter, signature, task and escalation is what the platform would have produced.

Covers: the 147-measure catalog; disputes in every state (some past the warning day or the 20-day
limit); statements in every state; consultations; rescue applications with plans, signed and
confirmed agreements, reporting-update tasks (some overdue and escalated); mediation-route plans;
reporting tasks for a mediation agreement; first-overdue counseling tasks at every stage.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import transaction

from jiefen.demo.fake import company_name, id_number, mobile, person_name, uscc_number
from jiefen.outreach.services import outbox_for_phone

from . import services
from .catalog import seed_catalog
from .models import Application, CounselingTask, ReliefMeasure, ReliefPlan, ReportingTask

DAY = dt.timedelta(days=1)


def _ago(now: dt.datetime, days: int, hours: int = 0) -> dt.datetime:
    return now - dt.timedelta(days=days, hours=hours)


def _person(rng) -> tuple[services.ApplicantIn, str]:
    return services.ApplicantIn(kind="individual", name=person_name(rng), id_number=id_number(rng)), mobile(
        rng
    )


def _enterprise(rng) -> tuple[services.ApplicantIn, str]:
    return (
        services.ApplicantIn(
            kind="enterprise", name=company_name(rng), id_number=uscc_number(rng), legal_rep=person_name(rng)
        ),
        mobile(rng),
    )


CONSENT = services.ConsentIn(general=True, sensitive=True, ip="127.0.0.1")

DISPUTE_TEXTS = [
    ("credit_transaction", "2025年6月显示逾期1期，但当月已按时足额还款", "尾号6621信用卡"),
    ("credit_transaction", "这笔贷款不是本人办理，疑似身份被冒用", "个人消费贷款"),
    ("basic_info", "工作单位信息有误，已于2024年离职", ""),
    ("query_record", "2025年11月有一条贷款审批查询，本人从未申请", ""),
    ("credit_transaction", "贷款已于2025年3月结清，报告仍显示未结清", "经营贷 2022-0457"),
    ("public_info", "欠税记录已于2024年补缴，仍在展示", ""),
]


def _dispute(rng, insts, code, now, days, *, enterprise=False, items=1):
    applicant, phone = _enterprise(rng) if enterprise else _person(rng)
    picked = [DISPUTE_TEXTS[(days + n) % len(DISPUTE_TEXTS)] for n in range(items)]
    app = services.dispute_submit(
        phone=phone,
        applicant=applicant,
        consent=CONSENT,
        institution_id=insts[code].pk,
        items=[services.ItemIn(kind=k, description=d, account_ref=a) for k, d, a in picked],
        now=_ago(now, days, 3),
    )
    return app, phone


def _answer(actor, app, outcome, at, text="经核查，已按实际情况处理。"):
    dispute = app.dispute
    outcomes = outcome if isinstance(outcome, list) else [outcome] * dispute.items.count()
    return services.dispute_answer(
        actor=actor,
        dispute_id=dispute.pk,
        outcomes=[
            services.ItemOutcomeIn(item_id=item.pk, outcome=o, note="已调取还款流水和合同档案核对")
            for item, o in zip(dispute.items.all(), outcomes, strict=True)
        ],
        reply_text=text,
        now=at,
    )


def _sign(plan, phone: str, at) -> None:
    """Sign as the applicant would: request the code, read it from the (offline) outbox, enter it."""
    services.plan_sign_request(phone=phone, plan_id=plan.pk)
    text = outbox_for_phone(phone, purpose="otp").order_by("-id").first().text
    code = re.search(r"(\d{6})", text).group(1)
    services.plan_sign(
        phone=phone,
        plan_id=plan.pk,
        code=code,
        document_hashes={
            a.pk: services.agreement_document_hash(a) for a in services.plan_awaiting_signature(plan)
        },
        ip="127.0.0.1",
        now=at,
    )


def _rescue(
    rng, insts, now, days, debts, *, enterprise=False, reasons=("income_loss",), income="9000", spend="4200"
):
    applicant, phone = _enterprise(rng) if enterprise else _person(rng)
    app = services.rescue_submit(
        phone=phone,
        applicant=applicant,
        consent=CONSENT,
        debts=[services.DebtIn(institution_id=insts[code].pk, **fields) for code, fields in debts],
        hardship=services.HardshipIn(
            reasons=list(reasons),
            note="受市场影响收入下降，希望分期偿还" if not enterprise else "订单减少，资金周转困难",
            monthly_income=income,
            essential_expenses=spend,
            enterprise_size="small" if enterprise else "",
        ),
        now=_ago(now, days),
    )
    return app, phone


def load(ctx) -> dict[str, int]:
    insts, users, rng, now = ctx["institutions"], ctx["users"], ctx["rng"], ctx["now"]
    if ReliefMeasure.objects.exists():
        return {"measures": 0}
    liaison_a, manager_b = users["bank_a_liaison"], users["bank_b_manager"]
    staff_a, staff_b = users["bank_a_staff"], users["bank_b_staff"]
    center, pbc = users["center_staff"], users["pbc_officer"]
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["measures"] = seed_catalog({c: insts[c] for c in insts if insts[c].is_creditor})

    # --- disputes in every state -------------------------------------------------------------
    _dispute(rng, insts, "ICBC-QZ", now, 2)
    _dispute(rng, insts, "ICBC-QZ", now, 11, enterprise=True, items=2)
    _dispute(rng, insts, "ICBC-QZ", now, 16)  # past the warning day
    _dispute(rng, insts, "ABC-QZ", now, 6)
    _dispute(rng, insts, "ABC-QZ", now, 27)  # past the 20-day limit
    _dispute(rng, insts, "BOC-QZ", now, 4)
    app, _ = _dispute(rng, insts, "ICBC-QZ", now, 18)
    _answer(
        liaison_a, app, "corrected", _ago(now, 6), "经核查，该期逾期系系统扣款失败所致，已更正为正常还款。"
    )
    app, phone = _dispute(rng, insts, "ICBC-QZ", now, 35)
    _answer(
        liaison_a, app, "no_error", _ago(now, 22), "经核查，报送信息与合同及还款记录一致，已删除异议标注。"
    )
    services.dispute_respond(phone=phone, number=app.number, satisfied=True, now=_ago(now, 21))
    app, phone = _dispute(rng, insts, "ABC-QZ", now, 45)
    _answer(manager_b, app, "unconfirmed", _ago(now, 30), "现有材料无法核实，已记录核查情况和您的异议内容。")
    services.dispute_respond(phone=phone, number=app.number, satisfied=False, now=_ago(now, 29))
    services.dispute_complain_to_pbc(
        phone=phone, number=app.number, reason="仍认为该笔逾期不属实", now=_ago(now, 28)
    )
    services.statement_submit(
        phone=phone,
        applicant=None,
        consent=None,
        number=app.number,
        item_kind="credit_transaction",
        institution_id=insts["ABC-QZ"].pk,
        text="该笔逾期系银行扣款系统故障所致，本人账户当时余额充足。",
        now=_ago(now, 28),
    )
    app, phone = _dispute(rng, insts, "ICBC-QZ", now, 70, items=2)
    _answer(liaison_a, app, ["corrected", "unconfirmed"], _ago(now, 55))
    services.dispute_respond(phone=phone, number=app.number, satisfied=False, now=_ago(now, 54))
    services.dispute_complain_to_pbc(
        phone=phone, number=app.number, reason="第二项仍有错误", now=_ago(now, 53)
    )
    services.dispute_pbc_reply(
        actor=pbc,
        dispute_id=app.dispute.pk,
        reply="经核查，机构已依规处理，如仍有异议可依法起诉。",
        now=_ago(now, 30),
    )
    app, _ = _dispute(rng, insts, "ICBC-QZ", now, 9)
    services.dispute_convert(
        actor=liaison_a,
        dispute_id=app.dispute.pk,
        to="rescue",
        reason="申请人逾期属实，实为失业后还款困难",
        claim=services.ClaimIn(
            product_line="credit_card", principal="18600", interest="1320", penalty="560", overdue_days=75
        ),
        now=_ago(now, 8),
    )
    app, phone = _dispute(rng, insts, "BOC-QZ", now, 5)
    services.application_withdraw(phone=phone, number=app.number, now=_ago(now, 4))

    # --- personal statements in every state --------------------------------------------------
    def statement(days, text):
        applicant, phone = _person(rng)
        s = services.statement_submit(
            phone=phone,
            applicant=applicant,
            consent=CONSENT,
            item_kind="credit_transaction",
            institution_id=insts[rng.choice(["ICBC-QZ", "ABC-QZ", "CCB-QZ"])].pk,
            account_ref="贷款合同" + str(rng.randrange(1000, 9999)),
            text=text,
            now=_ago(now, days),
        )
        return s, phone

    statement(2, "2024年3月至5月因住院治疗未能按时还款，出院后已全部结清。")
    s, _ = statement(12, "2023年受疫情影响店铺停业三个月，逾期后已补缴全部欠款。")
    services.statement_review(actor=pbc, statement_id=s.pk, decision="accept", now=_ago(now, 8))
    s, _ = statement(15, "银行乱扣费，我不认。")
    services.statement_review(
        actor=pbc,
        statement_id=s.pk,
        decision="reject",
        reason="声明须说明与该记录相关的客观事实",
        now=_ago(now, 10),
    )
    s, _ = statement(10, "家里出事，晚还了。")
    services.statement_review(
        actor=pbc,
        statement_id=s.pk,
        decision="request_change",
        reason="请写明逾期的起止时间和原因",
        now=_ago(now, 7),
    )
    s, phone = statement(20, "2022年因工伤停工，贷款逾期两期。")
    services.statement_review(actor=pbc, statement_id=s.pk, decision="accept", now=_ago(now, 16))
    services.statement_withdraw(phone=phone, statement_id=s.pk, now=_ago(now, 3))
    s, phone = statement(25, "疫情期间停工逾期。")
    services.statement_review(
        actor=pbc, statement_id=s.pk, decision="request_change", reason="请补充逾期月份", now=_ago(now, 20)
    )
    services.statement_replace(
        phone=phone,
        statement_id=s.pk,
        text="2022年4月至6月疫情停工无收入，逾期三期，7月已全部结清。",
        now=_ago(now, 18),
    )

    # --- consultations -----------------------------------------------------------------------
    for days, question, answer in [
        (1, "一年可以免费查几次信用报告？", ""),
        (
            3,
            "有人说交3000元可以帮我消除逾期记录，是真的吗？",
            "这是骗局。任何机构都不能花钱删除真实的逾期记录，正确渠道全部免费。",
        ),
        (6, "一次性信用修复需要本人申请吗？", "不需要申请，符合条件的记录自动不予展示，不收取任何费用。"),
    ]:
        applicant, phone = _person(rng)
        app = services.consultation_submit(
            phone=phone,
            applicant=services.ApplicantIn(kind="individual", name=applicant.name),
            consent=services.ConsentIn(general=True, sensitive=False),
            question=question,
            now=_ago(now, days),
        )
        if answer:
            services.consultation_answer(
                actor=center, application_id=app.pk, answer=answer, now=_ago(now, days - 1)
            )

    # --- rescue: plans, agreements, reporting-update tasks -----------------------------------
    card = {
        "product_line": "credit_card",
        "principal": "42000",
        "interest": "3600",
        "penalty": "1800",
        "fees": "500",
        "overdue_days": 95,
    }
    loan = {
        "product_line": "personal_loan",
        "principal": "88000",
        "interest": "2600",
        "penalty": "900",
        "overdue_days": 40,
        "original_term_months": 36,
    }
    # 1. Two banks, signed and confirmed 100 days ago: monthly tasks partly done, one left undone.
    app, phone = _rescue(rng, insts, now, 104, [("ICBC-QZ", card), ("ABC-QZ", loan)])
    plan = services.plan_choose(phone=phone, number=app.number, route="direct", now=_ago(now, 103))
    _sign(plan, phone, _ago(now, 102))
    for agreement in plan.agreements.all():
        actor = staff_a if agreement.institution.code == "ICBC-QZ" else staff_b
        services.agreement_confirm(actor=actor, agreement_id=agreement.pk, now=_ago(now, 100))
    today = now.date()
    for task in ReportingTask.objects.filter(application=app).order_by("payment_due_on", "id"):
        if task.payment_due_on >= today - dt.timedelta(days=12):
            continue
        icbc = task.institution.code == "ICBC-QZ"
        if icbc and task.seq == 3:
            continue  # left undone: overdue, escalated to the PBOC officer
        services.reporting_task_record(
            actor=staff_a if icbc else staff_b,
            task_id=task.pk,
            payment_received=True,
            note="已随月度数据报送，逾期金额按协议核减",
            now=dt.datetime.combine(task.payment_due_on + 3 * DAY, dt.time(10), tzinfo=now.tzinfo),
        )
        if task.seq == 1:
            services.reporting_task_respond(phone=phone, task_id=task.pk, confirm=True, now=_ago(now, 60))
        elif task.seq == 2 and not icbc:
            services.reporting_task_respond(
                phone=phone,
                task_id=task.pk,
                confirm=False,
                note="报告仍显示上月的逾期金额",
                now=_ago(now, 12),
            )
    # 2. Chose a plan, still to sign.
    app, phone = _rescue(
        rng, insts, now, 3, [("ICBC-QZ", {**card, "principal": "26000", "overdue_days": 60})]
    )
    services.plan_choose(phone=phone, number=app.number, route="direct", now=_ago(now, 2))
    # 3. An enterprise: signed, waiting for the bank to confirm.
    app, phone = _rescue(
        rng,
        insts,
        now,
        9,
        [
            (
                "ICBC-QZ",
                {
                    "product_line": "enterprise_loan",
                    "principal": "860000",
                    "interest": "21000",
                    "penalty": "6400",
                    "overdue_days": 50,
                },
            )
        ],
        enterprise=True,
        reasons=("business_downturn", "force_majeure"),
        income="120000",
        spend="60000",
    )
    plan = services.plan_choose(phone=phone, number=app.number, route="direct", now=_ago(now, 8))
    _sign(plan, phone, _ago(now, 7))
    # 4. Chose mediation: waiting in the centre's queue to become mediation cases (one click there;
    # the demo opens no case itself, so the case demo keeps its numbers).
    app, phone = _rescue(
        rng,
        insts,
        now,
        14,
        [("ABC-QZ", {**loan, "principal": "230000", "overdue_days": 200, "original_term_months": 60})],
    )
    services.plan_choose(phone=phone, number=app.number, route="mediation", now=_ago(now, 13))
    # 5. Just applied.
    _rescue(rng, insts, now, 1, [("CCB-QZ", card), ("QZBANK", loan)], reasons=("illness",))
    # 6. The bank declined the signed agreement.
    app, phone = _rescue(rng, insts, now, 20, [("ABC-QZ", {**loan, "overdue_days": 20})])
    plan = services.plan_choose(phone=phone, number=app.number, route="direct", now=_ago(now, 19))
    _sign(plan, phone, _ago(now, 18))
    services.agreement_decline(
        actor=staff_b,
        agreement_id=plan.agreements.get().pk,
        reason="申请人名下另有担保代偿，需补充材料后重新评估",
        now=_ago(now, 16),
    )

    # --- reporting tasks of a mediation agreement --------------------------------------------
    from jiefen.cases.models import Case

    case = Case.objects.filter(status="performing", institution__code="ICBC-QZ").order_by("id").first()
    if case is not None:
        start = now.date() - dt.timedelta(days=75)
        schedule = [(start + dt.timedelta(days=30 * n), Decimal("2000")) for n in range(6)]
        tasks = services.reporting_tasks_create_for_agreement(
            case=case, schedule=schedule, actor=center, now=_ago(now, 80)
        )
        services.reporting_task_record(
            actor=staff_a, task_id=tasks[0].pk, payment_received=True, note="已报送", now=_ago(now, 70)
        )

    # --- first-overdue counseling ------------------------------------------------------------
    stages = [
        ("open", 2, None),
        ("open", 6, None),  # past its first-contact deadline
        ("contacted", 10, None),
        ("closed", 30, "will_repay"),
        ("closed", 40, "relief"),
        ("closed", 25, "unreachable"),
        ("followed_up", 130, True),
        ("followed_up", 140, False),
    ]
    for code, actor in (("ICBC-QZ", staff_a), ("ABC-QZ", staff_b)):
        measure = ReliefMeasure.objects.filter(institution=insts[code], product_line="credit_card").first()
        for n, (stage, days, extra) in enumerate(stages):
            first = now - dt.timedelta(days=days)
            services.counseling_flag(
                actor=actor,
                institution_id=insts[code].pk,
                flags=[
                    services.FlagIn(
                        borrower_name=person_name(rng),
                        phone=mobile(rng),
                        product_line="credit_card",
                        account_ref=f"{code}-{n:04d}",
                        first_overdue_on=first.date(),
                        overdue_amount=Decimal(rng.randrange(300, 9000)),
                        id_number=id_number(rng),
                        next_due_on=(first + dt.timedelta(days=30)).date(),
                    )
                ],
                source="api",
                now=first + DAY,
            )
            if stage == "open":
                continue
            task = CounselingTask.objects.get(institution=insts[code], account_ref=f"{code}-{n:04d}")
            reached = extra != "unreachable"
            services.counseling_contact(
                actor=actor,
                task_id=task.pk,
                channel="call",
                reached=reached,
                reason="cashflow" if reached else "",
                note="电话沟通，说明逾期影响和还款日" if reached else "三次未接通",
                now=first + 2 * DAY,
            )
            if stage == "contacted":
                continue
            outcome = extra if isinstance(extra, str) else "will_repay"
            closed = services.counseling_close(
                actor=actor,
                task_id=task.pk,
                outcome=outcome,
                reason="cashflow" if outcome != "unreachable" else "",
                note="已讲解按时还款的重要性，约定下期还款日前提醒",
                measure_ids=[measure.pk] if outcome == "relief" and measure else [],
                now=first + 5 * DAY,
            )
            if stage == "followed_up":
                services.counseling_followup(
                    actor=actor,
                    task_id=task.pk,
                    still_current=extra,
                    now=dt.datetime.combine(closed.followup_on, dt.time(10), tzinfo=now.tzinfo),
                )

    # Raise what has run short or out, as the daily job would have.
    counts.update(services.escalations_run(now=now))
    counts["applications"] = Application.objects.count()
    counts["reporting_tasks"] = ReportingTask.objects.count()
    counts["plans"] = ReliefPlan.objects.count()
    return counts
