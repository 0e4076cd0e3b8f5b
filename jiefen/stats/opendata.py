"""Open data: the published datacubes as rows anyone may download (CSV or JSON), with a dictionary.

No personal data exists at this level (counts and sums per institution, period and product). Small
cells are still suppressed: a count between 1 and the threshold − 1 (rule stats.open_min_cell) is
published as empty, so are amounts and rates resting on fewer cases; and when a single product cell
of an institution would be suppressed, the next smallest is suppressed too, so the published total
cannot give it away (secondary suppression).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db.models import Count, Max

from jiefen.cases.models import ProductType
from jiefen.common import rules

from .datacubes import period_code
from .figures import rate
from .models import Datacube


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # string | date | integer | decimal | percent
    definition: str


FIELDS: list[Field] = [
    Field(
        "period", "期间", "string", "统计期间代码：2026Q3 为 2026 年第三季度，2026H1 为上半年，2026 为全年。"
    ),
    Field("period_start", "起始日", "date", "期间第一日（Asia/Shanghai）。"),
    Field("period_end", "截止日", "date", "期间最后一日。"),
    Field("institution_code", "机构代码", "string", "金融机构在平台的代码。"),
    Field("institution_name", "机构名称", "string", "金融机构名称。"),
    Field("product", "产品类型代码", "string", "credit_card 等；all 表示该机构全部产品的合计行。"),
    Field("product_name", "产品类型", "string", "产品类型的中文名称；“合计”为全部产品。"),
    Field("cases_received", "收案数", "integer", "期间内收案的案件数（指标 cases.received）。"),
    Field("cases_closed", "结案数", "integer", "期间内结案的案件数（指标 cases.closed）。"),
    Field(
        "amount_claimed",
        "诉求金额（元）",
        "decimal",
        "期间内收案案件的诉求金额之和（指标 amounts.claimed）。",
    ),
    Field(
        "disposal_resolved_share",
        "集中处置化解率（%）",
        "percent",
        "离开集中处置阶段的案件中化解的比例（指标 disposal.resolved_share）。",
    ),
    Field(
        "mediation_success_rate",
        "调处成功率（%）",
        "percent",
        "结束调解的案件中达成协议的比例（指标 mediation.success_rate）。",
    ),
    Field(
        "complaints_received",
        "直通车投诉数",
        "integer",
        "期间内受理的投诉数（指标 complaints.received）；仅合计行，投诉模块未接入时为空。",
    ),
    Field(
        "credit_disputes_received",
        "征信异议受理数",
        "integer",
        "期间内收到的征信异议数（指标 credit.disputes_received）；仅合计行，模块未接入时为空。",
    ),
    Field(
        "institution_reviewed",
        "机构已确认",
        "string",
        "yes：机构确认数据无误；commented：机构提出意见后由中心答复发布；no：确认期限届满未答复。",
    ),
    Field("published_at", "发布时间", "date", "中心发布该机构数据的日期。"),
]
COUNT_FIELDS = ["cases_received", "cases_closed"]


def min_cell() -> int:
    return rules.amount("stats.open_min_cell")


def datasets() -> list[dict]:
    rows = (
        Datacube.objects.filter(status=Datacube.Status.PUBLISHED)
        .values("period_start", "period_end")
        .annotate(institutions=Count("id"), published=Max("published_at"))
        .order_by("-period_end", "period_start")
    )
    return [
        {
            "period": period_code(r["period_start"], r["period_end"]),
            "period_start": r["period_start"].isoformat(),
            "period_end": r["period_end"].isoformat(),
            "institutions": r["institutions"],
            "published_at": r["published"].date().isoformat() if r["published"] else None,
        }
        for r in rows
    ]


def _reviewed(cube: Datacube) -> str:
    events = {e.action for e in cube.events.all()}
    if "comment" in events:
        return "commented"
    return "yes" if "accept" in events else "no"


def rows_for(period_start, period_end, institution_code: str | None = None) -> list[dict]:
    k = min_cell()
    qs = (
        Datacube.objects.filter(
            status=Datacube.Status.PUBLISHED, period_start=period_start, period_end=period_end
        )
        .select_related("institution")
        .prefetch_related("events")
        .order_by("institution__code")
    )
    if institution_code:
        qs = qs.filter(institution__code=institution_code)
    names = dict(ProductType.choices)
    out = []
    for cube in qs:
        data = cube.figures or {}
        products = data.get("by_product", {})
        hidden = _suppressed(products, k)
        common = {
            "period": period_code(cube.period_start, cube.period_end),
            "period_start": cube.period_start.isoformat(),
            "period_end": cube.period_end.isoformat(),
            "institution_code": cube.institution.code,
            "institution_name": cube.institution.name,
        }
        review = {
            "institution_reviewed": _reviewed(cube),
            "published_at": cube.published_at.date().isoformat() if cube.published_at else None,
        }
        for product, v in products.items():
            out.append(
                {
                    **common,
                    "product": product,
                    "product_name": names.get(product, product),
                    **_measures(v, k, hidden.get(product, set())),
                    "complaints_received": None,
                    "credit_disputes_received": None,
                    **review,
                }
            )
        total = data.get("total") or {}
        out.append(
            {
                **common,
                "product": "all",
                "product_name": "合计",
                **_measures(total, k, set()),
                "complaints_received": _count(total.get("complaints_received"), k),
                "credit_disputes_received": _count(total.get("credit_disputes_received"), k),
                **review,
            }
        )
    return out


def _count(v, k):
    if v is None:
        return None
    return None if 0 < v < k else v


def _measures(v: dict, k: int, hidden: set[str]) -> dict:
    received = v.get("received", 0)
    few = 0 < received < k or "cases_received" in hidden
    return {
        "cases_received": None if few else received,
        "cases_closed": None if "cases_closed" in hidden else _count(v.get("closed", 0), k),
        "amount_claimed": None if few else f"{v.get('claimed_cents', 0) / 100:.2f}",
        "disposal_resolved_share": _rate(v.get("disposal_resolved", 0), v.get("disposal_exited", 0), k),
        "mediation_success_rate": _rate(v.get("mediation_agreed", 0), v.get("mediation_exited", 0), k),
    }


def _rate(num: int, den: int, k: int):
    if den < k:
        return None
    value = rate(num, den)
    return None if value is None else str(value)


def _suppressed(products: dict, k: int) -> dict[str, set[str]]:
    """Primary and secondary suppression of the product cells of one institution."""
    hidden: dict[str, set[str]] = {p: set() for p in products}
    for field, key in [("cases_received", "received"), ("cases_closed", "closed")]:
        small = [p for p, v in products.items() if 0 < v.get(key, 0) < k]
        for p in small:
            hidden[p].add(field)
        if len(small) == 1:
            others = sorted(
                (v.get(key, 0), p) for p, v in products.items() if p not in small and v.get(key, 0) > 0
            )
            if others:
                hidden[others[0][1]].add(field)
    return hidden


def to_csv(rows: list[dict]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open the Chinese columns correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.name for f in FIELDS])
    for r in rows:
        writer.writerow([_safe("" if r.get(f.name) is None else r.get(f.name)) for f in FIELDS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe(value):
    """A text cell that a spreadsheet would run as a formula is published with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"} and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dictionary() -> list[dict]:
    return [{"name": f.name, "label": f.label, "type": f.kind, "definition": f.definition} for f in FIELDS]
