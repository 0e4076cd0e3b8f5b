"""The room's websocket. It tells connected clients "something changed" (they then fetch the messages
over HTTP, see realtime.py) and accepts messages and read receipts from them.

Staff connect at ws/mediation/room/<id>/ with their session (AuthMiddlewareStack); the debtor at
ws/mediation/p/room/<signed token>/. Anyone else is closed with 4403.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer

from jiefen.common.errors import ApplicationError

from . import services
from .realtime import group_name
from .selectors import participant_for_user, room_from_token

FORBIDDEN = 4403


class RoomConsumer(JsonWebsocketConsumer):
    mediation = None
    participant = None

    def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            if "token" in kwargs:
                self.mediation, self.participant = room_from_token(kwargs["token"])
            else:
                self.mediation, self.participant = self._staff(kwargs.get("mediation_id"))
        except ApplicationError:
            self.mediation = None
        if self.mediation is None or self.participant is None:
            self.close(code=FORBIDDEN)
            return
        async_to_sync(self.channel_layer.group_add)(group_name(self.mediation.pk), self.channel_name)
        self.accept()

    def _staff(self, mediation_id):
        from jiefen.cases.selectors import case_get_for_user

        from .models import Mediation

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None, None
        mediation = Mediation.objects.filter(pk=mediation_id).first()
        if mediation is None:
            return None, None
        case = case_get_for_user(user, mediation.case_id)
        mediation.case = case
        return mediation, participant_for_user(user, case)

    def disconnect(self, code):
        if self.mediation is not None:
            async_to_sync(self.channel_layer.group_discard)(group_name(self.mediation.pk), self.channel_name)

    def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if kind == "message":
                self.mediation.case.refresh_from_db(fields=["status"])
                services.room_post(
                    mediation=self.mediation, participant=self.participant, body=str(content.get("body", ""))
                )
            elif kind == "read":
                last = content.get("last_id")
                services.room_mark_read(
                    mediation=self.mediation,
                    participant=self.participant,
                    last_id=int(last) if last is not None else None,
                )
            else:
                self.send_json({"type": "error", "message": "未知的消息类型"})
        except (ApplicationError, ValueError, TypeError) as exc:
            self.send_json({"type": "error", "message": getattr(exc, "message", "消息格式不正确")})

    def room_update(self, event):
        self.send_json({"type": "update", "last_id": event.get("last_id", 0)})
