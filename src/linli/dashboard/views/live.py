"""The live picture of a grid (`/dashboard/live/?grid=`) and the command centre's big screen
(`/dashboard/screen/?grid=`). Thin: who may see which grid is `selectors.grid_visible_get`, the numbers are
`selectors_live.grid_live`; both pages render the picture on the server and `static/dashboard/live.js` keeps it
current over `ws/dashboard/live/<grid>/` (the page works, unchanging, without JavaScript).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Grid, Street
from linli.core.pages import login_redirect, problem_message
from linli.dashboard.selectors import grid_visible_get, street_list_for_dashboard
from linli.dashboard.selectors_live import grid_live
from linli.places import gazetteer

SCREEN_ROTATE_S = 15  # each panel of the big screen stays this long


def _refused(request: HttpRequest, problem: Problem, status: int) -> HttpResponse:
    return render(request, "dashboard/refused.html", {"problem": problem_message(problem)}, status=status)


def _grid_of(request: HttpRequest) -> tuple[Grid | None, HttpResponse | None]:
    """The grid to show: `?grid=<id>` if the user may see it, else their topmost grid in `?street=` (or their
    first street)."""
    user = request_user(request)
    raw = (request.GET.get("grid") or "").strip()
    street: Street | None = None
    grid_id: int | None = None
    if raw:
        if not raw.isdigit() or len(raw) > 12:
            return None, _refused(request, Problem("not_found", detail=_("没有这个网格")), 404)
        grid_id = int(raw)
        grid = Grid.objects.filter(pk=grid_id).select_related("street").first()
        if grid is None:
            return None, _refused(request, Problem("not_found", detail=_("没有这个网格")), 404)
        street = grid.street
    else:
        streets = street_list_for_dashboard(user)
        code = request.GET.get("street")
        street = next((s for s in streets if s.code == code), None) if code else (streets[0] if streets else None)
        if street is None:
            return None, _refused(request, Problem("permission_denied", detail=_("您没有查看指挥大屏的角色")), 403)
    try:
        return grid_visible_get(user, street=street, grid_id=grid_id), None
    except Problem as problem:
        return None, _refused(request, problem, 404 if problem.code == "not_found" else 403)


def _geometries(grid: Grid) -> dict[str, Any]:
    """The grid's outline and its children's (clickable on the map to drill down)."""
    children = Grid.objects.filter(parent=grid).order_by("external_id").only("id", "name", "geometry")
    return {
        "grid": grid.geometry,
        "children": [{"id": c.pk, "name": c.name, "geometry": c.geometry} for c in children],
    }


def _outlines(grid: Grid) -> dict[str, Any]:
    """Without map tiles, the street's own roads and compounds to read the map by (`places.gazetteer`)."""
    if settings.LINLI_MAP_TILE_URL:
        return {"compounds": [], "roads": []}
    drawn = gazetteer.outlines(grid.street)
    return {"compounds": drawn["compounds"], "roads": drawn["roads"]}


def _context(request: HttpRequest, grid: Grid) -> dict[str, Any]:
    picture = grid_live(grid.pk, street_id=grid.street_id)
    page = request.resolver_match.url_name if request.resolver_match else "live"
    return {
        "grid": grid,
        "street": grid.street,
        "picture": picture,
        "live_config": {
            "ws": f"/ws/dashboard/live/{grid.pk}/",
            "grid": grid.pk,
            "page": reverse(f"dashboard:{page}"),
            "tileUrl": settings.LINLI_MAP_TILE_URL,
            "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
            "center": [grid.street.center_lat or 31.2304, grid.street.center_lng or 121.4737],
            "geometries": _geometries(grid),
            "outlines": _outlines(grid),
            "rotateSeconds": SCREEN_ROTATE_S,
        },
    }


@require_GET
def live(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    grid, refused = _grid_of(request)
    if refused is not None or grid is None:
        return refused  # type: ignore[return-value]
    return render(request, "dashboard/live.html", _context(request, grid))


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    grid, refused = _grid_of(request)
    if refused is not None or grid is None:
        return refused  # type: ignore[return-value]
    return render(request, "dashboard/screen.html", _context(request, grid))
