"""Per-street defaults of affairs: the street's policy (no-show rule, cut-offs, file retention) and the common
residents' words for affairs (synonyms staff may edit)."""

from __future__ import annotations

import time

from linli.affairs.models import Policy, Synonym
from linli.affairs.services.search import DEFAULT_SYNONYMS
from linli.core.models import Street


def street_defaults_create(street: Street) -> int:
    """The street's affairs policy with the default rule and the common synonyms it lacks; the rows created."""
    _policy, created = Policy.objects.get_or_create(street=street)
    n = int(created)
    have = set(Synonym.objects.filter(street=street).values_list("term", "means"))
    missing = [Synonym(street=street, term=t, means=m) for t, m in DEFAULT_SYNONYMS if (t, m) not in have]
    Synonym.objects.bulk_create(missing)
    return n + len(missing)


def policy_for(street: Street | int) -> Policy:
    street_id = street if isinstance(street, int) else street.pk
    policy, _created = Policy.objects.get_or_create(street_id=street_id)
    return policy


_CUTOFFS: dict[int, tuple[float, int]] = {}
CUTOFF_CACHE_SECONDS = 60.0


def cancel_cutoff_minutes(street_id: int) -> int:
    """The street's cancel cut-off, read at most once a minute per process (every appointment answer shows it)."""
    now = time.monotonic()
    hit = _CUTOFFS.get(street_id)
    if hit is None or now - hit[0] > CUTOFF_CACHE_SECONDS:
        hit = (now, policy_for(street_id).cancel_cutoff_minutes)
        _CUTOFFS[street_id] = hit
    return hit[1]
