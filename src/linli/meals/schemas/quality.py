"""Meals API schemas: ratings, tastings, food waste, inspections, a kitchen's quality and the street report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from linli.meals.models import ChecklistArea, InspectionResult
from linli.meals.schemas.menus import KitchenName

# -------------------------------------------------------------------------------------------------- quality


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


class InspectionItemOut(Schema):
    area: str
    area_label: str
    result: str = Field(description="pass | issue | not_seen")
    result_label: str
    note: str


class InspectionPhotoOut(Schema):
    id: int
    area: str
    area_label: str
    width: int
    height: int
    url: str


class InspectionOut(Schema):
    id: int
    at: dt.datetime
    inspector: str
    summary: str
    issues: int
    items: list[InspectionItemOut]
    photos: list[InspectionPhotoOut]


class InspectionCreatedOut(InspectionOut):
    kitchen_id: int


class RatingAverages(Schema):
    count: int
    taste: float | None
    portion: float | None
    price: float | None


class RatingWeek(RatingAverages):
    week_start: dt.date


class TastingAverage(Schema):
    dish_id: int
    dish: str
    is_new: bool
    count: int
    avg: float | None
    last_panel: dt.date | None


class WasteDay(Schema):
    date: dt.date
    grams: int | None = Field(description="empty: nothing recorded")
    note: str


class QualityKitchen(KitchenName):
    street: str


class KitchenQualityOut(Schema):
    kitchen: QualityKitchen
    ratings: RatingAverages
    ratings_weekly: list[RatingWeek]
    inspections: list[InspectionOut]
    tastings: list[TastingAverage]
    waste: list[WasteDay]


class Money(Schema):
    orders: int
    list_fen: int
    discount_fen: int
    total_fen: int


class SalesRow(Money):
    kitchen_id: int
    kitchen: str
    date: dt.date


class KitchenSales(Money):
    kitchen_id: int
    kitchen: str


class DaySales(Money):
    date: dt.date


class ReportTotals(Money):
    subsidies_fen: int
    waste_grams: int


class SubsidyRow(Schema):
    label: str
    orders: int
    amount_fen: int


class KitchenRatings(RatingAverages):
    kitchen_id: int
    kitchen: str


class KitchenWaste(Schema):
    kitchen_id: int
    kitchen: str
    days: int
    grams: int
    avg_grams: int | None


class StreetReportOut(Schema):
    street: str
    street_name: str
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    kitchens: list[KitchenName]
    totals: ReportTotals
    sales: list[SalesRow]
    sales_by_kitchen: list[KitchenSales]
    sales_by_day: list[DaySales]
    subsidies: list[SubsidyRow]
    ratings: list[KitchenRatings]
    waste: list[KitchenWaste]


# The inspection's multipart form (`openapi_extra` of its endpoint; parsed by services.quality.inspection_form_parse).
INSPECTION_FORM: dict[str, Any] = {
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
