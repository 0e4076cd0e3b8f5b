"""The closed loop seen as stages: how statuses group on charts and which exit counts as success.

One table, read by the refresh SQL, the figures and the reports, so a stage means the same everywhere.
"""

from __future__ import annotations

from jiefen.cases.machine import STAGE_DEADLINE, TERMINAL, Status

S = Status

# A stage exit is "resolved" when it goes to one of these statuses (the stage did its job).
RESOLVED_EXITS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.DISPOSAL, S.MEDIATION_PENDING}),
    # 集中处置化解：全额还款结案（settle_paid）或协商还款方案（plan_agreed）
    S.DISPOSAL: frozenset({S.CLOSED, S.AGREED}),
    S.MEDIATION_PENDING: frozenset({S.MEDIATING}),
    S.MEDIATING: frozenset({S.AGREED}),
    S.AGREED: frozenset({S.CONFIRMATION_PENDING, S.PERFORMING}),
    S.CONFIRMATION_PENDING: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset({S.PERFORMING}),
    S.PERFORMING: frozenset({S.CLOSED}),
    S.DEFAULTED: frozenset({S.ENFORCEMENT, S.LITIGATION}),
    S.MEDIATION_FAILED: frozenset({S.LITIGATION}),
    S.LITIGATION: frozenset({S.JUDGED}),
    S.JUDGED: frozenset({S.CLOSED}),
    S.ENFORCEMENT: frozenset({S.CLOSED}),
}

# Stages shown in the stage table, in the order of the loop (terminal statuses have no duration).
STAGES: list[str] = [s for s in Status.values if s not in TERMINAL]
LABELS: dict[str, str] = dict(Status.choices)

# Groups for the stacked chart: fifteen colours are unreadable, eight are not.
GROUPS: list[tuple[str, str, frozenset[str]]] = [
    ("new", "待分流", frozenset({S.NEW})),
    ("disposal", "集中处置", frozenset({S.DISPOSAL})),
    ("mediation", "调解", frozenset({S.MEDIATION_PENDING, S.MEDIATING})),
    ("agreement", "协议与司法确认", frozenset({S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED})),
    ("performance", "履行", frozenset({S.PERFORMING, S.DEFAULTED})),
    ("litigation", "诉讼（含调解不成）", frozenset({S.MEDIATION_FAILED, S.LITIGATION, S.JUDGED})),
    ("enforcement", "执行", frozenset({S.ENFORCEMENT})),
    ("closed", "已结案", frozenset({S.CLOSED})),
    ("withdrawn", "已撤回", frozenset({S.WITHDRAWN})),
]
GROUP_OF: dict[str, str] = {status: key for key, _label, statuses in GROUPS for status in statuses}

# Deadlines shown as on-time gauges for case stages, keyed by stage; the rule gives the number.
STAGE_RULE: dict[str, str] = dict(STAGE_DEADLINE)

OPEN_STATUSES = frozenset(s for s in Status.values if s not in TERMINAL)


def resolved_sql(stage_col: str, exit_col: str) -> str:
    """SQL that is 1 when the exit is resolved for its stage (built from RESOLVED_EXITS, no parameters)."""
    parts = []
    for stage, targets in RESOLVED_EXITS.items():
        inner = ", ".join(f"'{t}'" for t in sorted(targets))
        parts.append(f"({stage_col} = '{stage}' AND {exit_col} IN ({inner}))")
    return "CASE WHEN " + " OR ".join(parts) + " THEN 1 ELSE 0 END"
