"""Push "the room changed" to everyone connected to it. Clients then fetch the new messages over HTTP,
so the same template renders every message whether it arrived by websocket push or by polling."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def group_name(mediation_id: int) -> str:
    return f"mediation-room-{mediation_id}"


_muted = threading.local()


@contextmanager
def muted():
    """No pushes while replaying history in bulk (the demo loader): nobody is connected anyway."""
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = False


def notify_room(mediation_id: int, last_id: int = 0) -> None:
    if getattr(_muted, "on", False):
        return

    def send():
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                group_name(mediation_id), {"type": "room.update", "last_id": last_id}
            )
        except RuntimeError:
            # Called from a thread that runs its own event loop (a script driving a browser): skip.
            log.debug("room push skipped inside an event loop")
        except Exception:  # a push that fails is caught up by the clients' polling
            log.warning("room push failed", exc_info=True)

    transaction.on_commit(send)
