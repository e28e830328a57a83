"""Meals API, one router per area (`menus`, `orders`, `wallet`, `kitchen`, `quality`), mounted at /api/v1 as
`linli.meals.api.router`. Thin like every domain's API: the schemas (linli.meals.schemas) parse and check the
input, the view checks nothing more and calls a selector or a service, and each endpoint declares its answers:
its response schema and, with `@problems`, the problem codes it may answer."""

from __future__ import annotations

from ninja import Router

from linli.meals.api import kitchen, menus, orders, quality, wallet

router = Router()
for area in (menus, orders, wallet, kitchen, quality):
    router.add_router("", area.router)
