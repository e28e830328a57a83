"""WebSocket routes (served by uvicorn under /ws/)."""

from linli.affairs.routing import websocket_urlpatterns as affairs_ws
from linli.care.routing import websocket_urlpatterns as care_ws
from linli.cases.routing import websocket_urlpatterns as cases_ws
from linli.dashboard.routing import websocket_urlpatterns as dashboard_ws
from linli.places.routing import websocket_urlpatterns as places_ws

websocket_urlpatterns = [*places_ws, *cases_ws, *care_ws, *affairs_ws, *dashboard_ws]
