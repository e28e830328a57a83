"""Quality reads: a kitchen's ratings (overall and per week), inspections with issue counts, tasting averages
and waste series; the street report (sales per kitchen and day, subsidies per tier, ratings, waste).

Tenancy: the `*_for_user` helpers return an object only when the user holds a suitable role in its street;
every aggregate below is filtered by one kitchen or one street.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Role, Street, User
from linli.core.selectors import require_role, user_street_ids
from linli.meals.models import (
    ChecklistArea,
    Dish,
    Inspection,
    InspectionPhoto,
    InspectionResult,
    Kitchen,
    Order,
    OrderDiscount,
    OrderStatus,
    Rating,
    TastingScore,
    WasteRecord,
)

# Who sees what (always within the kitchen's street).
KITCHEN_QUALITY_ROLES = (Role.KITCHEN_OPERATOR, Role.FOOD_SUPERVISOR, Role.ADMIN, Role.STATION_STAFF)
SUPERVISOR_ROLES = (Role.FOOD_SUPERVISOR, Role.ADMIN)
REPORT_ROLES = (Role.ADMIN, Role.STATION_STAFF)
# Orders that count as sold: everything but cancelled and refunded.
SALE_EXCLUDED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
MAX_REPORT_DAYS = 366


def _avg(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


# -------------------------------------------------------------------------------------------- scoping


def kitchen_get_for_user(*, kitchen_id: int, user: User, roles: Iterable[str] = KITCHEN_QUALITY_ROLES) -> Kitchen:
    kitchen = Kitchen.objects.select_related("street", "place").filter(pk=kitchen_id).first()
    if kitchen is None:
        raise Problem("not_found", detail=_("没有这个厨房"))
    require_role(user, street=kitchen.street, roles=roles)
    return kitchen


def kitchens_for_user(*, user: User, roles: Iterable[str] = KITCHEN_QUALITY_ROLES) -> QuerySet[Kitchen]:
    return (
        Kitchen.objects.filter(street_id__in=user_street_ids(user, roles=roles))
        .select_related("street", "place")
        .order_by("street__code", "place__name")
    )


def dish_get_for_user(*, dish_id: int, user: User, roles: Iterable[str] = SUPERVISOR_ROLES) -> Dish:
    dish = Dish.objects.select_related("kitchen__street", "kitchen__place").filter(pk=dish_id).first()
    if dish is None:
        raise Problem("not_found", detail=_("没有这道菜"))
    require_role(user, street=dish.kitchen.street, roles=roles)
    return dish


def order_get_for_rating(*, order_id: int, user: User) -> Order:
    """The user's own order (anyone else's is "not found", so order ids reveal nothing)."""
    order = (
        Order.objects.select_related("kitchen__place", "menu")
        .filter(pk=order_id, user_id=getattr(user, "pk", None) or 0)
        .first()
    )
    if order is None:
        raise Problem("not_found", detail=_("没有这份订单"))
    return order


def photo_get_for_user(*, photo_id: int, user: User) -> InspectionPhoto:
    photo = InspectionPhoto.objects.select_related("inspection__kitchen__street").filter(pk=photo_id).first()
    if photo is None:
        raise Problem("not_found")
    require_role(user, street=photo.inspection.kitchen.street, roles=KITCHEN_QUALITY_ROLES)
    return photo


# ----------------------------------------------------------------------------------------- the kitchen


def rating_averages(qs: QuerySet[Rating]) -> dict[str, Any]:
    agg = qs.aggregate(count=Count("id"), taste=Avg("taste"), portion=Avg("portion"), price=Avg("price"))
    return {
        "count": agg["count"],
        "taste": _avg(agg["taste"]),
        "portion": _avg(agg["portion"]),
        "price": _avg(agg["price"]),
    }


def rating_weekly(*, kitchen: Kitchen, weeks: int = 12, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Averages per week (Monday start, Shanghai time) for the last `weeks` weeks, oldest first; weeks without
    ratings are listed with count 0."""
    today = today or timezone.localdate()
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    since = timezone.make_aware(dt.datetime.combine(first_monday, dt.time.min))
    rows = (
        Rating.objects.filter(kitchen=kitchen, created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(count=Count("id"), taste=Avg("taste"), portion=Avg("portion"), price=Avg("price"))
    )
    by_week = {}
    for row in rows:
        week = row["week"]
        week_date = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
        by_week[week_date] = row
    series = []
    for i in range(weeks):
        monday = first_monday + dt.timedelta(weeks=i)
        found = by_week.get(monday)
        series.append(
            {
                "week_start": monday,
                "count": found["count"] if found else 0,
                "taste": _avg(found["taste"]) if found else None,
                "portion": _avg(found["portion"]) if found else None,
                "price": _avg(found["price"]) if found else None,
            }
        )
    return series


def inspection_list(*, kitchen: Kitchen, limit: int = 10) -> list[dict[str, Any]]:
    """The latest inspections with their issue counts, items and photos."""
    labels = dict(ChecklistArea.choices)
    result_labels = dict(InspectionResult.choices)
    qs = (
        Inspection.objects.filter(kitchen=kitchen)
        .select_related("inspector")
        .annotate(issues=Count("items", filter=Q(items__result=InspectionResult.ISSUE)))
        .prefetch_related("items", "photos")
        .order_by("-at", "-id")[:limit]
    )
    out = []
    for insp in qs:
        out.append(
            {
                "id": insp.pk,
                "at": insp.at,
                "inspector": str(insp.inspector),
                "summary": insp.summary,
                "issues": insp.issues,
                "items": [
                    {
                        "area": item.area,
                        "area_label": str(labels.get(item.area, item.area)),
                        "result": item.result,
                        "result_label": str(result_labels.get(item.result, item.result)),
                        "note": item.note,
                    }
                    for item in sorted(insp.items.all(), key=lambda i: ChecklistArea.values.index(i.area))
                ],
                "photos": [
                    {
                        "id": p.pk,
                        "area": p.area,
                        "area_label": str(labels.get(p.area, "")),
                        "width": p.width,
                        "height": p.height,
                        "url": reverse("meals:quality_photo", args=[p.pk]),
                    }
                    for p in insp.photos.all()
                ],
            }
        )
    return out


def last_inspections(*, kitchen_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Per kitchen: when it was last inspected and how many inspections it had."""
    return list(
        Inspection.objects.filter(kitchen_id__in=list(kitchen_ids))
        .values("kitchen_id")
        .annotate(last_at=Max("at"), count=Count("id"))
    )


def tasting_scored_today(*, kitchen: Kitchen, scorer: Any, panel_date: dt.date) -> list[int]:
    """The dishes of `kitchen` that `scorer` has already scored at the panel of `panel_date`."""
    return list(
        TastingScore.objects.filter(dish__kitchen=kitchen, scorer=scorer, panel_date=panel_date).values_list(
            "dish_id", flat=True
        )
    )


def tasting_averages(*, kitchen: Kitchen, new_only: bool = False) -> list[dict[str, Any]]:
    qs = TastingScore.objects.filter(dish__kitchen=kitchen)
    if new_only:
        qs = qs.filter(dish__is_new=True)
    rows = (
        qs.values("dish_id", "dish__name", "dish__is_new")
        .annotate(count=Count("id"), avg=Avg("score"), last_panel=Max("panel_date"))
        .order_by("-last_panel", "dish__name")
    )
    return [
        {
            "dish_id": r["dish_id"],
            "dish": r["dish__name"],
            "is_new": r["dish__is_new"],
            "count": r["count"],
            "avg": _avg(r["avg"]),
            "last_panel": r["last_panel"],
        }
        for r in rows
    ]


def waste_series(*, kitchen: Kitchen, days: int = 30, today: dt.date | None = None) -> list[dict[str, Any]]:
    """One entry per day for the last `days` days, oldest first; `grams` is None where nothing was recorded."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    recorded = {r.date: r for r in WasteRecord.objects.filter(kitchen=kitchen, date__gte=start, date__lte=today)}
    return [
        {
            "date": day,
            "grams": recorded[day].grams if day in recorded else None,
            "note": recorded[day].note if day in recorded else "",
        }
        for day in (start + dt.timedelta(days=i) for i in range(days))
    ]


def kitchen_quality(*, kitchen: Kitchen, weeks: int = 12, days: int = 30) -> dict[str, Any]:
    return {
        "kitchen": {"id": kitchen.pk, "name": kitchen.place.name, "street": kitchen.street.code},
        "ratings": rating_averages(Rating.objects.filter(kitchen=kitchen)),
        "ratings_weekly": rating_weekly(kitchen=kitchen, weeks=weeks),
        "inspections": inspection_list(kitchen=kitchen),
        "tastings": tasting_averages(kitchen=kitchen),
        "waste": waste_series(kitchen=kitchen, days=days),
    }


def dishes_for_tasting(*, kitchen: Kitchen) -> QuerySet[Dish]:
    """New dishes first, then the rest (a panel may also re-score an established dish)."""
    return Dish.objects.filter(kitchen=kitchen).order_by("-is_new", "name")


# ------------------------------------------------------------------------------------ the street report


def report_range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The report's dates: default the last 30 days up to today; from ≤ to; at most a year."""
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise Problem(
            "validation_error",
            errors=[field_error("from", _("开始日期不能晚于结束日期"))],
        )
    if (date_to - date_from).days + 1 > MAX_REPORT_DAYS:
        raise Problem(
            "validation_error",
            errors=[field_error("from", format_lazy(_("报表最长 {days} 天"), days=MAX_REPORT_DAYS))],
        )
    return date_from, date_to


def street_get_for_report(*, code: str, user: User) -> Street:
    street = Street.objects.filter(code=code).first()
    if street is None:
        raise Problem("unknown_street", detail=format_lazy(_("街道代码 {code} 不存在"), code=code))
    require_role(user, street=street, roles=REPORT_ROLES)
    return street


def street_report(*, street: Street, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Sales (orders and fen) per kitchen and day, subsidies paid per tier label, ratings and waste per kitchen,
    for the meals dated `date_from`..`date_to` (inclusive). Cancelled and refunded orders are not sales."""
    kitchens = list(Kitchen.objects.filter(street=street).select_related("place").order_by("place__name"))
    names = {k.pk: k.place.name for k in kitchens}
    orders = Order.objects.filter(street=street, date__gte=date_from, date__lte=date_to).exclude(
        status__in=SALE_EXCLUDED
    )
    money = {
        "orders": Count("id"),
        "list_fen": Sum("list_fen"),
        "discount_fen": Sum("discount_fen"),
        "total_fen": Sum("total_fen"),
    }

    def money_row(row: dict[str, Any]) -> dict[str, int]:
        return {k: int(row[k] or 0) for k in money}

    sales = [
        {"kitchen_id": r["kitchen_id"], "kitchen": names.get(r["kitchen_id"], "?"), "date": r["date"], **money_row(r)}
        for r in orders.values("kitchen_id", "date").annotate(**money).order_by("date", "kitchen_id")
    ]
    per_kitchen = {r["kitchen_id"]: money_row(r) for r in orders.values("kitchen_id").annotate(**money)}
    sales_by_kitchen = [
        {"kitchen_id": k.pk, "kitchen": k.place.name, **per_kitchen.get(k.pk, dict.fromkeys(money, 0))}
        for k in kitchens
    ]
    per_day = {r["date"]: money_row(r) for r in orders.values("date").annotate(**money)}
    days = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    sales_by_day = [{"date": d, **per_day.get(d, dict.fromkeys(money, 0))} for d in days]
    totals = money_row(orders.aggregate(**money))

    subsidies = [
        {
            "label": r["label"],
            "label_en": r["tier__name_en"] or "",
            "orders": r["orders"],
            "amount_fen": int(r["amount_fen"] or 0),
        }
        for r in OrderDiscount.objects.filter(order__in=orders)
        .values("label", "tier__name_en")
        .annotate(orders=Count("order_id", distinct=True), amount_fen=Sum("amount_fen"))
        .order_by("-amount_fen", "label")
    ]

    rating_rows = {
        r["kitchen_id"]: r
        for r in Rating.objects.filter(order__street=street, order__date__gte=date_from, order__date__lte=date_to)
        .values("kitchen_id")
        .annotate(count=Count("id"), taste=Avg("taste"), portion=Avg("portion"), price=Avg("price"))
    }
    ratings = [
        {
            "kitchen_id": k.pk,
            "kitchen": k.place.name,
            "count": rating_rows[k.pk]["count"] if k.pk in rating_rows else 0,
            **{f: _avg(rating_rows[k.pk][f]) if k.pk in rating_rows else None for f in ("taste", "portion", "price")},
        }
        for k in kitchens
    ]

    waste_rows = {
        r["kitchen_id"]: r
        for r in WasteRecord.objects.filter(kitchen__street=street, date__gte=date_from, date__lte=date_to)
        .values("kitchen_id")
        .annotate(days=Count("id"), grams=Sum("grams"))
    }
    waste = []
    for k in kitchens:
        row = waste_rows.get(k.pk)
        grams = int(row["grams"] or 0) if row else 0
        recorded = row["days"] if row else 0
        waste.append(
            {
                "kitchen_id": k.pk,
                "kitchen": k.place.name,
                "days": recorded,
                "grams": grams,
                "avg_grams": round(grams / recorded) if recorded else None,
            }
        )

    return {
        "street": street.code,
        "street_name": street.name,
        "from": date_from,
        "to": date_to,
        "kitchens": [{"id": k.pk, "name": k.place.name} for k in kitchens],
        "totals": {
            **totals,
            "subsidies_fen": sum(s["amount_fen"] for s in subsidies),
            "waste_grams": sum(w["grams"] for w in waste),
        },
        "sales": sales,
        "sales_by_kitchen": sales_by_kitchen,
        "sales_by_day": sales_by_day,
        "subsidies": subsidies,
        "ratings": ratings,
        "waste": waste,
    }


def rating_to_dict(rating: Rating) -> dict[str, Any]:
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


def inspection_to_dict(inspection: Inspection) -> dict[str, Any]:
    """A recorded inspection as the kitchen's quality page lists it, with its kitchen."""
    row = next(r for r in inspection_list(kitchen=inspection.kitchen, limit=50) if r["id"] == inspection.pk)
    return {"kitchen_id": inspection.kitchen_id, **row}


def tasting_to_dict(score: TastingScore) -> dict[str, Any]:
    return {
        "id": score.pk,
        "dish_id": score.dish_id,
        "score": score.score,
        "comment": score.comment,
        "panel_date": score.panel_date,
    }


def waste_to_dict(record: WasteRecord) -> dict[str, Any]:
    return {"kitchen_id": record.kitchen_id, "date": record.date, "grams": record.grams, "note": record.note}
