"""The access domain's per-street defaults: the delivery platforms most riders come from, so property managers
can name them in a compound's policy before the first rider is verified. A compound without a policy row already
admits every verified rider of the street all day (see `AccessPolicy`): no policy rows are made here."""

from __future__ import annotations

from django.db.models import Q

from linli.access.models import Partner
from linli.core.models import Street

DEFAULT_PARTNERS = [("eleme", "饿了么"), ("meituan", "美团")]


def street_defaults_create(street: Street) -> int:
    """Add the default partners the street lacks (by code or name); returns how many were created."""
    created = 0
    for code, name in DEFAULT_PARTNERS:
        if not Partner.objects.filter(Q(code=code) | Q(name=name), street=street).exists():
            Partner.objects.create(street=street, code=code, name=name)
            created += 1
    return created
