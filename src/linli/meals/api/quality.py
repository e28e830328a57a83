"""Meals API: quality. Rate an order, a kitchen's quality, inspections with photos, tasting scores, daily waste,
the street's meals report."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from linli.core.auth import request_user, require_user
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.meals.schemas.quality import (
    INSPECTION_FORM,
    InspectionCreatedOut,
    KitchenQualityOut,
    RatingIn,
    RatingOut,
    StreetReportOut,
    TastingIn,
    TastingOut,
    WasteIn,
    WasteOut,
)
from linli.meals.selectors import quality as selectors
from linli.meals.services import quality as services

router = Router(tags=["meals 助餐"])


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Dates and times as the API writes them (the idempotency store keeps plain JSON)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@router.post(
    "/meals/orders/{int:order_id}/rating",
    response={201: RatingOut},
    auth=require_user,
    summary="评价订单 Rate a collected order",
)
@problems(
    "idempotency_key_reused", "not_found", "permission_denied", "order_invalid_transition", ("validation_error", 409)
)
def rate_order(request: HttpRequest, order_id: int, payload: RatingIn) -> HttpResponse:
    """The order's owner rates taste, portion and price (1-5 each) once the meal is collected (or delivered).
    A second rating is refused (`validation_error`, status 409, `reason: already_rated`); an order not yet
    collected gives `order_invalid_transition`. Send `Idempotency-Key` so a retry replays the first answer."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        order = selectors.order_get_for_rating(order_id=order_id, user=user)
        rating = services.rating_create(order=order, user=user, **payload.dict())
        return 201, _jsonable(selectors.rating_to_dict(rating))

    return idempotent(request, scope=f"meal_rating:{order_id}", run=run)


@router.get(
    "/meals/kitchens/{int:kitchen_id}/quality",
    response=KitchenQualityOut,
    auth=require_user,
    summary="厨房质量 A kitchen's quality",
)
@problems("not_found", "permission_denied")
def kitchen_quality(
    request: HttpRequest,
    kitchen_id: int,
    weeks: int = Query(12, ge=1, le=104),
    days: int = Query(30, ge=1, le=366),
) -> dict[str, Any]:
    """Rating averages (overall and per week), the latest inspections with issue counts and photos, tasting
    averages per dish and the daily waste series. For the kitchen's street: kitchen operators, food-safety
    supervisors, station staff and admins."""
    kitchen = selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=request_user(request))
    return selectors.kitchen_quality(kitchen=kitchen, weeks=weeks, days=days)


@router.post(
    "/meals/kitchens/{int:kitchen_id}/inspections",
    response={201: InspectionCreatedOut},
    auth=require_user,
    summary="食安检查 Record an inspection",
    openapi_extra=INSPECTION_FORM,
)
@problems("idempotency_key_reused", "not_found", "permission_denied", "photo_invalid", "validation_error")
def create_inspection(request: HttpRequest, kitchen_id: int) -> HttpResponse:
    """Multipart form: `result_<area>` and `note_<area>` for the areas washing, sample_retention, pastry, wok,
    hygiene, storage (areas left out are recorded as not seen), `summary`, and photos `photo_<area>` / `photo`
    (JPEG, PNG or WebP up to 10 MB; stored re-encoded without any metadata). Food-safety supervisors and admins
    of the kitchen's street. A bad photo refuses the whole inspection (`photo_invalid`)."""
    user = request_user(request)
    # The photos are checked and re-encoded before idempotent() opens its transaction (inside it, that CPU time
    # would hold the database's write lock).
    kitchen = selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=user, roles=services.INSPECTION_ROLES)
    items, uploads, summary = services.inspection_form_parse(request.POST, request.FILES)
    photos = services.inspection_photos_prepare(kitchen=kitchen, inspector=user, photos=uploads)

    def run() -> tuple[int, dict[str, Any]]:
        inspection = services.inspection_create(
            kitchen=kitchen, inspector=user, items=items, photos=photos, summary=summary
        )
        return 201, _jsonable(selectors.inspection_to_dict(inspection))

    return idempotent(request, scope=f"meal_inspection:{kitchen_id}", run=run)


@router.post(
    "/meals/dishes/{int:dish_id}/tastings",
    response={201: TastingOut},
    auth=require_user,
    summary="新菜品评 Score a dish at a tasting panel",
)
@problems("not_found", "permission_denied", ("validation_error", 409))
def add_tasting(request: HttpRequest, dish_id: int, payload: TastingIn) -> Status:
    """A food-safety supervisor (or admin) of the dish's street scores it 1-5, once per panel date
    (a second score the same day: `validation_error`, status 409, `reason: already_scored`)."""
    user = request_user(request)
    dish = selectors.dish_get_for_user(dish_id=dish_id, user=user)
    score = services.tasting_score_add(dish=dish, scorer=user, **payload.dict())
    return Status(201, selectors.tasting_to_dict(score))


@router.put(
    "/meals/kitchens/{int:kitchen_id}/waste/{date}",
    response=WasteOut,
    auth=require_user,
    summary="厨余重量 Set a day's food waste",
)
@problems("not_found", "permission_denied")
def set_waste(request: HttpRequest, kitchen_id: int, date: dt.date, payload: WasteIn) -> dict[str, Any]:
    """The day's food-waste weight in grams (kitchen operators and admins of the kitchen's street). PUT again
    for the same date to correct it: there is one figure per kitchen and day."""
    user = request_user(request)
    kitchen = selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=user, roles=services.WASTE_ROLES)
    record = services.waste_record_set(kitchen=kitchen, date=date, grams=payload.grams, note=payload.note, actor=user)
    return selectors.waste_to_dict(record)


@router.get(
    "/meals/streets/{code}/report",
    response=StreetReportOut,
    by_alias=True,
    auth=require_user,
    summary="街道助餐报表 The street's meals report",
)
@problems("not_found", "permission_denied")
def street_report(
    request: HttpRequest,
    code: str,
    date_from: dt.date | None = Query(None, alias="from", description="default: 29 days before `to`"),
    date_to: dt.date | None = Query(None, alias="to", description="inclusive; default: today"),
) -> dict[str, Any]:
    """Sales (orders and fen) per kitchen and day, subsidies paid per tier label (the sum of the orders'
    discounts), rating averages and waste per kitchen, for meals dated from..to. Street admins and station
    staff. Cancelled and refunded orders are not counted."""
    street = selectors.street_get_for_report(code=code, user=request_user(request))
    start, end = selectors.report_range(date_from, date_to)
    return selectors.street_report(street=street, date_from=start, date_to=end)
