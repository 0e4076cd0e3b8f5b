"""Demo of the court end, consistent with where each demo case ended: confirmation applications and
rulings, transfer packages with filings and judgments, enforcement with asset inquiries, electronic
service of a few rulings, one notarisation and one arbitration; finally the day's Merkle root."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction

from jiefen.accounts.models import User
from jiefen.cases.machine import Status
from jiefen.cases.models import Case, CaseEvent
from jiefen.common import clock
from jiefen.common import rules as central_rules
from jiefen.common.models import Counter
from jiefen.documents.services import document_store
from jiefen.evidence.services import ledger_append, ledger_record, merkle_seal
from jiefen.mediation import documents as med_docs
from jiefen.mediation.models import Agreement
from jiefen.mediation.realtime import muted
from jiefen.mediation.selectors import mediation_for_case
from jiefen.orgs.roles import Role

from . import documents, services
from .models import (
    AssetInquiry,
    ConfirmationApplication,
    EnforcementCase,
    LitigationTransfer,
    ServiceAddress,
    ServiceDelivery,
)
from .selectors import small_claims_assessment

DEMO_BASE_URL = "http://127.0.0.1:8000"


def _events(case_ids) -> dict[int, dict[str, dt.datetime]]:
    out: dict[int, dict[str, dt.datetime]] = {}
    for case_id, action, at in (
        CaseEvent.objects.filter(case_id__in=case_ids).order_by("at").values_list("case_id", "action", "at")
    ):
        out.setdefault(case_id, {}).setdefault(action, at)
    return out


def _confirmation(case, ev, judge, rng) -> ConfirmationApplication | None:
    agreement = case.agreements.filter(effective_at__isnull=False).order_by("-id").first()
    if agreement is None:
        return None
    applied = ev["request_confirmation"]
    app = ConfirmationApplication(
        case=case,
        agreement=agreement,
        route="court",
        institution=case.court,
        apply_due=central_rules.due("confirmation.apply", agreement.effective_at),
        applied_at=applied,
        applied_by=case.mediator,
    )
    confirmed = ev.get("confirm")
    if confirmed or rng.random() < 0.5:
        app.accepted_at = applied + dt.timedelta(days=1)
        app.decide_due = central_rules.due("confirmation.decide", app.accepted_at)
        app.state = "accepted"
    app.save()
    ledger_record(
        kind="confirmation.apply",
        subject=f"case:{case.pk}",
        record={"case": case.number, "agreement": agreement.number, "institution": case.court.code},
        actor=case.mediator,
        at=applied,
    )
    if confirmed:
        seq = Counter.reserve(f"ruling-{case.court_id}-{confirmed.year}")
        app.ruling_number = f"（{confirmed.year}）{documents.court_code(case.court)}民特{seq}号"
        app.state, app.decided_at, app.decided_by = "confirmed", confirmed, judge
        content = med_docs.render(documents.ruling_blocks(app), title=app.ruling_number, fmt_="txt")
        stored = document_store(
            kind="ruling",
            subject=f"case:{case.pk}",
            filename=f"民事裁定书-{case.number}.txt",
            content=content,
            actor=judge,
        )
        app.ruling_document = stored
        app.save()
        ledger_append(
            kind="confirmation.ruling",
            subject=f"case:{case.pk}",
            content_hash=stored.sha256,
            actor=judge,
            data={"ruling": app.ruling_number, "agreement": agreement.number},
            file_path=stored.path,
            at=confirmed,
        )
    return app


def _transfer(case, ev, judge, rng, now) -> LitigationTransfer:
    sent = ev.get("transfer_litigation") or ev.get("handover_litigation")
    mediation = mediation_for_case(case)
    reason = mediation.failure_reason or "债务人明确拒绝还款"
    choice, text, _ = small_claims_assessment(case, case.court, on=clock.local_date(sent))
    transfer = LitigationTransfer(
        case=case,
        route="court",
        institution=case.court,
        reason=reason,
        claim_total=case.claim_total,
        small_claims=choice,
        small_claims_text=text[:300],
        sent_at=sent,
        sent_by=User.objects.filter(memberships__institution=case.institution).first(),
    )
    # Plain-text complaint keeps the demo fast; real transfers carry the Word version.
    content, manifest = documents.build_package(case, transfer, complaint_format="txt")
    stored = document_store(
        kind="transfer_package",
        subject=f"case:{case.pk}",
        filename=f"移送材料-{case.number}.zip",
        content=content,
        actor=None,
    )
    transfer.package = stored
    judged = ev.get("judge")
    if judged or rng.random() < 0.6:
        filed = clock.local_date(sent + dt.timedelta(days=rng.randint(1, 5)))
        procedure = "small_claims" if choice == "yes" else "simplified"
        transfer.state = "filed"
        transfer.filed_on = min(filed, clock.local_today())
        transfer.procedure = procedure
        transfer.filing_number = (
            f"（{transfer.filed_on.year}）{documents.court_code(case.court)}民初{rng.randint(1000, 9999)}号"
        )
        rule = "litigation.small_claims" if procedure == "small_claims" else "litigation.simplified"
        transfer.trial_due = central_rules.due(rule, transfer.filed_on)
        transfer.hearing_at = sent + dt.timedelta(days=rng.randint(7, 20), hours=9)
        transfer.hearing_place = "第三审判庭（金融速裁）"
    if judged:
        transfer.state = "decided"
        transfer.judgment_on = clock.local_date(judged)
        transfer.judgment_amount = case.principal + case.interest
        transfer.judgment_summary = "被告于判决生效之日起十日内偿还原告借款本金及利息，驳回原告其他诉讼请求。"
        transfer.perform_by = clock.add_days(transfer.judgment_on, 25)
        transfer.hearing_at = min(transfer.hearing_at, judged - dt.timedelta(days=1))
    transfer.save()
    ledger_append(
        kind="transfer.package",
        subject=f"case:{case.pk}",
        content_hash=stored.sha256,
        data={
            "route": "court",
            "institution": case.court.code,
            "files": len(manifest),
            "small_claims": choice,
        },
        file_path=stored.path,
        at=sent,
    )
    if judged:
        ledger_record(
            kind="litigation.record",
            subject=f"case:{case.pk}",
            record={"transfer": transfer.pk, "event": "judgment", "amount": transfer.judgment_amount},
            actor=judge,
            at=judged,
        )
    return transfer


def _enforcement(case, ev, judge, rng) -> EnforcementCase | None:
    applied = ev["apply_enforcement"]
    transfer = case.transfers.filter(state="decided").first()
    if transfer is not None:
        basis, ref, last = "judgment", transfer.filing_number, transfer.perform_by
        amount = transfer.judgment_amount
    else:
        agreement = case.agreements.filter(state=Agreement.State.DEFAULTED).first()
        conf = case.confirmations.filter(state="confirmed").first()
        if agreement is None or conf is None:
            return None
        basis, ref = "confirmation", conf.ruling_number
        last = agreement.instalments.order_by("-seq").values_list("due_on", flat=True).first()
        amount = agreement.outstanding
    enforcement = EnforcementCase.objects.create(
        case=case,
        court=case.court,
        basis=basis,
        basis_ref=ref,
        amount_sought=amount,
        last_performance_day=last,
        apply_due=central_rules.due("enforcement.apply", last),
        applied_at=applied,
        applied_by=User.objects.filter(memberships__institution=case.institution).first(),
        state="filed",
        filing_number=f"（{applied.year}）{documents.court_code(case.court)}执{rng.randint(100, 999)}号",
        filed_at=applied + dt.timedelta(days=2),
    )
    ledger_record(
        kind="enforcement.apply",
        subject=f"case:{case.pk}",
        record={"case": case.number, "basis": basis, "ref": ref, "amount": amount},
        at=applied,
    )
    asked = applied + dt.timedelta(days=3)
    bank = AssetInquiry.objects.create(
        enforcement=enforcement,
        kind="bank",
        backend="offline",
        request_ref="LOCAL-" + secrets.token_hex(5).upper(),
        requested_at=asked,
        requested_by=judge,
        state="answered",
        answered_at=asked + dt.timedelta(days=2),
        result_summary="查得工商银行、农业银行账户各一，已冻结存款",
        amount_found=(amount * Decimal("0.35")).quantize(Decimal("0.01")),
    )
    AssetInquiry.objects.create(
        enforcement=enforcement,
        kind="real_estate",
        backend="offline",
        request_ref="LOCAL-" + secrets.token_hex(5).upper(),
        requested_at=asked,
        requested_by=judge,
    )
    ledger_record(
        kind="asset.inquiry",
        subject=f"case:{case.pk}",
        record={"inquiry": bank.pk, "kind": "bank", "state": "answered", "amount": bank.amount_found},
        actor=judge,
        at=bank.answered_at,
    )
    if "close_enforcement" in ev:
        enforcement.state, enforcement.closure = "closed", "full"
        enforcement.amount_enforced = amount
        enforcement.closed_at = ev["close_enforcement"]
        enforcement.closure_note = "被执行人财产已划扣到位"
        enforcement.save()
    else:
        enforcement.amount_enforced = bank.amount_found
        enforcement.save(update_fields=["amount_enforced"])
    return enforcement


def _serve(app: ConfirmationApplication, judge, *, acknowledged: bool) -> None:
    delivery = services.service_send(
        actor=judge,
        case=app.case,
        kind=ServiceDelivery.Kind.RULING,
        title=f"民事裁定书 {app.ruling_number}",
        document=app.ruling_document,
        base_url=DEMO_BASE_URL,
    )
    if acknowledged:
        services.service_open(delivery=delivery, ip="10.30.0.8")
        if not ServiceAddress.objects.filter(party=app.case.debtor, phone_hash=delivery.phone_hash).exists():
            services.service_confirm_address(
                delivery=delivery, address="福建省泉州市丰泽区东海街道（演示地址）", ip="10.30.0.8"
            )
        services.service_acknowledge(delivery=delivery, ip="10.30.0.8")


def load(ctx) -> dict[str, int]:
    rng, now, users, insts = ctx["rng"], ctx["now"], ctx["users"], ctx["institutions"]
    judge = users["judge"]
    counts = {"confirmations": 0, "transfers": 0, "enforcements": 0, "served": 0}
    with transaction.atomic(), muted():
        cases = list(
            Case.objects.filter(court__isnull=False)
            .select_related("institution", "debtor", "court", "mediator")
            .order_by("pk")
        )
        events = _events([c.pk for c in cases])
        confirmed_apps = []
        for case in cases:
            ev = events.get(case.pk, {})
            if "request_confirmation" in ev and not case.confirmations.exists():
                app = _confirmation(case, ev, judge, rng)
                if app is not None:
                    counts["confirmations"] += 1
                    if app.state == "confirmed" and case.debtor.primary_phone is not None:
                        confirmed_apps.append(app)
            if ("transfer_litigation" in ev or "handover_litigation" in ev) and not case.transfers.exists():
                _transfer(case, ev, judge, rng, now)
                counts["transfers"] += 1
            if (
                "apply_enforcement" in ev
                and not hasattr(case, "enforcement")
                and _enforcement(case, ev, judge, rng)
            ):
                counts["enforcements"] += 1
        for n, app in enumerate(confirmed_apps[:4]):
            _serve(app, judge, acknowledged=n % 2 == 0)
            counts["served"] += 1
        # The other routes of the "1+3+N" model: one agreement at the notary office, one failed case at arbitration.
        agreed = (
            Case.objects.filter(
                status=Status.AGREED, agreements__state="effective", confirmations__isnull=True
            )
            .select_related("institution", "debtor")
            .first()
        )
        if agreed is not None:
            agreement = agreed.agreements.filter(state="effective").first()
            if clock.local_today() <= central_rules.due("confirmation.apply", agreement.effective_at):
                ConfirmationApplication.objects.create(
                    case=agreed,
                    agreement=agreement,
                    route="notary",
                    institution=insts["NOTARY-QZ"],
                    apply_due=central_rules.due("confirmation.apply", agreement.effective_at),
                    applied_at=min(agreement.effective_at + dt.timedelta(days=1), now),
                    applied_by=agreed.mediator,
                )
                counts["confirmations"] += 1
        failed = (
            Case.objects.filter(
                status=Status.MEDIATION_FAILED, transfers__isnull=True, institution=insts["ICBC-QZ"]
            )
            .select_related("institution", "debtor")
            .first()
        )
        staff = users.get("bank_a_staff")
        if (
            failed is not None
            and staff is not None
            and staff.memberships.filter(role=Role.DISPOSAL_STAFF).exists()
        ):
            services.transfer_create(
                actor=staff,
                case_id=failed.pk,
                institution=insts["ARB-QZ"],
                route="arbitration",
                reason="借款合同约定仲裁条款，调解不成提交泉州仲裁委员会",
            )
            counts["transfers"] += 1
        root = merkle_seal()
    counts["merkle_root"] = 1 if root else 0
    return counts
