"""Meals API: menus and kitchens. A resident reads a meal point's menus; kitchen staff create, publish, unpublish
and check menus."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from linli.core.auth import request_user, require_user
from linli.core.errors import error_to_dict
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.meals.schemas.menus import KitchenOut, MenuCheckOut, MenuIn, MenuOut, PlaceMenusOut
from linli.meals.selectors import menus as selectors
from linli.meals.services import menus as services

router = Router(tags=["meals 助餐"])


@router.get("/meals/menus", exclude_unset=True, response=PlaceMenusOut, summary="今日菜单 Menus for a meal point")
@problems("not_found")
def menus_for_place(
    request: HttpRequest,
    place: int = Query(..., description="place id (meal point, venue or canteen)"),
    date: dt.date | None = Query(None, description="YYYY-MM-DD; default today (Shanghai)"),
) -> dict[str, Any]:
    """The published menus of every kitchen that serves the place on the date: `items` (each with the menu item
    `id` to order, prices in fen, `remaining` — null when unlimited — tags and allergens) and `menus` (kitchen,
    slot, cut-off, status). 某助餐点某天可订的菜。"""
    target = selectors.meal_place_get(place_id=place)
    return selectors.menus_for_place_to_dict(place=target, date=date or timezone.localdate())


@router.get("/meals/kitchens", response=list[KitchenOut], summary="厨房列表 Kitchens of a street")
@problems("unknown_street")
def kitchens(request: HttpRequest, street: str = Query(..., description="street code")) -> list[dict[str, Any]]:
    """Central kitchens and canteens of a street with the places they serve, their cut-off times, the meals they
    cook (`slots`) and whether their menus are published a week ahead (`week_ahead`: `ok`, `ahead_until`, and the
    `missing` date and slot pairs of the next 7 days)."""
    kitchens = list(selectors.kitchen_list(street=street_get(code=street)))
    ahead = selectors.week_ahead(kitchens=kitchens)
    return [{**selectors.kitchen_to_dict(k), "week_ahead": selectors.week_ahead_to_dict(ahead[k.pk])} for k in kitchens]


@router.get(
    "/meals/kitchens/{int:kitchen_id}/menus",
    response=list[MenuOut],
    auth=require_user,
    summary="厨房的菜单 A kitchen's menus (staff)",
)
@problems("not_found", "permission_denied")
def kitchen_menus(
    request: HttpRequest,
    kitchen_id: int,
    start: dt.date | None = Query(None, description="first day, YYYY-MM-DD; default today (Shanghai)"),
    days: int = Query(7, ge=1, le=62, description="how many days (1-62)"),
) -> list[dict[str, Any]]:
    """Every menu of the kitchen in the period, drafts included, with its items (for its kitchen operators and
    the street's admins): what `linli import menus` wrote, and whether it is published. `permission_denied` for
    anyone else."""
    kitchen = selectors.kitchen_get_for_editor(kitchen_id=kitchen_id, user=request_user(request))
    menus = selectors.menus_for_kitchen(kitchen=kitchen, start=start or timezone.localdate(), days=days)
    return [selectors.menu_to_dict(m, with_items=True) for m in menus]


@router.post("/meals/menus", response={201: MenuOut}, auth=require_user, summary="新建菜单 Create a menu (staff)")
@problems("idempotency_key_reused", "not_found", "permission_denied", "menu_invalid", "after_cutoff")
def create_menu(request: HttpRequest, payload: MenuIn) -> HttpResponse:
    """A kitchen operator or admin of the kitchen's street creates a draft menu with its items (and may publish it
    at once: a refused publish leaves no draft behind). Send `Idempotency-Key` to make a retry safe. Problems:
    `validation_error`, `menu_invalid`, `permission_denied`."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        kitchen = selectors.kitchen_get_for_editor(kitchen_id=payload.kitchen_id, user=user)
        menu = services.menu_create(
            kitchen=kitchen,
            date=payload.date,
            slot=payload.slot,
            cutoff_at=payload.cutoff_at,
            note=payload.note,
            items=[i.dict() for i in payload.items],
            actor=user,
            publish=payload.publish,
        )
        fresh = selectors.menu_get_for_editor(menu_id=menu.pk, user=user)
        return 201, selectors.menu_to_dict(fresh, with_items=True)

    return idempotent(request, scope=f"meals-menu:{payload.kitchen_id}", run=run)


@router.get("/meals/menus/{int:menu_id}", response=MenuOut, auth=require_user, summary="菜单详情 A menu (staff)")
@problems("not_found", "permission_denied")
def get_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    menu = selectors.menu_get_for_editor(menu_id=menu_id, user=request_user(request))
    return selectors.menu_to_dict(menu, with_items=True)


@router.post(
    "/meals/menus/{int:menu_id}/publish", response=MenuOut, auth=require_user, summary="发布菜单 Publish a menu"
)
@problems("not_found", "permission_denied", "menu_invalid", "after_cutoff")
def publish_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    """Refused with `menu_invalid` (its `errors` list each failing rule, date and slot) when the menu has no dishes
    or an elder canteen's day lacks small portions or a discounted elder set meal; `after_cutoff` when closed."""
    user = request_user(request)
    menu = selectors.menu_get_for_editor(menu_id=menu_id, user=user)
    services.menu_publish(menu=menu, actor=user)
    return selectors.menu_to_dict(selectors.menu_get_for_editor(menu_id=menu_id, user=user), with_items=True)


@router.post(
    "/meals/menus/{int:menu_id}/unpublish",
    response=MenuOut,
    auth=require_user,
    summary="撤回发布 Unpublish (no orders yet)",
)
@problems("not_found", "permission_denied", "after_cutoff")
def unpublish_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    """Back to draft while no resident has ordered from it (else `validation_error` on `status`)."""
    user = request_user(request)
    menu = selectors.menu_get_for_editor(menu_id=menu_id, user=user)
    services.menu_unpublish(menu=menu, actor=user)
    return selectors.menu_to_dict(selectors.menu_get_for_editor(menu_id=menu_id, user=user), with_items=True)


@router.get(
    "/meals/menus/{int:menu_id}/check",
    response=MenuCheckOut,
    auth=require_user,
    summary="检查菜单规则 Check a menu's rules",
)
@problems("not_found", "permission_denied")
def check_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    """`ok` and the rules the menu would fail on publishing (same list as the `menu_invalid` refusal)."""
    menu = selectors.menu_get_for_editor(menu_id=menu_id, user=request_user(request))
    failures = services.menu_rules_check(menu=menu)
    return {"menu_id": menu.pk, "ok": not failures, "failures": [error_to_dict(f) for f in failures]}
