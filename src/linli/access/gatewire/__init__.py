"""The gate wire: how the platform talks to gate controllers (MQTT through Mosquitto, or HTTP long-polling).

`protocol` holds the pure message formats (tokens, signed commands and events); `transports.open_gate` sends an open
command (MQTT through `client`, or HTTP through `queues`) and waits for the report; `simulator.GateController` is a real controller used by `linli gate-sim`, the
tests and the benchmark; `recorder` writes heartbeats; `http_api` serves controllers without MQTT.
"""

from linli.access.gatewire.client import OpenResult
from linli.access.gatewire.simulator import GateController
from linli.access.gatewire.transports import open_gate

__all__ = ["GateController", "OpenResult", "open_gate"]
