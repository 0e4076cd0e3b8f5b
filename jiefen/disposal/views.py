"""Thin views of the disposal desk: parse the request, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import wraps
from io import BytesIO

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiefen.cases.machine import Status
from jiefen.cases.models import ProductType
from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import Role
from jiefen.outreach.models import SmsTemplate
from jiefen.outreach.services import sms_template_save
from jiefen.outreach.templates import VARIABLES

from . import imports, services
from .intake.columns import FIELDS
from .models import ContactAttempt, ImportJob, PhoneRelation, TriageLog, TriageRule
from .selectors import (
    QueueFilters,
    desk_case,
    desk_queue,
    outbox_for_user,
    recovery_batches_for_user,
    sms_batches_for_user,
)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _money(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def not_found_as_404(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("不存在或您无权查看") from None

    return wrapper


def _back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/disposal/"):
        return redirect(target)
    return redirect(fallback)


# ---- queue -------------------------------------------------------------------------------------


@login_required
def desk_view(request):
    viewer = viewer_for(request.user)
    g = request.GET
    default_scope = "mine" if Role.DISPOSAL_STAFF in viewer.roles and not viewer.is_center else "all"
    filters = QueueFilters(
        scope=g.get("scope", default_scope)
        if g.get("scope", default_scope) in {"mine", "unassigned", "all"}
        else "all",
        status=g.get("status", "disposal")
        if g.get("status") in {"disposal", "defaulted", "mediation_pending"}
        else "disposal",
        institution=_int(g.get("institution")),
        lost=g.get("lost", "") if g.get("lost") in {"yes", "no"} else "",
        product_type=g.get("product_type", "") if g.get("product_type") in ProductType.values else "",
        due=g.get("due", "") if g.get("due") in {"overdue", "today"} else "",
        q=g.get("q", "")[:64],
    )
    rows, next_before = desk_queue(viewer, filters, before_id=_int(g.get("before")))
    if viewer.sees_everything:
        institutions = Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])
    else:
        institutions = Institution.objects.filter(pk__in=viewer.institution_ids())
    staff = (
        get_user_model()
        .objects.filter(memberships__role=Role.DISPOSAL_STAFF, memberships__institution__in=institutions)
        .distinct()[:200]
    )
    query = g.copy()
    query.pop("before", None)
    ctx = {
        "cases": rows,
        "next_before": next_before,
        "filters": filters,
        "institutions": institutions,
        "products": ProductType.choices,
        "templates": SmsTemplate.objects.filter(active=True),
        "staff": staff,
        "counts": services.desk_counts(viewer, filters.institution),
        "query": query.urlencode(),
        "read_only": viewer.read_only,
        "next": request.get_full_path(),
    }
    template = "disposal/_queue_rows.html" if request.headers.get("HX-Request") else "disposal/desk.html"
    return render(request, template, ctx)


@login_required
@require_POST
@not_found_as_404
def bulk_view(request):
    action = request.POST.get("action", "")
    ids = [i for i in (_int(v) for v in request.POST.getlist("case")) if i]
    back = request.POST.get("next") or reverse("disposal_desk")
    try:
        if not ids:
            raise ApplicationError("请先勾选案件")
        if action == "sms":
            batch = services.sms_batch_create(
                actor=request.user, case_ids=ids, template_id=_int(request.POST.get("template"))
            )
            messages.success(
                request,
                f"催告短信：共{batch.total}件，已发送{batch.sent}件，拦截{batch.blocked}件，失败{batch.failed}件",
            )
            if batch.blocked:
                reasons = ContactAttempt.objects.filter(
                    batch=batch, outcome=ContactAttempt.Outcome.BLOCKED
                ).values_list("case__number", "blocked_reason")[:10]
                for number, reason in reasons:
                    messages.warning(request, f"{number} 未发送：{reason}")
        elif action == "assign":
            assignee = get_user_model().objects.filter(pk=_int(request.POST.get("assignee"))).first()
            if assignee is None:
                raise ApplicationError("请选择经办人")
            done = services.disposal_assign(
                actor=request.user,
                case_ids=ids,
                assignee=assignee,
                reason=request.POST.get("reason") or "批量分配",
            )
            messages.success(request, f"已分配{done}件给{assignee}")
        elif action == "recovery":
            batch = services.recovery_batch_create(
                actor=request.user, case_ids=ids, note=request.POST.get("note", "")
            )
            messages.success(request, f"已创建失联修复批次{batch.number}（{len(ids)}件）")
            return redirect("disposal_recovery_detail", batch_id=batch.pk)
        else:
            raise ApplicationError("请选择批量操作")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back if back.startswith("/disposal/") else reverse("disposal_desk"))


# ---- case work ---------------------------------------------------------------------------------


@login_required
@not_found_as_404
def case_view(request, case_id: int):
    ctx = desk_case(request.user, case_id)
    case = ctx["case"]
    ctx.update(
        {
            "templates": SmsTemplate.objects.filter(active=True),
            "outcomes": ContactAttempt.Outcome,
            "call_outcomes": [(o.value, o.label) for o in services.CALL_OUTCOMES],
            "courts": Institution.objects.filter(kind=Institution.Kind.COURT, is_active=True),
            "relations": PhoneRelation.Relation.choices,
            "collecting": case.status in services.COLLECTING,
            "can_override": ctx["is_center"]
            and case.status in {Status.NEW, Status.DISPOSAL, Status.MEDIATION_PENDING},
            "today": clock.local_today().isoformat(),
        }
    )
    return render(request, "disposal/case.html", ctx)


def _case_action(view):
    """POST on a case: run the service, report success or the refusal, back to the case page."""

    @wraps(view)
    def wrapper(request, case_id: int, *args, **kwargs):
        try:
            text = view(request, case_id, *args, **kwargs)
        except NotFound:
            raise Http404("案件不存在或您无权查看") from None
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if isinstance(text, HttpResponse):
                return text
            if text:
                messages.success(request, text)
        return redirect("disposal_case", case_id=case_id)

    return login_required(require_POST(wrapper))


@_case_action
def case_sms_view(request, case_id):
    attempt = services.sms_send_case(
        actor=request.user,
        case_id=case_id,
        template_id=_int(request.POST.get("template")),
        phone_id=_int(request.POST.get("phone")),
    )
    return f"催告短信已发送至{attempt.phone.masked}（{attempt.message.get_status_display()}）"


@login_required
@require_POST
def case_dial_view(request, case_id: int, phone_id: int):
    """htmx: the conduct check, then the tel: link (or why not)."""
    try:
        number = services.contact_dial(
            actor=request.user, case_id=case_id, phone_id=phone_id, ip=_ip(request)
        )
    except NotFound:
        raise Http404("案件不存在或您无权查看") from None
    except ApplicationError as exc:
        return render(request, "disposal/_dial.html", {"refusal": exc.message, "phone_id": phone_id})
    return render(request, "disposal/_dial.html", {"number": number, "phone_id": phone_id})


@_case_action
def case_call_view(request, case_id):
    p = request.POST
    attempt = services.contact_call_log(
        actor=request.user,
        case_id=case_id,
        phone_id=_int(p.get("phone")),
        outcome=p.get("outcome", ""),
        note=p.get("note", ""),
        next_contact_on=_date(p.get("next_contact_on")),
        promised_amount=_money(p.get("promised_amount")),
        promised_on=_date(p.get("promised_on")),
    )
    return f"已记录通话：{attempt.get_outcome_display()}"


@_case_action
def case_outcome_view(request, case_id):
    p = request.POST
    court = None
    if p.get("court"):
        court = Institution.objects.filter(pk=_int(p.get("court")), kind=Institution.Kind.COURT).first()
    outcome = p.get("outcome", "")
    case = services.disposal_outcome(
        actor=request.user,
        case_id=case_id,
        outcome=outcome,
        reason=p.get("reason", ""),
        court=court,
        expected_version=_int(p.get("version")),
        promised_amount=_money(p.get("promised_amount")),
        promised_on=_date(p.get("promised_on")),
    )
    if outcome == "promise":
        return "已记录还款承诺"
    return f"已办理：{case.get_status_display()}"


@_case_action
def case_override_view(request, case_id):
    case = services.triage_override(
        actor=request.user,
        case_id=case_id,
        to=request.POST.get("to", ""),
        reason=request.POST.get("reason", ""),
    )
    return f"初筛结果已调整：{case.get_status_display()}"


@_case_action
def case_triage_view(request, case_id):
    case = services.triage_case(actor=request.user, case_id=case_id)
    return f"已初筛：{case.get_status_display()}"


@_case_action
def case_phone_view(request, case_id):
    phone = services.phone_add(
        actor=request.user,
        case_id=case_id,
        number=request.POST.get("number", ""),
        relation=request.POST.get("relation", "self"),
        contact_name=request.POST.get("contact_name", ""),
    )
    return f"已添加号码{phone.masked}"


@_case_action
def case_optout_view(request, case_id, phone_id):
    phone = services.phone_opt_out(
        actor=request.user, case_id=case_id, phone_id=phone_id, reason=request.POST.get("reason", "")
    )
    return f"号码{phone.masked}已退订短信"


# ---- imports -----------------------------------------------------------------------------------


@login_required
def imports_view(request):
    institutions = imports.importable_institutions(request.user)
    if request.method == "POST":
        inst = institutions.filter(pk=_int(request.POST.get("institution"))).first()
        upload = request.FILES.get("file")
        try:
            if inst is None:
                raise ApplicationError("请选择机构")
            if upload is None:
                raise ApplicationError("请选择要上传的文件")
            job = imports.import_job_create(
                actor=request.user,
                institution=inst,
                upload=upload,
                filename=upload.name,
                mode=request.POST.get("mode", ImportJob.Mode.PARTIAL),
                default_product=request.POST.get("default_product", ""),
            )
        except NotFound:
            raise Http404("机构不存在或您无权为其导入") from None
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("disposal_imports")
        imports.dispatch_validate(job)
        return redirect("disposal_import", job_id=job.pk)
    return render(
        request,
        "disposal/imports.html",
        {
            "jobs": imports.import_jobs_for_user(request.user),
            "institutions": institutions,
            "products": ProductType.choices,
            "modes": ImportJob.Mode.choices,
        },
    )


@login_required
@not_found_as_404
def import_view(request, job_id: int):
    job = imports.import_job_get_for_user(request.user, job_id)
    ctx = _job_context(request, job)
    template = "disposal/_import_status.html" if request.headers.get("HX-Request") else "disposal/import.html"
    return render(request, template, ctx)


def _job_context(request, job: ImportJob) -> dict:
    viewer = viewer_for(request.user)
    return {
        "job": job,
        "errors": list(imports.job_errors(job, limit=200)),
        "columns": imports.describe_mapping(job),
        "fields": [(k, label) for k, (label, _) in FIELDS.items()],
        "can_confirm": job.status == ImportJob.Status.VALIDATED
        and imports.can_import_for(viewer, job.institution),
        "modes": ImportJob.Mode.choices,
    }


@login_required
@require_POST
@not_found_as_404
def import_confirm_view(request, job_id: int):
    try:
        job = imports.import_job_confirm(actor=request.user, job_id=job_id, mode=request.POST.get("mode"))
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect("disposal_import", job_id=job_id)
    if job.status == ImportJob.Status.DONE:
        messages.success(request, f"导入完成：新增{job.created}件，更新{job.updated}件")
    return redirect("disposal_import", job_id=job_id)


@login_required
@require_POST
@not_found_as_404
def import_cancel_view(request, job_id: int):
    try:
        imports.import_job_cancel(actor=request.user, job_id=job_id)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    return redirect("disposal_import", job_id=job_id)


@login_required
@require_POST
@not_found_as_404
def import_mapping_view(request, job_id: int):
    """Save what the institution's unrecognised columns mean, then check the file again."""
    job = imports.import_job_get_for_user(request.user, job_id)
    headers = (job.mapping or {}).get("headers", [])
    chosen = {}
    for i, header in enumerate(headers):
        key = request.POST.get(f"col{i}")
        if key is not None and header:
            chosen[header] = key if key in FIELDS else ""
    try:
        imports.column_mapping_save(actor=request.user, institution=job.institution, mapping=chosen)
        if job.status in {ImportJob.Status.VALIDATED, ImportJob.Status.FAILED}:
            type(job).objects.filter(pk=job.pk).update(status=ImportJob.Status.UPLOADED)
            job.refresh_from_db()
            imports.dispatch_validate(job)
        messages.success(request, "列对应已保存，文件已重新校验")
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    return redirect("disposal_import", job_id=job_id)


@login_required
@not_found_as_404
def import_report_view(request, job_id: int):
    job = imports.import_job_get_for_user(request.user, job_id)
    content = imports.error_report_xlsx(job)
    return FileResponse(BytesIO(content), as_attachment=True, filename=f"导入报告-{job.pk}.xlsx")


# ---- triage rules ------------------------------------------------------------------------------


def _center_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        viewer = viewer_for(request.user)
        if not viewer.is_center:
            raise Http404("页面不存在")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@_center_only
def rules_view(request):
    return render(
        request,
        "disposal/rules.html",
        {
            "rules": TriageRule.objects.all(),
            "kinds": TriageRule.Kind.choices,
            "products": ProductType.choices,
            "log": TriageLog.objects.select_related("actor")[:20],
            "preview": request.session.pop("triage_preview", None),
            "read_only": viewer_for(request.user).read_only,
        },
    )


@_center_only
@require_POST
def rule_save_view(request):
    p = request.POST
    try:
        services.triage_rule_save(
            actor=request.user,
            rule_id=_int(p.get("rule")),
            kind=p.get("kind", ""),
            product_type=p.get("product_type", ""),
            threshold=p.get("threshold") or 0,
            min_creditors=_int(p.get("min_creditors")) or 1,
            order=_int(p.get("order")) or 10,
            active=p.get("active") == "on",
            note=p.get("note", ""),
        )
        messages.success(request, "规则已保存。规则只影响之后的初筛；可点“按新规则重新初筛”处理已有案件")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("disposal_rules")


@_center_only
@require_POST
def rule_delete_view(request, rule_id: int):
    try:
        services.triage_rule_delete(actor=request.user, rule_id=rule_id)
        messages.success(request, "规则已删除")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("disposal_rules")


@_center_only
@require_POST
def rerun_view(request):
    dry = request.POST.get("dry_run") == "1"
    try:
        counts = services.triage_rerun(actor=request.user, dry_run=dry)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("disposal_rules")
    text = (
        f"检查{counts['checked']}件：新初筛{counts['triaged']}件，改为调解{counts['to_mediation']}件，"
        f"改为机构处置{counts['to_disposal']}件，不变{counts['unchanged']}件"
    )
    if dry:
        request.session["triage_preview"] = text
    else:
        messages.success(request, "已按新规则重新初筛：" + text)
    return redirect("disposal_rules")


# ---- SMS templates and outbox -------------------------------------------------------------------


@login_required
def outbox_view(request):
    viewer = viewer_for(request.user)
    if request.method == "POST":
        p = request.POST
        try:
            sms_template_save(
                actor=request.user,
                code=p.get("code", ""),
                name=p.get("name", ""),
                body=p.get("body", ""),
                audience=p.get("audience", "debtor"),
                aliyun_template_code=p.get("aliyun_template_code", ""),
                tencent_template_id=p.get("tencent_template_id", ""),
                active=p.get("active") == "on",
            )
            messages.success(request, "短信模板已保存")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("disposal_outbox")
    return render(
        request,
        "outreach/outbox.html",
        {
            "messages_out": outbox_for_user(request.user),
            "batches": sms_batches_for_user(request.user),
            "templates": SmsTemplate.objects.all(),
            "variables": VARIABLES,
            "audiences": SmsTemplate.Audience.choices,
            "can_edit": viewer.is_center and not viewer.read_only,
        },
    )


# ---- contact recovery --------------------------------------------------------------------------


@login_required
def recovery_view(request):
    return render(request, "disposal/recovery.html", {"batches": recovery_batches_for_user(request.user)})


@login_required
@not_found_as_404
def recovery_detail_view(request, batch_id: int):
    batch = services.recovery_batch_get_for_user(request.user, batch_id)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError("请选择回盘结果文件")
            if upload.size > 50 * 1024 * 1024:
                raise ApplicationError("结果文件过大")
            batch = services.recovery_import_result(
                actor=request.user, batch_id=batch.pk, data=upload.read(), filename=upload.name
            )
            messages.success(
                request,
                f"回盘完成：修复成功{batch.found}件，未修复{batch.not_found}件，新增号码{batch.numbers_added}个",
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFound):
                raise
            messages.error(request, exc.message)
        return redirect("disposal_recovery_detail", batch_id=batch.pk)
    items = batch.items.select_related("case", "case__debtor").order_by("seq")
    return render(request, "disposal/recovery_detail.html", {"batch": batch, "items": items})


@login_required
@not_found_as_404
def recovery_request_view(request, batch_id: int):
    try:
        filename, content = services.recovery_request_file(
            actor=request.user, batch_id=batch_id, ip=_ip(request)
        )
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect("disposal_recovery_detail", batch_id=batch_id)
    return FileResponse(BytesIO(content), as_attachment=True, filename=filename, content_type="text/csv")
