"""Affairs API: the open catalogue, pre-reviews, slots and appointments. Thin: parse, check permission, call a
selector or service."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["affairs 社区事务"])
