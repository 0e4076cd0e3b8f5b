"""The court end: queues of the court (and of arbitration and notary offices), one-click transfer,
confirmation, enforcement; and the public page of electronic service."""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiefen.cases.machine import Status
from jiefen.cases.selectors import acting_roles, case_get_for_user
from jiefen.common import clock
from jiefen.common.errors import ApplicationError
from jiefen.mediation import documents as med_docs
from jiefen.mediation.selectors import current_agreement
from jiefen.mediation.web import (
    act,
    amount_or_none,
    base_url,
    client_ip,
    date_or_none,
    datetime_local,
    int_or_none,
    not_found_as_404,
)
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import CENTER_ROLES, Role

from . import documents, services
from .models import AssetInquiry, EnforcementCase, LitigationTransfer, SmallClaimsThreshold
from .selectors import (
    confirmation_get_for_user,
    confirmations_for,
    enforcement_get_for_user,
    enforcements_for,
    small_claims_assessment,
    transfer_get_for_user,
    transfers_for,
    works_queue,
)

K = Institution.Kind
BANK = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})


def _institutions(kind: str):
    return Institution.objects.filter(kind=kind, is_active=True).order_by("code")


def _pick(kind: str, pk) -> Institution | None:
    return Institution.objects.filter(kind=kind, pk=int_or_none(pk)).first()


@login_required
def home(request):
    viewer = viewer_for(request.user)
    open_conf = confirmations_for(viewer).filter(state__in=["pending", "accepted"])
    ctx = {
        "confirmations": list(open_conf.order_by("apply_due")[:100]),
        "transfers": list(transfers_for(viewer).exclude(state="decided").order_by("-sent_at")[:100]),
        "decided": list(transfers_for(viewer).filter(state="decided").order_by("-judgment_on")[:30]),
        "enforcements": list(enforcements_for(viewer).exclude(state="closed").order_by("apply_due")[:100]),
        "is_receiver": Role.JUDGE in viewer.roles,
    }
    return render(request, "litigation/home.html", ctx)


# --- confirmation -------------------------------------------------------------------------------------


@login_required
@not_found_as_404
def confirmation_new(request, case_id: int):
    case = case_get_for_user(request.user, case_id)
    agreement = current_agreement(case)
    if request.method == "POST":
        route = request.POST.get("route", "court")
        institution = _pick(K.COURT if route == "court" else K.NOTARY, request.POST.get("institution"))
        if institution is None:
            messages.error(request, "请选择受理机构")
        else:
            try:
                application = services.confirmation_apply(
                    actor=request.user, case_id=case_id, institution=institution, route=route
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已提交{application.get_route_display()}申请")
                return redirect("litigation_confirmation", pk=application.pk)
    due = services.confirmation_deadline(agreement) if agreement and agreement.effective_at else None
    ctx = {
        "case": case,
        "agreement": agreement,
        "due": due,
        "courts": _institutions(K.COURT),
        "notaries": _institutions(K.NOTARY),
    }
    return render(request, "litigation/confirmation_new.html", ctx)


@login_required
@not_found_as_404
def confirmation_view(request, pk: int):
    viewer = viewer_for(request.user)
    application = confirmation_get_for_user(viewer, pk)
    ctx = {
        "application": application,
        "case": application.case,
        "agreement": application.agreement,
        "decider": works_queue(viewer, application.institution) and not viewer.read_only,
        "today": clock.local_today(),
    }
    return render(request, "litigation/confirmation.html", ctx)


@login_required
@require_POST
def confirmation_action(request, pk: int, action: str):
    back = reverse("litigation_confirmation", args=[pk])
    if action == "accept":
        return act(
            request,
            services.confirmation_accept,
            success="已受理",
            back=back,
            actor=request.user,
            application_id=pk,
        )
    if action == "reject":
        return act(
            request,
            services.confirmation_reject,
            success="已驳回申请",
            back=back,
            actor=request.user,
            application_id=pk,
            reasons=request.POST.get("reasons", ""),
        )
    if action == "confirm":
        return act(
            request,
            services.confirmation_confirm,
            success="已作出确认，文书已送达债务人",
            back=back,
            actor=request.user,
            application_id=pk,
            base_url=base_url(request),
        )
    raise Http404


@login_required
@not_found_as_404
def confirmation_document(request, pk: int, what: str, fmt: str = "docx"):
    application = confirmation_get_for_user(request.user, pk)
    if what == "ruling":
        if application.ruling_document is None:
            raise Http404
        doc = application.ruling_document
        return FileResponse(BytesIO(doc.read()), as_attachment=True, filename=doc.filename)
    if what != "application" or fmt not in {"docx", "pdf"}:
        raise Http404
    try:
        content = med_docs.render(documents.application_blocks(application), title="申请书", fmt_=fmt)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    return FileResponse(
        BytesIO(content), as_attachment=True, filename=f"申请书-{application.case.number}.{fmt}"
    )


# --- transfer ------------------------------------------------------------------------------------------


@login_required
@not_found_as_404
def transfer_new(request, case_id: int):
    case = case_get_for_user(request.user, case_id)
    if request.method == "POST":
        route = request.POST.get("route", "court")
        institution = _pick(K.COURT if route == "court" else K.ARBITRATION, request.POST.get("institution"))
        if institution is None:
            messages.error(request, "请选择接收机构")
        else:
            try:
                transfer = services.transfer_create(
                    actor=request.user,
                    case_id=case_id,
                    institution=institution,
                    route=route,
                    reason=request.POST.get("reason", ""),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已移送{transfer.institution}，材料包已生成并存证")
                return redirect("litigation_transfer", pk=transfer.pk)
    courts = list(_institutions(K.COURT))
    default_court = case.court or (courts[0] if courts else None)
    assessment = (
        small_claims_assessment(case, default_court) if default_court else ("unknown", "没有法院", None)
    )
    ctx = {
        "case": case,
        "courts": courts,
        "default_court": default_court,
        "arbitrations": _institutions(K.ARBITRATION),
        "assessment": assessment,
        "reason": getattr(getattr(case, "mediation", None), "failure_reason", ""),
        "evidence": list(case.evidence_files.all()),
    }
    return render(request, "litigation/transfer_new.html", ctx)


@login_required
@not_found_as_404
def transfer_view(request, pk: int):
    viewer = viewer_for(request.user)
    transfer = transfer_get_for_user(viewer, pk)
    roles = acting_roles(viewer, transfer.case) if _sees_case(viewer, transfer.case_id) else set()
    ctx = {
        "transfer": transfer,
        "case": transfer.case,
        "receiver": works_queue(viewer, transfer.institution) and not viewer.read_only,
        "procedures": [
            p
            for p in LitigationTransfer.Procedure.choices
            if (p[0] == "arbitration") == (transfer.route == "arbitration")
        ],
        "can_enforce": bool(roles & (CENTER_ROLES | BANK)) and transfer.case.status == Status.JUDGED,
        "today": clock.local_today(),
    }
    return render(request, "litigation/transfer.html", ctx)


def _sees_case(viewer, case_id: int) -> bool:
    try:
        case_get_for_user(viewer, case_id)
    except ApplicationError:
        return False
    return True


@login_required
@require_POST
def transfer_action(request, pk: int, action: str):
    back = reverse("litigation_transfer", args=[pk])
    p = request.POST
    try:
        if action == "file":
            services.transfer_file(
                actor=request.user,
                transfer_id=pk,
                filing_number=p.get("filing_number", ""),
                filed_on=date_or_none(p.get("filed_on")) or clock.local_today(),
                procedure=p.get("procedure", ""),
            )
            messages.success(request, "已登记立案")
        elif action == "hearing":
            services.transfer_hearing(
                actor=request.user,
                transfer_id=pk,
                hearing_at=datetime_local(p.get("hearing_at")),
                place=p.get("place", ""),
            )
            messages.success(request, "已登记开庭")
        elif action == "judgment":
            services.transfer_judgment(
                actor=request.user,
                transfer_id=pk,
                judgment_on=date_or_none(p.get("judgment_on")) or clock.local_today(),
                amount=amount_or_none(p.get("amount")) or 0,
                summary=p.get("summary", ""),
                perform_by=date_or_none(p.get("perform_by")),
                base_url=base_url(request),
            )
            messages.success(request, "已登记判决")
        else:
            raise Http404
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    return redirect(back)


@login_required
@not_found_as_404
def transfer_package(request, pk: int):
    transfer = transfer_get_for_user(request.user, pk)
    doc = transfer.package
    return FileResponse(BytesIO(doc.read()), as_attachment=True, filename=doc.filename)


# --- enforcement --------------------------------------------------------------------------------------------


@login_required
@not_found_as_404
def enforcement_new(request, case_id: int):
    case = case_get_for_user(request.user, case_id)
    if request.method == "POST":
        try:
            enforcement = services.enforcement_apply(
                actor=request.user, case_id=case_id, amount=amount_or_none(request.POST.get("amount"))
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已申请强制执行")
            return redirect("litigation_enforcement", pk=enforcement.pk)
    ctx: dict = {"case": case}
    try:
        basis, ref, last, amount, court = services.enforcement_basis(case)
        ctx.update(
            basis=EnforcementCase.Basis(basis).label,
            ref=ref,
            last=last,
            amount=amount,
            court=court,
            due=services.enforcement_deadline(last),
        )
    except ApplicationError as exc:
        ctx["error"] = exc.message
    return render(request, "litigation/enforcement_new.html", ctx)


@login_required
@not_found_as_404
def enforcement_view(request, pk: int):
    viewer = viewer_for(request.user)
    enforcement = enforcement_get_for_user(viewer, pk)
    ctx = {
        "enforcement": enforcement,
        "case": enforcement.case,
        "inquiries": list(enforcement.inquiries.all()),
        "kinds": AssetInquiry.Kind.choices,
        "closures": EnforcementCase.Closure.choices,
        "court_side": works_queue(viewer, enforcement.court) and not viewer.read_only,
        "today": clock.local_today(),
    }
    return render(request, "litigation/enforcement.html", ctx)


@login_required
@require_POST
def enforcement_action(request, pk: int, action: str):
    back = reverse("litigation_enforcement", args=[pk])
    p = request.POST
    try:
        if action == "file":
            services.enforcement_file(
                actor=request.user, enforcement_id=pk, filing_number=p.get("filing_number", "")
            )
            messages.success(request, "已立案执行")
        elif action == "inquire":
            services.asset_inquiry_request(actor=request.user, enforcement_id=pk, kinds=p.getlist("kinds"))
            messages.success(request, "已提交网络查控")
        elif action == "answer":
            services.asset_inquiry_answer(
                actor=request.user,
                inquiry_id=int_or_none(p.get("inquiry")) or 0,
                summary=p.get("summary", ""),
                amount_found=amount_or_none(p.get("amount_found")),
                failed=p.get("failed") == "1",
            )
            messages.success(request, "已记录查询结果")
        elif action == "record":
            services.enforcement_record(
                actor=request.user,
                enforcement_id=pk,
                amount=amount_or_none(p.get("amount")) or 0,
                note=p.get("note", ""),
            )
            messages.success(request, "已记录执行到位金额")
        elif action == "close":
            services.enforcement_close(
                actor=request.user, enforcement_id=pk, closure=p.get("closure", ""), note=p.get("note", "")
            )
            messages.success(request, "执行已结案")
        else:
            raise Http404
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    return redirect(back)


@login_required
def thresholds_view(request):
    return render(request, "litigation/thresholds.html", {"rows": SmallClaimsThreshold.objects.all()})


# --- public: electronic service ---------------------------------------------------------------------------------


def _delivery(token: str):
    try:
        return services.service_from_token(token)
    except ApplicationError as exc:
        raise Http404(exc.message) from None


def public_service(request, token: str):
    delivery = _delivery(token)
    delivery = services.service_open(delivery=delivery, ip=client_ip(request))
    ctx: dict = {"delivery": delivery, "token": token, "address": services.service_address_for(delivery)}
    if request.method == "POST":
        try:
            if request.POST.get("step") == "address":
                services.service_confirm_address(
                    delivery=delivery,
                    address=request.POST.get("address", ""),
                    email=request.POST.get("email", ""),
                    ip=client_ip(request),
                )
            else:
                services.service_acknowledge(delivery=delivery, ip=client_ip(request))
                messages.success(request, "已签收。签收时间与网络地址已记录为送达凭证。")
            return redirect("litigation_service", token=token)
        except ApplicationError as exc:
            ctx["error"] = exc.message
    return render(request, "litigation/public_service.html", ctx)


def public_service_document(request, token: str):
    delivery = _delivery(token)
    services.service_open(delivery=delivery, ip=client_ip(request))
    return FileResponse(
        BytesIO(delivery.document.read()), as_attachment=True, filename=delivery.document.filename
    )
