"""Meals API (quality): rate an order, a kitchen's quality, inspections with photos, tasting scores, daily
waste, the street report. Thin: parse, check permission, call a selector or service."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from linli.core.auth import request_user, require_user
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.meals.models import ChecklistArea, InspectionResult
from linli.meals.selectors import quality as selectors
from linli.meals.services import quality as services

router = Router(tags=["meals 助餐"])


class RatingIn(Schema):
    taste: int = Field(description="口味 1-5")
    portion: int = Field(description="分量 1-5")
    price: int = Field(description="价格 1-5")
    comment: str = Field("", max_length=500)


class RatingOut(Schema):
    id: int
    order_id: int
    kitchen_id: int
    taste: int
    portion: int
    price: int
    comment: str
    created_at: dt.datetime


class TastingIn(Schema):
    score: int = Field(description="1-5")
    comment: str = Field("", max_length=300)
    panel_date: dt.date | None = Field(None, description="default: today (Shanghai)")


class TastingOut(Schema):
    id: int
    dish_id: int
    score: int
    comment: str
    panel_date: dt.date


class WasteIn(Schema):
    grams: int
    note: str = Field("", max_length=200)


class WasteOut(Schema):
    kitchen_id: int
    date: dt.date
    grams: int
    note: str


class InspectionOut(Schema):
    id: int
    kitchen_id: int
    at: dt.datetime
    summary: str
    issues: int
    items: list[dict[str, Any]]
    photos: list[dict[str, Any]]


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Dates and times as the API writes them (the idempotency store keeps plain JSON)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def rating_to_dict(rating: Any) -> dict[str, Any]:
    return {
        "id": rating.pk,
        "order_id": rating.order_id,
        "kitchen_id": rating.kitchen_id,
        "taste": rating.taste,
        "portion": rating.portion,
        "price": rating.price,
        "comment": rating.comment,
        "created_at": rating.created_at,
    }


@router.post(
    "/meals/orders/{int:order_id}/rating",
    response={201: RatingOut},
    auth=require_user,
    summary="评价订单 Rate a collected order",
)
def rate_order(request: HttpRequest, order_id: int, payload: RatingIn) -> HttpResponse:
    """The order's owner rates taste, portion and price (1-5 each) once the meal is collected (or delivered).
    A second rating is refused (`validation_error`, status 409, `reason: already_rated`); an order not yet
    collected gives `order_invalid_transition`. Send `Idempotency-Key` so a retry replays the first answer."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        order = selectors.order_get_for_rating(order_id=order_id, user=user)
        rating = services.rating_create(order=order, user=user, **payload.dict())
        return 201, _jsonable(rating_to_dict(rating))

    return idempotent(request, scope=f"meal_rating:{order_id}", run=run)


@router.get(
    "/meals/kitchens/{int:kitchen_id}/quality",
    response=dict[str, Any],
    auth=require_user,
    summary="厨房质量 A kitchen's quality",
)
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


def parse_inspection_form(data: Any, files: Any) -> tuple[dict[str, tuple[str, str]], list[tuple[str, Any]], str]:
    """The inspection's multipart form (shared by the API and the supervisor's page): `result_<area>`
    (pass/issue/not_seen) and `note_<area>` per checklist area, `summary`, photos as files named
    `photo_<area>` (several allowed) or `photo` (no particular area)."""
    items: dict[str, tuple[str, str]] = {}
    for area in ChecklistArea.values:
        result = (data.get(f"result_{area}") or "").strip()
        note = data.get(f"note_{area}") or ""
        if result or note.strip():
            items[area] = (result or InspectionResult.NOT_SEEN, note)
    photos: list[tuple[str, Any]] = []
    for name in files:
        if name == "photo":
            area = ""
        elif name.startswith("photo_") and name[6:] in ChecklistArea.values:
            area = name[6:]
        else:
            raise Problem("validation_error", errors=[field_error(name, _("无法识别的文件字段"))])
        photos.extend((area, f) for f in files.getlist(name))
    return items, photos, data.get("summary") or ""


def inspection_to_dict(inspection: Any) -> dict[str, Any]:
    rows = selectors.inspection_list(kitchen=inspection.kitchen, limit=50)
    row = next(r for r in rows if r["id"] == inspection.pk)
    return {"kitchen_id": inspection.kitchen_id, **row}


_MULTIPART_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **{
                            f"result_{a}": {"type": "string", "enum": list(InspectionResult.values)}
                            for a in ChecklistArea.values
                        },
                        **{f"note_{a}": {"type": "string", "maxLength": 300} for a in ChecklistArea.values},
                        "summary": {"type": "string", "maxLength": 500},
                        "photo": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        **{
                            f"photo_{a}": {"type": "array", "items": {"type": "string", "format": "binary"}}
                            for a in ChecklistArea.values
                        },
                    },
                }
            }
        },
        "required": True,
    }
}


@router.post(
    "/meals/kitchens/{int:kitchen_id}/inspections",
    response={201: InspectionOut},
    auth=require_user,
    summary="食安检查 Record an inspection",
    openapi_extra=_MULTIPART_DOC,
)
def create_inspection(request: HttpRequest, kitchen_id: int) -> HttpResponse:
    """Multipart form: `result_<area>` and `note_<area>` for the areas washing, sample_retention, pastry, wok,
    hygiene, storage (areas left out are recorded as not seen), `summary`, and photos `photo_<area>` / `photo`
    (JPEG, PNG or WebP up to 10 MB; stored re-encoded without any metadata). Food-safety supervisors and admins
    of the kitchen's street. A bad photo refuses the whole inspection (`photo_invalid`)."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        kitchen = selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=user, roles=services.INSPECTION_ROLES)
        items, photos, summary = parse_inspection_form(request.POST, request.FILES)
        inspection = services.inspection_create(
            kitchen=kitchen, inspector=user, items=items, photos=photos, summary=summary
        )
        return 201, _jsonable(inspection_to_dict(inspection))

    return idempotent(request, scope=f"meal_inspection:{kitchen_id}", run=run)


@router.post(
    "/meals/dishes/{int:dish_id}/tastings",
    response={201: TastingOut},
    auth=require_user,
    summary="新菜品评 Score a dish at a tasting panel",
)
def add_tasting(request: HttpRequest, dish_id: int, payload: TastingIn) -> Status:
    """A food-safety supervisor (or admin) of the dish's street scores it 1-5, once per panel date
    (a second score the same day: `validation_error`, status 409, `reason: already_scored`)."""
    user = request_user(request)
    dish = selectors.dish_get_for_user(dish_id=dish_id, user=user)
    score = services.tasting_score_add(dish=dish, scorer=user, **payload.dict())
    return Status(
        201,
        {
            "id": score.pk,
            "dish_id": score.dish_id,
            "score": score.score,
            "comment": score.comment,
            "panel_date": score.panel_date,
        },
    )


@router.put(
    "/meals/kitchens/{int:kitchen_id}/waste/{date}",
    response=WasteOut,
    auth=require_user,
    summary="厨余重量 Set a day's food waste",
)
def set_waste(request: HttpRequest, kitchen_id: int, date: dt.date, payload: WasteIn) -> dict[str, Any]:
    """The day's food-waste weight in grams (kitchen operators and admins of the kitchen's street). PUT again
    for the same date to correct it: there is one figure per kitchen and day."""
    user = request_user(request)
    kitchen = selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=user, roles=services.WASTE_ROLES)
    record = services.waste_record_set(kitchen=kitchen, date=date, grams=payload.grams, note=payload.note, actor=user)
    return {"kitchen_id": record.kitchen_id, "date": record.date, "grams": record.grams, "note": record.note}


@router.get(
    "/meals/streets/{code}/report",
    response=dict[str, Any],
    auth=require_user,
    summary="街道助餐报表 The street's meals report",
)
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
