"""WebSocket routes (served by uvicorn under /ws/)."""

from linli.cases.routing import websocket_urlpatterns as cases_ws
from linli.places.routing import websocket_urlpatterns as places_ws

websocket_urlpatterns = [*places_ws, *cases_ws]
