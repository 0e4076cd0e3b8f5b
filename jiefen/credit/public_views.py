"""The public side of the station (/credit/p/…): mobile pages that open in WeChat's browser, identity
by a one-time code to the phone. A person only ever sees applications made with their own phone."""

from __future__ import annotations

import io
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.models import Institution
from jiefen.public.services import public_phone
from jiefen.public.views import public_phone_required

from . import letters, services
from .forms import (
    DEBT_SLOTS,
    ITEM_SLOTS,
    applicant_from,
    client_ip,
    consent_from,
    debts_from,
    hardship_from,
    items_from,
)
from .models import (
    Application,
    CreditAgreement,
    CreditFile,
    EnterpriseSize,
    HardshipReason,
    ItemKind,
    PersonalStatement,
    ProductLine,
    ReliefMeasure,
    ReportingTask,
)
from .selectors import (
    application_get_for_phone,
    applications_for_phone,
    measure_list,
    reporting_tasks_for_phone,
)

KINDS = {
    "dispute": Application.Kind.DISPUTE,
    "statement": Application.Kind.STATEMENT,
    "rescue": Application.Kind.RESCUE,
    "consultation": Application.Kind.CONSULTATION,
}


def _own(view):
    """Resolve <number> to the applicant's own application (404 for anyone else's)."""

    @wraps(view)
    def wrapper(request, number, *args, **kwargs):
        try:
            app = application_get_for_phone(number, public_phone(request))
        except NotFound:
            raise Http404("申请不存在，或不是用这个手机号提交的") from None
        return view(request, app, *args, **kwargs)

    return public_phone_required(wrapper)


def _back(request, app: Application, exc: ApplicationError | None = None, ok: str = ""):
    if exc is not None:
        messages.error(request, exc.message)
    elif ok:
        messages.success(request, ok)
    return redirect("credit_public_application", number=app.number)


def _creditors():
    return Institution.objects.filter(
        kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER], is_active=True
    )


def home(request):
    return render(request, "credit/p/home.html", {"phone": public_phone(request)})


def notice(request):
    return render(request, "credit/p/notice.html")


def notice_pdf(request):
    try:
        pdf = letters.rights_notice_pdf(None)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("credit_public_notice")
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf", filename="征信权益告知单.pdf")


@public_phone_required
def apply(request, kind: str):
    if kind not in KINDS:
        raise Http404
    phone = public_phone(request)
    ctx = {
        "kind": kind,
        "kind_label": Application.Kind(KINDS[kind]).label,
        "phone": phone,
        "institutions": _creditors(),
        "item_kinds": ItemKind.choices,
        "product_lines": ProductLine.choices,
        "reasons": HardshipReason.choices,
        "sizes": EnterpriseSize.choices,
        "item_slots": range(1, ITEM_SLOTS + 1),
        "debt_slots": range(1, DEBT_SLOTS + 1),
        "statement_limit": rules.amount("credit.statement_max_chars"),
        "post": request.POST,
    }
    if request.method == "POST":
        applicant, consent = applicant_from(request.POST), consent_from(request)
        try:
            if kind == "dispute":
                app = services.dispute_submit(
                    phone=phone,
                    applicant=applicant,
                    consent=consent,
                    institution_id=_int(request.POST.get("institution")),
                    items=items_from(request),
                )
            elif kind == "statement":
                app = services.statement_submit(
                    phone=phone,
                    applicant=applicant,
                    consent=consent,
                    item_kind=request.POST.get("item_kind", ""),
                    text=request.POST.get("text", ""),
                    institution_id=_int(request.POST.get("institution")),
                    account_ref=request.POST.get("account_ref", ""),
                ).application
            elif kind == "rescue":
                app = services.rescue_submit(
                    phone=phone,
                    applicant=applicant,
                    consent=consent,
                    debts=debts_from(request.POST),
                    hardship=hardship_from(request.POST),
                )
            else:
                app = services.consultation_submit(
                    phone=phone,
                    applicant=applicant,
                    consent=consent,
                    question=request.POST.get("question", ""),
                )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "credit/p/apply.html", ctx, status=400)
        messages.success(
            request, f"已提交，申请编号 {app.number}。请记下编号，凭编号和本手机号可随时查询进度。"
        )
        if kind == "rescue":
            return redirect("credit_public_plan", number=app.number)
        return redirect("credit_public_application", number=app.number)
    return render(request, "credit/p/apply.html", ctx)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def track(request):
    """Follow an application by its number and the phone it was made with."""
    phone = public_phone(request)
    number = (request.GET.get("number") or "").strip().upper()
    if number:
        if phone is None:
            return redirect(
                reverse("public_verify")
                + "?next="
                + reverse("credit_public_application", kwargs={"number": number})
            )
        return redirect("credit_public_application", number=number)
    return render(
        request,
        "credit/p/track.html",
        {"phone": phone, "applications": applications_for_phone(phone), "tasks": _open_tasks(phone)},
    )


def _open_tasks(phone):
    return list(reporting_tasks_for_phone(phone).filter(status=ReportingTask.Status.UPDATED)[:50])


@_own
def application(request, app: Application):
    today = clock.local_today()
    dispute = getattr(app, "dispute", None)
    ctx = {
        "app": app,
        "dispute": dispute,
        "items": list(dispute.items.prefetch_related("attachments")) if dispute else [],
        "events": app.events.filter(public=True),
        "statements": list(app.statements.select_related("institution").order_by("id")),
        "files": list(app.files.order_by("id")),
        "today": today,
        "tasks": list(app.reporting_tasks.select_related("institution").order_by("payment_due_on", "id")),
        "agreements": list(
            CreditAgreement.objects.filter(plan__application=app)
            .exclude(status=CreditAgreement.Status.CANCELLED)
            .select_related("institution")
        ),
        "plan": app.plans.exclude(status="cancelled").first(),
        "item_kinds": ItemKind.choices,
        "institutions": _creditors(),
        "statement_limit": rules.amount("credit.statement_max_chars"),
        "converted_into": list(app.converted_into.all()),
        "cases": list(app.cases.all()),
    }
    tasks = ctx["tasks"]
    ctx["tasks_to_answer"] = [
        t for t in tasks if t.status in {ReportingTask.Status.UPDATED, ReportingTask.Status.DISPUTED}
    ]
    ctx["task_counts"] = {
        "total": len(tasks),
        "done": sum(
            t.status in {ReportingTask.Status.UPDATED, ReportingTask.Status.CONFIRMED} for t in tasks
        ),
        "confirmed": sum(t.status == ReportingTask.Status.CONFIRMED for t in tasks),
    }
    plan_row = ctx["plan"]
    ctx["can_choose"] = app.status in {Application.Status.SUBMITTED, Application.Status.IN_PROGRESS} and not (
        plan_row and plan_row.status in {"effective", "mediation"}
    )
    ctx["can_withdraw"] = app.status in {
        Application.Status.SUBMITTED,
        Application.Status.IN_PROGRESS,
    } and not (plan_row and plan_row.status == "effective")
    missing_pdf = not any(f.content_type == "application/pdf" for f in ctx["files"])
    if (
        dispute
        and dispute.answered_at
        and missing_pdf
        and services.reply_letter_pdf_ensure(dispute_id=dispute.pk)
    ):
        ctx["files"] = list(app.files.order_by("id"))
    if dispute:
        ctx["day"] = (today - clock.local_date(dispute.received_at)).days
        ctx["days_left"] = clock.days_left(dispute.due_on, today)
    return render(request, "credit/p/application.html", ctx)


@_own
def application_notice_pdf(request, app: Application):
    try:
        pdf = letters.rights_notice_pdf(app)
    except ApplicationError as exc:
        return _back(request, app, exc)
    return FileResponse(
        io.BytesIO(pdf), content_type="application/pdf", filename=f"征信权益告知单-{app.number}.pdf"
    )


@_own
def application_file(request, app: Application, file_id: int):
    row = CreditFile.objects.filter(pk=file_id, application=app).first()
    if row is None:
        raise Http404
    return FileResponse(io.BytesIO(bytes(row.content)), content_type=row.content_type, filename=row.filename)


@require_POST
@_own
def respond(request, app: Application):
    try:
        services.dispute_respond(
            phone=public_phone(request),
            number=app.number,
            satisfied=request.POST.get("satisfied") == "yes",
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        return _back(request, app, exc)
    return _back(request, app, ok="已收到您的反馈")


@require_POST
@_own
def complain(request, app: Application):
    try:
        services.dispute_complain_to_pbc(
            phone=public_phone(request), number=app.number, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        return _back(request, app, exc)
    return _back(request, app, ok="投诉已转人民银行征信管理部门")


@require_POST
@_own
def withdraw(request, app: Application):
    try:
        services.application_withdraw(phone=public_phone(request), number=app.number)
    except ApplicationError as exc:
        return _back(request, app, exc)
    return _back(request, app, ok="申请已撤回")


@require_POST
@_own
def statement_add(request, app: Application):
    try:
        services.statement_submit(
            phone=public_phone(request),
            applicant=None,
            consent=None,
            number=app.number,
            item_kind=request.POST.get("item_kind", ""),
            text=request.POST.get("text", ""),
            institution_id=_int(request.POST.get("institution")),
            account_ref=request.POST.get("account_ref", ""),
        )
    except ApplicationError as exc:
        return _back(request, app, exc)
    return _back(request, app, ok="个人声明已提交")


@require_POST
@public_phone_required
def statement_action(request, statement_id: int, action: str):
    phone = public_phone(request)
    statement = PersonalStatement.objects.select_related("application").filter(pk=statement_id).first()
    if statement is None:
        raise Http404
    try:
        if action == "withdraw":
            services.statement_withdraw(phone=phone, statement_id=statement_id)
            ok = "声明已撤回"
        elif action == "replace":
            services.statement_replace(
                phone=phone, statement_id=statement_id, text=request.POST.get("text", "")
            )
            ok = "新声明已提交，原声明保留在记录中"
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        return _back(request, statement.application, exc)
    return _back(request, statement.application, ok=ok)


@_own
def facts(request, app: Application):
    """Debts and hardship of a rescue application (to complete one converted from a dispute)."""
    if app.kind != Application.Kind.RESCUE:
        raise Http404
    ctx = {
        "app": app,
        "institutions": _creditors(),
        "product_lines": ProductLine.choices,
        "reasons": HardshipReason.choices,
        "sizes": EnterpriseSize.choices,
        "debt_slots": range(1, DEBT_SLOTS + 1),
        "post": request.POST,
    }
    if request.method == "POST":
        try:
            services.rescue_update_facts(
                phone=public_phone(request),
                number=app.number,
                debts=debts_from(request.POST),
                hardship=hardship_from(request.POST),
            )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "credit/p/facts.html", ctx, status=400)
        return redirect("credit_public_plan", number=app.number)
    return render(request, "credit/p/facts.html", ctx)


@_own
def plan(request, app: Application):
    """The ranked options per debt ("一人一策"), and the choice."""
    if app.kind != Application.Kind.RESCUE:
        raise Http404
    if request.method == "POST":
        choices = {}
        for key, value in request.POST.items():
            if key.startswith("debt-") and value.isdigit():
                debt_id = key.removeprefix("debt-")
                if debt_id.isdigit():
                    choices[int(debt_id)] = int(value)
        try:
            chosen = services.plan_choose(
                phone=public_phone(request),
                number=app.number,
                route=request.POST.get("route", ""),
                choices=choices,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("credit_public_plan", number=app.number)
        if chosen.route == "direct":
            messages.success(request, "方案已选定，请阅读协议并用短信验证码签署")
            return redirect("credit_public_plan_sign", plan_id=chosen.pk)
        return _back(request, app, ok="已申请调解，调处中心将安排调解员与您联系")
    recommendation = services.recommend_for_application(app)
    return render(
        request,
        "credit/p/plan.html",
        {"app": app, "rec": recommendation, "current": app.plans.exclude(status="cancelled").first()},
    )


def _own_agreement(request, agreement_id):
    try:
        return services.own_agreement(public_phone(request), agreement_id)
    except (NotFound, ApplicationError):
        raise Http404("协议不存在") from None


def _own_plan(request, plan_id):
    try:
        return services.own_plan(public_phone(request), plan_id)
    except (NotFound, ApplicationError):
        raise Http404("方案不存在") from None


@public_phone_required
def agreement(request, agreement_id: int):
    row = _own_agreement(request, agreement_id)
    return render(
        request,
        "credit/p/agreement.html",
        {"agreement": row, "app": row.plan.application, "blocks": letters.agreement_blocks(row)},
    )


@public_phone_required
def plan_sign(request, plan_id: int):
    """Every agreement of the chosen plan, and one code to sign them all."""
    plan = _own_plan(request, plan_id)
    key = f"credit-sign-{plan.pk}"
    if request.method == "POST":
        phone = public_phone(request)
        if request.POST.get("step") == "code":
            try:
                services.plan_sign_request(phone=phone, plan_id=plan.pk, ip=client_ip(request))
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                request.session[key] = True
                messages.success(request, "验证码已发送到您的手机")
            return redirect("credit_public_plan_sign", plan_id=plan.pk)
        hashes = {
            int(k.removeprefix("hash-")): v
            for k, v in request.POST.items()
            if k.startswith("hash-") and k.removeprefix("hash-").isdigit()
        }
        try:
            signed = services.plan_sign(
                phone=phone,
                plan_id=plan.pk,
                code=request.POST.get("code", ""),
                document_hashes=hashes,
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("credit_public_plan_sign", plan_id=plan.pk)
        request.session.pop(key, None)
        return _back(
            request,
            plan.application,
            ok="已签署协议" + "、".join(a.number for a in signed) + "，等待金融机构确认",
        )
    agreements = services.plan_awaiting_signature(plan)
    return render(
        request,
        "credit/p/sign.html",
        {
            "plan": plan,
            "app": plan.application,
            "agreements": [
                {"row": a, "blocks": letters.agreement_blocks(a), "hash": services.agreement_document_hash(a)}
                for a in agreements
            ],
            "code_sent": request.session.get(key) is not None,
            "demo": settings.DEMO_MODE,
        },
    )


@public_phone_required
def agreement_pdf(request, agreement_id: int):
    row = _own_agreement(request, agreement_id)
    try:
        pdf = letters.agreement_pdf(row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("credit_public_agreement", agreement_id=row.pk)
    return FileResponse(
        io.BytesIO(pdf), content_type="application/pdf", filename=f"还款协议-{row.number}.pdf"
    )


@require_POST
@public_phone_required
def task_respond(request, task_id: int):
    try:
        task = services.reporting_task_respond(
            phone=public_phone(request),
            task_id=task_id,
            confirm=request.POST.get("confirm") == "yes",
            note=request.POST.get("note", ""),
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("back") or "credit_public_track")
    messages.success(request, "已确认" if task.status == "confirmed" else "已提出异议，机构将重新核查")
    if task.application_id:
        return redirect("credit_public_application", number=task.application.number)
    return redirect("credit_public_track")


def letter(request, token: str):
    """The reply letter from the SMS link: opens without any login, for a limited time."""
    try:
        dispute = services.dispute_from_letter_token(token)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        return render(request, "credit/p/letter.html", {"error": exc.message}, status=403)
    files = list(
        CreditFile.objects.filter(subject=f"dispute:{dispute.pk}", kind="reply_letter").order_by("id")
    )
    return render(
        request,
        "credit/p/letter.html",
        {"dispute": dispute, "files": files, "token": token, "blocks": letters.reply_letter_blocks(dispute)},
    )


def letter_file(request, token: str, file_id: int):
    try:
        dispute = services.dispute_from_letter_token(token)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        return render(request, "credit/p/letter.html", {"error": exc.message}, status=403)
    row = CreditFile.objects.filter(pk=file_id, subject=f"dispute:{dispute.pk}").first()
    if row is None:
        raise Http404
    return FileResponse(io.BytesIO(bytes(row.content)), content_type=row.content_type, filename=row.filename)


def measures(request):
    line = request.GET.get("product_line", "")
    if line not in ProductLine.values:
        line = ""
    return render(
        request,
        "credit/p/measures.html",
        {
            "measures": measure_list(product_line=line),
            "line": line,
            "product_lines": ProductLine.choices,
            "kinds": ReliefMeasure.Kind,
        },
    )
