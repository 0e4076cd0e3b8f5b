"""Who may do what in education and the registry.

The campaign against "credit repair" outfits is led by the PBOC branch with the centre, so the PBOC
credit officer — read-only on cases — works the registry and the education content here. Regulators
and the party-committee viewer read the registry; a bank's staff report leads and see their own.
"""

from __future__ import annotations

from jiefen.orgs.access import Viewer
from jiefen.orgs.roles import CENTER_ROLES, Role

WORKERS = CENTER_ROLES | {Role.PBC_OFFICER}


def can_work_registry(viewer: Viewer) -> bool:
    return viewer.is_superuser or bool(viewer.roles & WORKERS)


def can_read_registry(viewer: Viewer) -> bool:
    return can_work_registry(viewer) or Role.VIEWER in viewer.roles


def can_edit_content(viewer: Viewer) -> bool:
    return can_work_registry(viewer)
