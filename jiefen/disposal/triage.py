"""智能初筛: the centre's rules, applied the same way to an imported row and to a case in the database.

Every decision names the rule that made it (and, for a simple case, why none of the complex rules
applied), so the person who opens the case can see and question it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from jiefen.cases.models import ProductType
from jiefen.common.money import fmt

from .models import TriageRule

PRODUCT_LABELS = dict(ProductType.choices)
K = TriageRule.Kind


@dataclass(frozen=True)
class Facts:
    product_type: str
    total: Decimal
    kind: str  # individual | enterprise
    involves_litigation: bool = False
    involves_petition: bool = False
    prior_negotiation_failed: bool = False
    other_creditors: int = 0


@dataclass(frozen=True)
class Decision:
    complex: bool
    rule_id: int | None
    code: str
    label: str
    detail: str

    @property
    def action(self) -> str:
        return "triage_complex" if self.complex else "triage_simple"

    @property
    def target(self) -> str:
        return "mediation_pending" if self.complex else "disposal"

    def data(self, **extra) -> dict:
        return {
            "rule_id": self.rule_id,
            "rule": self.code,
            "label": self.label,
            "detail": self.detail,
            "result": "complex" if self.complex else "simple",
            **extra,
        }

    @property
    def reason(self) -> str:
        return f"智能初筛：{self.detail}"


@dataclass(frozen=True)
class RuleView:
    id: int
    kind: str
    product_type: str
    threshold: Decimal
    min_creditors: int
    order: int

    @property
    def label(self) -> str:
        product = PRODUCT_LABELS.get(self.product_type, "全部产品") if self.product_type else "全部产品"
        base = K(self.kind).label
        if self.kind == K.AMOUNT:
            return f"{base}（{product} ≥ {fmt(self.threshold)}）"
        if self.kind == K.MULTI_CREDITOR:
            return f"{base}（另有≥{self.min_creditors}家机构）"
        if self.threshold:
            return f"{base}（{product}，≥ {fmt(self.threshold)}）"
        return f"{base}（{product}）"


class RuleSet:
    """The active rules, loaded once per import or re-run and evaluated in order."""

    def __init__(self, rules: list[RuleView]):
        self.rules = sorted(rules, key=lambda r: (r.order, r.id))
        self.needs_creditors = any(r.kind == K.MULTI_CREDITOR for r in self.rules)
        self._amount_thresholds: dict[str, Decimal] = {}
        for r in self.rules:
            if r.kind == K.AMOUNT:
                self._amount_thresholds.setdefault(r.product_type, r.threshold)
        # Decisions differ only by rule and by the amount in the text; the JSON around them is built once.
        self._json_head: dict[int | None, str] = {}
        self._by_product: dict[str, list[RuleView]] = {}
        self._simple_tail: dict[str, str] = {}

    @classmethod
    def load(cls) -> RuleSet:
        return cls(
            [
                RuleView(r.pk, r.kind, r.product_type, r.threshold, r.min_creditors, r.order)
                for r in TriageRule.objects.filter(active=True)
            ]
        )

    def threshold_for(self, product: str) -> Decimal | None:
        return self._amount_thresholds.get(product, self._amount_thresholds.get(""))

    def _rules_for(self, product: str) -> list[RuleView]:
        found = self._by_product.get(product)
        if found is None:
            found = [r for r in self.rules if not r.product_type or r.product_type == product]
            self._by_product[product] = found
        return found

    def match(
        self,
        product: str,
        total: Decimal,
        kind: str,
        litigation: bool,
        petition: bool,
        negotiation: bool,
        creditors: int,
    ) -> RuleView | None:
        """The first rule that sends the case to mediation, or None (simple). The importer calls this
        a million times, so it takes plain values rather than a Facts object."""
        for r in self._rules_for(product):
            k = r.kind
            if k == "amount":
                if total >= r.threshold:
                    return r
                continue
            if r.threshold and total < r.threshold:
                continue
            if (
                (k == "enterprise" and kind == "enterprise")
                or (k == "litigation" and (litigation or petition))
                or (k == "negotiation" and negotiation)
                or (k == "multi_creditor" and creditors >= r.min_creditors)
            ):
                return r
        return None

    def evaluate(self, f: Facts) -> Decision:
        rule = self.match(
            f.product_type,
            f.total,
            f.kind,
            f.involves_litigation,
            f.involves_petition,
            f.prior_negotiation_failed,
            f.other_creditors,
        )
        return self.decision(
            rule, f.product_type, f.total, f.involves_litigation, f.involves_petition, f.other_creditors
        )

    def decision(
        self,
        rule: RuleView | None,
        product: str,
        total: Decimal,
        litigation=False,
        petition=False,
        creditors=0,
    ) -> Decision:
        if rule is None:
            return Decision(False, None, "default", "未触发复杂案件规则", self.simple_detail(product, total))
        return Decision(
            True,
            rule.id,
            rule.kind,
            rule.label,
            self.detail(rule, product, total, litigation, petition, creditors),
        )

    def detail(
        self, r: RuleView, product: str, total: Decimal, litigation=False, petition=False, creditors=0
    ) -> str:
        label = PRODUCT_LABELS.get(product, product)
        if r.kind == K.AMOUNT:
            return f"{label}诉求金额¥{total:,.2f}，达到复杂案件阈值{fmt(r.threshold)}，分流调解"
        if r.kind == K.ENTERPRISE:
            extra = f"，诉求金额¥{total:,.2f}≥{fmt(r.threshold)}" if r.threshold else ""
            return f"债务人为企业{extra}，分流调解"
        if r.kind == K.LITIGATION:
            what = "、".join(w for w, on in (("涉诉", litigation), ("涉访", petition)) if on)
            return f"案件{what}，分流调解"
        if r.kind == K.NEGOTIATION:
            return "机构前期协商未果，分流调解"
        return f"该债务人在其他{creditors}家机构另有未结案件，分流调解"

    def simple_detail(self, product: str, total: Decimal) -> str:
        tail = self._simple_tail.get(product)
        if tail is None:
            threshold = self.threshold_for(product)
            tail = f"，低于复杂案件阈值{fmt(threshold)}" if threshold is not None else ""
            tail += "，未涉诉涉访、无前期协商未果、无多家债权机构，按简易案件由机构集中处置"
            self._simple_tail[product] = tail
        return f"{PRODUCT_LABELS.get(product, product)}诉求金额¥{total:,.2f}{tail}"

    def rule_json(self, rule: RuleView | None, job_id: int | None) -> str:
        """CaseEvent.data for the bulk writer: the rule that fired, as JSON built once per rule.
        The sentence with the amount is in the event's reason."""
        key = rule.id if rule is not None else None
        text = self._json_head.get(key)
        if text is None:
            text = json.dumps(
                {
                    "rule_id": key,
                    "rule": rule.kind if rule is not None else "default",
                    "label": rule.label if rule is not None else "未触发复杂案件规则",
                    "result": "complex" if rule is not None else "simple",
                    "job": job_id,
                },
                ensure_ascii=False,
            )
            self._json_head[key] = text
        return text


DEFAULT_RULES = [
    # (kind, product, threshold, order, note)
    (K.LITIGATION, "", "0", 10, "涉诉涉访案件一律进入调解"),
    (K.NEGOTIATION, "", "0", 20, "机构已协商未果的，由调解员介入"),
    (K.MULTI_CREDITOR, "", "0", 30, "同一债务人涉及多家机构，统一调解"),
    (K.ENTERPRISE, "", "500000", 40, "企业债务人且金额较大"),
    (K.AMOUNT, "credit_card", "50000", 50, "信用卡"),
    (K.AMOUNT, "small_loan", "100000", 51, "小额贷款"),
    (K.AMOUNT, "consumer_loan", "50000", 52, "消费贷款"),
    (K.AMOUNT, "business_loan", "300000", 53, "个人经营贷款"),
    (K.AMOUNT, "sme_loan", "1000000", 54, "小微企业贷款"),
    (K.AMOUNT, "other", "50000", 55, "其他"),
]


def ensure_default_rules() -> int:
    """Give a fresh installation the centre's starting rules (the centre edits them in the UI)."""
    if TriageRule.objects.exists():
        return 0
    TriageRule.objects.bulk_create(
        [
            TriageRule(kind=k, product_type=p, threshold=Decimal(t), order=o, note=n)
            for k, p, t, o, n in DEFAULT_RULES
        ]
    )
    return len(DEFAULT_RULES)
