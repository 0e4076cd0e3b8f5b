"""Demo of the disposal desk: templates, reminders and calls on the two demo banks' cases, a finished
import with a few rejected rows, and contact-recovery batches (one answered, one waiting)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from jiefen.cases.machine import Status
from jiefen.cases.models import Case
from jiefen.common.clock import SHANGHAI
from jiefen.demo.fake import mobile
from jiefen.outreach.models import SmsTemplate

from . import services
from .imports import import_file
from .models import ContactAttempt
from .triage import ensure_default_rules

TEMPLATES = [
    (
        "reminder",
        "逾期提醒",
        "debtor",
        "{name}您好，您在{institution}的欠款{amount}已逾期。请于{deadline}前联系处理，可申请调解或协商分期，咨询{center} {hotline}。回复TD退订",
    ),
    (
        "final-notice",
        "移送调解前告知",
        "debtor",
        "{name}您好，您在{institution}的欠款{amount}经多次联系未处理，{deadline}后将移送{center}调解。如有困难请致电{hotline}。回复TD退订",
    ),
    (
        "third-party",
        "请转告（第三人）",
        "third_party",
        "您好，{institution}有事务需联系{name}，烦请转告其致电{hotline}。如不认识此人请忽略，回复TD退订",
    ),
]

CALLS = ["reached", "no_answer", "promised", "no_answer", "refused", "reached", "third_party"]


def _messy_export(institution) -> bytes:
    """The bank's monthly re-export as a branch would send it: a title row, its own column names,
    mixed number formats, a totals row, a few amounts that moved since the first push, and bad rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = [
        "借款合同号",
        "客户名称",
        "证件号码",
        "联系电话",
        "业务品种",
        "欠款本金",
        "欠息",
        "罚息",
        "复利",
        "违约金",
        "首次逾期日",
    ]
    writer.writerow([f"{institution.short_name}泉州分行逾期客户月度清单"] + [""] * (len(header) - 1))
    writer.writerow(header)
    cases = Case.objects.filter(institution=institution).select_related("debtor").order_by("pk")[:30]
    for n, case in enumerate(cases, start=1):
        phone = case.debtor.phones.filter(is_valid=True).first()
        principal = case.principal
        if n % 7 == 0 and case.status not in {Status.CLOSED, Status.WITHDRAWN}:
            principal += 100  # interest capitalised since the last push
        row = [
            case.contract_no,
            case.debtor.name,
            case.debtor.id_number,
            phone.number if phone else "",
            case.get_product_type_display(),
            f"{principal:,.2f}" if n % 3 == 0 else f"{principal}",
            f"{case.interest}元" if n % 4 == 0 else f"{case.interest}",
            f"{case.penalty_interest}",
            f"{case.compound_interest}",
            f"{case.fees}",
            case.overdue_since.strftime("%Y年%-m月%-d日")
            if case.overdue_since and n % 2
            else (case.overdue_since or ""),
        ]
        if n == 5:
            row[2] = row[2][:-1] + ("0" if row[2][-1] != "0" else "1")
        if n == 11:
            row[3] = "0595-2288"
        if n == 17:
            row[5] = "-1200"
        writer.writerow(row)
    writer.writerow(["合计", "", "", "", "", "—"] + [""] * (len(header) - 6))
    return out.getvalue().encode("gb18030")


def load(ctx) -> dict:
    rng = ctx["rng"]
    users = ctx["users"]
    insts = ctx["institutions"]
    ensure_default_rules()
    for code, name, audience, body in TEMPLATES:
        SmsTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "audience": audience, "body": body}
        )
    reminder = SmsTemplate.objects.get(code="reminder")
    # Work happened during office hours yesterday: the conduct rules refuse 22:00–08:00.
    yesterday = (ctx["now"].astimezone(SHANGHAI) - dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    counts = {"sms": 0, "calls": 0, "imports": 0, "recovery_batches": 0}
    for username, code in (("bank_a_staff", "ICBC-QZ"), ("bank_b_staff", "ABC-QZ")):
        staff = users[username]
        cases = list(
            Case.objects.filter(institution=insts[code], status=Status.DISPOSAL, lost_contact=False).order_by(
                "pk"
            )[:12]
        )
        for n, case in enumerate(cases):
            at = yesterday + dt.timedelta(minutes=7 * n)
            if case.status_changed_at > at:
                continue
            if n % 2 == 0:
                services.sms_send_case(actor=staff, case_id=case.pk, template_id=reminder.pk, now=at)
                counts["sms"] += 1
            phone = case.debtor.phones.filter(is_valid=True).first()
            if phone is None:
                continue
            outcome = CALLS[n % len(CALLS)]
            extra = {}
            if outcome == "promised":
                extra = {
                    "promised_amount": case.claim_total,
                    "promised_on": at.date() + dt.timedelta(days=10),
                }
            services.contact_call_log(
                actor=staff,
                case_id=case.pk,
                phone_id=phone.pk,
                outcome=outcome,
                note="演示：电话沟通" if outcome != "no_answer" else "",
                next_contact_on=at.date() + dt.timedelta(days=3),
                now=at + dt.timedelta(minutes=2),
                **extra,
            )
            counts["calls"] += 1

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "工行信用卡逾期清单.csv"
        path.write_bytes(_messy_export(insts["ICBC-QZ"]))
        import_file(actor=users["bank_a_staff"], institution=insts["ICBC-QZ"], path=path, source="web")
        counts["imports"] += 1

    lost = list(
        Case.objects.filter(institution=insts["ICBC-QZ"], status=Status.DISPOSAL, lost_contact=True).order_by(
            "pk"
        )
    )
    if lost:
        half = max(1, len(lost) // 2)
        done = services.recovery_batch_create(
            actor=users["bank_a_staff"], case_ids=[c.pk for c in lost[:half]], note="演示"
        )
        services.recovery_request_file(actor=users["bank_a_staff"], batch_id=done.pk)
        rows = ["序号,手机号,关系,联系人"]
        for item in done.items.order_by("seq"):
            if item.seq % 3 != 0:
                rows.append(f"{item.seq},{mobile(rng)},本人,")
        services.recovery_import_result(
            actor=users["bank_a_staff"],
            batch_id=done.pk,
            data="\n".join(rows).encode("utf-8"),
            filename="result.csv",
        )
        counts["recovery_batches"] = 1
        if lost[half:]:
            services.recovery_batch_create(
                actor=users["bank_a_staff"], case_ids=[c.pk for c in lost[half:]], note="待回盘"
            )
            counts["recovery_batches"] = 2
    counts["attempts"] = ContactAttempt.objects.count()
    return counts
