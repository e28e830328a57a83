from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def linli(request: HttpRequest) -> dict[str, Any]:
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "linli_mode": settings.LINLI_MODE,
        "map_tile_url": settings.LINLI_MAP_TILE_URL,
        "map_tile_attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
    }
