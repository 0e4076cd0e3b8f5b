"""The closed loop (催→调→诉→执) as data: statuses, the transitions between them, who may take each,
and which deadline each stage carries. The service (services.case_transition) is the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from jiefen.orgs.roles import Role


class Status(models.TextChoices):
    NEW = "new", "待分流"
    DISPOSAL = "disposal", "集中处置"
    MEDIATION_PENDING = "mediation_pending", "待调解"
    MEDIATING = "mediating", "调解中"
    AGREED = "agreed", "已达成协议"
    CONFIRMATION_PENDING = "confirmation_pending", "司法确认中"
    CONFIRMED = "confirmed", "已司法确认"
    PERFORMING = "performing", "履行中"
    DEFAULTED = "defaulted", "协议违约"
    MEDIATION_FAILED = "mediation_failed", "调解不成"
    LITIGATION = "litigation", "诉讼中"
    JUDGED = "judged", "已判决"
    ENFORCEMENT = "enforcement", "执行中"
    CLOSED = "closed", "已结案"
    WITHDRAWN = "withdrawn", "已撤回"


TERMINAL = frozenset({Status.CLOSED, Status.WITHDRAWN})

# The stage clock: which rule (jiefen.common.rules) sets the deadline while a case sits in a status.
STAGE_DEADLINE: dict[str, str] = {
    Status.DISPOSAL: "disposal.period",
    Status.MEDIATION_PENDING: "mediation.assign",
    Status.MEDIATING: "mediation.period",
    Status.AGREED: "confirmation.apply",
    Status.CONFIRMATION_PENDING: "confirmation.decide",
    Status.LITIGATION: "litigation.simplified",
    Status.JUDGED: "enforcement.apply",
}

C = frozenset({Role.CENTER_ADMIN, Role.CENTER_STAFF})
BANK = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
MED = frozenset({Role.MEDIATOR})
JUDGE = frozenset({Role.JUDGE})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    outcome: str = ""  # for closing transitions: how the case ended (stats use it)
    danger: bool = False  # asks for a confirmation in the UI


def _t(action, label, sources, target, roles, **kw) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), **kw)


S = Status
NON_TERMINAL = [s for s in Status if s not in TERMINAL]

TRANSITIONS: list[Transition] = [
    _t("triage_simple", "分流至机构集中处置", [S.NEW], S.DISPOSAL, C),
    _t("triage_complex", "分流至调解", [S.NEW], S.MEDIATION_PENDING, C),
    _t("settle_paid", "已全额还款，结案", [S.DISPOSAL], S.CLOSED, C | BANK, outcome="paid"),
    _t("plan_agreed", "已协商还款方案", [S.DISPOSAL], S.AGREED, C | BANK),
    _t("handover_mediation", "一键移送调解", [S.DISPOSAL], S.MEDIATION_PENDING, C | BANK),
    _t("handover_litigation", "一键移送诉讼", [S.DISPOSAL], S.LITIGATION, C | BANK),
    _t("start_mediation", "接受委派，开始调解", [S.MEDIATION_PENDING], S.MEDIATING, C | MED),
    _t("mediation_agreed", "调解成功，达成协议", [S.MEDIATING], S.AGREED, C | MED),
    _t("mediation_fail", "调解不成", [S.MEDIATING], S.MEDIATION_FAILED, C | MED, danger=True),
    _t("request_confirmation", "申请司法确认", [S.AGREED], S.CONFIRMATION_PENDING, C | MED | BANK),
    _t("confirm", "裁定协议有效（司法确认）", [S.CONFIRMATION_PENDING], S.CONFIRMED, JUDGE),
    _t("reject_confirmation", "驳回司法确认申请", [S.CONFIRMATION_PENDING], S.AGREED, JUDGE, danger=True),
    _t("start_performance", "开始履行协议", [S.AGREED, S.CONFIRMED], S.PERFORMING, C | MED | BANK),
    _t("plan_completed", "协议履行完毕，结案", [S.PERFORMING], S.CLOSED, C | BANK, outcome="performed"),
    _t("plan_default", "登记违约", [S.PERFORMING], S.DEFAULTED, C | BANK, danger=True),
    _t("apply_enforcement", "申请强制执行", [S.DEFAULTED, S.JUDGED], S.ENFORCEMENT, C | BANK),
    _t("transfer_litigation", "移送诉讼", [S.MEDIATION_FAILED, S.DEFAULTED], S.LITIGATION, C | BANK),
    _t("judge", "登记判决", [S.LITIGATION], S.JUDGED, JUDGE),
    _t(
        "close_judged",
        "判决已履行，结案",
        [S.JUDGED],
        S.CLOSED,
        C | BANK | JUDGE,
        outcome="judgment_performed",
    ),
    _t("close_enforcement", "执行终结，结案", [S.ENFORCEMENT], S.CLOSED, C | JUDGE, outcome="enforced"),
    _t("withdraw", "撤回", NON_TERMINAL, S.WITHDRAWN, C | BANK, outcome="withdrawn", danger=True),
]

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]


def extra_guard(case, transition: Transition) -> str | None:
    """Guards that look at the case beyond its status. Returns the reason the step is refused."""
    if transition.action == "apply_enforcement" and case.status == Status.DEFAULTED and not case.enforceable:
        return "协议未经司法确认，不具有强制执行效力：请先移送诉讼"
    if transition.action == "start_mediation" and case.mediator_id is None:
        return "尚未指定调解员"
    if transition.action == "confirm" and case.court_id is None:
        return "尚未指定受理法院"
    return None
