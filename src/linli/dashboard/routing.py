"""WebSocket routes of the dashboard (mounted by linli.routing under /ws/)."""

from django.urls import re_path

from linli.dashboard.consumers import LiveConsumer

websocket_urlpatterns = [
    re_path(r"^ws/dashboard/live/(?P<grid_id>[0-9]{1,12})/$", LiveConsumer.as_asgi()),
]
