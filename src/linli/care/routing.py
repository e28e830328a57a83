"""WebSocket routes of the care domain (mounted by linli.routing under /ws/)."""

from django.urls import re_path

from linli.care.consumers import CareConsumer

websocket_urlpatterns = [
    re_path(r"^ws/care/(?P<street_code>[-a-zA-Z0-9_]{1,40})/$", CareConsumer.as_asgi()),
]
