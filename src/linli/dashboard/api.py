"""Dashboard API: the same numbers the dashboard pages show. Thin: parse, check permission, call a selector."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["dashboard"])
