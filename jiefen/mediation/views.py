"""Staff pages of mediation and the debtor's room. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiefen.cases.machine import Status
from jiefen.cases.selectors import acting_roles, case_get_for_user, case_queryset_for
from jiefen.common import clock
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.documents.render import render_xlsx
from jiefen.evidence.models import EvidenceFile
from jiefen.evidence.services import KIND_LABELS, MAX_UPLOAD_BYTES, evidence_read
from jiefen.orgs.access import viewer_for
from jiefen.orgs.roles import CENTER_ROLES, Role
from jiefen.public.services import public_phone
from jiefen.public.views import public_phone_required

from . import documents, services
from .models import Agreement, MediatorProfile, Session, Signature
from .plan import PlanKind, Rates
from .selectors import (
    ceiling,
    current_agreement,
    mediation_clocks,
    mediation_for_case,
    mediator_recommendations,
    mediator_stats,
    participant_for_user,
    performance_rows,
    policy_for,
    room_from_token,
    room_get_for_user,
    room_is_open,
    room_messages,
    room_state,
    room_token,
    rooms_for_phone,
    shortlist,
    subsidy_statement,
)
from .web import (
    act,
    amount_or_none,
    base_url,
    client_ip,
    date_or_none,
    datetime_local,
    int_or_none,
    not_found_as_404,
    pct,
)

User = get_user_model()
BANK = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})


def _download(content: bytes, filename: str, content_type: str | None = None) -> FileResponse:
    response = FileResponse(BytesIO(content), as_attachment=True, filename=filename)
    if content_type:
        response["Content-Type"] = content_type
    return response


def _render_doc(blocks, *, title: str, filename: str, fmt_: str):
    if fmt_ not in {"pdf", "docx"}:
        raise Http404
    try:
        content = documents.render(blocks, title=title, fmt_=fmt_)
    except ApplicationError as exc:  # PDF without Pango: say so, offer the DOCX
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    return _download(content, f"{filename}.{fmt_}", documents.CONTENT_TYPES[fmt_])


# --- dashboards -------------------------------------------------------------------------------------


@login_required
def home(request):
    viewer = viewer_for(request.user)
    cases = case_queryset_for(viewer).select_related("institution", "debtor", "mediator")
    ctx: dict = {"viewer": viewer}
    if viewer.is_center:
        ctx["to_assign"] = list(
            cases.filter(status=Status.MEDIATION_PENDING).order_by("stage_due_on", "pk")[:50]
        )
    if Role.MEDIATOR in viewer.roles:
        mine = cases.filter(mediator_id=viewer.user_id)
        ctx["to_accept"] = list(mine.filter(status=Status.MEDIATION_PENDING).order_by("pk")[:50])
        ctx["mediating"] = list(mine.filter(status=Status.MEDIATING).order_by("stage_due_on")[:50])
    else:
        ctx["mediating"] = list(cases.filter(status=Status.MEDIATING).order_by("stage_due_on")[:50])
    ctx["agreed"] = list(cases.filter(status=Status.AGREED).order_by("stage_due_on")[:50])
    ctx["failed"] = list(cases.filter(status=Status.MEDIATION_FAILED).order_by("-status_changed_at")[:50])
    return render(request, "mediation/home.html", ctx)


@login_required
@not_found_as_404
def case_view(request, case_id: int):
    viewer = viewer_for(request.user)
    case = case_get_for_user(viewer, case_id)
    roles = acting_roles(viewer, case)
    mediation = mediation_for_case(case)
    can_assign = bool(roles & CENTER_ROLES) and case.status in {Status.MEDIATION_PENDING, Status.MEDIATING}
    is_mediator = Role.MEDIATOR in roles
    ctx = {
        "case": case,
        "mediation": mediation,
        "clocks": mediation_clocks(mediation),
        "recommendations": mediator_recommendations(case) if can_assign else [],
        "can_assign": can_assign,
        "can_accept": is_mediator and case.status == Status.MEDIATION_PENDING,
        "can_mediate": bool(roles & (CENTER_ROLES | {Role.MEDIATOR})) and case.status == Status.MEDIATING,
        "can_transfer": bool(roles & (CENTER_ROLES | BANK))
        and case.status in {Status.MEDIATION_FAILED, Status.DEFAULTED},
        "participant": participant_for_user(request.user, case),
        "agreements": list(case.agreements.all()),
        "sessions": list(mediation.sessions.all()),
        "extensions": list(mediation.extensions.all()),
        "room_url": request.build_absolute_uri(
            reverse("mediation_public_room", args=[room_token(mediation)])
        ),
        "extension_max": services.rules.amount("mediation.extension_max"),
        "today": clock.local_today(),
    }
    return render(request, "mediation/case.html", ctx)


@login_required
@require_POST
def assign_view(request, case_id: int):
    mediator = User.objects.filter(pk=int_or_none(request.POST.get("mediator"))).first()
    if mediator is None:
        messages.error(request, "请选择调解员")
        return redirect("mediation_case", case_id=case_id)
    return act(
        request,
        services.mediation_assign,
        success=f"已指定调解员 {mediator}",
        back=reverse("mediation_case", args=[case_id]),
        actor=request.user,
        case_id=case_id,
        mediator=mediator,
        reason=request.POST.get("reason", ""),
    )


@login_required
@require_POST
def accept_view(request, case_id: int):
    return act(
        request,
        services.mediation_accept,
        success="已接受委派，调解开始",
        back=reverse("mediation_case", args=[case_id]),
        actor=request.user,
        case_id=case_id,
    )


@login_required
@require_POST
def decline_view(request, case_id: int):
    return act(
        request,
        services.mediation_decline,
        success="已拒绝委派",
        back=reverse("mediation_home"),
        actor=request.user,
        case_id=case_id,
        reason=request.POST.get("reason", ""),
    )


@login_required
@require_POST
def extend_view(request, case_id: int):
    return act(
        request,
        services.mediation_extend,
        success="已延长调解期限",
        back=reverse("mediation_case", args=[case_id]),
        actor=request.user,
        case_id=case_id,
        days=int_or_none(request.POST.get("days")) or 0,
        reason=request.POST.get("reason", ""),
        creditor_consent=request.POST.get("creditor_consent", ""),
        debtor_consent=request.POST.get("debtor_consent", ""),
    )


@login_required
@require_POST
def fail_view(request, case_id: int):
    return act(
        request,
        services.mediation_fail,
        success="已记录调解不成",
        back=reverse("mediation_case", args=[case_id]),
        actor=request.user,
        case_id=case_id,
        reason=request.POST.get("reason", ""),
    )


@login_required
@require_POST
@not_found_as_404
def link_view(request, case_id: int):
    back = reverse("mediation_case", args=[case_id])
    try:
        if request.POST.get("revoke"):
            services.room_link_revoke(actor=request.user, case_id=case_id)
            messages.success(request, "已作废此前的链接")
        else:
            case = case_get_for_user(request.user, case_id)
            url = request.build_absolute_uri(
                reverse("mediation_public_room", args=[room_token(mediation_for_case(case))])
            )
            masked = services.room_link_send(actor=request.user, case_id=case_id, url=url)
            messages.success(request, f"已发送调解室链接至 {masked}")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@login_required
@require_POST
def session_view(request, case_id: int):
    back = reverse("mediation_case", args=[case_id])
    try:
        starts = datetime_local(request.POST.get("starts_at"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return act(
        request,
        services.session_schedule,
        success="已安排调解会议",
        back=back,
        actor=request.user,
        case_id=case_id,
        mode=request.POST.get("mode", ""),
        starts_at=starts,
        location=request.POST.get("location", ""),
    )


@login_required
@require_POST
def minutes_view(request, session_id: int):
    session = Session.objects.filter(pk=session_id).select_related("mediation").first()
    if session is None:
        raise Http404
    return act(
        request,
        services.session_minutes,
        success="已保存会议记录",
        back=reverse("mediation_case", args=[session.mediation.case_id]),
        actor=request.user,
        session_id=session_id,
        minutes=request.POST.get("minutes", ""),
        state=request.POST.get("state", Session.State.HELD),
    )


@login_required
@not_found_as_404
def record_download(request, case_id: int, fmt: str):
    case = case_get_for_user(request.user, case_id)
    return _render_doc(
        documents.record_blocks(mediation_for_case(case)),
        title="调解记录",
        filename=f"调解记录-{case.number}",
        fmt_=fmt,
    )


# --- the room ----------------------------------------------------------------------------------------


def _room_ctx(request, mediation, participant, *, log_url: str, post_url: str, upload_url: str, public: bool):
    case = mediation.case
    return {
        "case": case,
        "mediation": mediation,
        "participant": participant,
        "entries": room_messages(mediation, participant),
        "state": room_state(mediation),
        "log_url": log_url,
        "post_url": post_url,
        "upload_url": upload_url,
        "open": room_is_open(mediation),
        "evidence": list(case.evidence_files.all()),
        "sessions": [s for s in mediation.sessions.all() if s.state != Session.State.CANCELLED],
        "public": public,
        "token": request.resolver_match.kwargs.get("token", ""),
        "ws_path": (
            f"/ws/mediation/p/room/{request.resolver_match.kwargs['token']}/"
            if public
            else f"/ws/mediation/room/{mediation.pk}/"
        ),
    }


def _log_response(request, mediation, participant, log_url: str):
    services.room_mark_read(mediation=mediation, participant=participant)
    state = room_state(mediation)
    if request.GET.get("state") == state:
        return HttpResponse(status=204)
    return render(
        request,
        "mediation/_log.html",
        {
            "entries": room_messages(mediation, participant),
            "state": state,
            "log_url": log_url,
            "participant": participant,
            "token": request.resolver_match.kwargs.get("token", ""),
        },
    )


@login_required
@not_found_as_404
def room_view(request, case_id: int):
    mediation, participant = room_get_for_user(request.user, case_id)
    services.room_mark_read(mediation=mediation, participant=participant)
    ctx = _room_ctx(
        request,
        mediation,
        participant,
        log_url=reverse("mediation_room_log", args=[case_id]),
        post_url=reverse("mediation_room_post", args=[case_id]),
        upload_url=reverse("mediation_room_upload", args=[case_id]),
        public=False,
    )
    ctx["agreement"] = current_agreement(mediation.case)
    return render(request, "mediation/room.html", ctx)


@login_required
@not_found_as_404
def room_log(request, case_id: int):
    mediation, participant = room_get_for_user(request.user, case_id)
    return _log_response(request, mediation, participant, reverse("mediation_room_log", args=[case_id]))


def _post(request, mediation, participant, log_url: str, back: str):
    try:
        services.room_post(mediation=mediation, participant=participant, body=request.POST.get("body", ""))
    except ApplicationError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(f'<p class="errorlist" id="room-error">{exc.message}</p>', status=422)
        messages.error(request, exc.message)
        return redirect(back)
    if request.headers.get("HX-Request"):
        return _log_response(request, mediation, participant, log_url)
    return redirect(back)


def _upload(request, mediation, participant, back: str):
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ApplicationError("请选择要上传的文件", code="file_required")
        if upload.size > MAX_UPLOAD_BYTES:  # refuse before reading it into memory
            raise ApplicationError(
                f"文件不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", code="file_too_large"
            )
        services.room_upload(
            mediation=mediation,
            participant=participant,
            filename=upload.name,
            content=upload.read(),
            description=request.POST.get("description", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "证据已提交，文件指纹已存证")
    return redirect(back)


@login_required
@require_POST
@not_found_as_404
def room_post_view(request, case_id: int):
    mediation, participant = room_get_for_user(request.user, case_id)
    return _post(
        request,
        mediation,
        participant,
        reverse("mediation_room_log", args=[case_id]),
        reverse("mediation_room", args=[case_id]),
    )


@login_required
@require_POST
@not_found_as_404
def room_upload_view(request, case_id: int):
    mediation, participant = room_get_for_user(request.user, case_id)
    return _upload(request, mediation, participant, reverse("mediation_room", args=[case_id]))


# --- agreements (staff) -------------------------------------------------------------------------------


def _plan_inputs(request, case):
    p = request.POST
    kind = p.get("kind", PlanKind.INSTALMENTS)
    policy_rates = ceiling(policy_for(case.institution), kind)
    rates = Rates(
        pct(p.get("penalty_pct"), policy_rates.penalty),
        pct(p.get("compound_pct"), policy_rates.compound),
        pct(p.get("fees_pct"), policy_rates.fees),
    )
    return {
        "kind": kind,
        "count": int_or_none(p.get("count")) or 1,
        "first_due": date_or_none(p.get("first_due")),
        "pay_by": date_or_none(p.get("pay_by")),
        "down_payment": amount_or_none(p.get("down_payment")) or 0,
        "original_term_months": int_or_none(p.get("original_term_months")),
        "rates": rates,
    }


@login_required
@not_found_as_404
def agreement_builder(request, case_id: int):
    viewer = viewer_for(request.user)
    case = case_get_for_user(viewer, case_id)
    if not acting_roles(viewer, case) & (CENTER_ROLES | {Role.MEDIATOR}):
        raise Http404
    policy = policy_for(case.institution)
    if request.method == "POST":
        try:
            inputs = _plan_inputs(request, case)
            agreement = services.agreement_create(
                actor=request.user,
                case_id=case_id,
                joint_confirmation=request.POST.get("joint_confirmation") == "1",
                extra_terms=request.POST.get("extra_terms", ""),
                **inputs,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已生成调解协议 {agreement.number}，请双方签署")
            return redirect("mediation_agreement", agreement_id=agreement.pk)
    ctx = {
        "case": case,
        "policy": policy,
        "lump": ceiling(policy, PlanKind.LUMP_SUM),
        "inst": ceiling(policy, PlanKind.INSTALMENTS),
        "is_card": case.product_type == "credit_card",
        "kinds": PlanKind.choices,
        "options": services.plan_options(
            case, original_term_months=int_or_none(request.POST.get("original_term_months"))
        ),
        "form": request.POST,
    }
    return render(request, "mediation/builder.html", ctx)


@login_required
@require_POST
@not_found_as_404
def agreement_preview(request, case_id: int):
    case = case_get_for_user(request.user, case_id)
    ctx: dict = {"case": case}
    try:
        inputs = _plan_inputs(request, case)
        ctx["plan"] = services.plan_for(case, **inputs)
        ctx["rates"] = inputs["rates"]
        ctx["kind"] = inputs["kind"]
    except ApplicationError as exc:
        ctx["error"] = exc.message
    return render(request, "mediation/_preview.html", ctx)


def _agreement_for(request, agreement_id: int):
    from .selectors import agreement_get_for_user

    return agreement_get_for_user(request.user, agreement_id)


@login_required
@not_found_as_404
def agreement_view(request, agreement_id: int):
    from jiefen.evidence.selectors import ledger_for_subjects

    viewer = viewer_for(request.user)
    agreement = _agreement_for(request, agreement_id)
    case = agreement.case
    roles = acting_roles(viewer, case)
    signed = {s.side: s for s in agreement.signatures.all()}
    ledger = ledger_for_subjects([f"agreement:{agreement.pk}"])
    for entry in ledger:
        entry.label = KIND_LABELS.get(entry.kind, entry.kind)
    is_bank = bool(roles & BANK)
    ctx = {
        "agreement": agreement,
        "case": case,
        "instalments": list(agreement.instalments.all()),
        "payments": list(agreement.payments.all()),
        "signatures": list(agreement.signatures.all()),
        "ledger": ledger,
        "can_sign_creditor": is_bank and agreement.state == "signing" and "creditor" not in signed,
        "creditor_code_sent": request.session.get("sign_phone_for") == agreement.pk,
        "creditor_phone": request.session.get("sign_phone", ""),
        "can_conclude": bool(roles & (CENTER_ROLES | {Role.MEDIATOR}))
        and agreement.state == "effective"
        and case.status == Status.MEDIATING,
        "can_void": bool(roles & (CENTER_ROLES | {Role.MEDIATOR})) and agreement.state == "signing",
        "can_pay": bool(roles & (CENTER_ROLES | BANK)) and agreement.state in {"effective", "defaulted"},
        "can_start": bool(roles & (CENTER_ROLES | BANK | {Role.MEDIATOR}))
        and case.status in {Status.AGREED, Status.CONFIRMED}
        and agreement.state == "effective",
        "can_default": bool(roles & (CENTER_ROLES | BANK))
        and case.status == Status.PERFORMING
        and agreement.state == "effective",
        "can_confirm": bool(roles & (CENTER_ROLES | BANK | {Role.MEDIATOR}))
        and case.status == Status.AGREED
        and agreement.state == "effective",
        "can_enforce": bool(roles & (CENTER_ROLES | BANK)) and case.status == Status.DEFAULTED,
        "can_transfer": bool(roles & (CENTER_ROLES | BANK)) and case.status == Status.DEFAULTED,
        "today": clock.local_today(),
        "public_room": request.build_absolute_uri(
            reverse("mediation_public_room", args=[room_token(mediation_for_case(case))])
        ),
    }
    return render(request, "mediation/agreement.html", ctx)


@login_required
@require_POST
@not_found_as_404
def agreement_sign_view(request, agreement_id: int):
    """The creditor's representative signs: first the code to their phone, then the code."""
    agreement = _agreement_for(request, agreement_id)
    back = reverse("mediation_agreement", args=[agreement_id])
    phone = request.POST.get("phone", "").strip()
    try:
        if "code" in request.POST:
            services.agreement_sign(
                agreement_id=agreement.pk,
                side=Signature.Side.CREDITOR,
                phone=phone,
                code=request.POST["code"],
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                user=request.user,
            )
            request.session.pop("sign_phone_for", None)
            messages.success(request, "已签署")
        else:
            if not acting_roles(viewer_for(request.user), agreement.case) & BANK:
                raise PermissionDenied("只有债权机构的人员可以代表债权人签署")
            services.agreement_sign_request(
                agreement=agreement, side=Signature.Side.CREDITOR, phone=phone, ip=client_ip(request)
            )
            request.session["sign_phone_for"], request.session["sign_phone"] = agreement.pk, phone
            messages.success(request, "验证码已发送")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@login_required
@require_POST
def agreement_action(request, agreement_id: int, action: str):
    back = reverse("mediation_agreement", args=[agreement_id])
    p = request.POST
    if action == "conclude":
        return act(
            request,
            services.agreement_conclude,
            success="调解成功，已结束调解；协议已电子送达债务人",
            back=back,
            actor=request.user,
            agreement_id=agreement_id,
            base_url=base_url(request),
        )
    if action == "void":
        return act(
            request,
            services.agreement_void,
            success="协议已作废",
            back=back,
            actor=request.user,
            agreement_id=agreement_id,
            reason=p.get("reason", ""),
        )
    if action == "start":
        agreement = Agreement.objects.filter(pk=agreement_id).first()
        if agreement is None:
            raise Http404
        return act(
            request,
            services.performance_start,
            success="已开始履行",
            back=back,
            actor=request.user,
            case_id=agreement.case_id,
        )
    if action == "default":
        return act(
            request,
            services.agreement_register_default,
            success="已登记违约",
            back=back,
            actor=request.user,
            agreement_id=agreement_id,
            reason=p.get("reason", ""),
        )
    if action == "payment":
        try:
            amount = amount_or_none(p.get("amount"))
            paid_on = date_or_none(p.get("paid_on")) or clock.local_today()
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        return act(
            request,
            services.payment_record,
            success="已登记还款",
            back=back,
            actor=request.user,
            agreement_id=agreement_id,
            amount=amount or 0,
            paid_on=paid_on,
            reference=p.get("reference", ""),
        )
    raise Http404


@login_required
@not_found_as_404
def agreement_document(request, agreement_id: int, fmt: str = ""):
    agreement = _agreement_for(request, agreement_id)
    if not fmt:
        if agreement.document is None:
            raise Http404
        return _download(agreement.document.read(), agreement.document.filename)
    return _render_doc(
        documents.agreement_blocks(agreement),
        title="调解协议书",
        filename=f"调解协议书-{agreement.number}",
        fmt_=fmt,
    )


# --- performance, mediators, statements ------------------------------------------------------------------


@login_required
def performance_view(request):
    viewer = viewer_for(request.user)
    if request.method == "POST" and request.FILES.get("file"):
        try:
            result = services.payment_import(actor=request.user, content=request.FILES["file"].read())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已导入还款 {result['recorded']} 笔")
            for problem in result["skipped"][:20]:
                messages.error(request, problem)
        return redirect("mediation_performance")
    if request.method == "POST":
        if not viewer.is_center:
            raise Http404
        result = services.performance_check()
        messages.success(
            request, f"已检查履约：发送提醒 {result['reminded']} 条，发现违约 {result['flagged']} 件"
        )
        return redirect("mediation_performance")
    problems = request.GET.get("problems") == "1"
    return render(
        request,
        "mediation/performance.html",
        {
            "rows": performance_rows(viewer, only_problems=problems),
            "problems": problems,
            "can_check": viewer.is_center,
            "can_import": viewer.is_center or bool(viewer.roles & BANK),
        },
    )


@login_required
def mediators_view(request):
    viewer = viewer_for(request.user)
    if not (viewer.sees_everything or Role.MEDIATOR in viewer.roles):
        raise Http404
    profiles = list(
        MediatorProfile.objects.select_related("user", "organisation").prefetch_related(
            "conflicts", "trainings"
        )
    )
    stats = mediator_stats([p.user_id for p in profiles])
    rows = [(p, stats.get(p.user_id), sum((t.hours for t in p.trainings.all()), 0)) for p in profiles]
    return render(request, "mediation/mediators.html", {"rows": rows})


def _month(value: str | None) -> dt.date:
    today = clock.local_today()
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@login_required
def statement_view(request):
    viewer = viewer_for(request.user)
    if not viewer.sees_everything:
        raise Http404
    month = _month(request.GET.get("month"))
    lines, rule = subsidy_statement(month)
    if request.GET.get("format") == "xlsx":
        rows = [["调解员", "办结案件", "调解成功", "调解会议", "每件补贴", "成功另加", "每次会议", "合计"]]
        rows += [
            [
                str(x.user),
                x.concluded,
                x.agreed,
                x.sessions,
                str(x.per_case),
                str(x.per_success),
                str(x.per_session),
                str(x.amount),
            ]
            for x in lines
        ]
        return _download(
            render_xlsx({f"{month:%Y-%m}": rows}),
            f"调解补贴-{month:%Y-%m}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    total = sum((x.amount for x in lines), 0)
    return render(
        request, "mediation/statement.html", {"lines": lines, "rule": rule, "month": month, "total": total}
    )


# --- public: the debtor's room ---------------------------------------------------------------------------------


def _public_room(token: str):
    try:
        return room_from_token(token)
    except ApplicationError as exc:
        raise Http404(exc.message) from None


def public_room(request, token: str):
    mediation, participant = _public_room(token)
    services.room_mark_read(mediation=mediation, participant=participant)
    ctx = _room_ctx(
        request,
        mediation,
        participant,
        log_url=reverse("mediation_public_log", args=[token]),
        post_url=reverse("mediation_public_post", args=[token]),
        upload_url=reverse("mediation_public_upload", args=[token]),
        public=True,
    )
    case = mediation.case
    ctx["agreements"] = [a for a in case.agreements.all() if a.state != Agreement.State.VOID]
    ctx["shortlist"] = (
        shortlist(case) if case.status == Status.MEDIATION_PENDING and case.mediator_id is None else []
    )
    return render(request, "mediation/public_room.html", ctx)


def public_log(request, token: str):
    mediation, participant = _public_room(token)
    return _log_response(request, mediation, participant, reverse("mediation_public_log", args=[token]))


@require_POST
def public_post(request, token: str):
    mediation, participant = _public_room(token)
    return _post(
        request,
        mediation,
        participant,
        reverse("mediation_public_log", args=[token]),
        reverse("mediation_public_room", args=[token]),
    )


@require_POST
def public_upload(request, token: str):
    mediation, participant = _public_room(token)
    return _upload(request, mediation, participant, reverse("mediation_public_room", args=[token]))


@require_POST
def public_choose(request, token: str):
    mediation, _ = _public_room(token)
    try:
        services.mediation_choose(
            mediation=mediation, mediator_id=int_or_none(request.POST.get("mediator")) or 0
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交您的选择，调处中心确认后调解员将与您联系")
    return redirect("mediation_public_room", token=token)


def public_evidence(request, token: str, evidence_id: int):
    mediation, _ = _public_room(token)
    evidence = (
        EvidenceFile.objects.select_related("document")
        .filter(pk=evidence_id, case_id=mediation.case_id)
        .first()
    )
    if evidence is None:
        raise Http404
    return _download(evidence_read(evidence), evidence.filename)


def public_agreement(request, token: str, agreement_id: int):
    """The debtor reads the agreement, sees what they save, and signs with a code sent to their phone."""
    mediation, _ = _public_room(token)
    agreement = (
        Agreement.objects.filter(pk=agreement_id, case_id=mediation.case_id)
        .exclude(state=Agreement.State.VOID)
        .prefetch_related("instalments", "signatures")
        .first()
    )
    if agreement is None:
        raise Http404
    agreement.case = mediation.case
    session_key = f"sign-{agreement.pk}"
    ctx: dict = {"agreement": agreement, "token": token, "case": mediation.case, "step": "read"}
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        ctx["phone"] = phone
        try:
            if "code" in request.POST:
                services.agreement_sign(
                    agreement_id=agreement.pk,
                    side=Signature.Side.DEBTOR,
                    phone=phone,
                    code=request.POST["code"],
                    ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                )
                request.session.pop(session_key, None)
                messages.success(request, "签署成功。协议文本的指纹已存证，您可以随时下载核对。")
                return redirect("mediation_public_agreement", token=token, agreement_id=agreement.pk)
            services.agreement_sign_request(
                agreement=agreement, side=Signature.Side.DEBTOR, phone=phone, ip=client_ip(request)
            )
            request.session[session_key] = phone
            ctx["step"] = "code"
        except ApplicationError as exc:
            ctx["error"] = exc.message
            ctx["step"] = "code" if "code" in request.POST else "read"
    ctx["signed"] = {s.side: s for s in agreement.signatures.all()}
    ctx["instalments"] = list(agreement.instalments.all())
    from django.conf import settings

    ctx["demo"] = settings.DEMO_MODE
    return render(request, "mediation/public_agreement.html", ctx)


def public_agreement_document(request, token: str, agreement_id: int):
    mediation, _ = _public_room(token)
    agreement = (
        Agreement.objects.filter(pk=agreement_id, case_id=mediation.case_id)
        .select_related("document")
        .first()
    )
    if agreement is None or agreement.document is None:
        raise Http404
    return _download(agreement.document.read(), agreement.document.filename)


@public_phone_required
def my_rooms(request):
    """Entry by one-time code: every room of a case whose debtor has this phone on record."""
    phone = public_phone(request)
    rooms = rooms_for_phone(lookup_hash(phone))
    links = [(m, reverse("mediation_public_room", args=[room_token(m)])) for m in rooms]
    return render(request, "mediation/my_rooms.html", {"links": links})
