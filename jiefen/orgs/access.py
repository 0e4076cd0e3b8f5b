"""Who the viewer is, computed once per request from their memberships.

Every selector takes a Viewer (or a user, which is turned into one) and narrows its queryset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .roles import CENTER_ROLES, INSTITUTION_ROLES, OVERSIGHT_ROLES, Role


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    # institution id -> roles held there
    institutions: dict[int, frozenset[str]] = field(default_factory=dict)
    is_superuser: bool = False

    @property
    def is_center(self) -> bool:
        return self.is_superuser or bool(self.roles & CENTER_ROLES)

    @property
    def is_oversight(self) -> bool:
        return bool(self.roles & OVERSIGHT_ROLES)

    @property
    def sees_everything(self) -> bool:
        return self.is_center or self.is_oversight

    @property
    def read_only(self) -> bool:
        return not self.is_center and self.roles <= OVERSIGHT_ROLES

    def institution_ids(self, roles: frozenset[str] = INSTITUTION_ROLES) -> set[int]:
        return {inst for inst, held in self.institutions.items() if held & roles}

    def has(self, *roles: str) -> bool:
        if self.is_superuser and Role.CENTER_ADMIN in roles:
            return True
        return bool(self.roles & set(roles))


ANONYMOUS = Viewer(user_id=None)


def viewer_for(user) -> Viewer:
    """The viewer of a user; a Viewer passed in is returned as it is, so services and selectors accept
    either."""
    if isinstance(user, Viewer):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_jiefen_viewer", None)
    if cached is not None:
        return cached
    institutions: dict[int, set[str]] = {}
    for inst_id, role in user.memberships.values_list("institution_id", "role"):
        institutions.setdefault(inst_id, set()).add(role)
    roles = frozenset(r for held in institutions.values() for r in held)
    viewer = Viewer(
        user_id=user.pk,
        roles=roles,
        institutions={k: frozenset(v) for k, v in institutions.items()},
        is_superuser=user.is_superuser,
    )
    user._jiefen_viewer = viewer
    return viewer
