"""Video rooms for online mediation sessions behind one small interface.

The default gives each session a Jitsi Meet room on a configurable server (JIEFEN_JITSI_URL, e.g. the
centre's own Jitsi on its intranet); another provider subclasses VideoBackend and is named in
JIEFEN_VIDEO_BACKEND.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils.module_loading import import_string


class VideoBackend:
    name = "base"

    def room_url(self, session) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class JitsiBackend(VideoBackend):
    name = "jitsi"

    def room_url(self, session) -> str:
        server = getattr(settings, "JIEFEN_JITSI_URL", "https://meet.jit.si").rstrip("/")
        # Unguessable: anyone with the name could join the room.
        return f"{server}/jiefen-{session.mediation.case.number}-{secrets.token_hex(6)}"


def video_backend() -> VideoBackend:
    return import_string(
        getattr(settings, "JIEFEN_VIDEO_BACKEND", "jiefen.mediation.backends.JitsiBackend")
    )()
