"""Dashboard models: the precomputed counters per street, grid, day and KPI, and the row a refresh locks.

`KpiCounter` holds one number per (street, grid, day, kpi): kept current by the domains' own events after each
commit (`services.counters`), rebuilt nightly from the source tables, and compared with them by the check. The
dashboard's pages and API read only these rows, never the domains' history.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Grid, Street


class KpiCounter(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    # The deepest grid that holds the rows counted (see `attribution`); None only for a street without grids.
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # Asia/Shanghai
    kpi = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["street", "grid", "day", "kpi"], name="dashboard_counter_unique"),
        ]
        indexes = [models.Index(fields=["street", "day", "kpi"])]
        verbose_name = _("指标计数 KPI counter")
        verbose_name_plural = _("指标计数 KPI counters")

    def __str__(self) -> str:
        return f"{self.street_id}/{self.grid_id}/{self.day}/{self.kpi}={self.value}"


class KpiRefresh(models.Model):
    """One row per street and KPI family: a refresh updates it first, so two refreshes of the same family queue
    behind each other (the later one reads what the earlier one's transaction committed)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "family"], name="dashboard_refresh_unique")]
