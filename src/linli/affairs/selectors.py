"""Affairs reads other domains and the dashboard may use, scoped by street."""

from __future__ import annotations

from django.db.models import QuerySet

from linli.affairs.models import Item
from linli.core.models import Street


def items_active(*, street: Street) -> QuerySet[Item]:
    """The street's active catalogue, by code."""
    return Item.objects.filter(street=street, is_active=True).order_by("code")
