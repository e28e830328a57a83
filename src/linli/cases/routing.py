"""WebSocket routes of the cases domain (mounted by linli.routing under /ws/)."""

from django.urls import re_path

from linli.cases.consumers import CasesConsumer

websocket_urlpatterns = [
    re_path(r"^ws/cases/(?P<street_code>[-a-zA-Z0-9_]{1,40})/$", CasesConsumer.as_asgi()),
]
