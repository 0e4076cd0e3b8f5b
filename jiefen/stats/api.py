"""Statistics API: the dashboard panels for signed-in users and institutions' systems, and the open
data (published datacubes) for anyone, without login."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema

from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for

from . import opendata, panels, selectors
from .datacubes import parse_period
from .figures import FIGURES

router = Router(tags=["监测统计"])


class DatasetOut(Schema):
    period: str
    period_start: str
    period_end: str
    institutions: int
    published_at: str | None


class FieldOut(Schema):
    name: str
    label: str
    type: str
    definition: str


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    definition: str
    source: str


@router.get("/open/datasets", auth=None, response=list[DatasetOut])
def open_datasets(request):
    """Periods with published data (anonymous)."""
    return opendata.datasets()


@router.get("/open/dictionary", auth=None, response=list[FieldOut])
def open_dictionary(request):
    """What every open-data column means (anonymous)."""
    return opendata.dictionary()


@router.get("/open/datacube", auth=None)
def open_datacube(request, period: str, format: str = "json", institution: str | None = None):  # noqa: A002
    """Published per-institution figures of a period (anonymous). `format=csv` for a spreadsheet."""
    start, end = parse_period(period)
    rows = opendata.rows_for(start, end, institution)
    if not rows:
        raise NotFound("该期间尚无已发布的数据")
    if format == "csv":
        response = HttpResponse(opendata.to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="jiefen-open-{period}.csv"'
        return response
    if format != "json":
        raise ApplicationError("format 只能是 json 或 csv", code="invalid_format")
    return {"period": period, "min_cell": opendata.min_cell(), "fields": opendata.dictionary(), "rows": rows}


@router.get("/figures", response=list[FigureOut])
def figure_list(request):
    """Every figure's definition (the same text as docs/figures.md)."""
    return [
        {"key": f.key, "label": f.label, "unit": f.unit, "definition": f.definition, "source": f.source}
        for f in FIGURES.values()
    ]


@router.get("/panels/{name}")
def panel(request, name: str, audience: str = "centre"):
    """One dashboard panel's figures for the caller's own scope (a bank gets its own data only).

    Filters as on the dashboard: period, from, to (YYYY-MM), institution, product, region.
    """
    if name not in panels.PANELS or audience not in panels.PANELS[name].audiences:
        raise NotFound("面板不存在")
    scope = selectors.scope_for(viewer_for(request.user), audience, request.GET)
    return panels.render(name, scope)
