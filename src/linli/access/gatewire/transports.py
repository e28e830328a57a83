"""Sending an open command over the gate's transport: MQTT through the broker (`client`) or the HTTP
long-poll queue (`queues`). Above both, so neither imports the other's sender."""

from __future__ import annotations

import logging

from linli.access.gatewire import queues
from linli.access.gatewire.client import OpenResult, wire

logger = logging.getLogger("linli.access.gatewire.client")


def open_gate(
    *, gate_public_id: str, command_key: bytes, transport: str, tap_id: int, timeout: float = 1.0
) -> OpenResult:
    """Send a signed single-use open command to the gate and wait up to `timeout` seconds for its report."""
    command_key = bytes(command_key)  # BinaryField values come back as memoryview on PostgreSQL
    if transport == "http":
        return queues.open_http_gate(
            gate_public_id=gate_public_id, command_key=command_key, tap_id=tap_id, timeout=timeout
        )
    if transport != "mqtt":
        raise ValueError(f"unknown gate transport {transport!r}")
    try:
        return wire().open(gate_public_id=gate_public_id, command_key=command_key, tap_id=tap_id, timeout=timeout)
    except Exception:  # a bad broker URL, a TLS setup error ...: the tap is answered, never a 500
        logger.exception("gate wire: cannot send the open command")
        return OpenResult(opened=False, command_id="", outcome="broker_down")
