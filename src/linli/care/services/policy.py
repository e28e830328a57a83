"""A street's care clocks (`CarePolicy`), the per-street default every street gets (`linli street add`,
`linli street defaults CODE`); a street without a row uses the same defaults."""

from __future__ import annotations

from datetime import timedelta

from linli.care.models import CarePolicy
from linli.core.models import Street

DEFAULT = CarePolicy()


def policy_for(street_id: int, cache: dict[int, CarePolicy] | None = None) -> CarePolicy:
    """The street's clocks (the defaults when it has none); `cache` keeps them for one sweep."""
    if cache is not None and street_id in cache:
        return cache[street_id]
    policy = CarePolicy.objects.filter(street_id=street_id).first() or DEFAULT
    if cache is not None:
        cache[street_id] = policy
    return policy


def shortest(field: str) -> float:
    """The smallest value of a clock over every street (the sweeps' candidate queries), the default's at most."""
    values = list(CarePolicy.objects.values_list(field, flat=True)) + [getattr(DEFAULT, field)]
    return float(min(values))


def ack_within(policy: CarePolicy) -> timedelta:
    return timedelta(seconds=policy.ack_seconds)


def street_defaults_create(street: Street) -> int:
    """The street's care clocks, when it has none (an edited row stays as it is). Rows created."""
    _policy, created = CarePolicy.objects.get_or_create(street=street)
    return int(created)
