"""The dashboard panels. Each reads a few rows of the cubes (never the case table) and returns one
payload: tiles, charts (ECharts options), a table and the exact figures it shows.

Every panel has its own URL, so each can be timed and exported on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from jiefen.cases.machine import Status
from jiefen.cases.models import ProductType
from jiefen.common import clock
from jiefen.common.rules import get as rule_get
from jiefen.orgs.models import Branch, Institution, Region

from . import charts, figures
from .charts import Chart, Series
from .figures import FIGURES, Scope, cube, rate, yuan
from .models import CaseCube
from .stages import GROUP_OF, GROUPS, LABELS, STAGES

ALL = frozenset({"centre", "institution", "pbc", "regulator"})
WIDE_AUDIENCES = frozenset({"centre", "pbc", "regulator"})


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    audiences: frozenset[str]
    build: Callable[[Scope], dict]
    wide: bool = False


# --- formatting ----------------------------------------------------------------------------------


def num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, Decimal):
        return f"{v:,.2f}" if v.as_tuple().exponent == -2 else f"{v:,}"
    return f"{v:,}"


def pct(v) -> str:
    return "—" if v is None else f"{v}%"


def wan(v: Decimal | None) -> str:
    return "—" if v is None else f"{(v / 10000):,.2f}"


def exact(v):
    """Figures travel as exact values: Decimal as a string, ints as ints, None as null."""
    return str(v) if isinstance(v, Decimal) else v


def plain(v):
    """Chart and table cells: numbers as numbers."""
    return float(v) if isinstance(v, Decimal) else v


def month_label(m: dt.date) -> str:
    return f"{m:%Y-%m}"


def freshness() -> dict:
    st = figures.state()
    if st is None or st.as_of is None:
        return {"as_of": None, "as_of_text": "汇总表尚未生成，请稍候（每分钟自动刷新）", "stale": True}
    local = st.as_of.astimezone(clock.SHANGHAI)
    minutes = int((timezone.now() - st.as_of).total_seconds() // 60)
    ago = "刚刚" if minutes < 1 else f"{minutes} 分钟前" if minutes < 120 else f"{minutes // 60} 小时前"
    text = f"数据截至 {local:%Y-%m-%d %H:%M}（{ago}更新）"
    # The scheduler refreshes every minute: data this old means it (or the worker) is not running.
    stale = minutes >= 15
    if stale:
        text += "，请检查后台任务是否运行"
    return {"as_of": st.as_of.isoformat(), "as_of_text": text, "stale": stale}


def table(title: str, columns: list[str], rows: list[list], numeric_from: int = 1) -> dict:
    return {
        "title": title,
        "columns": columns,
        "rows": [[plain(c) for c in r] for r in rows],
        "numeric_from": numeric_from,
    }


# --- panels --------------------------------------------------------------------------------------


def kpi(scope: Scope) -> dict:
    now = figures.headline(scope)
    before = figures.headline(scope.previous())

    def change(key):
        a, b = now[key], before[key]
        if not b:
            return ""
        delta = rate(a - b, b)
        return f"环比 {'+' if delta > 0 else ''}{delta}%"

    filtered = "（不分产品/地区）" if scope.filtered_by_case_dims else ""
    tiles = [
        {
            "key": "cases.received",
            "value": num(now["cases.received"]),
            "unit": "件",
            "hint": change("cases.received"),
        },
        {
            "key": "cases.closed",
            "value": num(now["cases.closed"]),
            "unit": "件",
            "hint": change("cases.closed"),
        },
        {
            "key": "cases.open_now",
            "value": num(now["cases.open_now"]),
            "unit": "件",
            "hint": "当前，不受期间筛选影响",
        },
        {
            "key": "cases.overdue_now",
            "value": num(now["cases.overdue_now"]),
            "unit": "件",
            "hint": f"占在办 {pct(rate(now['cases.overdue_now'], now['cases.open_now']))}",
            "alert": bool(now["cases.overdue_now"]),
        },
        {
            "key": "disposal.resolved_share",
            "value": pct(now["disposal.resolved_share"]),
            "unit": "",
            "hint": "集中处置阶段化解",
        },
        {
            "key": "mediation.success_rate",
            "value": pct(now["mediation.success_rate"]),
            "unit": "",
            "hint": "结束调解中达成协议",
        },
        {
            "key": "amounts.claimed",
            "value": wan(now["amounts.claimed"]),
            "unit": "万元",
            "hint": "期间收案诉求金额",
        },
        {
            "key": "amounts.recovered",
            "value": wan(now["amounts.recovered"]),
            "unit": "万元",
            "hint": _ext_hint("amounts.recovered", scope) or "协议还款登记",
        },
        {
            "key": "amounts.waived",
            "value": wan(now["amounts.waived"]),
            "unit": "万元",
            "hint": _ext_hint("amounts.waived", scope) or f"罚息复利费用减免{filtered}",
        },
    ]
    for t in tiles:
        t["label"] = FIGURES[t["key"]].label
    rows = [
        [FIGURES[k].label, num(v) if not isinstance(v, Decimal) or "rate" not in k else pct(v)]
        for k, v in now.items()
    ]
    return {
        "tiles": tiles,
        "table": table("主要指标", ["指标", "数值"], rows),
        "table_hidden": True,  # the tiles show it; the table is for the XLSX export
        "figures": {k: exact(v) for k, v in now.items()},
    }


def _ext_hint(key: str, scope: Scope) -> str:
    live, reason = figures.provider_available(FIGURES[key].source)
    if not live:
        return f"暂未接入：{reason}" if reason else "暂未接入"
    if scope.filtered_by_case_dims:
        return "不按产品/地区细分"
    return ""


def trend(scope: Scope) -> dict:
    months = scope.months()
    received = {
        r["month"]: r
        for r in cube(CaseCube, scope)
        .filter(status=figures.ALL)
        .values("month")
        .annotate(n=Sum("cases"), **{a: Sum(a) for a in figures.AMOUNT_FIELDS})
        .order_by()
    }
    flow = figures.stage_flow(scope, per_month=True, stages=[Status.CLOSED])
    rows, fig = [], {}
    for m in months:
        r = received.get(m) or {}
        n = int(r.get("n") or 0)
        claimed = yuan(sum(int(r.get(a) or 0) for a in figures.AMOUNT_FIELDS))
        closed = flow.get((Status.CLOSED, m), {}).get("entered", 0)
        rows.append([month_label(m), n, closed, claimed])
        fig[month_label(m)] = {"cases.received": n, "cases.closed": closed, "amounts.claimed": str(claimed)}
    chart = Chart(
        "月度收结案趋势",
        [r[0] for r in rows],
        [
            Series("收案", [r[1] for r in rows]),
            Series("结案", [r[2] for r in rows]),
            Series("诉求金额（万元）", [float(r[3]) / 10000 for r in rows], kind="line", axis=1),
        ],
        units=("件", "万元"),
    )
    return {
        "charts": [{"key": "trend", "title": chart.title, "option": charts.echarts(chart)}],
        "table": table("月度收结案", ["月份", "收案（件）", "结案（件）", "诉求金额（元）"], rows),
        "figures": {"trend": fig},
        "chart_specs": [chart],
    }


def stages(scope: Scope) -> dict:
    by = figures.status_by_month(scope)
    months = scope.months()
    grid = {(m, g): 0 for m in months for g, _l, _s in GROUPS}
    for (m, status), n in by.items():
        grid[(m, GROUP_OF.get(status, "new"))] += n
    series = [Series(label, [grid[(m, key)] for m in months]) for key, label, _s in GROUPS]
    chart = Chart("各月收案的当前阶段", [month_label(m) for m in months], series, stacked=True)
    rows = [[month_label(m), *[grid[(m, key)] for key, _l, _s in GROUPS]] for m in months]
    statuses: dict[str, int] = {}
    for (_m, status), n in by.items():
        statuses[status] = statuses.get(status, 0) + n
    closed = figures.outcomes(scope)
    return {
        "charts": [{"key": "stages", "title": chart.title, "option": charts.echarts(chart)}],
        "table": table("各月收案的当前阶段（件）", ["收案月份", *[label for _k, label, _s in GROUPS]], rows),
        "figures": {"cases.status": statuses, "cases.outcome": closed},
        "chart_specs": [chart],
        "notes": [
            "按收案月份分组，显示这些案件在数据截至时所处的阶段。",
            f"其中已结案的结案方式：{figures.outcome_text(closed)}。",
        ],
    }


def funnel(scope: Scope) -> dict:
    steps = figures.funnel(scope)
    labels = [FIGURES[k].label.replace("闭环·", "") for k, _v in steps]
    chart = Chart(
        "闭环漏斗：催→调→诉→执",
        labels,
        [Series("件数", [v for _k, v in steps], color="#b4232a")],
        kind="hbar",
        height=380,
    )
    received = steps[0][1]
    rows = [[label, v, pct(rate(v, received))] for label, (_k, v) in zip(labels, steps, strict=True)]
    return {
        "charts": [{"key": "funnel", "title": chart.title, "option": charts.echarts(chart)}],
        "table": table("闭环各环节（件）", ["环节", "件数", "占收案"], rows),
        "figures": {k: v for k, v in steps},
        "chart_specs": [chart],
        "notes": ["各环节按所选期间内发生的进入/离开计数（流量口径），并非同一批案件的跟踪。"],
    }


DEADLINES = [
    ("deadline.disposal", Status.DISPOSAL, "disposal.period"),
    ("deadline.mediation", Status.MEDIATING, "mediation.period"),
    ("deadline.confirmation", Status.CONFIRMATION_PENDING, "confirmation.decide"),
    ("deadline.credit_dispute", "credit.disputes", "credit.dispute_reply"),
    ("deadline.complaints", "complaints", "complaint.decide"),
]


def deadline_rows(scope: Scope) -> list[dict]:
    flow = figures.stage_flow(scope)
    e = figures.ext(scope)
    out = []
    for key, source, rule_key in DEADLINES:
        f = FIGURES[key]
        rule = rule_get(rule_key)
        days = f"{rule.amount}{'个工作日' if rule.unit == 'working_days' else '日'}"
        if f.source == figures.CASES:
            s = flow.get(source) or {}
            met, missed, live, reason = s.get("due_met", 0), s.get("due_missed", 0), True, ""
        else:
            live, reason = figures.provider_available(f.source)
            if scope.filtered_by_case_dims:
                live, reason = False, "不按产品/地区细分"
            met, missed = e.get(f"{source}.due_met", (0, 0))[0], e.get(f"{source}.due_missed", (0, 0))[0]
        out.append(
            {
                "key": key,
                "label": f.label,
                "days": days,
                "met": met if live else None,
                "missed": missed if live else None,
                "rate": rate(met, met + missed) if live else None,
                "live": live,
                "reason": reason,
            }
        )
    return out


def ontime(scope: Scope) -> dict:
    rows = deadline_rows(scope)
    gauges = []
    for r in rows:
        title = r["label"].replace("按期率", "")
        if not r["live"]:
            sub = f"暂未接入：{r['reason']}" if r["reason"] else "暂未接入"
        elif r["rate"] is None:
            sub = "本期无到期事项"
        else:
            sub = f"按期 {r['met']} · 超期 {r['missed']}"
        gauges.append(
            {
                "key": r["key"],
                "title": title,
                "option": charts.echarts_gauge(title, r["rate"], sub),
                "small": True,
            }
        )
    return {
        "charts": gauges,
        "table": table(
            "期限执行情况",
            ["期限", "规则", "期限内办结", "超期", "按期率"],
            [[r["label"], r["days"], num(r["met"]), num(r["missed"]), pct(r["rate"])] for r in rows],
        ),
        "figures": {
            r["key"]: {"due_met": r["met"], "due_missed": r["missed"], "rate": exact(r["rate"])} for r in rows
        },
        "notes": ["按期限落在所选期间内的事项计：期限当日或之前办结为按期；之后办结或至今未办结为超期。"],
    }


def durations(scope: Scope) -> dict:
    summary = figures.stage_table(scope)
    shown = [s for s in STAGES if summary[s]["entered"] or summary[s]["exited"]]
    rows = [
        [
            LABELS[s],
            summary[s]["entered"],
            summary[s]["exited"],
            pct(summary[s]["resolved_share"]),
            num(summary[s]["avg_days"]),
            num(summary[s]["p50_days"]),
            num(summary[s]["p90_days"]),
            summary[s]["due_met"],
            summary[s]["due_missed"],
            pct(summary[s]["on_time_rate"]),
        ]
        for s in shown
    ]
    with_exits = [s for s in shown if summary[s]["exited"]]
    chart = Chart(
        "各阶段用时（日）",
        [LABELS[s] for s in with_exits],
        [
            Series("平均", [summary[s]["avg_days"] for s in with_exits]),
            Series("中位数", [summary[s]["p50_days"] for s in with_exits]),
            Series("第90百分位", [summary[s]["p90_days"] for s in with_exits]),
        ],
        units=("日",),
    )
    return {
        "charts": [{"key": "durations", "title": chart.title, "option": charts.echarts(chart)}],
        "table": table(
            "各阶段办理情况",
            ["阶段", "进入", "离开", "成功率", "平均用时", "中位数", "P90", "期限内", "超期", "按期率"],
            rows,
        ),
        "figures": {s: {k: exact(v) for k, v in summary[s].items()} for s in STAGES},
        "chart_specs": [chart],
        "notes": [
            "用时按离开阶段的月份统计；期限按到期月份统计（期限当日或之前离开为按期）。",
            *(
                []
                if figures.has_percentiles(scope)
                else ["同时按两个以上条件筛选时不提供中位数和 P90（平均用时仍为精确值）。"]
            ),
        ],
    }


def _names(by: str, keys) -> dict:
    keys = [k for k in keys if k not in (None, "")]
    if by == "i":
        return {i.pk: str(i) for i in Institution.objects.filter(pk__in=keys)}
    if by == "p":
        return dict(ProductType.choices)
    if by == "r":
        names = dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
        return {**names, "": "未登记地区"}
    if by == "b":
        return {**{b.pk: b.name for b in Branch.objects.filter(pk__in=keys)}, 0: "未登记网点"}
    return {}


def breakdown(scope: Scope, by: str, title: str) -> dict:
    if by == "b" and scope.filtered_by_case_dims:
        return {
            "table": table(title, ["网点"], []),
            "figures": {},
            "notes": ["按网点细分时不再按产品/地区筛选：请清除产品和地区筛选。"],
        }
    totals = figures.case_totals(scope, by)
    now = figures.open_now(scope, by)
    wanted = [Status.CLOSED, Status.DISPOSAL, Status.MEDIATING]
    flow = figures.stage_flow(scope, by, stages=wanted) if by != "b" else {}
    key_field = figures.DIM_FIELD[by]
    if by == "b":
        closed_cohort = {
            r[key_field]: int(r["n"])
            for r in cube(CaseCube, scope, by)
            .filter(status=Status.CLOSED)
            .values(key_field)
            .annotate(n=Sum("cases"))
            .order_by()
        }
    keys = set(totals) | set(now)
    names = _names(by, keys)
    rows, fig = [], {}
    for k in keys:
        t = totals.get(k) or {"received": 0, "claimed": 0}
        o = now.get(k) or {"open": 0, "overdue": 0}
        if by == "b":
            closed = closed_cohort.get(k, 0)
            resolved = success = None
        else:
            closed = (flow.get((Status.CLOSED, k)) or {}).get("entered", 0)
            d = flow.get((Status.DISPOSAL, k)) or {}
            m = flow.get((Status.MEDIATING, k)) or {}
            resolved = rate(d.get("resolved", 0), d.get("exited", 0))
            success = rate(m.get("resolved", 0), m.get("exited", 0))
        name = names.get(k, str(k))
        rows.append(
            [name, t["received"], yuan(t["claimed"]), closed, o["open"], o["overdue"], resolved, success]
        )
        fig[str(k)] = {
            "cases.received": t["received"],
            "amounts.claimed": str(yuan(t["claimed"])),
            "cases.closed": closed,
            "cases.open_now": o["open"],
            "cases.overdue_now": o["overdue"],
            "disposal.resolved_share": exact(resolved),
            "mediation.success_rate": exact(success),
        }
    rows.sort(key=lambda r: (-r[1], r[0]))
    top = rows[:15]
    chart = Chart(
        title,
        [r[0] for r in top],
        [Series("收案", [r[1] for r in top]), Series("结案", [r[3] for r in top])],
        kind="hbar",
        height=max(240, 28 * len(top) + 60),
    )
    closed_label = "结案（收案队列）" if by == "b" else "结案"
    display = [[r[0], r[1], r[2], r[3], r[4], r[5], pct(r[6]), pct(r[7])] for r in rows]
    notes = ["在办、超期为当前数；其余为所选期间。"]
    if by == "b":
        notes.append("网点的结案数按期间内收案且已结案计（收案队列口径）。")
    return {
        "charts": [{"key": f"by_{by}", "title": chart.title, "option": charts.echarts(chart)}]
        if rows
        else [],
        "table": table(
            title,
            [
                title.replace("分", "").replace("情况", ""),
                "收案",
                "诉求金额（元）",
                closed_label,
                "在办",
                "超期在办",
                "集中处置化解率",
                "调处成功率",
            ],
            display,
        ),
        "figures": fig,
        "chart_specs": [chart] if rows else [],
        "notes": notes,
    }


def capabilities(scope: Scope) -> dict:
    e = figures.ext(scope)
    rows, fig = [], {}
    centre_only = {
        "credit.applications",
        "credit.rescue_applications",
        "assistant.conversations",
        "assistant.handoffs",
    }
    for key, f in FIGURES.items():
        if f.source == figures.CASES or key.startswith("deadline."):
            continue
        live, reason = figures.provider_available(f.source)
        if scope.institution_id and key in centre_only:
            continue
        if scope.filtered_by_case_dims:
            live, reason = False, "不按产品/地区细分"
        n, cents = e.get(key, (0, 0))
        if not live:
            value, status = "—", f"暂未接入（{reason}）" if reason else "暂未接入"
        elif f.unit == "元":
            value, status = f"{num(yuan(cents))} 元（{n} 件）", "已接入"
        elif f.unit == "件/元":
            value, status = f"{n} 件 / {num(yuan(cents))} 元", "已接入"
        else:
            value, status = f"{n:,} {f.unit}", "已接入"
        rows.append([f.label, value, status])
        fig[key] = {"n": n, "amount": str(yuan(cents))} if live else None
    confirmed = figures.stage_flow(scope)
    cp = confirmed.get(Status.CONFIRMATION_PENDING) or {}
    judged = confirmed.get(Status.JUDGED) or {}
    case_rows = [
        [
            "司法确认数",
            f"{(confirmed.get(Status.CONFIRMED) or {}).get('entered', 0):,} 件",
            "已接入（案件时间线）",
        ],
        [
            "未获确认（驳回或撤回）",
            f"{cp.get('exited', 0) - cp.get('resolved', 0):,} 件",
            "已接入（案件时间线）",
        ],
        ["判决数", f"{judged.get('entered', 0):,} 件", "已接入（案件时间线）"],
        ["判决履行结案", f"{judged.get('resolved', 0):,} 件", "已接入（案件时间线）"],
    ]
    fig["confirmation.not_confirmed"] = cp.get("exited", 0) - cp.get("resolved", 0)
    fig["litigation.closed_by_judgment"] = judged.get("resolved", 0)
    return {
        "table": table("其他业务指标", ["指标", "数值", "状态"], case_rows + rows),
        "figures": fig,
        "notes": ["其他业务模块的指标随模块上线自动接入；“暂未接入”表示该模块或其数据尚不可用。"],
    }


PANELS: dict[str, Panel] = {
    p.name: p
    for p in [
        Panel("kpi", "主要指标", ALL, kpi, wide=True),
        Panel("trend", "月度趋势", ALL, trend, wide=True),
        Panel("funnel", "闭环漏斗", frozenset({"centre", "institution", "regulator"}), funnel),
        Panel("ontime", "期限执行", ALL, ontime),
        Panel("stages", "各阶段分布", frozenset({"centre", "institution", "regulator"}), stages),
        Panel(
            "durations",
            "阶段用时与按期",
            frozenset({"centre", "institution", "regulator"}),
            durations,
            wide=True,
        ),
        Panel(
            "by_institution",
            "分机构情况",
            WIDE_AUDIENCES,
            lambda s: breakdown(s, "i", "分机构情况"),
            wide=True,
        ),
        Panel(
            "by_branch",
            "分网点情况",
            frozenset({"institution"}),
            lambda s: breakdown(s, "b", "分网点情况"),
            wide=True,
        ),
        Panel("by_product", "分产品情况", ALL, lambda s: breakdown(s, "p", "分产品情况")),
        Panel(
            "by_region",
            "分地区情况",
            frozenset({"centre", "institution", "regulator"}),
            lambda s: breakdown(s, "r", "分地区情况"),
        ),
        Panel("capabilities", "其他业务", ALL, capabilities, wide=True),
    ]
}

# The PBOC page leads with what the PBOC oversees.
ORDER = {
    "pbc": ["kpi", "ontime", "capabilities", "trend", "by_institution", "by_product"],
}


def panels_for(audience: str) -> list[Panel]:
    names = ORDER.get(audience) or list(PANELS)
    return [PANELS[n] for n in names if audience in PANELS[n].audiences]


def render(name: str, scope: Scope) -> dict:
    panel = PANELS[name]
    with figures.pinned_state():
        data = panel.build(scope)
        fresh = freshness()
    data.pop("chart_specs", None)
    return {
        "panel": name,
        "title": panel.title,
        "scope": scope.labels,
        **fresh,
        "charts": data.get("charts", []),
        "tiles": data.get("tiles", []),
        "table": data.get("table"),
        "table_hidden": bool(data.get("table_hidden")),
        "figures": data.get("figures", {}),
        "notes": data.get("notes", []),
    }


def _categories(option: dict) -> list | None:
    for axis in ("xAxis", "yAxis"):
        a = option.get(axis)
        if isinstance(a, dict) and a.get("type") == "category":
            return a.get("data")
    return None


def xlsx_sheets(payload: dict) -> dict[str, list[list]]:
    t = payload.get("table") or {"title": payload["title"], "columns": [], "rows": []}
    scope = payload.get("scope", {})
    about = [
        ["项目", "内容"],
        ["面板", payload["title"]],
        ["期间", scope.get("period", "")],
        ["机构", scope.get("institution", "全部")],
        ["产品", scope.get("product", "全部")],
        ["地区", scope.get("region", "全部")],
        ["数据时间", payload.get("as_of_text", "")],
        *[["说明", n] for n in payload.get("notes", [])],
    ]
    sheets = {(t["title"] or payload["title"])[:31]: [t["columns"], *t["rows"]]}
    for c in payload.get("charts", []):
        option = c.get("option") or {}
        cats = _categories(option)
        series = [s for s in option.get("series", []) if s.get("type") in {"bar", "line"}]
        if cats and series:
            rows = [["类别", *[s["name"] for s in series]]]
            rows += [[cat, *[s["data"][i] for s in series]] for i, cat in enumerate(cats)]
            sheets[f"图-{c['title']}"[:31]] = rows
    sheets["说明"] = about
    return sheets
