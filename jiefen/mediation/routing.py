"""Websocket routes of the mediation room, for config/asgi.py:

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from jiefen.mediation.routing import websocket_urlpatterns
ProtocolTypeRouter({"http": ..., "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))})
"""

from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/mediation/room/<int:mediation_id>/", RoomConsumer.as_asgi()),
    path("ws/mediation/p/room/<str:token>/", RoomConsumer.as_asgi()),
]
