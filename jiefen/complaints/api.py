"""API of the direct line: tenant-scoped work orders for institutions' systems, and the public
submission (anonymous, but only with a phone proven by a one-time code)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.utils import check_csrf

from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.orgs.models import Branch
from jiefen.public.services import otp_request, otp_verify, public_phone

from . import selectors, services
from .models import Complaint

router = Router(tags=["行长直通车"])


class ComplaintOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    institution: str
    branch: str | None = Field(None, description="网点代码")
    branch_name: str | None
    category: str
    received_at: dt.datetime
    due_at: dt.date
    period_days: int
    extended_days: int
    replied_at: dt.datetime | None
    on_time: bool | None
    rating: int | None
    escalation_level: int = Field(..., description="0 网点；1 已升级至总行；2 已升级至调处中心")
    version: int


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    reason: str
    due_on: dt.date | None
    at: dt.datetime


class ComplaintDetailOut(ComplaintOut):
    description: str
    request: str
    reply_text: str
    scam_flagged: bool
    events: list[EventOut]


class ComplaintPage(Schema):
    items: list[ComplaintOut]
    next_before: int | None = Field(None, description="下一页：把它作为 before 参数传回")


def complaint_out(c: Complaint) -> dict:
    return {
        "id": c.pk,
        "number": c.number,
        "status": c.status,
        "status_label": c.get_status_display(),
        "institution": c.institution.code,
        "branch": c.branch.code if c.branch_id else None,
        "branch_name": c.branch.name if c.branch_id else None,
        "category": c.category,
        "received_at": c.received_at,
        "due_at": c.due_at,
        "period_days": c.period_days,
        "extended_days": c.extended_days,
        "replied_at": c.replied_at,
        "on_time": c.on_time,
        "rating": c.rating,
        "escalation_level": c.escalation_level,
        "version": c.version,
    }


class ListParams(Schema):
    status: str = ""
    branch: str = Field("", description="网点代码")
    overdue: bool = False
    escalated: bool = False
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("", response=ComplaintPage)
def list_complaints(request, params: Query[ListParams]):
    """The viewer's work orders, newest first; another institution's complaints never appear."""
    branch_id = None
    if params.branch:
        branch = selectors.branches_for_viewer(request.user).filter(code=params.branch).first()
        if branch is None:
            return {"items": [], "next_before": None}
        branch_id = branch.pk
    rows, next_before = selectors.complaint_list(
        request.user,
        selectors.ComplaintFilters(
            status=params.status, branch=branch_id, overdue=params.overdue, escalated=params.escalated
        ),
        before_id=params.before,
        limit=params.limit,
    )
    return {"items": [complaint_out(c) for c in rows], "next_before": next_before}


class StatsRow(Schema):
    key: str
    label: str
    received: int
    closed: int
    closure_rate: float | None
    replied: int
    on_time: int
    on_time_rate: float | None
    overdue_open: int
    rated: int
    satisfaction_avg: float | None
    satisfied_rate: float | None
    extended: int
    escalated: int


class StatsOut(Schema):
    group: str
    rows: list[StatsRow]
    total: StatsRow


class StatsParams(Schema):
    group: str = Field("institution", description="institution | branch | category | month")
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@router.get("/stats", response=StatsOut)
def complaint_statistics(request, params: Query[StatsParams]):
    """Received, closed, closure rate, on-time rate and satisfaction (the viewer's complaints only)."""
    return selectors.complaint_stats(
        request.user, group=params.group, date_from=params.date_from, date_to=params.date_to
    )


def _detail(request, complaint_id: int) -> dict:
    c = selectors.complaint_get_for_user(request.user, complaint_id)
    data = complaint_out(c)
    data.update(
        {
            "description": c.description,
            "request": c.request,
            "reply_text": c.reply_text,
            "scam_flagged": c.scam_flagged,
            "events": [
                {
                    "action": e.action,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "actor": e.actor_label,
                    "reason": e.reason,
                    "due_on": e.due_on,
                    "at": e.at,
                }
                for e in c.events.all()
            ],
        }
    )
    return data


@router.get("/{int:complaint_id}", response=ComplaintDetailOut)
def get_complaint(request, complaint_id: int):
    return _detail(request, complaint_id)


class ReplyIn(Schema):
    text: str
    expected_version: int | None = None


@router.post("/{int:complaint_id}/reply", response=ComplaintDetailOut)
def reply_complaint(request, complaint_id: int, payload: ReplyIn):
    services.complaint_reply(
        actor=request.user,
        complaint_id=complaint_id,
        text=payload.text,
        expected_version=payload.expected_version,
        site=request.build_absolute_uri("/"),
    )
    return _detail(request, complaint_id)


class CallbackIn(Schema):
    note: str
    reached: bool = True
    minutes: int | None = None


@router.post("/{int:complaint_id}/callback", response=ComplaintDetailOut)
def log_callback(request, complaint_id: int, payload: CallbackIn):
    services.complaint_log_callback(
        actor=request.user,
        complaint_id=complaint_id,
        note=payload.note,
        reached=payload.reached,
        minutes=payload.minutes,
    )
    return _detail(request, complaint_id)


# --- public ---------------------------------------------------------------------------------------


class OtpIn(Schema):
    phone: str


@router.post("/public/otp", auth=None, response={202: dict})
def public_otp(request, payload: OtpIn):
    """Send a one-time code for filing a complaint (rate-limited per phone)."""
    otp_request(phone=payload.phone, purpose="complaint", ip=request.META.get("REMOTE_ADDR"))
    return Status(202, {"sent": True})


class PublicComplaintIn(Schema):
    channel: str = Field(..., description="二维码令牌（/complaints/p/<令牌>/ 中的令牌）")
    category: str
    description: str
    request: str
    name: str = ""
    branch: str | None = Field(None, description="机构二维码时可选的网点代码")
    phone: str | None = Field(None, description="未在本浏览器验证手机时必填，同时填写 code")
    code: str | None = Field(None, description="短信验证码（先调用 /public/otp）")
    consent_personal: bool = False
    consent_sensitive: bool = False


class PublicComplaintOut(Schema):
    number: str
    status: str
    due_at: dt.date
    link: str


@router.post("/public", auth=None, response={201: PublicComplaintOut})
def public_submit(request, payload: Form[PublicComplaintIn], attachments: File[list[UploadedFile]] = None):
    """File a complaint (multipart form: the fields below plus up to 5 files named `attachments`).

    The phone is proven either by a one-time code in the payload (`phone` + `code`), or by the
    verified phone of this browser's session; the latter also needs the CSRF token, since it rides
    on a cookie."""
    if payload.code:
        phone = otp_verify(phone=payload.phone or "", code=payload.code, purpose="complaint")
    else:
        phone = public_phone(request)
        if phone is None:
            raise PermissionDenied("请先验证手机号（短信验证码）", code="phone_required")
        if check_csrf(request) is not None:
            raise PermissionDenied("页面已过期，请刷新后重试", code="csrf")
    channel = services.channel_by_token(payload.channel)
    branch = None
    if payload.branch and not channel.branch_id:
        branch = Branch.objects.filter(institution=channel.institution, code=payload.branch).first()
        if branch is None:
            raise ApplicationError("机构下没有该网点", code="invalid_branch")
    complaint = services.complaint_submit(
        channel=channel,
        phone=phone,
        category=payload.category,
        description=payload.description,
        request=payload.request,
        name=payload.name,
        branch=branch,
        consent_personal=payload.consent_personal,
        consent_sensitive=payload.consent_sensitive,
        attachments=attachments or [],
        site=request.build_absolute_uri("/"),
    )
    return Status(
        201,
        {
            "number": complaint.number,
            "status": complaint.status,
            "due_at": complaint.due_at,
            "link": services.public_link(complaint, site=request.build_absolute_uri("/")),
        },
    )
