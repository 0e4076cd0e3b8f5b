"""Every figure the monitoring centre publishes: one definition each (docs/figures.md is its readable
copy, and a test checks they agree), computed only from the summary tables.

Counting conventions, used by every figure:
- months and days are Asia/Shanghai local; a period is a range of whole months;
- cohort figures (收案、诉求金额、状态分布) follow the cases *received* in the period;
- flow figures (结案、阶段进出、用时) count what *happened* in the period;
- deadline figures count the deadlines that *fell due* in the period (met: done on or before the due
  day; missed: done later, or not done and the due day has passed);
- rates are integer ratios rounded half-up to 0.1%; none when the denominator is 0;
- percentiles are nearest-rank on exact integer days: the p-th percentile is the smallest d such that
  at least p% of the exits took d days or fewer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from jiefen.cases.machine import Status

from .models import CaseCube, DurationCube, ExtCube, RefreshState, StageCube
from .refresh import DURATION_SETS, WEEK_SETS
from .stages import STAGES

AMOUNT_FIELDS = ["principal", "interest", "penalty_interest", "compound_interest", "fees"]
CASES = "cases"  # the source of figures that are live now: jiefen.cases and its timeline


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    definition: str
    source: str = CASES  # "cases", or the provider (providers.PROVIDERS key) that contributes it
    open_data: bool = False


F = Figure
FIGURES: dict[str, Figure] = {
    f.key: f
    for f in [
        F(
            "cases.received",
            "收案数",
            "件",
            "收案时间（Asia/Shanghai）在所选期间内的案件数。",
            open_data=True,
        ),
        F(
            "amounts.claimed",
            "诉求金额",
            "元",
            "所选期间内收案的案件诉求金额之和：本金、利息、罚息、复利、费用及违约金五项合计（分项另列）。",
            open_data=True,
        ),
        F(
            "cases.status",
            "案件状态分布",
            "件",
            "所选期间内收案的案件，按数据截至时的状态（阶段）计数；用于“各阶段堆叠图”。",
        ),
        F(
            "cases.open_now",
            "当前在办案件",
            "件",
            "数据截至时状态不是“已结案”“已撤回”的案件数（不受期间筛选影响）。",
        ),
        F(
            "cases.overdue_now",
            "当前超期在办",
            "件",
            "当前在办案件中，本阶段期限（stage_due_on）早于数据截至日的案件数（不受期间筛选影响）。",
        ),
        F(
            "cases.closed",
            "结案数",
            "件",
            "所选期间内进入“已结案”状态的案件数（按结案时间）。",
            open_data=True,
        ),
        F("cases.withdrawn", "撤回数", "件", "所选期间内进入“已撤回”状态的案件数。"),
        F(
            "cases.outcome",
            "结案方式",
            "件",
            "所选期间内收案且已结案的案件按结案方式计数：全额还款（集中处置阶段）、协议履行完毕、判决履行、执行结案。",
        ),
        F(
            "stage.entered",
            "进入阶段数",
            "件次",
            "所选期间内进入该阶段（状态）的次数；同一案件再次进入计为新的一次。",
        ),
        F(
            "stage.exited",
            "离开阶段数",
            "件次",
            "所选期间内离开该阶段的次数（下一次状态变更的时间在期间内）。",
        ),
        F(
            "stage.resolved_share",
            "阶段成功率",
            "%",
            "离开该阶段的次数中，以该阶段的成功去向离开的比例（各阶段成功去向见 jiefen/stats/stages.py 的 RESOLVED_EXITS）。",
        ),
        F(
            "stage.avg_days",
            "平均用时",
            "日",
            "所选期间内离开该阶段者在该阶段停留的平均天数：离开日与进入日的本地日期之差（整数日）的平均值，保留一位小数。",
        ),
        F("stage.p50_days", "用时中位数", "日", "同上用时的第50百分位（最近秩法，精确到日）。"),
        F("stage.p90_days", "用时第90百分位", "日", "同上用时的第90百分位（最近秩法，精确到日）。"),
        F(
            "stage.due_met",
            "期限内办结",
            "件次",
            "阶段期限（进入该阶段时记录的 due_on）落在所选期间内、且在期限当日或之前离开该阶段的次数。",
        ),
        F(
            "stage.due_missed",
            "超期",
            "件次",
            "阶段期限落在所选期间内，且在期限之后才离开、或数据截至时已过期限仍未离开的次数。",
        ),
        F("stage.on_time_rate", "按期率", "%", "期限内办结 ÷（期限内办结 + 超期）。"),
        F(
            "disposal.resolved_share",
            "集中处置化解率",
            "%",
            "所选期间内离开“集中处置”阶段的案件中，以全额还款结案或达成还款方案（plan_agreed）离开的比例。",
            open_data=True,
        ),
        F(
            "mediation.success_rate",
            "调处成功率",
            "%",
            "所选期间内结束调解（离开“调解中”）的案件中，达成调解协议的比例。",
            open_data=True,
        ),
        F("funnel.received", "闭环·收案", "件", "= 收案数。"),
        F("funnel.disposal", "闭环·进入集中处置", "件次", "所选期间内进入“集中处置”的次数。"),
        F(
            "funnel.disposal_resolved",
            "闭环·处置阶段化解",
            "件",
            "所选期间内以成功去向离开“集中处置”的次数。",
        ),
        F(
            "funnel.mediation",
            "闭环·进入调解",
            "件次",
            "所选期间内进入“待调解”的次数（分流为复杂案件或一键移送调解）。",
        ),
        F(
            "funnel.agreed",
            "闭环·达成协议",
            "件次",
            "所选期间内进入“已达成协议”的次数（处置阶段还款方案或调解协议）。",
        ),
        F("funnel.confirmed", "闭环·司法确认", "件次", "所选期间内进入“已司法确认”的次数。"),
        F("funnel.performed", "闭环·履行完毕结案", "件", "所选期间内从“履行中”结案（协议履行完毕）的次数。"),
        F("funnel.litigation", "闭环·进入诉讼", "件次", "所选期间内进入“诉讼中”的次数。"),
        F("funnel.judged", "闭环·已判决", "件次", "所选期间内进入“已判决”的次数。"),
        F("funnel.enforcement", "闭环·进入执行", "件次", "所选期间内进入“执行中”的次数。"),
        F("funnel.enforced", "闭环·执行结案", "件", "所选期间内从“执行中”结案的次数。"),
        F(
            "deadline.disposal",
            "集中处置期限（30日）按期率",
            "%",
            "“集中处置”阶段的期限执行情况（规则 disposal.period），口径同“按期率”。",
        ),
        F(
            "deadline.mediation",
            "调解期限（30日）按期率",
            "%",
            "“调解中”阶段的期限执行情况（规则 mediation.period），口径同“按期率”。调解延期仅在调解模块写入案件时间线后计入。",
        ),
        F(
            "deadline.confirmation",
            "司法确认审查期限（30日）按期率",
            "%",
            "“司法确认中”阶段的期限执行情况（规则 confirmation.decide），口径同“按期率”。",
        ),
        F(
            "deadline.credit_dispute",
            "征信异议答复期限（20日）按期率",
            "%",
            "答复期限落在所选期间内的征信异议中，在期限当日或之前书面答复的比例；逾期未答复计为超期；撤回且未答复的不计。",
            source="credit",
        ),
        F(
            "deadline.complaints",
            "投诉处理期限（15日）按期率",
            "%",
            "答复期限（含经批准的延期）落在所选期间内的投诉中，在期限当日或之前答复的比例；逾期未答复计为超期；撤回且未答复的不计。",
            source="complaints",
        ),
        F(
            "confirmation.confirmed",
            "司法确认数",
            "件",
            "所选期间内进入“已司法确认”的次数（= 闭环·司法确认）。",
            open_data=True,
        ),
        F(
            "confirmation.not_confirmed",
            "未获确认",
            "件",
            "所选期间内离开“司法确认中”但未获确认（驳回或撤回）的次数。",
        ),
        F(
            "litigation.judged",
            "判决数",
            "件",
            "所选期间内进入“已判决”的次数（= 闭环·已判决）。",
            open_data=True,
        ),
        F("litigation.closed_by_judgment", "判决履行结案", "件", "所选期间内从“已判决”直接结案的次数。"),
        F(
            "confirmation.applications",
            "司法确认申请数",
            "件",
            "所选期间内提交的司法确认申请数（按申请时间）。",
            source="litigation",
        ),
        F(
            "litigation.judgments",
            "判决/裁决金额",
            "元",
            "所选期间内作出的判决/裁决的金额之和（按判决日期）。件数另列。",
            source="litigation",
        ),
        F(
            "enforcement.applied",
            "申请执行金额",
            "元",
            "所选期间内申请强制执行的案件数及申请执行金额之和（按申请时间）。",
            source="litigation",
        ),
        F(
            "enforcement.closed",
            "执行到位金额",
            "元",
            "所选期间内执行结案的案件数及其已执行到位金额之和（按执行结案时间）。",
            source="litigation",
            open_data=True,
        ),
        F(
            "mediation.agreements",
            "生效协议数与协议金额",
            "件/元",
            "所选期间内生效（effective_at）的调解/还款协议数及协议还款总额之和；作废协议不计。",
            source="mediation",
        ),
        F(
            "amounts.waived",
            "减免金额",
            "元",
            "所选期间内生效协议减免的罚息、复利、费用及违约金之和；作废协议不计。",
            source="mediation",
            open_data=True,
        ),
        F(
            "amounts.recovered",
            "回收金额",
            "元",
            "所选期间内登记的协议还款金额之和（按还款日期）。",
            source="mediation",
            open_data=True,
        ),
        F(
            "disposal.sms",
            "催告短信",
            "条",
            "所选期间内登记的催告短信条数（按发送时间）。",
            source="disposal",
        ),
        F("disposal.calls", "一键拨号", "次", "所选期间内登记的电话联系次数。", source="disposal"),
        F(
            "disposal.contacts_recovered",
            "失联修复成功",
            "件",
            "所选期间内完成的失联修复批次中修复成功的案件数（按批次完成时间）。",
            source="disposal",
        ),
        F(
            "credit.disputes_received",
            "征信异议受理数",
            "件",
            "所选期间内收到的征信异议数（按收到时间）。",
            source="credit",
            open_data=True,
        ),
        F("credit.statements", "个人声明数", "件", "所选期间内提交的个人声明数。", source="credit"),
        F(
            "credit.applications",
            "信用救助申请数",
            "件",
            "所选期间内公众提交的信用救助各类申请数（仅全中心口径，不归属机构）。",
            source="credit",
        ),
        F(
            "credit.rescue_applications",
            "还款困难帮扶申请数",
            "件",
            "其中类型为“还款困难”的申请数（仅全中心口径）。",
            source="credit",
        ),
        F(
            "complaints.received",
            "直通车投诉数",
            "件",
            "所选期间内受理的行长直通车投诉数（按受理时间）。",
            source="complaints",
            open_data=True,
        ),
        F(
            "complaints.resolved",
            "投诉人确认已解决",
            "件",
            "所选期间内受理的投诉中，投诉人确认已解决的件数。",
            source="complaints",
        ),
        F(
            "assistant.conversations",
            "智能问答会话数",
            "次",
            "所选期间内开始的智能问答会话数（仅全中心口径）。",
            source="assistant",
        ),
        F(
            "assistant.handoffs",
            "转人工数",
            "次",
            "所选期间内由智能问答转人工处理的次数（仅全中心口径）。",
            source="assistant",
        ),
    ]
}


# --- scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a panel shows: whole months [start, end] and optional filters (a bank's scope always has
    its institution: see selectors.scope_for)."""

    start: dt.date
    end: dt.date
    institution_id: int | None = None
    product: str = ""
    region: str = ""
    audience: str = "centre"
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    grain: str = "m"  # m: whole months; w: ISO weeks (start/end are Mondays; recent weeks only)

    @property
    def filtered_by_case_dims(self) -> bool:
        return bool(self.product or self.region)

    def grp(self, by: str = "") -> str:
        if self.grain == "w":
            return "wi" if self.institution_id or "i" in by else "w"
        letters = set(by)
        if self.institution_id:
            letters.add("i")
        if self.product:
            letters.add("p")
        if self.region:
            letters.add("r")
        if "b" in letters:
            return "ib"
        return "".join(c for c in "ipr" if c in letters)

    def step(self, bucket: dt.date, n: int) -> dt.date:
        return bucket + dt.timedelta(weeks=n) if self.grain == "w" else add_month(bucket, n)

    def months(self) -> list[dt.date]:
        """The buckets of the period: months, or the Mondays of its weeks."""
        out, m = [], self.start
        while m <= self.end:
            out.append(m)
            m = self.step(m, 1)
        return out

    def previous(self) -> Scope:
        """The period of the same length just before this one (for 环比)."""
        n = len(self.months())
        return replace(self, start=self.step(self.start, -n), end=self.step(self.start, -1))


def add_month(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


ALL = "*"  # CaseCube rows of all statuses together (intake totals)


def cube(model, scope: Scope, by: str = "", period: bool = True, open_now: bool = False):
    """The rows of one grouping set: the filters pin their dimensions, `by` leaves one free.

    `open_now` reads the CaseCube's snapshot rows (cases open now, no month).
    """
    grp = scope.grp(by)
    if open_now:  # the snapshot has no month, so no weekly variant either
        grp = "o" + grp.replace("w", "")
    st = state()
    qs = model.objects.filter(gen=st.generation if st else 0, grp=grp)
    if "i" in grp:
        if scope.institution_id:
            qs = qs.filter(institution_id=scope.institution_id)
    else:
        qs = qs.filter(institution_id=0)
    if model is CaseCube and "b" not in grp:
        qs = qs.filter(branch_id=0)
    if "p" in grp:
        if scope.product:
            qs = qs.filter(product=scope.product)
    else:
        qs = qs.filter(product="")
    if "r" in grp:
        if scope.region:
            qs = qs.filter(region=scope.region)
    else:
        qs = qs.filter(region="")
    if period and not open_now:
        qs = qs.filter(month__gte=scope.start, month__lte=scope.end)
    return qs


DIM_FIELD = {"i": "institution_id", "p": "product", "r": "region", "b": "branch_id"}


# --- arithmetic ----------------------------------------------------------------------------------


def rate(num: int, den: int) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def mean(total: int, n: int) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percentile(hist: dict[int, int], p: int) -> int | None:
    """Nearest-rank percentile of an exact day histogram."""
    total = sum(hist.values())
    if not total:
        return None
    rank = max(1, math.ceil(p * total / 100))
    seen = 0
    for days in sorted(hist):
        seen += hist[days]
        if seen >= rank:
            return days
    return None


def yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


# --- reads ---------------------------------------------------------------------------------------


def case_totals(scope: Scope, by: str = "") -> dict:
    """Cohort sums of the cases received in the period; keyed by the `by` dimension's value if given."""
    key = DIM_FIELD.get(by)
    qs = cube(CaseCube, scope, by).filter(status=ALL)
    sums = {"cases_": Sum("cases"), **{f"{a}_": Sum(a) for a in AMOUNT_FIELDS}}
    rows = qs.values(key).annotate(**sums).order_by() if key else [qs.aggregate(**sums)]
    out: dict = {}
    for r in rows:
        amounts = {a: int(r[f"{a}_"] or 0) for a in AMOUNT_FIELDS}
        out[r[key] if key else None] = {
            "received": int(r["cases_"] or 0),
            "claimed": sum(amounts.values()),
            **amounts,
        }
    return out if key else out.get(None, {"received": 0, "claimed": 0, **dict.fromkeys(AMOUNT_FIELDS, 0)})


def status_by_month(scope: Scope) -> dict[tuple[dt.date, str], int]:
    rows = (
        cube(CaseCube, scope)
        .exclude(status=ALL)
        .values("month", "status")
        .annotate(n=Sum("cases"))
        .order_by()
    )
    return {(r["month"], r["status"]): int(r["n"]) for r in rows}


OUTCOME_LABELS = {
    "paid": "全额还款（集中处置）",
    "performed": "协议履行完毕",
    "judgment_performed": "判决履行",
    "enforced": "执行结案",
}


def outcome_text(counts: dict[str, int]) -> str:
    parts = [f"{OUTCOME_LABELS[k]} {counts.get(k, 0):,} 件" for k in OUTCOME_LABELS]
    return "、".join(parts)


def outcomes(scope: Scope) -> dict[str, int]:
    """How the cases received in the period that are closed now were closed (figure cases.outcome)."""
    rows = (
        cube(CaseCube, scope)
        .filter(status=Status.CLOSED)
        .values("outcome")
        .annotate(n=Sum("cases"))
        .order_by()
    )
    return {r["outcome"]: int(r["n"]) for r in rows}


def open_now(scope: Scope, by: str = "") -> dict:
    """Open and overdue cases now, whatever month they came in; by status, or by the `by` dimension."""
    key = DIM_FIELD.get(by) or "status"
    rows = (
        cube(CaseCube, scope, by, open_now=True)
        .values(key)
        .annotate(n=Sum("cases"), overdue_=Sum("overdue"))
        .order_by()
    )
    return {r[key]: {"open": int(r["n"]), "overdue": int(r["overdue_"])} for r in rows}


STAGE_MEASURES = ["entered", "exited", "resolved", "days", "due_met", "due_missed"]


def stage_flow(scope: Scope, by: str = "", per_month: bool = False, stages=None) -> dict:
    """Entries, exits and deadlines per stage (and per month or per `by` value when asked)."""
    keys = ["stage"] + (["month"] if per_month else []) + ([DIM_FIELD[by]] if by else [])
    qs = cube(StageCube, scope, by)
    if stages:
        qs = qs.filter(stage__in=stages)
    rows = qs.values(*keys).annotate(**{f"{m}_": Sum(m) for m in STAGE_MEASURES}).order_by()
    out: dict = defaultdict(lambda: dict.fromkeys(STAGE_MEASURES, 0))
    for r in rows:
        k = tuple(r[x] for x in keys) if len(keys) > 1 else r["stage"]
        out[k] = {m: int(r[f"{m}_"] or 0) for m in STAGE_MEASURES}
    return out


def has_percentiles(scope: Scope) -> bool:
    return scope.grp() in (*DURATION_SETS, *WEEK_SETS)


def durations(scope: Scope) -> dict[str, Counter] | None:
    """Exact day histograms per stage; None when the scope combines filters the histograms do not keep."""
    if not has_percentiles(scope):
        return None
    rows = cube(DurationCube, scope).values("stage", "days").annotate(n_=Sum("n")).order_by()
    out: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        out[r["stage"]][int(r["days"])] += int(r["n_"])
    return out


def ext(scope: Scope, by_institution: bool = False, per_month: bool = False) -> dict:
    """Provider figures: {figure: (n, cents)} (or keyed by institution / month when asked).

    They have no product or region: a scope filtered by either gets nothing (the panels say so).
    """
    if scope.filtered_by_case_dims:
        return {}
    qs = ExtCube.objects.filter(month__gte=scope.start, month__lte=scope.end)
    if scope.institution_id:
        qs = qs.filter(institution_id=scope.institution_id)
    keys = ["figure"] + (["institution_id"] if by_institution else []) + (["month"] if per_month else [])
    rows = qs.values(*keys).annotate(n_=Sum("n"), a_=Sum("amount")).order_by()
    out = {}
    for r in rows:
        k = tuple(r[x] for x in keys) if len(keys) > 1 else r["figure"]
        out[k] = (int(r["n_"] or 0), int(r["a_"] or 0))
    return out


_state: ContextVar[RefreshState | None] = ContextVar("stats_refresh_state", default=None)


def state() -> RefreshState | None:
    """The watermark row; read once per panel (see `pinned_state`), not once per figure."""
    return _state.get() or RefreshState.objects.filter(pk=1).first()


@contextmanager
def pinned_state():
    token = _state.set(RefreshState.objects.filter(pk=1).first())
    try:
        yield
    finally:
        _state.reset(token)


def provider_available(key: str) -> tuple[bool, str]:
    if key == CASES:
        return True, ""
    st = state()
    info = (st.providers if st else {}).get(key)
    if not info:
        return False, "尚未刷新"
    return bool(info.get("available")), info.get("reason", "")


# --- the standard figure set of a scope (tiles, reports, datacubes, the benchmark) ---------------------


def stage_summary(flow: dict, hist: dict[str, Counter] | None, stage: str) -> dict:
    f = flow.get(stage) or dict.fromkeys(STAGE_MEASURES, 0)
    h = (hist or {}).get(stage, Counter())
    return {
        "entered": f["entered"],
        "exited": f["exited"],
        "resolved": f["resolved"],
        "resolved_share": rate(f["resolved"], f["exited"]),
        "avg_days": mean(f["days"], f["exited"]),
        "p50_days": percentile(h, 50) if hist is not None else None,
        "p90_days": percentile(h, 90) if hist is not None else None,
        "due_met": f["due_met"],
        "due_missed": f["due_missed"],
        "on_time_rate": rate(f["due_met"], f["due_met"] + f["due_missed"]),
    }


def headline(scope: Scope) -> dict:
    """The figures every audience sees first, keyed by figure key (values exact: int, Decimal or None)."""
    totals = case_totals(scope)
    flow = stage_flow(scope)
    now = open_now(scope)
    e = ext(scope)

    def flow_of(stage, measure):
        return (flow.get(stage) or {}).get(measure, 0)

    disposal = flow.get(Status.DISPOSAL) or dict.fromkeys(STAGE_MEASURES, 0)
    mediating = flow.get(Status.MEDIATING) or dict.fromkeys(STAGE_MEASURES, 0)
    out = {
        "cases.received": totals["received"],
        "amounts.claimed": yuan(totals["claimed"]),
        "cases.closed": flow_of(Status.CLOSED, "entered"),
        "cases.withdrawn": flow_of(Status.WITHDRAWN, "entered"),
        "cases.open_now": sum(v["open"] for v in now.values()),
        "cases.overdue_now": sum(v["overdue"] for v in now.values()),
        "disposal.resolved_share": rate(disposal["resolved"], disposal["exited"]),
        "mediation.success_rate": rate(mediating["resolved"], mediating["exited"]),
        "confirmation.confirmed": flow_of(Status.CONFIRMED, "entered"),
        "litigation.judged": flow_of(Status.JUDGED, "entered"),
    }
    for key, stage in [
        ("deadline.disposal", Status.DISPOSAL),
        ("deadline.mediation", Status.MEDIATING),
        ("deadline.confirmation", Status.CONFIRMATION_PENDING),
    ]:
        f = flow.get(stage) or dict.fromkeys(STAGE_MEASURES, 0)
        out[key] = rate(f["due_met"], f["due_met"] + f["due_missed"])
    for key, prefix in [
        ("deadline.credit_dispute", "credit.disputes"),
        ("deadline.complaints", "complaints"),
    ]:
        met, missed = e.get(f"{prefix}.due_met", (0, 0))[0], e.get(f"{prefix}.due_missed", (0, 0))[0]
        live = provider_available(FIGURES[key].source)[0] and not scope.filtered_by_case_dims
        out[key] = rate(met, met + missed) if live else None
    for key in ["amounts.recovered", "amounts.waived"]:
        live = provider_available(FIGURES[key].source)[0] and not scope.filtered_by_case_dims
        out[key] = yuan(e.get(key, (0, 0))[1]) if live else None
    return out


def funnel(scope: Scope) -> list[tuple[str, int]]:
    flow = stage_flow(scope)
    received = case_totals(scope)["received"]

    def entered(stage):
        return (flow.get(stage) or {}).get("entered", 0)

    def resolved(stage):
        return (flow.get(stage) or {}).get("resolved", 0)

    return [
        ("funnel.received", received),
        ("funnel.disposal", entered(Status.DISPOSAL)),
        ("funnel.disposal_resolved", resolved(Status.DISPOSAL)),
        ("funnel.mediation", entered(Status.MEDIATION_PENDING)),
        ("funnel.agreed", entered(Status.AGREED)),
        ("funnel.confirmed", entered(Status.CONFIRMED)),
        ("funnel.performed", resolved(Status.PERFORMING)),
        ("funnel.litigation", entered(Status.LITIGATION)),
        ("funnel.judged", entered(Status.JUDGED)),
        ("funnel.enforcement", entered(Status.ENFORCEMENT)),
        ("funnel.enforced", resolved(Status.ENFORCEMENT)),
    ]


def stage_table(scope: Scope) -> dict[str, dict]:
    flow = stage_flow(scope)
    hist = durations(scope)
    return {stage: stage_summary(flow, hist, stage) for stage in STAGES}
