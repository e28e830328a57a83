"""Which street a report belongs to when the reporter's app names none: the street the point lies in."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.services.reports import STREET_RADIUS_M, _check_coordinates
from linli.core.errors import Problem, field_error
from linli.core.geo import haversine_m
from linli.core.gis import streets_at_point
from linli.core.models import Grid, Street


def street_for_point(*, lat: Any, lng: Any) -> Street:
    """The street the platform serves at (lat, lng): the one whose grids hold the point; else, among streets
    without grids, the one whose centre is within STREET_RADIUS_M. `outside_street` when none serves it,
    `validation_error` (name the street) when several do."""
    lat_f, lng_f = _check_coordinates(lat, lng)
    streets = streets_at_point(lat=lat_f, lng=lng_f)
    if not streets:
        with_grids = Grid.objects.values_list("street_id", flat=True).distinct()
        near = [
            s
            for s in Street.objects.exclude(id__in=with_grids).exclude(center_lat=None).exclude(center_lng=None)
            if haversine_m(lat_f, lng_f, s.center_lat, s.center_lng) <= STREET_RADIUS_M  # type: ignore[arg-type]
        ]
        streets = near
    if len(streets) == 1:
        return streets[0]
    if not streets:
        raise Problem(
            "outside_street",
            detail=_("该位置不在平台服务的街道范围内，请确认定位"),
            errors=[field_error("street", _("该位置不在平台服务的街道内"))],
        )
    codes = ", ".join(s.code for s in streets)
    raise Problem(
        "validation_error",
        detail=format_lazy(_("该位置属于多个街道（{codes}），请指明 street"), codes=codes),
        errors=[field_error("street", _("请指明街道"))],
    )
