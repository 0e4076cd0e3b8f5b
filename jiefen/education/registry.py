"""The registry's lifecycle as data: "rectify one, close one" (整改一家，销号一家).

lead ─identify─► identified ─notify─► notified ─start_rectify─► rectifying ─rectified─► rectified ─┐
  │                  │                   ├─renamed────────────────┴─renamed─► renamed ───────────┼─close─► closed (销号)
  └──dismiss─────────┴─► dismissed       └─cancelled──────────────┴─cancelled─► cancelled ─────────┘
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ScamStatus as S


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    needs: tuple[str, ...] = ()
    danger: bool = False


STEPS: list[Step] = [
    Step("identify", "核实确认为治理对象", frozenset({S.LEAD}), S.IDENTIFIED),
    Step(
        "notify", "对接告知（风险提示、法规解读）", frozenset({S.IDENTIFIED}), S.NOTIFIED, needs=("channel",)
    ),
    Step("start_rectify", "督促整改", frozenset({S.NOTIFIED}), S.RECTIFYING, needs=("rectify_due",)),
    Step("rectified", "整改完成（停止违规业务）", frozenset({S.RECTIFYING}), S.RECTIFIED),
    Step(
        "renamed",
        "已变更名称或经营范围",
        frozenset({S.NOTIFIED, S.RECTIFYING}),
        S.RENAMED,
        needs=("new_name",),
    ),
    Step("cancelled", "已注销", frozenset({S.NOTIFIED, S.RECTIFYING}), S.CANCELLED),
    Step("close", "核查无误，销号", frozenset({S.RECTIFIED, S.RENAMED, S.CANCELLED}), S.CLOSED, danger=True),
    Step("dismiss", "排除（非治理对象）", frozenset({S.LEAD, S.IDENTIFIED}), S.DISMISSED, danger=True),
]
BY_ACTION = {s.action: s for s in STEPS}

TERMINAL = frozenset({S.CLOSED, S.DISMISSED})
# Reached once the outfit has been spoken to (对接沟通) — the seed's "contacted" share.
CONTACTED = frozenset({S.NOTIFIED, S.RECTIFYING, S.RECTIFIED, S.RENAMED, S.CANCELLED, S.CLOSED})
# Counted as "rectified" in the seed's sense (完成整改): stopped, renamed, cancelled or closed.
RECTIFIED = frozenset({S.RECTIFIED, S.RENAMED, S.CANCELLED, S.CLOSED})

CHANNELS = [
    ("phone", "电话询问"),
    ("visit", "上门走访"),
    ("wechat", "微信程序精准推送"),
    ("letter", "书面告知"),
    ("interview", "约谈"),
    ("joint", "联合市场监管部门"),
    ("police", "移送公安机关"),
    ("other", "其他"),
]
CHANNEL_LABELS = dict(CHANNELS)


def steps_from(status: str) -> list[Step]:
    return [s for s in STEPS if status in s.sources]
