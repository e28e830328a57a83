"""The result of a gate's open command on its tap: recorded by the tap itself and by the wire (a late report of a
queued HTTP command, a report after the timeout). Apart from `taps` so the wire can record without importing the
tap decision, which sends commands through the wire."""

from __future__ import annotations

from linli.access.services import fast


def tap_command_result(*, tap_id: int, command_id: str, outcome: str, opened: bool) -> bool:
    """Record an open command's result on its tap. An `opened` result is never overwritten by a later one."""
    return fast.tap_result_set(tap_id=tap_id, command_id=command_id, outcome=outcome, opened=opened)
