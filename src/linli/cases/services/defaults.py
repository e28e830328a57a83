"""The cases domain's per-street defaults: the default hazard categories (a street takes reports at once)."""

from __future__ import annotations

from linli.cases.models import CaseCategory
from linli.cases.services.reports import categories_default_create
from linli.core.models import Street


def street_defaults_create(street: Street) -> int:
    """Add the default categories the street lacks (by code); edited ones stay as they are. Rows created."""
    before = CaseCategory.objects.filter(street=street).count()
    categories_default_create(street=street)
    return CaseCategory.objects.filter(street=street).count() - before
