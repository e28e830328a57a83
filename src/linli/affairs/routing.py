"""WebSocket routes of the affairs domain (mounted by linli.routing under /ws/)."""

from django.urls import re_path

from linli.affairs.consumers import HallConsumer, RemoteSignalConsumer

websocket_urlpatterns = [
    re_path(r"^ws/affairs/hall/(?P<place_id>[0-9]{1,12})/$", HallConsumer.as_asgi()),
    re_path(r"^ws/affairs/remote/(?P<room>[-a-zA-Z0-9_]{8,40})/$", RemoteSignalConsumer.as_asgi()),
]
