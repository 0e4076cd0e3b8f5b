"""Pages where a capability works a case (the desk, the mediation page, the court's pages).

Each app registers its page in AppConfig.ready(). The case page links to the ones that apply to the
case's status, and does not offer the transitions a page owns: those need the page's own steps (a
mediation record, an agreement, a court filing), so taking them from the generic form would skip them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class CasePage:
    label: str
    url: Callable  # (case) -> address, or None when the page does not apply to this case
    statuses: frozenset[str] = field(default_factory=frozenset)  # empty: every status
    actions: frozenset[str] = field(default_factory=frozenset)  # transitions taken on that page


_pages: dict[str, CasePage] = {}


def register(key: str, label: str, url, *, statuses=(), actions=()) -> None:
    """`url` is a URL name taking the case id, or a callable (case) -> address or None."""
    if isinstance(url, str):
        name = url
        url = lambda case: reverse(name, args=[case.pk])  # noqa: E731
    _pages[key] = CasePage(label, url, frozenset(statuses), frozenset(actions))


def owned_actions() -> frozenset[str]:
    return frozenset().union(*(p.actions for p in _pages.values())) if _pages else frozenset()


def pages_for(case) -> list[dict]:
    out = []
    for page in _pages.values():
        if page.statuses and case.status not in page.statuses:
            continue
        try:
            address = page.url(case)
        except NoReverseMatch:
            continue
        if address:
            out.append({"label": page.label, "url": address})
    return out
