"""Per-street defaults of affairs: the street's policy (no-show rule, cut-offs, file retention)."""

from __future__ import annotations

from linli.affairs.models import Policy
from linli.core.models import Street


def street_defaults_create(street: Street) -> int:
    """The street's affairs policy with the default rule, unless it has one; returns the rows created."""
    _policy, created = Policy.objects.get_or_create(street=street)
    return int(created)


def policy_for(street: Street | int) -> Policy:
    street_id = street if isinstance(street, int) else street.pk
    policy, _created = Policy.objects.get_or_create(street_id=street_id)
    return policy
