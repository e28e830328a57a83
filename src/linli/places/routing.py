"""WebSocket routes of the places domain (mounted by linli.routing under /ws/)."""

from django.urls import re_path

from linli.places.consumers import PlacesConsumer

websocket_urlpatterns = [
    re_path(r"^ws/places/(?P<street_code>[-a-zA-Z0-9_]{1,40})/$", PlacesConsumer.as_asgi()),
]
