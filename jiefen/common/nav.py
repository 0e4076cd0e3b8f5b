"""Links in the staff navigation bar. Each app registers its own in AppConfig.ready().

`roles` limits a link to viewers holding one of them (empty: everyone signed in).
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)


_links: dict[str, NavLink] = {}


def register(label: str, url_name: str, *, order: int = 100, roles=()) -> None:
    _links[url_name] = NavLink(label, url_name, order, frozenset(roles))


def links_for(viewer) -> list[dict]:
    out = []
    for link in sorted(_links.values(), key=lambda item: item.order):
        if link.roles and not (viewer.is_superuser or viewer.roles & link.roles):
            continue
        try:
            out.append({"label": link.label, "url": reverse(link.url_name)})
        except NoReverseMatch:
            continue
    return out
