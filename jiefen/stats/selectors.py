"""Who may see which figures, and the scope a request asks for — always narrowed through the viewer.

A bank's manager sees their own institution only: their scope is pinned to it whatever the request
says, and asking for another institution is a 404 (it does not exist for them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from jiefen.cases.models import ProductType
from jiefen.common import clock
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Institution, Region
from jiefen.orgs.roles import Role

from .figures import Scope, add_month
from .models import Datacube, Report

AUDIENCES = {
    "centre": "调处中心",
    "institution": "金融机构",
    "pbc": "人民银行",
    "regulator": "监管部门（只读）",
}
MANAGER = frozenset({Role.INST_MANAGER})

PERIODS = [
    ("last_12", "近12个月"),
    ("this_month", "本月"),
    ("last_month", "上月"),
    ("this_quarter", "本季度"),
    ("last_quarter", "上季度"),
    ("this_year", "本年"),
    ("last_year", "上年"),
    ("last_36", "近36个月"),
]
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _viewer(user_or_viewer) -> Viewer:
    return user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)


def audiences_for(user_or_viewer) -> list[str]:
    """The dashboard pages this viewer may open, the first being their own."""
    v = _viewer(user_or_viewer)
    if v.user_id is None:
        return []
    if v.is_center:
        return ["centre", "institution", "pbc", "regulator"]
    out = []
    if Role.VIEWER in v.roles:
        out.append("regulator")
    if Role.PBC_OFFICER in v.roles:
        out.append("pbc")
    if v.sees_everything or v.institution_ids(MANAGER):
        out.append("institution")
    return out


def can_manage(user_or_viewer) -> bool:
    """Centre staff prepare and publish; the oversight roles only read."""
    v = _viewer(user_or_viewer)
    return v.is_center and not v.read_only


def own_institutions(user_or_viewer) -> QuerySet[Institution]:
    v = _viewer(user_or_viewer)
    return Institution.objects.filter(pk__in=v.institution_ids(MANAGER))


def creditors() -> QuerySet[Institution]:
    return Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER])


def visible_institutions(user_or_viewer) -> QuerySet[Institution]:
    v = _viewer(user_or_viewer)
    return creditors() if v.sees_everything else own_institutions(v)


def institution_for(user_or_viewer, raw) -> Institution | None:
    """The institution a viewer asked for, if they may see it (404 otherwise)."""
    if raw in (None, ""):
        return None
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise NotFound("机构不存在或您无权查看") from None
    inst = visible_institutions(user_or_viewer).filter(pk=pk).first()
    if inst is None:
        raise NotFound("机构不存在或您无权查看")
    return inst


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    key: str

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%Y年%m月}"
        return f"{self.start:%Y年%m月}至{self.end:%Y年%m月}"


def parse_period(params, today: dt.date | None = None) -> Period:
    today = today or clock.local_today()
    this = today.replace(day=1)
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if raw_from or raw_to:
        start, end = _month(raw_from or raw_to), _month(raw_to or raw_from)
        if start > end:
            raise ApplicationError("起始月份不能晚于截止月份", code="invalid_period")
        if (end.year - start.year) * 12 + end.month - start.month >= 120:
            raise ApplicationError("期间最长十年", code="invalid_period")
        return Period(start, end, "custom")
    key = params.get("period") or "last_12"
    quarter_start = this.replace(month=(this.month - 1) // 3 * 3 + 1)
    ranges = {
        "this_month": (this, this),
        "last_month": (add_month(this, -1), add_month(this, -1)),
        "this_quarter": (quarter_start, this),
        "last_quarter": (add_month(quarter_start, -3), add_month(quarter_start, -1)),
        "this_year": (this.replace(month=1), this),
        "last_year": (this.replace(year=this.year - 1, month=1), this.replace(year=this.year - 1, month=12)),
        "last_12": (add_month(this, -11), this),
        "last_36": (add_month(this, -35), this),
    }
    if key not in ranges:
        raise ApplicationError("未知的统计期间", code="invalid_period")
    start, end = ranges[key]
    return Period(start, end, key)


def _month(raw: str) -> dt.date:
    m = MONTH_RE.match(raw)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ApplicationError("月份格式应为 YYYY-MM", code="invalid_period")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def scope_for(user_or_viewer, audience: str, params, today: dt.date | None = None) -> Scope:
    """The scope of a dashboard request. Tenancy is enforced here, once, for every panel."""
    v = _viewer(user_or_viewer)
    if audience not in audiences_for(v):
        if v.user_id is None:
            raise PermissionDenied("请先登录")
        raise PermissionDenied("您无权查看该统计页面")
    period = parse_period(params, today)
    inst = institution_for(v, params.get("institution"))
    if audience == "institution" and inst is None:
        if v.sees_everything:
            raise ApplicationError("请选择机构", code="institution_required")
        own = list(own_institutions(v)[:2])
        if not own:
            raise PermissionDenied("您无权查看该统计页面")
        inst = own[0]
    product = params.get("product") or ""
    if product and product not in ProductType.values:
        raise ApplicationError("未知的产品类型", code="invalid_product")
    region = params.get("region") or ""
    if region and not re.fullmatch(r"\d{6}", region):
        raise ApplicationError("行政区划代码应为六位数字", code="invalid_region")
    labels = {"period": period.label, "period_key": period.key}
    if inst:
        labels["institution"] = str(inst)
    if product:
        labels["product"] = dict(ProductType.choices)[product]
    if region:
        labels["region"] = region_name(region)
    return Scope(
        start=period.start,
        end=period.end,
        institution_id=inst.pk if inst else None,
        product=product,
        region=region,
        audience=audience,
        labels=labels,
    )


def region_name(code: str) -> str:
    if not code:
        return "未登记地区"
    name = Region.objects.filter(code=code).values_list("name", flat=True).first()
    return name or code


# --- reports and datacubes ----------------------------------------------------------------------


def report_queryset_for(user_or_viewer) -> QuerySet[Report]:
    v = _viewer(user_or_viewer)
    qs = Report.objects.select_related("institution")
    if v.user_id is None:
        return qs.none()
    if v.sees_everything:
        return qs
    return qs.filter(institution_id__in=v.institution_ids(MANAGER))


def report_get_for_user(user_or_viewer, report_id) -> Report:
    try:
        return report_queryset_for(user_or_viewer).get(pk=int(report_id))
    except (Report.DoesNotExist, TypeError, ValueError):
        raise NotFound("报告不存在或您无权查看") from None


def datacube_queryset_for(user_or_viewer) -> QuerySet[Datacube]:
    v = _viewer(user_or_viewer)
    qs = Datacube.objects.select_related("institution")
    if v.user_id is None:
        return qs.none()
    if v.sees_everything:
        return qs
    return qs.filter(Q(institution_id__in=v.institution_ids(MANAGER)))


def datacube_get_for_user(user_or_viewer, datacube_id) -> Datacube:
    try:
        return datacube_queryset_for(user_or_viewer).get(pk=int(datacube_id))
    except (Datacube.DoesNotExist, TypeError, ValueError):
        raise NotFound("数据立方不存在或您无权查看") from None
