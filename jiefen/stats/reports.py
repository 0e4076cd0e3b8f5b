"""Weekly, monthly and quarterly reports (周小结、月通报、季讲评): DOCX, PDF and an XLSX annex.

The content is built once as neutral sections (text, tables, charts) from the same figures as the
dashboard, then written three ways: Word (python-docx through jiefen.documents, charts as PNG),
PDF (WeasyPrint, charts as inline SVG) and Excel (every table and chart's data).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe

from jiefen.common import clock
from jiefen.common.errors import ApplicationError, PermissionDenied
from jiefen.documents.render import PdfUnavailable, render_docx, render_pdf, render_xlsx
from jiefen.documents.services import document_store
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Institution

from . import charts, figures, panels
from .charts import Chart, Series
from .figures import FIGURES, Scope, add_month, rate
from .models import Report
from .refresh import WEEKS_KEPT, week_start
from .selectors import MANAGER, creditors
from .stages import LABELS, STAGES

Kind = Report.Kind


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    kv: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[str, list[list]]] = field(default_factory=list)  # (caption, [header, *rows])
    charts: list[Chart] = field(default_factory=list)


# --- periods ------------------------------------------------------------------------------------


def report_period(kind: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The week, month or quarter that contains `anchor` (first and last day)."""
    if kind == Kind.WEEKLY:
        start = week_start(anchor)
        return start, start + dt.timedelta(days=6)
    if kind == Kind.MONTHLY:
        start = anchor.replace(day=1)
    elif kind == Kind.QUARTERLY:
        start = anchor.replace(day=1, month=(anchor.month - 1) // 3 * 3 + 1)
    else:
        raise ApplicationError("未知的报告类型", code="invalid_kind")
    last = add_month(start, 3 if kind == Kind.QUARTERLY else 1) - dt.timedelta(days=1)
    return start, last


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == Kind.WEEKLY:
        return f"{start:%Y年%m月%d日}至{end:%m月%d日}"
    if kind == Kind.MONTHLY:
        return f"{start:%Y年%m月}"
    return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"


def report_scope(kind: str, start: dt.date, end: dt.date, institution_id: int | None) -> Scope:
    if kind == Kind.WEEKLY:
        return Scope(start=start, end=start, institution_id=institution_id, grain="w", audience="report")
    return Scope(start=start, end=end.replace(day=1), institution_id=institution_id, audience="report")


def recent_periods(kind: str, today: dt.date, count: int = 8) -> list[tuple[str, str]]:
    """Choices for the on-demand form: the current period first (to date), then earlier ones."""
    out, anchor = [], today
    for n in range(count):
        start, end = report_period(kind, anchor)
        label = period_label(kind, start, end) + ("（截至今日）" if n == 0 else "")
        out.append((start.isoformat(), label))
        anchor = start - dt.timedelta(days=1)
    return out


# --- content ------------------------------------------------------------------------------------


def fmt_pct(v) -> str:
    return "—" if v is None else f"{v}%"


def fmt_wan(v) -> str:
    return "—" if v is None else f"{v / 10000:,.2f} 万元"


def build(kind: str, start: dt.date, end: dt.date, institution: Institution | None) -> dict:
    scope = report_scope(kind, start, end, institution.pk if institution else None)
    weekly = kind == Kind.WEEKLY
    # Provider figures are kept by month: the weekly report shows them for the week's month to date.
    month_scope = Scope(start=end.replace(day=1), end=end.replace(day=1), institution_id=scope.institution_id)
    with figures.pinned_state():
        st = figures.state()
        head = figures.headline(scope)
        before = figures.headline(scope.previous())
        ext_head = figures.headline(month_scope) if weekly else head
        sections = [_overview(kind, head, before, ext_head, weekly)]
        sections.append(_trend(kind, scope, weekly))
        sections.append(_loop(scope))
        sections.append(_stages(scope))
        sections.append(_deadlines(month_scope if weekly else scope, scope, weekly))
        if institution is None:
            sections.append(_breakdown(scope, "i", "分机构情况"))
        elif not weekly:
            sections.append(_breakdown(scope, "b", "分网点情况"))
        if not weekly:
            sections.append(_breakdown(scope, "p", "分产品情况"))
            sections.append(_breakdown(scope, "r", "分地区情况"))
        sections.append(_others(month_scope if weekly else scope, weekly))
    who = str(institution) if institution else settings.JIEFEN_CENTER_NAME
    title = f"{who}{period_label(kind, start, end)}{Kind(kind).label}"
    as_of = st.as_of if st else None
    notes = [
        "口径：各项指标的定义见“指标口径”（docs/figures.md），与监测看板一致。",
        "收案、诉求金额按收案时间统计；结案、阶段进出、用时按发生时间统计；期限按到期日统计。",
    ]
    if weekly:
        notes.append("周小结按自然周（周一至周日）统计；其他业务指标按该周所在月份累计。")
    if institution is not None:
        notes.append("本报告仅含本机构数据。")
    return {
        "title": title,
        "kind_label": Kind(kind).label,
        "period": period_label(kind, start, end),
        "who": who,
        "as_of": as_of,
        "as_of_text": f"{as_of.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}" if as_of else "—",
        "sections": sections,
        "notes": notes,
    }


def _change(now, before) -> str:
    if not before:
        return ""
    delta = rate(now - before, before)
    return f"，环比{'增长' if delta >= 0 else '下降'}{abs(delta)}%"


def _overview(kind, head, before, ext_head, weekly) -> Section:
    unit = "本周" if weekly else "本月" if kind == Kind.MONTHLY else "本季度"
    text = (
        f"{unit}新收案件 {head['cases.received']:,} 件{_change(head['cases.received'], before['cases.received'])}；"
        f"结案 {head['cases.closed']:,} 件{_change(head['cases.closed'], before['cases.closed'])}。"
        f"截至数据时间，在办案件 {head['cases.open_now']:,} 件，其中超过本阶段期限 {head['cases.overdue_now']:,} 件。"
    )
    text2 = (
        f"集中处置化解率 {fmt_pct(head['disposal.resolved_share'])}，调处成功率 {fmt_pct(head['mediation.success_rate'])}；"
        f"新收案件诉求金额 {fmt_wan(head['amounts.claimed'])}。"
    )
    keys = [
        "cases.received",
        "cases.closed",
        "cases.withdrawn",
        "cases.open_now",
        "cases.overdue_now",
        "disposal.resolved_share",
        "mediation.success_rate",
        "confirmation.confirmed",
        "litigation.judged",
        "amounts.claimed",
    ]
    kv = [(FIGURES[k].label, _display(k, head[k])) for k in keys]
    for k in ["amounts.recovered", "amounts.waived"]:
        suffix = "（本月累计）" if weekly else ""
        kv.append(
            (FIGURES[k].label + suffix, _display(k, ext_head[k]) if ext_head[k] is not None else "暂未接入")
        )
    return Section("一、总体情况", paragraphs=[text, text2], kv=kv)


def _display(key: str, value) -> str:
    unit = FIGURES[key].unit
    if value is None:
        return "—"
    if unit == "%":
        return f"{value}%"
    if unit == "元":
        return f"{value:,.2f} 元"
    return f"{value:,} {unit}"


def _trend(kind, scope: Scope, weekly) -> Section:
    if weekly:
        first = max(
            scope.step(scope.start, -11), week_start(clock.local_today()) - dt.timedelta(weeks=WEEKS_KEPT - 1)
        )
        trend_scope = Scope(start=first, end=scope.end, institution_id=scope.institution_id, grain="w")
        label = "近12周"
    else:
        trend_scope = Scope(
            start=add_month(scope.end, -11), end=scope.end, institution_id=scope.institution_id
        )
        label = "近12个月"
    data = panels.trend(trend_scope)
    chart = data["chart_specs"][0]
    chart.title = f"{label}收结案趋势"
    rows = data["table"]["rows"]
    header = ["周（周一）" if weekly else "月份", "收案（件）", "结案（件）", "诉求金额（元）"]
    return Section(f"二、{label}收结案趋势", charts=[chart], tables=[("", [header, *rows])])


def _loop(scope: Scope) -> Section:
    steps = figures.funnel(scope)
    received = steps[0][1]
    rows = [[FIGURES[k].label.replace("闭环·", ""), v, fmt_pct(rate(v, received))] for k, v in steps]
    chart = Chart(
        "闭环各环节",
        [r[0] for r in rows],
        [Series("件数", [r[1] for r in rows], color="#b4232a")],
        kind="hbar",
    )
    closed = figures.outcomes(scope)
    return Section(
        "三、闭环各环节（催→调→诉→执）",
        paragraphs=[
            "按本期发生的进入或离开计数。",
            f"本期收案中已结案的，结案方式为：{figures.outcome_text(closed)}。",
        ],
        charts=[chart],
        tables=[("", [["环节", "件数", "占收案"], *rows])],
    )


def _stages(scope: Scope) -> Section:
    table = figures.stage_table(scope)
    rows = []
    for s in STAGES:
        t = table[s]
        if not (t["entered"] or t["exited"] or t["due_met"] or t["due_missed"]):
            continue
        rows.append(
            [
                LABELS[s],
                t["entered"],
                t["exited"],
                fmt_pct(t["resolved_share"]),
                t["avg_days"] if t["avg_days"] is not None else "—",
                t["p50_days"] if t["p50_days"] is not None else "—",
                t["p90_days"] if t["p90_days"] is not None else "—",
                t["due_met"],
                t["due_missed"],
                fmt_pct(t["on_time_rate"]),
            ]
        )
    header = ["阶段", "进入", "离开", "成功率", "平均用时（日）", "中位数", "P90", "期限内", "超期", "按期率"]
    return Section("四、各阶段办理情况", tables=[("", [header, *rows])])


def _deadlines(ext_scope: Scope, scope: Scope, weekly: bool) -> Section:
    case_rows = {r["key"]: r for r in panels.deadline_rows(scope)}
    ext_rows = {r["key"]: r for r in panels.deadline_rows(ext_scope)}
    rows = []
    for key, _source, _rule in panels.DEADLINES:
        r = case_rows[key] if FIGURES[key].source == figures.CASES else ext_rows[key]
        label = r["label"].replace("按期率", "")
        if FIGURES[key].source != figures.CASES and weekly:
            label += "（本月累计）"
        if not r["live"]:
            rows.append([label, r["days"], "—", "—", "暂未接入"])
        else:
            rows.append([label, r["days"], r["met"], r["missed"], fmt_pct(r["rate"])])
    return Section(
        "五、期限执行情况",
        paragraphs=["按期限落在本期内的事项统计：期限当日或之前办结为按期，之后办结或至今未办结为超期。"],
        tables=[("", [["期限", "规则", "期限内办结", "超期", "按期率"], *rows])],
    )


def _breakdown(scope: Scope, by: str, title: str) -> Section:
    data = panels.breakdown(scope, by, title)
    t = data["table"]
    number = {"i": "六", "b": "六", "p": "七", "r": "八"}[by]
    section = Section(f"{number}、{title}", tables=[("", [t["columns"], *t["rows"]])])
    if data.get("chart_specs") and by in {"i", "b"}:
        chart = data["chart_specs"][0]
        chart.categories, chart.series = (
            chart.categories[:10],
            [Series(s.name, s.values[:10], color=s.color) for s in chart.series],
        )
        chart.title = f"{title}（收案前十）"
        section.charts.append(chart)
    return section


def _others(scope: Scope, weekly: bool) -> Section:
    data = panels.capabilities(scope)
    t = data["table"]
    title = "九、其他业务" + ("（本月累计）" if weekly else "")
    return Section(title, tables=[("", [t["columns"], *t["rows"]])])


# --- writers ------------------------------------------------------------------------------------


def to_docx(content: dict) -> bytes:
    blocks: list[tuple[str, object]] = [
        ("h1", content["title"]),
        ("p", f"数据截至：{content['as_of_text']}　　生成单位：{settings.JIEFEN_CENTER_NAME}"),
    ]
    pictures: dict[str, bytes] = {}
    for section in content["sections"]:
        blocks.append(("h2", section.title))
        blocks += [("p", p) for p in section.paragraphs]
        if section.kv:
            blocks.append(("kv", [list(pair) for pair in section.kv]))
        for chart in section.charts:
            marker = f"[[chart-{len(pictures)}]]"
            pictures[marker] = charts.png(chart)
            blocks.append(("p", marker))
            blocks.append(("p", f"图：{chart.title}"))
        for caption, rows in section.tables:
            if caption:
                blocks.append(("p", caption))
            blocks.append(("table", [[_cell(c) for c in r] for r in rows]))
    blocks.append(("h2", "附：说明"))
    blocks += [("p", n) for n in content["notes"]]
    return _with_pictures(render_docx(blocks, title=content["title"]), pictures)


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _with_pictures(docx: bytes, pictures: dict[str, bytes]) -> bytes:
    """render_docx has no image block: its placeholder paragraphs are replaced by the chart PNGs."""
    if not pictures:
        return docx
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = Document(io.BytesIO(docx))
    for paragraph in doc.paragraphs:
        png = pictures.get(paragraph.text.strip())
        if png is None:
            continue
        for run in paragraph.runs:
            run.text = ""
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        (paragraph.runs[0] if paragraph.runs else paragraph.add_run()).add_picture(
            io.BytesIO(png), width=Cm(16)
        )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_pdf(content: dict) -> bytes:
    sections = []
    for s in content["sections"]:
        sections.append(
            {
                "title": s.title,
                "paragraphs": s.paragraphs,
                "kv": s.kv,
                "charts": [{"title": c.title, "svg": mark_safe(charts.svg(c))} for c in s.charts],  # noqa: S308 - our own SVG, text escaped
                "tables": [
                    {"caption": cap, "header": rows[0], "rows": [[_cell(c) for c in r] for r in rows[1:]]}
                    for cap, rows in s.tables
                ],
            }
        )
    return render_pdf(
        "stats/docs/report.html", {**content, "sections": sections, "centre": settings.JIEFEN_CENTER_NAME}
    )


def to_xlsx(content: dict) -> bytes:
    sheets: dict[str, list[list]] = {}
    for s in content["sections"]:
        name = s.title.split("、", 1)[-1][:28]
        if s.kv:
            sheets[f"{name}"[:31]] = [["指标", "数值"], *[list(p) for p in s.kv]]
        for n, (_cap, rows) in enumerate(s.tables):
            key = (name if not s.kv and n == 0 else f"{name}{n + 1}")[:31]
            sheets[key] = [[c if c is not None else "" for c in r] for r in rows]
        for chart in s.charts:
            rows = [["类别", *[x.name for x in chart.series]]]
            rows += [[cat, *[x.values[i] for x in chart.series]] for i, cat in enumerate(chart.categories)]
            sheets[f"图-{chart.title}"[:31]] = [
                [float(c) if hasattr(c, "as_tuple") else c for c in r] for r in rows
            ]
    sheets["说明"] = [
        ["项目", "内容"],
        ["报告", content["title"]],
        ["数据截至", content["as_of_text"]],
        *[["说明", n] for n in content["notes"]],
    ]
    return render_xlsx(sheets)


# --- service ------------------------------------------------------------------------------------


def _check_access(actor, institution_id: int | None) -> Institution | None:
    if actor is None:  # the scheduler
        return Institution.objects.get(pk=institution_id) if institution_id else None
    viewer = viewer_for(actor)
    if viewer.is_center and not viewer.read_only:
        if institution_id is None:
            return None
        inst = creditors().filter(pk=institution_id).first()
        if inst is None:
            raise ApplicationError("机构不存在", code="invalid_institution", status=404)
        return inst
    own = viewer.institution_ids(MANAGER)
    if not own:
        raise PermissionDenied("您无权生成统计报告")
    if institution_id is None:
        institution_id = sorted(own)[0]
    if institution_id not in own:
        from jiefen.common.errors import NotFound

        raise NotFound("机构不存在或您无权查看")
    return Institution.objects.get(pk=institution_id)


def report_generate(
    *,
    actor,
    kind: str,
    anchor: dt.date | str | None = None,
    institution_id: int | None = None,
    trigger: str = "manual",
) -> Report:
    """Generate (or regenerate) the report of the period containing `anchor` (default: today)."""
    if kind not in Kind.values:
        raise ApplicationError("请选择报告类型（周小结、月通报、季讲评）", code="invalid_kind")
    if isinstance(anchor, str):
        try:
            anchor = dt.date.fromisoformat(anchor)
        except ValueError:
            raise ApplicationError("日期格式应为 YYYY-MM-DD", code="invalid_date") from None
    anchor = anchor or clock.local_today()
    institution = _check_access(actor, institution_id)
    start, end = report_period(kind, anchor)
    if kind == Kind.WEEKLY and start < week_start(clock.local_today()) - dt.timedelta(weeks=WEEKS_KEPT - 1):
        raise ApplicationError(f"周小结只能生成近 {WEEKS_KEPT - 1} 周的", code="too_old")
    content = build(kind, start, end, institution)
    docx = to_docx(content)
    try:
        pdf, pdf_note = to_pdf(content), ""
    except PdfUnavailable as exc:
        pdf, pdf_note = None, exc.message
    xlsx = to_xlsx(content)
    stem = content["title"]
    with transaction.atomic():
        report, _created = Report.objects.select_for_update().get_or_create(
            kind=kind,
            period_start=start,
            institution=institution,
            defaults={"period_end": end, "title": stem, "created_at": timezone.now(), "trigger": trigger},
        )
        subject = f"report:{report.pk}"
        report.docx = document_store(
            kind="stats_report", subject=subject, filename=f"{stem}.docx", content=docx, actor=actor
        )
        report.pdf = (
            document_store(
                kind="stats_report", subject=subject, filename=f"{stem}.pdf", content=pdf, actor=actor
            )
            if pdf
            else None
        )
        report.xlsx = document_store(
            kind="stats_report", subject=subject, filename=f"{stem}（附表）.xlsx", content=xlsx, actor=actor
        )
        report.pdf_note = pdf_note
        report.period_end = end
        report.title = stem
        report.data_as_of = content["as_of"]
        report.trigger = trigger
        report.created_by = actor
        report.created_at = timezone.now()
        report.save()
    return report


def institutions_with_cases(kind: str, start: dt.date, end: dt.date) -> list[Institution]:
    """Creditors that have figures in the period (received or still open): they get their own report."""
    scope = report_scope(kind, start, end, None)
    received = figures.case_totals(scope, "i")
    open_now = figures.open_now(scope, "i")
    ids = {k for k, v in received.items() if v["received"]} | {k for k, v in open_now.items() if v["open"]}
    return list(creditors().filter(pk__in=ids).order_by("code"))


def reports_for_period_end(*, kind: str, due: dt.datetime) -> list[Report]:
    """The scheduled run: the period that ended just before `due`, for the centre and each institution.

    Idempotent: running it twice regenerates the same rows (one per kind, period and audience).
    """
    anchor = clock.local_date(due) - dt.timedelta(days=1)
    start, end = report_period(kind, anchor)
    made = [report_generate(actor=None, kind=kind, anchor=anchor, trigger="schedule")]
    for inst in institutions_with_cases(kind, start, end):
        made.append(
            report_generate(actor=None, kind=kind, anchor=anchor, institution_id=inst.pk, trigger="schedule")
        )
    return made
