"""Staff pages of the station (/credit/…): the liaison's dispute queue, the PBOC officer's queue, the
catalog editor, agreements, reporting-update tasks, the counseling desk and the statistics."""

from __future__ import annotations

import io
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import Role

from . import letters, selectors, services, stats
from .forms import client_ip, measure_data_from
from .models import (
    Application,
    Attachment,
    CounselingContact,
    CounselingTask,
    CreditAgreement,
    CreditDispute,
    CreditFile,
    EnterpriseSize,
    Event,
    HardshipReason,
    PersonalStatement,
    ProductLine,
    ReliefMeasure,
    ReportingTask,
)


def staff_view(view):
    """Signed-in staff; a row the viewer may not see is a 404, a refused step a message."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("不存在或您无权查看") from None

    return login_required(wrapper)


def _done(request, to: str, fn, ok: str, **kw):
    try:
        fn()
    except NotFound:
        raise Http404("不存在或您无权查看") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(to, **kw)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _version(request) -> int | None:
    return _int(request.POST.get("version"))


@staff_view
def home(request):
    viewer = viewer_for(request.user)
    today = clock.local_today()
    disputes = selectors.dispute_queryset_for(viewer)
    ctx = {
        "open_disputes": disputes.filter(status=CreditDispute.Status.RECEIVED).count(),
        "overdue_disputes": disputes.filter(status=CreditDispute.Status.RECEIVED, due_on__lt=today).count(),
        "pbc_complaints": disputes.filter(status=CreditDispute.Status.PBC_COMPLAINT).count(),
        "escalations": list(
            selectors.escalation_queryset_for(viewer).filter(resolved_at__isnull=True).order_by("due_on")[:20]
        ),
        "pending_statements": selectors.statement_queryset_for(viewer)
        .filter(status=PersonalStatement.Status.SUBMITTED)
        .count(),
        "pending_agreements": selectors.agreement_queryset_for(viewer)
        .filter(status=CreditAgreement.Status.AWAITING_INSTITUTION)
        .count(),
        "open_tasks": selectors.reporting_queryset_for(viewer)
        .filter(
            status__in=[ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED],
            payment_due_on__lte=today,
        )
        .count(),
        "open_counseling": selectors.counseling_queryset_for(viewer)
        .filter(status__in=[CounselingTask.Status.OPEN, CounselingTask.Status.CONTACTED])
        .count(),
        "is_pbc": selectors.is_pbc(viewer),
        "viewer": viewer,
    }
    return render(request, "credit/home.html", ctx)


# --- disputes ------------------------------------------------------------------------------------


@staff_view
def dispute_list(request):
    viewer = viewer_for(request.user)
    status = request.GET.get("status", "")
    if status not in CreditDispute.Status.values:
        status = ""
    rows = selectors.dispute_list(viewer, status=status, escalated=request.GET.get("escalated") == "1")
    return render(
        request,
        "credit/disputes.html",
        {
            "disputes": rows,
            "status": status,
            "statuses": CreditDispute.Status.choices,
            "today": clock.local_today(),
        },
    )


@staff_view
def dispute_detail(request, dispute_id: int):
    viewer = viewer_for(request.user)
    dispute = selectors.dispute_get_for_user(viewer, dispute_id)
    today = clock.local_today()
    can_answer = dispute.status == CreditDispute.Status.RECEIVED and selectors.holds(
        viewer, dispute.institution_id, selectors.DISPUTE_ROLES
    )
    return render(
        request,
        "credit/dispute_detail.html",
        {
            "dispute": dispute,
            "app": dispute.application,
            "items": list(dispute.items.prefetch_related("attachments")),
            "events": dispute.application.events.all(),
            "files": list(CreditFile.objects.filter(subject=f"dispute:{dispute.pk}")),
            "escalations": list(
                selectors.escalation_queryset_for(viewer).filter(subject=f"dispute:{dispute.pk}")
            ),
            "can_answer": can_answer,
            "can_convert": dispute.status in {CreditDispute.Status.RECEIVED, CreditDispute.Status.ANSWERED}
            and (
                viewer.is_center or selectors.holds(viewer, dispute.institution_id, selectors.DISPUTE_ROLES)
            ),
            "can_mediate": viewer.is_center,
            "can_pbc_reply": dispute.status == CreditDispute.Status.PBC_COMPLAINT
            and selectors.is_pbc(viewer),
            "can_reveal": not viewer.roles <= {Role.VIEWER} or viewer.is_center,
            "outcomes": [c for c in CreditDispute.Outcome.choices if c[0] != "mixed"],
            "product_lines": ProductLine.choices,
            "day": (today - clock.local_date(dispute.received_at)).days,
            "days_left": clock.days_left(dispute.due_on, today),
            "today": today,
        },
    )


@require_POST
@staff_view
def dispute_answer(request, dispute_id: int):
    dispute = selectors.dispute_get_for_user(request.user, dispute_id)
    outcomes = [
        services.ItemOutcomeIn(
            item_id=item.pk,
            outcome=request.POST.get(f"outcome-{item.pk}", ""),
            note=request.POST.get(f"note-{item.pk}", ""),
        )
        for item in dispute.items.all()
    ]
    return _done(
        request,
        "credit_dispute_detail",
        lambda: services.dispute_answer(
            actor=request.user,
            dispute_id=dispute.pk,
            outcomes=outcomes,
            reply_text=request.POST.get("reply_text", ""),
            expected_version=_version(request),
        ),
        "已书面答复，答复函已生成并短信通知申请人",
        dispute_id=dispute_id,
    )


def _claim(post) -> services.ClaimIn | None:
    if not post.get("principal"):
        return None
    return services.ClaimIn(
        product_line=post.get("product_line", ""),
        principal=post.get("principal"),
        interest=post.get("interest", ""),
        penalty=post.get("penalty", ""),
        fees=post.get("fees", ""),
        contract_ref=post.get("contract_ref", ""),
        overdue_days=post.get("overdue_days", ""),
    )


@require_POST
@staff_view
def dispute_convert(request, dispute_id: int):
    try:
        target = services.dispute_convert(
            actor=request.user,
            dispute_id=dispute_id,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
            claim=_claim(request.POST),
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("credit_dispute_detail", dispute_id=dispute_id)
    messages.success(request, f"已转办：{target.number}")
    return redirect("credit_dispute_detail", dispute_id=dispute_id)


@require_POST
@staff_view
def dispute_pbc_reply(request, dispute_id: int):
    return _done(
        request,
        "credit_dispute_detail",
        lambda: services.dispute_pbc_reply(
            actor=request.user, dispute_id=dispute_id, reply=request.POST.get("reply", "")
        ),
        "已答复投诉",
        dispute_id=dispute_id,
    )


@staff_view
def attachment(request, attachment_id: int):
    row = Attachment.objects.select_related("item__dispute").filter(pk=attachment_id).first()
    if row is None:
        raise Http404
    selectors.dispute_get_for_user(request.user, row.item.dispute_id)
    return FileResponse(io.BytesIO(bytes(row.content)), content_type=row.content_type, filename=row.filename)


@staff_view
def file_download(request, file_id: int):
    row = CreditFile.objects.filter(pk=file_id).first()
    if row is None:
        raise Http404
    selectors.application_get_for_user(request.user, row.application_id)
    return FileResponse(io.BytesIO(bytes(row.content)), content_type=row.content_type, filename=row.filename)


@require_POST
@login_required
def reveal(request, application_id: int):
    """htmx: the full ID number or phone of an applicant, after recording who asked and why."""
    try:
        value = services.applicant_reveal(
            actor=request.user,
            application_id=application_id,
            field=request.POST.get("field", ""),
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        return HttpResponse(format_html('<span class="errorlist">{}</span>', exc.message))
    return HttpResponse(
        format_html('<strong class="revealed">{}</strong> <span class="muted">（已记录查看）</span>', value)
    )


# --- applications --------------------------------------------------------------------------------


@staff_view
def application_list(request):
    viewer = viewer_for(request.user)
    kind = request.GET.get("kind", "")
    qs = selectors.application_queryset_for(viewer)
    if kind in Application.Kind.values:
        qs = qs.filter(kind=kind)
    status = request.GET.get("status", "")
    if status in Application.Status.values:
        qs = qs.filter(status=status)
    number = request.GET.get("q", "").strip().upper()
    if number:
        qs = qs.filter(number=number)
    return render(
        request,
        "credit/applications.html",
        {
            "applications": list(qs.order_by("-id")[:200]),
            "kind": kind,
            "status": status,
            "kinds": Application.Kind.choices,
            "statuses": Application.Status.choices,
            "q": number,
        },
    )


@staff_view
def application_detail(request, application_id: int):
    viewer = viewer_for(request.user)
    app = selectors.application_get_for_user(viewer, application_id)
    own = viewer.institution_ids()
    debts = list(app.debts.select_related("institution"))
    if not viewer.sees_everything:
        # A bank sees its own debts of a multi-bank application, never the others'.
        debts = [d for d in debts if d.institution_id in own]
    plan = app.plans.exclude(status="cancelled").first()
    recommendation = None
    if app.kind == Application.Kind.RESCUE and viewer.sees_everything:
        recommendation = services.recommend_for_application(app)
    return render(
        request,
        "credit/application_detail.html",
        {
            "app": app,
            "dispute": getattr(app, "dispute", None),
            "debts": debts,
            "profile": getattr(app, "rescue", None),
            "plan": plan,
            "lines": [
                line
                for line in (plan.lines.select_related("measure", "debt__institution") if plan else [])
                if viewer.sees_everything or line.debt.institution_id in own
            ],
            "rec": recommendation,
            "statements": list(app.statements.all()),
            "events": app.events.all() if viewer.sees_everything else app.events.filter(public=True),
            "cases": list(app.cases.all()),
            "can_answer": app.kind == Application.Kind.CONSULTATION
            and app.status not in {Application.Status.ANSWERED, Application.Status.CLOSED}
            and (viewer.is_center or selectors.is_pbc(viewer)),
            "can_mediate": app.kind == Application.Kind.RESCUE
            and viewer.is_center
            and not app.cases.exists(),
            "can_reveal": viewer.is_center or bool(viewer.roles - {Role.VIEWER}),
            "files": list(app.files.all()),
        },
    )


@require_POST
@staff_view
def application_answer(request, application_id: int):
    return _done(
        request,
        "credit_application_detail",
        lambda: services.consultation_answer(
            actor=request.user, application_id=application_id, answer=request.POST.get("answer", "")
        ),
        "已答复并短信通知申请人",
        application_id=application_id,
    )


@require_POST
@staff_view
def application_mediation(request, application_id: int):
    return _done(
        request,
        "credit_application_detail",
        lambda: services.rescue_to_mediation(
            actor=request.user, application_id=application_id, reason=request.POST.get("reason", "")
        ),
        "已转为调解案件",
        application_id=application_id,
    )


# --- statements ----------------------------------------------------------------------------------


@staff_view
def statement_list(request):
    viewer = viewer_for(request.user)
    status = request.GET.get("status", PersonalStatement.Status.SUBMITTED)
    qs = selectors.statement_queryset_for(viewer)
    if status in PersonalStatement.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "credit/statements.html",
        {
            "statements": list(qs.order_by("review_due", "id")[:200]),
            "status": status,
            "statuses": PersonalStatement.Status.choices,
            "can_review": selectors.is_pbc(viewer),
            "statement_limit": rules.amount("credit.statement_max_chars"),
            "review_days": rules.amount("credit.statement_review"),
        },
    )


@require_POST
@staff_view
def statement_review(request, statement_id: int):
    return _done(
        request,
        "credit_statements",
        lambda: services.statement_review(
            actor=request.user,
            statement_id=statement_id,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
        ),
        "已审核并短信通知申请人",
    )


# --- catalog -------------------------------------------------------------------------------------


@staff_view
def measure_list(request):
    viewer = viewer_for(request.user)
    line = request.GET.get("product_line", "")
    if line not in ProductLine.values:
        line = ""
    inst = _int(request.GET.get("institution"))
    rows = list(selectors.measure_list(product_line=line, institution_id=inst, active=None))
    editable = {i for i in viewer.institution_ids(selectors.CATALOG_ROLES)}
    return render(
        request,
        "credit/measures.html",
        {
            "measures": rows,
            "line": line,
            "institution": inst,
            "product_lines": ProductLine.choices,
            "institutions": Institution.objects.filter(
                kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER]
            ),
            "editable": editable,
            "can_add": viewer.is_center or bool(editable),
            "is_center": viewer.is_center,
        },
    )


def _measure_ctx(viewer, measure=None, data=None, error=None):
    if viewer.is_center:
        institutions = Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])
    else:
        institutions = Institution.objects.filter(pk__in=viewer.institution_ids(selectors.CATALOG_ROLES))
    return {
        "measure": measure,
        "data": data,
        "error": error,
        "institutions": institutions,
        "product_lines": ProductLine.choices,
        "kinds": ReliefMeasure.Kind.choices,
        "reasons": HardshipReason.choices,
        "sizes": EnterpriseSize.choices,
        "card_cap": rules.amount("card.max_instalments"),
        "extension_cap": rules.amount("loan.extension_long_max"),
    }


@staff_view
def measure_edit(request, measure_id: int | None = None):
    viewer = viewer_for(request.user)
    measure = None
    if measure_id is not None:
        measure = ReliefMeasure.objects.select_related("institution").filter(pk=measure_id).first()
        if measure is None or not selectors.measure_editable_by(viewer, measure.institution_id):
            raise Http404
    elif not (viewer.is_center or viewer.institution_ids(selectors.CATALOG_ROLES)):
        raise Http404
    if request.method == "POST":
        data = measure_data_from(request.POST)
        try:
            saved = services.measure_save(
                actor=request.user,
                institution_id=measure.institution_id if measure else _int(request.POST.get("institution")),
                data=data,
                measure_id=measure.pk if measure else None,
                expected_version=_version(request),
            )
        except ApplicationError as exc:
            return render(
                request,
                "credit/measure_edit.html",
                _measure_ctx(viewer, measure, data, exc.message),
                status=400,
            )
        messages.success(request, f"已保存：{saved.name}")
        return redirect("credit_measures")
    return render(request, "credit/measure_edit.html", _measure_ctx(viewer, measure))


@require_POST
@staff_view
def measure_toggle(request, measure_id: int):
    return _done(
        request,
        "credit_measures",
        lambda: services.measure_set_active(
            actor=request.user, measure_id=measure_id, active=request.POST.get("active") == "1"
        ),
        "已更新",
    )


# --- agreements ----------------------------------------------------------------------------------


@staff_view
def agreement_list(request):
    viewer = viewer_for(request.user)
    status = request.GET.get("status", "")
    qs = selectors.agreement_queryset_for(viewer)
    if status in CreditAgreement.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "credit/agreements.html",
        {
            "agreements": list(qs.order_by("-id")[:200]),
            "status": status,
            "statuses": CreditAgreement.Status.choices,
        },
    )


@staff_view
def agreement_detail(request, agreement_id: int):
    viewer = viewer_for(request.user)
    row = selectors.agreement_get_for_user(viewer, agreement_id)
    return render(
        request,
        "credit/agreement_detail.html",
        {
            "agreement": row,
            "app": row.plan.application,
            "blocks": letters.agreement_blocks(row),
            "tasks": list(row.reporting_tasks.order_by("seq")),
            "can_act": selectors.holds(viewer, row.institution_id, selectors.AGREEMENT_ROLES),
        },
    )


@require_POST
@staff_view
def agreement_action(request, agreement_id: int, action: str):
    if action == "confirm":
        fn = lambda: services.agreement_confirm(  # noqa: E731
            actor=request.user, agreement_id=agreement_id, expected_version=_version(request)
        )
        ok = "协议已生效，征信更新任务已生成"
    elif action == "decline":
        fn = lambda: services.agreement_decline(  # noqa: E731
            actor=request.user, agreement_id=agreement_id, reason=request.POST.get("reason", "")
        )
        ok = "已拒绝并通知申请人"
    else:
        raise Http404
    return _done(request, "credit_agreement_detail", fn, ok, agreement_id=agreement_id)


@staff_view
def agreement_pdf(request, agreement_id: int):
    row = selectors.agreement_get_for_user(request.user, agreement_id)
    try:
        pdf = letters.agreement_pdf(row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("credit_agreement_detail", agreement_id=agreement_id)
    return FileResponse(
        io.BytesIO(pdf), content_type="application/pdf", filename=f"还款协议-{row.number}.pdf"
    )


# --- reporting-update tasks ----------------------------------------------------------------------


@staff_view
def reporting_list(request):
    viewer = viewer_for(request.user)
    today = clock.local_today()
    show = request.GET.get("show", "todo")
    qs = selectors.reporting_queryset_for(viewer)
    if show == "todo":
        qs = qs.filter(status__in=[ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED])
    elif show == "overdue":
        qs = qs.filter(
            status__in=[ReportingTask.Status.PENDING, ReportingTask.Status.DISPUTED], update_due_on__lt=today
        )
    elif show in ReportingTask.Status.values:
        qs = qs.filter(status=show)
    rows = list(qs.order_by("update_due_on", "id")[:300])
    actable = viewer.institution_ids(selectors.REPORTING_ROLES)
    return render(
        request,
        "credit/reporting.html",
        {
            "tasks": rows,
            "show": show,
            "today": today,
            "actable": actable,
            "statuses": ReportingTask.Status.choices,
        },
    )


@require_POST
@staff_view
def reporting_record(request, task_id: int):
    return _done(
        request,
        "credit_reporting",
        lambda: services.reporting_task_record(
            actor=request.user,
            task_id=task_id,
            payment_received=request.POST.get("payment_received") == "yes",
            note=request.POST.get("note", ""),
            expected_version=_version(request),
        ),
        "已登记征信更新，已短信请申请人确认",
    )


# --- counseling ----------------------------------------------------------------------------------


@staff_view
def counseling_list(request):
    viewer = viewer_for(request.user)
    status = request.GET.get("status", "")
    qs = selectors.counseling_queryset_for(viewer)
    if status in CounselingTask.Status.values:
        qs = qs.filter(status=status)
    today = clock.local_today()
    if request.GET.get("followup") == "1":
        qs = qs.filter(status=CounselingTask.Status.CLOSED, followup_on__lte=today)
    own = sorted(viewer.institution_ids(selectors.COUNSELING_ROLES))
    return render(
        request,
        "credit/counseling.html",
        {
            "tasks": list(qs.order_by("status", "contact_due", "-id")[:300]),
            "status": status,
            "statuses": CounselingTask.Status.choices,
            "today": today,
            "upload_institutions": Institution.objects.filter(pk__in=own),
            "batches": list(
                services.CounselingBatch.objects.filter(institution_id__in=own).order_by("-id")[:5]
            ),
        },
    )


@require_POST
@staff_view
def counseling_upload(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择文件")
        return redirect("credit_counseling")
    if upload.size > 10 * 1024 * 1024:
        messages.error(request, "文件不能超过10MB")
        return redirect("credit_counseling")
    try:
        batch = services.counseling_import(
            actor=request.user,
            institution_id=_int(request.POST.get("institution")),
            filename=upload.name,
            content=upload.read(),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("credit_counseling")
    text = f"已导入：新增{batch.created}条，重复跳过{batch.skipped}条"
    if batch.errors:
        messages.error(request, text + f"，{len(batch.errors)}行有误（见下方导入记录）")
    else:
        messages.success(request, text)
    return redirect("credit_counseling")


@staff_view
def counseling_detail(request, task_id: int):
    viewer = viewer_for(request.user)
    task = selectors.counseling_get_for_user(viewer, task_id)
    return render(
        request,
        "credit/counseling_detail.html",
        {
            "task": task,
            "contacts": list(task.contacts.select_related("actor")),
            "events": Event.objects.filter(subject=f"counseling:{task.pk}"),
            "measures": list(
                ReliefMeasure.objects.filter(
                    institution=task.institution, product_line=task.product_line, is_active=True
                )
            ),
            "reasons": CounselingTask.Reason.choices,
            "outcomes": CounselingTask.Outcome.choices,
            "channels": CounselingContact.Channel.choices,
            "can_act": selectors.holds(viewer, task.institution_id, selectors.COUNSELING_ROLES),
            "today": clock.local_today(),
        },
    )


@require_POST
@staff_view
def counseling_action(request, task_id: int, action: str):
    post = request.POST
    if action == "contact":
        fn = lambda: services.counseling_contact(  # noqa: E731
            actor=request.user,
            task_id=task_id,
            channel=post.get("channel", ""),
            reached=post.get("reached") == "yes",
            note=post.get("note", ""),
            reason=post.get("reason", ""),
        )
        ok = "已记录联系情况"
    elif action == "remind":
        fn = lambda: services.counseling_remind(actor=request.user, task_id=task_id)  # noqa: E731
        ok = "还款日提醒短信已发送"
    elif action == "close":
        fn = lambda: services.counseling_close(  # noqa: E731
            actor=request.user,
            task_id=task_id,
            outcome=post.get("outcome", ""),
            reason=post.get("reason", ""),
            note=post.get("note", ""),
            measure_ids=[int(v) for v in post.getlist("measures") if v.isdigit()],
        )
        ok = "辅导已完成，已安排三个月后回访"
    elif action == "followup":
        fn = lambda: services.counseling_followup(  # noqa: E731
            actor=request.user,
            task_id=task_id,
            still_current=post.get("still_current") == "yes",
            note=post.get("note", ""),
        )
        ok = "已登记回访结果"
    else:
        raise Http404
    return _done(request, "credit_counseling_detail", fn, ok, task_id=task_id)


# --- statistics ----------------------------------------------------------------------------------


@staff_view
def statistics(request):
    viewer = viewer_for(request.user)
    return render(request, "credit/stats.html", {"s": stats.station_stats(viewer)})
