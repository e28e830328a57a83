"""The gate wire: how the platform talks to gate controllers (MQTT through Mosquitto, or HTTP long-polling).

`protocol` holds the pure message formats (tokens, signed commands and events); `client.open_gate` sends an open
command and waits for the report; `simulator.GateController` is a real controller used by `linli gate-sim`, the
tests and the benchmark; `recorder` writes heartbeats; `http_api` serves controllers without MQTT.
"""

from linli.access.gatewire.client import OpenResult, open_gate
from linli.access.gatewire.simulator import GateController

__all__ = ["GateController", "OpenResult", "open_gate"]
