"""Thin views: parse the request, call one selector or service, render."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from jiefen.cases.models import ProductType
from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.documents.render import render_xlsx
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Region

from . import datacubes, opendata, panels, reports, selectors, services
from .figures import FIGURES
from .models import Datacube, Report

FILTER_KEYS = ("period", "from", "to", "institution", "product", "region")
TITLES = {
    "centre": "调处中心监测",
    "institution": "本机构监测",
    "pbc": "人民银行监测",
    "regulator": "监管监测（只读）",
}


def _query(request) -> dict[str, str]:
    return {k: request.GET[k] for k in FILTER_KEYS if request.GET.get(k)}


@login_required
def home(request):
    """The nav link: each person lands on their own dashboard."""
    audiences = selectors.audiences_for(request.user)
    if not audiences:
        raise Http404("您无权查看统计页面")
    if audiences[0] == "centre":
        return dashboard(request, "centre")
    return redirect("stats_dashboard", audience=audiences[0])


@login_required
def dashboard(request, audience: str):
    viewer = viewer_for(request.user)
    if audience not in selectors.AUDIENCES or audience not in selectors.audiences_for(viewer):
        raise Http404("页面不存在或您无权查看")
    query = _query(request)
    institutions = selectors.visible_institutions(viewer)
    error = None
    needs_institution = audience == "institution" and viewer.sees_everything and not query.get("institution")
    try:
        scope = None if needs_institution else selectors.scope_for(viewer, audience, request.GET)
    except NotFound:
        raise Http404("机构不存在或您无权查看") from None
    except ApplicationError as exc:
        error, scope = exc.message, None
    shown = panels.panels_for(audience)
    qs = urlencode({**query, "audience": audience})
    ctx = {
        "audience": audience,
        "title": TITLES[audience],
        "audiences": [(a, TITLES[a]) for a in selectors.audiences_for(viewer)],
        "scope": scope,
        "error": error,
        "needs_institution": needs_institution,
        "panels": [
            {
                "name": p.name,
                "title": p.title,
                "wide": p.wide,
                "url": f"{reverse('stats_panel', args=[p.name])}?{qs}",
                "xlsx": f"{reverse('stats_panel_xlsx', args=[p.name])}?{qs}",
            }
            for p in shown
        ],
        "periods": selectors.PERIODS,
        "query": query,
        "products": ProductType.choices,
        "regions": Region.objects.all(),
        "institutions": institutions if (viewer.sees_everything or institutions.count() > 1) else [],
        "fresh": panels.freshness(),
        "can_manage": selectors.can_manage(viewer),
    }
    return render(request, "stats/dashboard.html", ctx)


def _panel_payload(request, name: str) -> dict:
    if name not in panels.PANELS:
        raise NotFound("面板不存在")
    audience = request.GET.get("audience") or "centre"
    viewer = viewer_for(request.user)
    if audience not in panels.PANELS[name].audiences:
        raise NotFound("面板不存在")
    scope = selectors.scope_for(viewer, audience, request.GET)
    return panels.render(name, scope)


def _json_error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)


@login_required
def panel(request, name: str):
    try:
        return JsonResponse(_panel_payload(request, name), json_dumps_params={"ensure_ascii": False})
    except ApplicationError as exc:
        return _json_error(exc)


@login_required
def panel_xlsx(request, name: str):
    try:
        payload = _panel_payload(request, name)
    except NotFound:
        raise Http404("面板不存在") from None
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    content = render_xlsx(panels.xlsx_sheets(payload))
    filename = f"{payload['title']}-{payload['scope'].get('period', '')}.xlsx"
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename)


@login_required
@require_POST
def refresh_now(request):
    if not selectors.can_manage(request.user):
        raise Http404("页面不存在")
    result = services.cube_refresh(actor=request.user, force=True)
    messages.success(request, "汇总表已刷新" if result.get("rebuilt") else "汇总表正由其他进程刷新，请稍候")
    return redirect(request.POST.get("next") or "stats_home")


@login_required
def figure_dictionary(request):
    if not selectors.audiences_for(request.user):
        raise Http404("页面不存在")
    return render(request, "stats/figures.html", {"figures": FIGURES.values(), "fields": opendata.FIELDS})


# --- reports -------------------------------------------------------------------------------------


@login_required
def report_list(request):
    viewer = viewer_for(request.user)
    if not selectors.audiences_for(viewer):
        raise Http404("页面不存在")
    today = clock.local_today()
    ctx = {
        "reports": selectors.report_queryset_for(viewer)[:200],
        "choices": [
            (label, [(f"{kind}:{value}", text) for value, text in reports.recent_periods(kind, today)])
            for kind, label in Report.Kind.choices
        ],
        "kinds": dict(Report.Kind.choices),
        "institutions": selectors.visible_institutions(viewer),
        "can_generate": selectors.can_manage(viewer) or bool(viewer.institution_ids(selectors.MANAGER)),
        "sees_everything": viewer.sees_everything,
    }
    return render(request, "stats/reports.html", ctx)


@login_required
@require_POST
def report_generate(request):
    try:
        inst = request.POST.get("institution") or None
        kind, _, anchor = request.POST.get("which", "").partition(":")
        report = reports.report_generate(
            actor=request.user, kind=kind, anchor=anchor or None, institution_id=int(inst) if inst else None
        )
    except NotFound:
        raise Http404("机构不存在或您无权查看") from None
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "参数有误"))
        return redirect("stats_reports")
    messages.success(request, f"已生成：{report.title}")
    return redirect("stats_reports")


@login_required
def report_download(request, report_id: int, fmt: str):
    try:
        report = selectors.report_get_for_user(request.user, report_id)
    except NotFound:
        raise Http404("报告不存在或您无权查看") from None
    doc = {"docx": report.docx, "pdf": report.pdf, "xlsx": report.xlsx}.get(fmt)
    if doc is None:
        raise Http404("该格式的文件不存在")
    return FileResponse(io.BytesIO(doc.read()), as_attachment=True, filename=doc.filename)


# --- datacubes -----------------------------------------------------------------------------------


@login_required
def datacube_list(request):
    viewer = viewer_for(request.user)
    if not selectors.audiences_for(viewer):
        raise Http404("页面不存在")
    ctx = {
        "datacubes": selectors.datacube_queryset_for(viewer)[:300],
        "can_manage": selectors.can_manage(viewer),
        "institutions": selectors.creditors() if selectors.can_manage(viewer) else [],
        "periods": datacubes.period_choices(),
    }
    return render(request, "stats/datacubes.html", ctx)


@login_required
@require_POST
def datacube_prepare(request):
    try:
        inst = request.POST.get("institution") or ""
        made = datacubes.datacube_prepare(
            actor=request.user,
            period=request.POST.get("period", ""),
            institution_id=int(inst) if inst else None,
        )
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "参数有误"))
        return redirect("stats_datacubes")
    messages.success(request, f"已准备 {len(made)} 家机构的数据立方，等待机构确认")
    return redirect("stats_datacubes")


@login_required
def datacube_detail(request, datacube_id: int):
    viewer = viewer_for(request.user)
    try:
        cube = selectors.datacube_get_for_user(viewer, datacube_id)
    except NotFound:
        raise Http404("数据立方不存在或您无权查看") from None
    ctx = {
        "cube": cube,
        "rows": datacubes.display_rows(cube),
        "events": [
            {
                "e": e,
                "label": datacubes.ACTIONS[e.action].label
                if e.action in datacubes.ACTIONS
                else "准备并送机构确认",
                "to": Datacube.Status(e.to_status).label,
            }
            for e in cube.events.all()
        ],
        "actions": datacubes.allowed_actions(viewer, cube),
    }
    return render(request, "stats/datacube_detail.html", ctx)


@login_required
@require_POST
def datacube_act(request, datacube_id: int, action: str):
    try:
        datacubes.datacube_act(
            actor=request.user,
            datacube_id=datacube_id,
            action=action,
            reason=request.POST.get("reason", ""),
            expected_version=int(request.POST["version"]) if request.POST.get("version") else None,
        )
    except NotFound:
        raise Http404("数据立方不存在或您无权查看") from None
    except (PermissionDenied, ApplicationError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已办理：{datacubes.ACTIONS[action].label}")
    return redirect("stats_datacube", datacube_id=datacube_id)


# --- public open data ----------------------------------------------------------------------------


def open_data_page(request):
    ctx = {
        "datasets": opendata.datasets(),
        "fields": opendata.FIELDS,
        "min_cell": opendata.min_cell(),
    }
    return render(request, "stats/open_data.html", ctx)
