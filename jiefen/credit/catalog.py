"""The demo relief catalog: 147 measures split like the seed (34 credit-card, 63 personal-loan,
50 enterprise-loan) over the demo's banks and consumer-finance company. Deterministic, so the
demo and its tests always count the same; every row passes services.measure_clean (legal limits)."""

from __future__ import annotations

# (kind, name, params, eligibility): variants are picked per institution in turn.
CARD = [
    (
        "instalments",
        "信用卡个性化分期（最长{m}期）",
        {
            "max_months": (60, 48, 36),
            "monthly_fee_pct": ("0.25", "0.30", "0.20"),
            "penalty_waiver_pct": "100",
        },
        {
            "hardship_reasons": ["illness", "income_loss", "force_majeure", "family", "disaster"],
            "min_overdue_days": 30,
        },
    ),
    (
        "waiver",
        "一次性结清减免息费",
        {"interest_waiver_pct": ("30", "40", "50"), "penalty_waiver_pct": "100", "fee_waiver_pct": "100"},
        {"min_overdue_days": 90},
    ),
    (
        "waiver",
        "分期还款减免罚息",
        {"max_months": (12, 24, 18), "penalty_waiver_pct": "100", "fee_waiver_pct": "50"},
        {"max_overdue_days": 180},
    ),
    (
        "grace",
        "困难客户宽限还款（{g}个月）",
        {"max_months": (36, 24, 36), "grace_months": (3, 6, 3), "monthly_fee_pct": "0.20"},
        {"hardship_reasons": ["illness", "income_loss", "disaster"]},
    ),
    (
        "instalments",
        "特殊群体免手续费分期",
        {"max_months": (60, 60, 48), "penalty_waiver_pct": "100", "fee_waiver_pct": "100"},
        {"hardship_reasons": ["illness", "disaster", "family"], "max_amount": "200000"},
    ),
    (
        "restructuring",
        "信用卡欠款重组（停息分期）",
        {
            "max_months": (60, 48, 60),
            "interest_waiver_pct": "20",
            "penalty_waiver_pct": "100",
            "min_down_payment_pct": "5",
        },
        {"min_overdue_days": 90, "min_amount": "20000"},
    ),
]
PERSONAL = [
    (
        "extension",
        "个人贷款展期（最长{m}个月）",
        {"max_months": (12, 24, 36), "annual_rate_pct": ("3.85", "4.20", "3.95")},
        {"max_overdue_days": 90},
    ),
    (
        "grace",
        "宽限本息偿还计划（宽限{g}个月）",
        {"max_months": (36, 24, 48), "grace_months": (6, 3, 6), "annual_rate_pct": ("3.85", "4.00", "3.65")},
        {"hardship_reasons": ["illness", "income_loss", "force_majeure", "disaster"]},
    ),
    (
        "guarantee_change",
        "变更担保条件后重新分期",
        {"max_months": (60, 48, 60), "annual_rate_pct": ("4.20", "4.35", "4.10")},
        {"min_amount": "50000"},
    ),
    (
        "instalments",
        "逾期本息分期偿还",
        {"max_months": (24, 36, 24), "annual_rate_pct": ("3.65", "3.85", "4.00"), "penalty_waiver_pct": "50"},
        {"min_overdue_days": 30},
    ),
    (
        "waiver",
        "罚息复利减免",
        {"max_months": (12, 6, 12), "penalty_waiver_pct": "100"},
        {"hardship_reasons": ["illness", "income_loss", "family", "force_majeure"]},
    ),
    (
        "rate_adjustment",
        "困难期间调降利率",
        {"max_months": (36, 24, 36), "annual_rate_pct": ("3.00", "3.20", "2.95")},
        {"hardship_reasons": ["income_loss", "force_majeure"], "max_overdue_days": 180},
    ),
    (
        "restructuring",
        "个人债务重组",
        {
            "max_months": (84, 60, 72),
            "annual_rate_pct": ("3.45", "3.65", "3.55"),
            "interest_waiver_pct": "30",
            "penalty_waiver_pct": "100",
            "min_down_payment_pct": "10",
        },
        {"min_overdue_days": 90, "min_amount": "30000"},
    ),
    (
        "waiver",
        "一次性结清减免利息",
        {"interest_waiver_pct": ("20", "30", "25"), "penalty_waiver_pct": "100", "fee_waiver_pct": "100"},
        {"min_overdue_days": 180},
    ),
    (
        "extension",
        "经营户贷款展期",
        {"max_months": (12, 12, 24), "annual_rate_pct": ("4.35", "4.20", "4.35")},
        {"hardship_reasons": ["business_downturn", "force_majeure", "disaster"]},
    ),
]
ENTERPRISE = [
    (
        "restructuring",
        "小微企业债务重组（最长{m}个月）",
        {
            "max_months": (60, 120, 84),
            "annual_rate_pct": ("3.45", "3.65", "3.50"),
            "penalty_waiver_pct": "100",
            "min_down_payment_pct": "10",
        },
        {"enterprise_sizes": ["micro", "small"], "min_amount": "100000"},
    ),
    (
        "rate_adjustment",
        "调整授信利率",
        {"max_months": (36, 24, 36), "annual_rate_pct": ("3.10", "3.25", "3.00")},
        {"hardship_reasons": ["business_downturn", "force_majeure"]},
    ),
    (
        "extension",
        "流动资金贷款展期",
        {"max_months": (12, 6, 12), "annual_rate_pct": ("3.65", "3.85", "3.70")},
        {"max_overdue_days": 60},
    ),
    (
        "grace",
        "无还本续贷与宽限",
        {"max_months": (36, 36, 24), "grace_months": (6, 12, 6), "annual_rate_pct": ("3.45", "3.55", "3.60")},
        {
            "enterprise_sizes": ["micro", "small", "medium"],
            "hardship_reasons": ["business_downturn", "force_majeure", "disaster"],
        },
    ),
    (
        "guarantee_change",
        "变更担保条件（追加或置换担保）",
        {"max_months": (36, 48, 36), "annual_rate_pct": ("3.85", "3.95", "3.80")},
        {"min_amount": "200000"},
    ),
    (
        "waiver",
        "罚息复利减免（企业）",
        {"max_months": (12, 12, 6), "penalty_waiver_pct": ("100", "80", "100")},
        {"min_overdue_days": 30},
    ),
    (
        "instalments",
        "逾期本息分期偿还（企业）",
        {"max_months": (36, 24, 48), "annual_rate_pct": ("3.65", "3.85", "3.75")},
        {"enterprise_sizes": ["micro", "small", "medium"]},
    ),
    (
        "restructuring",
        "并购重组与债转股协商",
        {
            "max_months": (120, 96, 120),
            "annual_rate_pct": ("3.20", "3.45", "3.35"),
            "interest_waiver_pct": "20",
            "penalty_waiver_pct": "100",
        },
        {"enterprise_sizes": ["medium", "large"], "min_amount": "1000000"},
    ),
    (
        "extension",
        "中长期贷款展期",
        {"max_months": (36, 24, 36), "annual_rate_pct": ("4.10", "4.20", "4.00")},
        {"hardship_reasons": ["business_downturn", "force_majeure", "disaster"]},
    ),
]

# How many measures each institution offers per product line (34 / 63 / 50 in all).
SPLIT = {
    "credit_card": {"ICBC-QZ": 6, "ABC-QZ": 6, "BOC-QZ": 6, "CCB-QZ": 6, "QZBANK": 5, "CIB-QZ": 5},
    "personal_loan": {
        "ICBC-QZ": 9,
        "ABC-QZ": 9,
        "BOC-QZ": 9,
        "CCB-QZ": 9,
        "QZBANK": 9,
        "CIB-QZ": 9,
        "XJCF": 9,
    },
    "enterprise_loan": {"ICBC-QZ": 9, "ABC-QZ": 9, "BOC-QZ": 8, "CCB-QZ": 8, "QZBANK": 8, "CIB-QZ": 8},
}
TEMPLATES = {"credit_card": CARD, "personal_loan": PERSONAL, "enterprise_loan": ENTERPRISE}


def _pick(value, variant: int):
    return value[variant % len(value)] if isinstance(value, tuple) else value


def catalog_rows(codes: list[str] | None = None) -> list[tuple[str, dict]]:
    """(institution code, measure data) for the whole demo catalog."""
    rows = []
    for line, per_inst in SPLIT.items():
        templates = TEMPLATES[line]
        for variant, (code, count) in enumerate(per_inst.items()):
            if codes is not None and code not in codes:
                continue
            for n in range(count):
                kind, name, params, eligibility = templates[n % len(templates)]
                data = {k: _pick(v, variant) for k, v in params.items()}
                data.update({k: (list(v) if isinstance(v, list) else v) for k, v in eligibility.items()})
                data.update(
                    product_line=line,
                    kind=kind,
                    name=name.format(m=data.get("max_months", ""), g=data.get("grace_months", "")),
                    summary="",
                    requires_willingness=True,
                    source="机构信用救助政策（演示数据）",
                )
                rows.append((code, data))
    return rows


def seed_catalog(institutions: dict, *, actor=None) -> int:
    """Create the demo catalog for the institutions present; returns how many measures were made."""
    from .models import ReliefMeasure
    from .services import measure_clean

    made = []
    for code, data in catalog_rows(list(institutions)):
        made.append(ReliefMeasure(institution=institutions[code], updated_by=actor, **measure_clean(data)))
    ReliefMeasure.objects.bulk_create(made)
    return len(made)
