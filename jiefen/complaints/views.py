"""Thin views: parse the request, call one selector or service, render.

Staff pages (work orders, QR codes, statistics) need a login; the public pages under p/ need a
proven phone (one-time code) or a signed link from an SMS.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from io import BytesIO
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiefen.common import clock, rules
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Branch, Institution
from jiefen.public.services import public_phone
from jiefen.public.views import public_phone_required

from . import qr, selectors, services
from .models import Category, Complaint, ComplaintAttachment, ComplaintExtension, Status


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


def _not_found(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def _site(request) -> str:
    return request.build_absolute_uri("/")


# --- staff: work orders ---------------------------------------------------------------------------


@login_required
def complaint_list_view(request):
    viewer = viewer_for(request.user)
    g = request.GET
    filters = selectors.ComplaintFilters(
        status=g.get("status", "") if g.get("status", "") in Status.values else "",
        category=g.get("category", "") if g.get("category", "") in Category.values else "",
        institution=_int(g.get("institution")),
        branch=_int(g.get("branch")),
        overdue=g.get("overdue") == "1",
        escalated=g.get("escalated") == "1",
        flagged=g.get("flagged") == "1",
        q=g.get("q", "")[:20],
    )
    rows, next_before = selectors.complaint_list(viewer, filters, before_id=_int(g.get("before")))
    query = request.GET.copy()
    query.pop("before", None)
    ctx = {
        "complaints": rows,
        "next_before": next_before,
        "filters": filters,
        "statuses": Status.choices,
        "categories": Category.choices,
        "institutions": selectors.institutions_for_viewer(viewer) if viewer.sees_everything else [],
        "branches": _branch_choices(viewer, filters.institution),
        "desk": selectors.complaint_desk(viewer),
        "query": query.urlencode(),
    }
    template = "complaints/_results.html" if request.headers.get("HX-Request") else "complaints/list.html"
    return render(request, template, ctx)


def _branch_choices(viewer, institution_id: int | None):
    """The branch filter: a bank's own branches; for the centre, those of the institution picked."""
    branches = selectors.branches_for_viewer(viewer)
    if viewer.sees_everything:
        return branches.filter(institution_id=institution_id) if institution_id else []
    return branches


def _extension_choices(complaint: Complaint) -> list[int]:
    extend_to, maximum = rules.amount("complaint.extend_to"), rules.amount("complaint.max")
    ceiling = extend_to if complaint.period_days < extend_to else maximum
    steps = sorted({d for d in (20, 25, extend_to, 45, maximum) if complaint.period_days < d <= ceiling})
    return steps


@login_required
@_not_found
def complaint_detail_view(request, pk: int):
    viewer = viewer_for(request.user)
    complaint = selectors.complaint_get_for_user(viewer, pk)
    roles = selectors.acting_roles(viewer, complaint)
    managing = bool(roles & services.MANAGING) and not viewer.read_only
    pending = complaint.extensions.filter(state=ComplaintExtension.State.PENDING).first()
    can_decide = bool(
        pending
        and managing
        and pending.requested_by_id != request.user.pk
        and (roles & ({"center", "head_office"} if pending.special else {"center", "manager"}))
    )
    ctx = {
        "complaint": complaint,
        "roles": roles,
        "managing": managing,
        "events": complaint.events.select_related("actor"),
        "callbacks": complaint.callbacks.select_related("by"),
        "extensions": complaint.extensions.select_related("requested_by", "decided_by"),
        "attachments": complaint.attachments.all(),
        "pending": pending,
        "can_decide": can_decide,
        "extension_choices": _extension_choices(complaint)
        if managing and complaint.awaiting_decision
        else [],
        "can_convert": "center" in roles
        and not viewer.read_only
        and complaint.status in {Status.UNRESOLVED, Status.RECEIVED, Status.PROCESSING, Status.REPLIED},
        "days_left": clock.days_left(complaint.due_at) if complaint.awaiting_decision else None,
    }
    return render(request, "complaints/detail.html", ctx)


def _staff_action(request, pk: int, call, success: str):
    try:
        call()
    except NotFound:
        raise Http404("投诉不存在或您无权查看") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("complaints_detail", pk=pk)


@login_required
@require_POST
def complaint_accept_view(request, pk: int):
    return _staff_action(
        request,
        pk,
        lambda: services.complaint_accept(
            actor=request.user,
            complaint_id=pk,
            note=request.POST.get("note", ""),
            expected_version=_int(request.POST.get("version")),
        ),
        "已签收工单",
    )


@login_required
@require_POST
def complaint_callback_view(request, pk: int):
    return _staff_action(
        request,
        pk,
        lambda: services.complaint_log_callback(
            actor=request.user,
            complaint_id=pk,
            note=request.POST.get("note", ""),
            reached=request.POST.get("reached", "1") == "1",
            minutes=_int(request.POST.get("minutes")),
        ),
        "已登记电话回访",
    )


@login_required
@require_POST
def complaint_reply_view(request, pk: int):
    return _staff_action(
        request,
        pk,
        lambda: services.complaint_reply(
            actor=request.user,
            complaint_id=pk,
            text=request.POST.get("text", ""),
            expected_version=_int(request.POST.get("version")),
            site=_site(request),
        ),
        "已答复，已短信通知投诉人确认评价",
    )


@login_required
@require_POST
def complaint_extension_view(request, pk: int):
    return _staff_action(
        request,
        pk,
        lambda: services.complaint_extension_request(
            actor=request.user,
            complaint_id=pk,
            to_days=request.POST.get("to_days"),
            reason=request.POST.get("reason", ""),
        ),
        "已提交延期申请，待审批",
    )


@login_required
@require_POST
def extension_decide_view(request, pk: int):
    ext = ComplaintExtension.objects.filter(pk=pk).first()
    if ext is None:
        raise Http404
    return _staff_action(
        request,
        ext.complaint_id,
        lambda: services.complaint_extension_decide(
            actor=request.user,
            extension_id=pk,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        ),
        "已审批延期申请",
    )


@login_required
@require_POST
def complaint_convert_view(request, pk: int):
    try:
        case = services.complaint_convert(
            actor=request.user, complaint_id=pk, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise Http404("投诉不存在或您无权查看") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("complaints_detail", pk=pk)
    messages.success(request, f"已转为调解案件 {case.number}")
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def complaint_scam_lead_view(request, pk: int):
    return _staff_action(
        request,
        pk,
        lambda: services.complaint_report_scam_lead(
            actor=request.user,
            complaint_id=pk,
            name=request.POST.get("name", ""),
            identifiers=request.POST.get("identifiers", ""),
            note=request.POST.get("note", ""),
        ),
        "已报告黑灰产线索",
    )


@login_required
@_not_found
def attachment_view(request, pk: int):
    attachment = ComplaintAttachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    selectors.complaint_get_for_user(request.user, attachment.complaint_id)  # 404 for a foreign complaint
    return _file(attachment)


def _file(attachment: ComplaintAttachment) -> FileResponse:
    path = services.attachment_path(attachment)
    if not path.exists():
        raise Http404("文件不存在")
    response = FileResponse(
        path.open("rb"), content_type=attachment.content_type, filename=attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- staff: QR codes ------------------------------------------------------------------------------


@login_required
def qr_index_view(request):
    viewer = viewer_for(request.user)
    branches = list(selectors.branches_for_viewer(viewer))
    institutions = list(selectors.institutions_for_viewer(viewer))
    return render(request, "complaints/qr.html", {"branches": branches, "institutions": institutions})


QR_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def _qr_response(request, channel, fmt: str, stem: str):
    if fmt not in QR_TYPES:
        raise Http404
    url = qr.form_url(channel, request)
    if fmt == "png":
        content = qr.qr_png(url)
    elif fmt == "svg":
        content = qr.qr_svg(url)
    else:
        try:
            content = qr.poster_pdf(channel, url)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("complaints_qr")
    filename = f"{stem}-{'海报' if fmt == 'pdf' else '二维码'}.{fmt}"
    response = FileResponse(BytesIO(content), content_type=QR_TYPES[fmt], filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@_not_found
def qr_branch_view(request, pk: int, fmt: str):
    branch = selectors.branch_get_for_user(request.user, pk)
    return _qr_response(request, services.channel_for_branch(branch), fmt, branch.name)


@login_required
@_not_found
def qr_institution_view(request, pk: int, fmt: str):
    inst = selectors.institution_get_for_user(request.user, pk)
    return _qr_response(request, services.channel_for_institution(inst), fmt, inst.name)


@login_required
@require_POST
def qr_rotate_view(request, pk: int, kind: str):
    viewer = viewer_for(request.user)
    try:
        if kind == "branch":
            channel = services.channel_for_branch(selectors.branch_get_for_user(viewer, pk))
        else:
            channel = services.channel_for_institution(selectors.institution_get_for_user(viewer, pk))
        services.channel_rotate(actor=request.user, channel_id=channel.pk)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已更换二维码：旧二维码已失效，请重新打印张贴")
    return redirect("complaints_qr")


# --- staff: statistics ----------------------------------------------------------------------------


@login_required
def stats_view(request):
    group = request.GET.get("group", "institution")
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    data = selectors.complaint_stats(request.user, group=group, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "xlsx":
        from jiefen.documents.render import render_xlsx

        header = [
            "分组",
            "受理",
            "办结",
            "办结率%",
            "已答复",
            "按期答复",
            "按期率%",
            "超期未答复",
            "已评价",
            "平均满意度",
            "满意率%",
            "延期",
            "升级督办",
        ]
        keys = [
            "received",
            "closed",
            "closure_rate",
            "replied",
            "on_time",
            "on_time_rate",
            "overdue_open",
            "rated",
            "satisfaction_avg",
            "satisfied_rate",
            "extended",
            "escalated",
        ]
        body = [
            [r["label"], *[r[k] if r[k] is not None else "" for k in keys]]
            for r in [*data["rows"], data["total"]]
        ]
        content = render_xlsx({"投诉统计": [header, *body]})
        return FileResponse(
            BytesIO(content),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename="行长直通车统计.xlsx",
        )
    return render(
        request,
        "complaints/stats.html",
        {
            "data": data,
            "groups": selectors.GROUPS,
            "group": data["group"],
            "date_from": date_from,
            "date_to": date_to,
        },
    )


# --- public pages ---------------------------------------------------------------------------------

LINK_SESSION_KEY = "complaint_links"


def public_index_view(request):
    """Without a code in hand: pick the bank and the branch."""
    institutions = Institution.objects.filter(
        kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER], is_active=True
    ).order_by("code")
    inst = institutions.filter(pk=_int(request.GET.get("institution"))).first()
    branches = []
    if inst:
        branches = [
            (b, services.channel_for_branch(b).token)
            for b in Branch.objects.filter(institution=inst, is_active=True).order_by("code")
        ]
    return render(
        request,
        "complaints/public/index.html",
        {"institutions": institutions, "institution": inst, "branches": branches},
    )


@public_phone_required
def public_form_view(request, token: str):
    try:
        channel = services.channel_by_token(token)
    except NotFound as exc:
        return render(request, "complaints/public/invalid.html", {"message": exc.message}, status=404)
    phone = public_phone(request)
    branches = (
        [] if channel.branch_id else Branch.objects.filter(institution=channel.institution, is_active=True)
    )
    ctx = {
        "channel": channel,
        "branches": branches,
        "categories": Category.choices,
        "phone": phone,
        "decide_days": rules.amount("complaint.decide"),
        "max_attachments": services.MAX_ATTACHMENTS,
        "max_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "form": request.POST,
    }
    if request.method == "POST":
        branch = None
        if not channel.branch_id and request.POST.get("branch"):
            branch = Branch.objects.filter(
                pk=_int(request.POST["branch"]), institution=channel.institution
            ).first()
        try:
            complaint = services.complaint_submit(
                channel=channel,
                phone=phone,
                category=request.POST.get("category", ""),
                description=request.POST.get("description", ""),
                request=request.POST.get("request", ""),
                name=request.POST.get("name", ""),
                branch=branch,
                consent_personal=request.POST.get("consent_personal") == "1",
                consent_sensitive=request.POST.get("consent_sensitive") == "1",
                attachments=request.FILES.getlist("attachments"),
                site=_site(request),
            )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "complaints/public/form.html", ctx, status=400)
        _grant(request, complaint)
        return redirect(reverse("complaints_mine", args=[complaint.number]) + "?new=1")
    return render(request, "complaints/public/form.html", ctx)


def _grant(request, complaint: Complaint) -> None:
    granted = set(request.session.get(LINK_SESSION_KEY, []))
    granted.add(complaint.pk)
    request.session[LINK_SESSION_KEY] = sorted(granted)[-20:]


def _public_complaint(request, number: str) -> Complaint | None:
    """The complaint if this browser proved its phone, or opened its signed link; else None."""
    complaint = (
        Complaint.objects.select_related("institution", "branch").filter(number=number.upper()).first()
    )
    if complaint is None:
        return None
    if complaint.pk in request.session.get(LINK_SESSION_KEY, []):
        return complaint
    phone = public_phone(request)
    if phone:
        try:
            return selectors.complaint_get_public(number, phone)
        except NotFound:
            return None
    return None


@public_phone_required
def public_track_view(request):
    ctx: dict = {"number": request.GET.get("number", "").strip()}
    if ctx["number"]:
        try:
            complaint = selectors.complaint_get_public(ctx["number"], public_phone(request))
        except NotFound as exc:
            ctx["error"] = exc.message
        else:
            return redirect("complaints_mine", number=complaint.number)
    phone = public_phone(request)
    from jiefen.common.crypto import lookup_hash

    ctx["mine"] = Complaint.objects.filter(phone_hash=lookup_hash(phone)).select_related(
        "branch", "institution"
    )[:20]
    return render(request, "complaints/public/track.html", ctx)


def public_link_view(request, token: str):
    try:
        complaint = services.complaint_from_link(token)
    except ApplicationError as exc:
        return render(request, "complaints/public/invalid.html", {"message": exc.message}, status=403)
    _grant(request, complaint)
    return redirect("complaints_mine", number=complaint.number)


def public_mine_view(request, number: str):
    complaint = _public_complaint(request, number)
    if complaint is None:
        if public_phone(request) is None:
            return redirect(reverse("public_verify") + "?" + urlencode({"next": request.get_full_path()}))
        raise Http404("没有找到该手机号提交的这件投诉")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                services.complaint_confirm(
                    complaint_id=complaint.pk,
                    phone=complaint.phone,
                    resolved=request.POST.get("resolved") == "1",
                    rating=_int(request.POST.get("rating")) or 0,
                    comment=request.POST.get("comment", ""),
                    request_mediation=request.POST.get("request_mediation") == "1",
                )
                messages.success(request, "感谢您的评价")
            elif action == "reopen":
                services.complaint_reopen(
                    complaint_id=complaint.pk, phone=complaint.phone, reason=request.POST.get("reason", "")
                )
                messages.success(request, "已申请重新处理，机构将重新答复")
            elif action == "withdraw":
                services.complaint_withdraw(
                    complaint_id=complaint.pk, phone=complaint.phone, reason=request.POST.get("reason", "")
                )
                messages.success(request, "已撤回投诉")
            else:
                raise ApplicationError("未知的操作")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("complaints_mine", number=complaint.number)
    public_events = complaint.events.exclude(
        action__in=["remind", "escalate", "scam_lead", "extension_request", "extension_rejected"]
    )
    return render(
        request,
        "complaints/public/mine.html",
        {
            "complaint": complaint,
            "events": public_events,
            "new": request.GET.get("new") == "1",
            "reopen_until": services.reopen_deadline(complaint),
            "can_reopen": _can_reopen(complaint),
            "can_withdraw": complaint.status
            in {Status.RECEIVED, Status.PROCESSING, Status.REPLIED, Status.UNRESOLVED},
            "confirm_window": rules.amount("complaint.confirm_window"),
            "stars": [5, 4, 3, 2, 1],
        },
    )


def _can_reopen(complaint: Complaint) -> bool:
    last = services.reopen_deadline(complaint)
    return last is not None and clock.local_today() <= last
