"""API of intake and the disposal desk, mounted at /api/v1/disposal/."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jiefen.cases.models import Case
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.orgs.models import Institution
from jiefen.outreach.backends import DeliveryReport
from jiefen.outreach.services import sms_delivery_apply, sms_inbound

from . import imports, services
from .models import ImportJob
from .selectors import QueueFilters, desk_queue

router = Router(tags=["集中处置"])


class ErrorRow(Schema):
    row: int
    column: str
    value: str
    reason: str


class JobOut(Schema):
    id: int
    institution: str
    filename: str
    status: str
    status_label: str
    mode: str
    phase: str
    message: str
    percent: int
    rows: int
    valid: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    simple: int
    complex: int
    lost_contact: int
    errors: list[ErrorRow] = Field(default_factory=list, description="前200条错误；完整清单见 /errors")


def job_out(job: ImportJob, *, errors: int = 200) -> dict:
    return {
        "id": job.pk,
        "institution": job.institution.code,
        "filename": job.filename,
        "status": job.status,
        "status_label": job.get_status_display(),
        "mode": job.mode,
        "phase": job.phase,
        "message": job.message,
        "percent": job.percent,
        "rows": job.rows,
        "valid": job.valid,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "simple": job.simple,
        "complex": job.complex,
        "lost_contact": job.lost_contact,
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in imports.job_errors(job, limit=errors)
        ],
    }


def _institution(code: str) -> Institution:
    inst = Institution.objects.filter(code=code).first()
    if inst is None:
        raise NotFound(f"没有代码为“{code}”的机构")
    return inst


@router.post("/imports", response={201: JobOut})
def upload_import(
    request,
    file: File[UploadedFile],
    institution: Form[str],
    mode: Form[str] = "partial",
    default_product: Form[str] = "",
    confirm: Form[bool] = False,
):
    """Upload a bank file. Without `confirm` the file is checked (preview): the job reports what would
    be created, updated and rejected, then POST /imports/{id}/confirm imports it. With `confirm=true`
    it is checked and imported in one call (all-or-nothing when mode=all)."""
    inst = _institution(institution)
    job = imports.import_job_create(
        actor=request.user,
        institution=inst,
        upload=file,
        filename=file.name or "upload.csv",
        mode=mode,
        default_product=default_product,
        source="api",
    )
    imports.dispatch_validate(job)
    job.refresh_from_db()
    if confirm and job.status == ImportJob.Status.VALIDATED:
        if mode == ImportJob.Mode.ALL_OR_NOTHING and job.rejected:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED,
                message=f"文件有{job.rejected}行错误，按“全部正确才导入”未导入任何数据",
            )
        else:
            job = imports.import_job_confirm(actor=request.user, job_id=job.pk, mode=mode)
        job.refresh_from_db()
    return Status(201, job_out(job))


@router.get("/imports/{int:job_id}", response=JobOut)
def get_import(request, job_id: int):
    """Status and progress of an import job (poll it while `status` is validating/queued/importing)."""
    return job_out(imports.import_job_get_for_user(request.user, job_id))


@router.post("/imports/{int:job_id}/confirm", response=JobOut)
def confirm_import(request, job_id: int, mode: str | None = None):
    job = imports.import_job_confirm(actor=request.user, job_id=job_id, mode=mode)
    return job_out(job)


class ErrorPage(Schema):
    items: list[ErrorRow]
    next_offset: int | None


@router.get("/imports/{int:job_id}/errors", response=ErrorPage)
def import_errors(request, job_id: int, offset: int = 0, limit: int = Query(500, ge=1, le=5000)):
    job = imports.import_job_get_for_user(request.user, job_id)
    rows = list(imports.job_errors(job)[offset : offset + limit + 1])
    return {
        "items": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason} for e in rows[:limit]
        ],
        "next_offset": offset + limit if len(rows) > limit else None,
    }


@router.get("/imports/{int:job_id}/report.xlsx")
def import_report(request, job_id: int):
    job = imports.import_job_get_for_user(request.user, job_id)
    response = HttpResponse(
        imports.error_report_xlsx(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}.xlsx"'
    return response


class QueueItem(Schema):
    id: int
    number: str
    institution: str
    debtor_name: str
    product_type: str
    claim_total: Decimal
    lost_contact: bool
    complexity: str
    stage_due_on: dt.date | None
    assignee: str | None
    triage_rule: str | None
    triage_reason: str | None


class QueuePage(Schema):
    items: list[QueueItem]
    next_before: int | None


class QueueParams(Schema):
    scope: str = Field("all", description="mine | unassigned | all")
    status: str = "disposal"
    institution: str = Field("", description="机构代码")
    lost: str = Field("", description="yes | no")
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/queue", response=QueuePage)
def queue(request, params: Query[QueueParams]):
    inst_id = None
    if params.institution:
        inst_id = _institution(params.institution).pk
    rows, next_before = desk_queue(
        request.user,
        QueueFilters(scope=params.scope, status=params.status, institution=inst_id, lost=params.lost),
        before_id=params.before,
        limit=params.limit,
    )
    return {
        "items": [
            {
                "id": c.pk,
                "number": c.number,
                "institution": c.institution.code,
                "debtor_name": c.debtor.name,
                "product_type": c.product_type,
                "claim_total": c.claim_total,
                "lost_contact": c.lost_contact,
                "complexity": c.complexity,
                "stage_due_on": c.stage_due_on,
                "assignee": str(c.assignee) if c.assignee_id else None,
                "triage_rule": (c.triage or {}).get("data", {}).get("label"),
                "triage_reason": (c.triage or {}).get("reason"),
            }
            for c in rows
        ],
        "next_before": next_before,
    }


class SmsBatchIn(Schema):
    case_ids: list[int]
    template: str = Field(..., description="短信模板代码")


class SmsBatchOut(Schema):
    id: int
    total: int
    sent: int
    blocked: int
    failed: int
    blocked_reasons: list[dict]


@router.post("/sms-batches", response={201: SmsBatchOut})
def sms_batch(request, payload: SmsBatchIn):
    """Reminders for many cases. Refused as a whole outside the permitted hours (HTTP 400, code
    quiet_hours); otherwise every case is sent or blocked with its reason."""
    from jiefen.outreach.models import SmsTemplate

    template = SmsTemplate.objects.filter(code=payload.template, active=True).first()
    if template is None:
        raise NotFound("短信模板不存在或已停用")
    batch = services.sms_batch_create(actor=request.user, case_ids=payload.case_ids, template_id=template.pk)
    blocked = batch.attempts.filter(outcome="blocked").values_list("case_id", "blocked_reason")
    return Status(
        201,
        {
            "id": batch.pk,
            "total": batch.total,
            "sent": batch.sent,
            "blocked": batch.blocked,
            "failed": batch.failed,
            "blocked_reasons": [{"case_id": c, "reason": r} for c, r in blocked],
        },
    )


class CallIn(Schema):
    phone_id: int
    outcome: str = Field(
        ..., description="reached | promised | refused | wrong_number | no_answer | third_party"
    )
    note: str = ""
    next_contact_on: dt.date | None = None
    promised_amount: Decimal | None = None
    promised_on: dt.date | None = None


class AttemptOut(Schema):
    id: int
    channel: str
    outcome: str
    at: dt.datetime


@router.post("/cases/{int:case_id}/calls", response={201: AttemptOut})
def log_call(request, case_id: int, payload: CallIn):
    attempt = services.contact_call_log(
        actor=request.user,
        case_id=case_id,
        phone_id=payload.phone_id,
        outcome=payload.outcome,
        note=payload.note,
        next_contact_on=payload.next_contact_on,
        promised_amount=payload.promised_amount,
        promised_on=payload.promised_on,
    )
    return Status(
        201, {"id": attempt.pk, "channel": attempt.channel, "outcome": attempt.outcome, "at": attempt.at}
    )


class OutcomeIn(Schema):
    outcome: str = Field(..., description="paid | plan | mediation | litigation | promise")
    reason: str = ""
    court: str | None = Field(None, description="法院机构代码（移送诉讼时）")
    expected_version: int | None = None
    promised_amount: Decimal | None = None
    promised_on: dt.date | None = None


class CaseStateOut(Schema):
    id: int
    number: str
    status: str
    version: int


@router.post("/cases/{int:case_id}/outcome", response=CaseStateOut)
def outcome(request, case_id: int, payload: OutcomeIn):
    court = None
    if payload.court:
        court = Institution.objects.filter(code=payload.court, kind=Institution.Kind.COURT).first()
        if court is None:
            raise NotFound(f"没有代码为“{payload.court}”的法院")
    services.disposal_outcome(
        actor=request.user,
        case_id=case_id,
        outcome=payload.outcome,
        reason=payload.reason,
        court=court,
        expected_version=payload.expected_version,
        promised_amount=payload.promised_amount,
        promised_on=payload.promised_on,
    )
    case = Case.objects.get(pk=case_id)
    return {"id": case.pk, "number": case.number, "status": case.status, "version": case.version}


class OverrideIn(Schema):
    to: str = Field(..., description="simple | complex")
    reason: str


@router.post("/cases/{int:case_id}/triage-override", response=CaseStateOut)
def override(request, case_id: int, payload: OverrideIn):
    case = services.triage_override(actor=request.user, case_id=case_id, to=payload.to, reason=payload.reason)
    return {"id": case.pk, "number": case.number, "status": case.status, "version": case.version}


class RecoveryIn(Schema):
    case_ids: list[int]
    note: str = ""


class RecoveryOut(Schema):
    id: int
    number: str
    status: str
    found: int
    not_found: int
    numbers_added: int


def recovery_out(batch) -> dict:
    return {
        "id": batch.pk,
        "number": batch.number,
        "status": batch.status,
        "found": batch.found,
        "not_found": batch.not_found,
        "numbers_added": batch.numbers_added,
    }


@router.post("/recovery-batches", response={201: RecoveryOut})
def create_recovery(request, payload: RecoveryIn):
    return Status(
        201,
        recovery_out(
            services.recovery_batch_create(actor=request.user, case_ids=payload.case_ids, note=payload.note)
        ),
    )


@router.get("/recovery-batches/{int:batch_id}/request.csv")
def recovery_request(request, batch_id: int):
    filename, content = services.recovery_request_file(actor=request.user, batch_id=batch_id)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/recovery-batches/{int:batch_id}/result", response=RecoveryOut)
def recovery_result(request, batch_id: int, file: File[UploadedFile]):
    data = file.read(50 * 1024 * 1024 + 1)
    if len(data) > 50 * 1024 * 1024:
        raise ApplicationError("结果文件过大", code="too_large")
    return recovery_out(
        services.recovery_import_result(
            actor=request.user, batch_id=batch_id, data=data, filename=file.name or "result.csv"
        )
    )


# ---- gateway callbacks (no session: authenticated by a shared token in the URL) ----------------


def _callback_token(token: str) -> None:
    expected = os.environ.get("JIEFEN_SMS_CALLBACK_TOKEN", "")
    import hmac

    if not expected or not hmac.compare_digest(expected, token):
        raise PermissionDenied("回调令牌无效")


class ReceiptIn(Schema):
    provider_id: str
    delivered: bool
    error: str = ""


@router.post("/sms/receipts/{token}", auth=None, response={200: dict})
def sms_receipts(request, token: str, payload: list[ReceiptIn]):
    """Delivery receipts pushed by the gateway (mapped to this shape by the provider adapter or proxy)."""
    _callback_token(token)
    changed = sms_delivery_apply([DeliveryReport(r.provider_id, r.delivered, r.error) for r in payload])
    return {"updated": changed}


class InboundIn(Schema):
    phone: str
    text: str


@router.post("/sms/inbound/{token}", auth=None, response={200: dict})
def sms_reply(request, token: str, payload: list[InboundIn]):
    """Replies from phones: 退订 / TD stops every further reminder to that number."""
    _callback_token(token)
    opted = 0
    for item in payload:
        try:
            opted += int(sms_inbound(number=item.phone, text=item.text))
        except ApplicationError:
            continue
    return {"opted_out": opted}
