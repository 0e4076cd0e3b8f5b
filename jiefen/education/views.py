"""Thin views for the registry, the education library and the quizzes (staff and public)."""

from __future__ import annotations

from functools import wraps
from io import BytesIO
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Region
from jiefen.public.services import public_phone
from jiefen.public.views import public_phone_required

from . import selectors, services
from .access import can_edit_content, can_read_registry, can_work_registry
from .forms import MaterialForm, TypicalCaseForm
from .models import (
    Audience,
    LeadSource,
    Material,
    Quiz,
    ScamKind,
    ScamStatus,
    Topic,
    TypicalCase,
)
from .registry import CHANNELS, steps_from


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _not_found(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def _editor_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit_content(viewer_for(request.user)):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _regions():
    return Region.objects.filter(code__regex=r"^\d{6}$").exclude(code__endswith="00").order_by("code")


# --- staff: overview ------------------------------------------------------------------------------


@login_required
def home_view(request):
    viewer = viewer_for(request.user)
    ctx = {
        "can_registry": can_read_registry(viewer),
        "can_edit": can_edit_content(viewer),
        "can_report": bool(viewer.institution_ids()) and not viewer.read_only,
    }
    if ctx["can_registry"]:
        ctx["stats"] = selectors.scam_stats(viewer)
    if ctx["can_edit"]:
        ctx["materials"] = Material.objects.order_by("-id")[:50]
        ctx["cases"] = TypicalCase.objects.order_by("-id")[:50]
        ctx["quizzes"] = Quiz.objects.select_related("bank").order_by("-starts_at")[:20]
    return render(request, "education/home.html", ctx)


# --- staff: registry ------------------------------------------------------------------------------


@login_required
def registry_list_view(request):
    viewer = viewer_for(request.user)
    g = request.GET
    filters = selectors.ScamFilters(
        status=g.get("status", "") if g.get("status", "") in ScamStatus.values else "",
        region=g.get("region", "")[:6],
        source=g.get("source", "") if g.get("source", "") in LeadSource.values else "",
        kind=g.get("kind", "") if g.get("kind", "") in ScamKind.values else "",
        q=g.get("q", "")[:60],
    )
    rows, next_before = selectors.scam_list(viewer, filters, before_id=_int(g.get("before")))
    query = g.copy()
    query.pop("before", None)
    return render(
        request,
        "education/registry/list.html",
        {
            "entities": rows,
            "next_before": next_before,
            "filters": filters,
            "statuses": ScamStatus.choices,
            "sources": LeadSource.choices,
            "kinds": ScamKind.choices,
            "regions": _regions(),
            "query": query.urlencode(),
            "can_work": can_work_registry(viewer),
            "stats": selectors.scam_stats(viewer) if can_read_registry(viewer) else None,
        },
    )


@login_required
def registry_new_view(request):
    viewer = viewer_for(request.user)
    ctx = {"kinds": ScamKind.choices, "regions": _regions(), "form": request.POST}
    if request.method == "POST":
        try:
            entity = services.scam_lead_create(
                actor=request.user,
                name=request.POST.get("name", ""),
                uscc=request.POST.get("uscc", ""),
                identifiers=request.POST.get("identifiers", ""),
                kind=request.POST.get("kind", ""),
                address=request.POST.get("address", ""),
                region_code=request.POST.get("region", ""),
                note=request.POST.get("note", ""),
                source=LeadSource.STAFF,
            )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "education/registry/new.html", ctx, status=400)
        messages.success(request, f"已登记线索 {entity.number}")
        return redirect("education_registry_detail", pk=entity.pk)
    if not (can_work_registry(viewer) or (viewer.institution_ids() and not viewer.read_only)):
        raise Http404
    return render(request, "education/registry/new.html", ctx)


@login_required
@_not_found
def registry_detail_view(request, pk: int):
    viewer = viewer_for(request.user)
    entity = selectors.scam_entity_get_for_user(viewer, pk)
    can_work = can_work_registry(viewer)
    return render(
        request,
        "education/registry/detail.html",
        {
            "entity": entity,
            "events": entity.events.select_related("actor"),
            "steps": steps_from(entity.status) if can_work else [],
            "can_work": can_work,
            "channels": CHANNELS,
            "today": clock.local_today(),
            "region_name": Region.objects.filter(code=entity.region_code)
            .values_list("name", flat=True)
            .first(),
        },
    )


@login_required
@require_POST
def registry_transition_view(request, pk: int):
    try:
        entity = services.scam_transition(
            actor=request.user,
            entity_id=pk,
            action=request.POST.get("action", ""),
            note=request.POST.get("note", ""),
            on_date=request.POST.get("on_date") or None,
            channel=request.POST.get("channel", ""),
            rectify_due=request.POST.get("rectify_due") or None,
            new_name=request.POST.get("new_name", ""),
            expected_version=_int(request.POST.get("version")),
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已办理：{entity.get_status_display()}")
    return redirect("education_registry_detail", pk=pk)


@login_required
@require_POST
def registry_follow_up_view(request, pk: int):
    try:
        services.scam_follow_up(
            actor=request.user,
            entity_id=pk,
            note=request.POST.get("note", ""),
            channel=request.POST.get("channel", ""),
            on_date=request.POST.get("on_date") or None,
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已登记跟进情况")
    return redirect("education_registry_detail", pk=pk)


@login_required
def registry_import_view(request):
    viewer = viewer_for(request.user)
    if not can_work_registry(viewer):
        raise Http404
    ctx: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["error"] = "请选择要导入的文件"
        elif upload.size > 10 * 1024 * 1024:
            ctx["error"] = "文件超过 10 MB，请分批导入"
        else:
            try:
                ctx["result"] = services.scam_import(
                    actor=request.user,
                    content=upload.read(),
                    filename=upload.name,
                    dry_run=request.POST.get("dry_run") == "1",
                )
            except ApplicationError as exc:
                ctx["error"] = exc.message
    return render(request, "education/registry/import.html", ctx)


@login_required
def registry_stats_view(request):
    viewer = viewer_for(request.user)
    if not can_read_registry(viewer):
        raise Http404
    stats = selectors.scam_stats(viewer)
    if request.GET.get("format") == "xlsx":
        from jiefen.documents.render import render_xlsx

        header = ["区县", "主体数", "已对接", "对接率%", "已整改", "整改率%", "已销号", "清零"]
        rows = [
            [
                d["region"],
                d["total"],
                d["contacted"],
                d["contacted_pct"] or 0,
                d["rectified"],
                d["rectified_pct"] or 0,
                d["closed"],
                "是" if d["cleared"] else "",
            ]
            for d in stats["districts"]
        ]
        t = stats["total"]
        rows.append(
            [
                "合计",
                t["total"],
                t["contacted"],
                t["contacted_pct"] or 0,
                t["rectified"],
                t["rectified_pct"] or 0,
                t["closed"],
                "",
            ]
        )
        content = render_xlsx({"征信修复乱象治理": [header, *rows]})
        return FileResponse(
            BytesIO(content),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename="征信修复乱象治理台账统计.xlsx",
        )
    return render(request, "education/registry/stats.html", {"stats": stats})


# --- staff: content -------------------------------------------------------------------------------

CONTENT = {
    "materials": (Material, MaterialForm, "宣传材料"),
    "cases": (TypicalCase, TypicalCaseForm, "典型案例"),
}


@_editor_only
def content_edit_view(request, kind: str, pk: int | None = None):
    if kind not in CONTENT:
        raise Http404
    model, form_class, label = CONTENT[kind]
    instance = model.objects.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.content_save(actor=request.user, obj=form.save(commit=False))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存{label}“{obj.title}”")
            return redirect("education_home")
    return render(
        request, "education/content_form.html", {"form": form, "label": label, "instance": instance}
    )


@_editor_only
@require_POST
def content_publish_view(request, kind: str, pk: int):
    if kind not in CONTENT:
        raise Http404
    model = CONTENT[kind][0]
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    services.content_publish(actor=request.user, obj=obj, publish=request.POST.get("publish") == "1")
    messages.success(request, ("已发布：" if obj.is_published else "已撤下：") + obj.title)
    return redirect("education_home")


# --- staff: quizzes -------------------------------------------------------------------------------


@_editor_only
def quiz_detail_view(request, pk: int):
    quiz = Quiz.objects.select_related("bank").filter(pk=pk).first()
    if quiz is None:
        raise Http404
    draw = getattr(quiz, "draw", None) if hasattr(quiz, "draw") else None
    winners = []
    if draw:
        by_id = {a.pk: a for a in quiz.attempts.filter(pk__in=draw.winners)}
        winners = [by_id[pk] for pk in draw.winners if pk in by_id]
    return render(
        request,
        "education/quiz_detail.html",
        {
            "quiz": quiz,
            "stats": selectors.quiz_stats(quiz),
            "board": selectors.quiz_leaderboard(quiz),
            "draw": draw,
            "winners": winners,
            "verify": services.draw_verify(draw) if draw else None,
            "states": Quiz.State.choices,
            "entrants": len(services.eligible_entrants(quiz)),
        },
    )


@_editor_only
@require_POST
def quiz_state_view(request, pk: int):
    try:
        services.quiz_set_state(actor=request.user, quiz_id=pk, state=request.POST.get("state", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("education_quiz", pk=pk)


@_editor_only
@require_POST
def quiz_draw_view(request, pk: int):
    try:
        draw = services.quiz_draw(
            actor=request.user,
            quiz_id=pk,
            seed=request.POST.get("seed", ""),
            witness=request.POST.get("witness", ""),
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已抽出 {len(draw.winners)} 名获奖者，随机种子已记录")
    return redirect("education_quiz", pk=pk)


# --- public: library ------------------------------------------------------------------------------


def public_library_view(request):
    topic = request.GET.get("topic", "") if request.GET.get("topic", "") in Topic.values else ""
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in Material.Kind.values else ""
    audience = request.GET.get("audience", "") if request.GET.get("audience", "") in Audience.values else ""
    return render(
        request,
        "education/public/library.html",
        {
            "materials": selectors.material_public_list(topic=topic, kind=kind, audience=audience)[:60],
            "cases": selectors.typical_case_public_list()[:6],
            "quizzes": [q for q in selectors.quiz_public_list(timezone.now()) if q.state == Quiz.State.OPEN][
                :3
            ],
            "topics": Topic.choices,
            "kinds": Material.Kind.choices,
            "audiences": Audience.choices,
            "topic": topic,
            "kind": kind,
            "audience": audience,
        },
    )


@_not_found
def public_material_view(request, slug: str):
    material = selectors.material_public_get(slug)
    services.content_count_view(material)
    return render(request, "education/public/material.html", {"m": material})


@_not_found
def public_material_pdf_view(request, slug: str):
    from jiefen.documents.render import render_pdf

    material = selectors.material_public_get(slug)
    try:
        content = render_pdf("education/docs/material.html", {"m": material})
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("education_material", slug=slug)
    return FileResponse(BytesIO(content), content_type="application/pdf", filename=f"{material.title}.pdf")


def public_cases_view(request):
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in TypicalCase.Kind.values else ""
    return render(
        request,
        "education/public/cases.html",
        {
            "cases": selectors.typical_case_public_list(kind=kind),
            "kinds": TypicalCase.Kind.choices,
            "kind": kind,
        },
    )


@_not_found
def public_case_view(request, slug: str):
    case = selectors.typical_case_public_get(slug)
    services.content_count_view(case)
    return render(request, "education/public/case.html", {"c": case})


@public_phone_required
def public_report_view(request):
    ctx = {"regions": _regions(), "form": request.POST}
    if request.method == "POST":
        try:
            entity = services.scam_public_report(
                phone=public_phone(request),
                name=request.POST.get("name", ""),
                identifiers=request.POST.get("identifiers", ""),
                description=request.POST.get("description", ""),
                region_code=request.POST.get("region", ""),
            )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "education/public/report.html", ctx, status=400)
        return render(request, "education/public/report_done.html", {"number": entity.number})
    return render(request, "education/public/report.html", ctx)


# --- public: quizzes ------------------------------------------------------------------------------


def public_quizzes_view(request):
    return render(
        request, "education/public/quizzes.html", {"quizzes": selectors.quiz_public_list(timezone.now())}
    )


@_not_found
def public_quiz_view(request, slug: str):
    quiz = selectors.quiz_public_get(slug)
    phone = public_phone(request)
    ctx = {
        "quiz": quiz,
        "open": services.quiz_is_open(quiz, timezone.now()),
        "phone": phone,
        "form": request.POST,
        "question_count": quiz.num_questions or quiz.bank.questions.filter(is_active=True).count(),
        "minutes": quiz.time_limit_seconds // 60,
    }
    if request.method == "POST":
        if phone is None:
            return redirect(reverse("public_verify") + "?" + urlencode({"next": request.path}))
        try:
            attempt = services.quiz_start(
                quiz=quiz,
                phone=phone,
                organisation=request.POST.get("organisation", ""),
                name=request.POST.get("name", ""),
            )
        except ApplicationError as exc:
            ctx["error"] = exc.message
            return render(request, "education/public/quiz.html", ctx, status=400)
        return redirect("education_attempt", token=attempt.token)
    return render(request, "education/public/quiz.html", ctx)


@public_phone_required
@_not_found
def public_attempt_view(request, token: str):
    phone = public_phone(request)
    attempt = selectors.attempt_get(token, phone)
    if request.method == "POST" and attempt.state == attempt.State.IN_PROGRESS:
        answers = {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q_")}
        try:
            attempt = services.quiz_submit(token=token, phone=phone, answers=answers)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("education_attempt", token=token)
    questions = selectors.paper(attempt)
    now = timezone.now()
    return render(
        request,
        "education/public/attempt.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "questions": questions,
            "seconds_left": max(0, int((attempt.deadline_at - now).total_seconds())),
            "timed_out": attempt.state == attempt.State.IN_PROGRESS
            and now > attempt.deadline_at + services.SUBMIT_GRACE,
            "marks": services.score_paper(attempt.question_ids, attempt.answers)[1]
            if attempt.state == attempt.State.SUBMITTED
            else {},
        },
    )


@_not_found
def public_board_view(request, slug: str):
    quiz = selectors.quiz_public_get(slug)
    draw = getattr(quiz, "draw", None) if hasattr(quiz, "draw") else None
    winners = []
    if draw:
        by_id = {a.pk: a for a in quiz.attempts.filter(pk__in=draw.winners)}
        winners = [by_id[pk] for pk in draw.winners if pk in by_id]
    return render(
        request,
        "education/public/board.html",
        {
            "quiz": quiz,
            "board": selectors.quiz_leaderboard(quiz),
            "stats": selectors.quiz_stats(quiz),
            "draw": draw,
            "winners": winners,
            "verify": services.draw_verify(draw) if draw else None,
        },
    )
