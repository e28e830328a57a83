"""Kitchens in the places GeoJSON import and export (registered into `linli.places.hooks` by MealsConfig.ready()):
every imported kitchen or canteen gets its meals kitchen (elder canteens flagged), and the `serves` property —
the external ids of the meal points and venues its meals go to — is checked, written and exported."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.imports import ErrorList
from linli.core.models import Street
from linli.meals.models import Kitchen
from linli.places.models import KITCHEN_KINDS, Place, PlaceKind


class KitchenServes:
    """The `serves` property of a kitchen's or canteen's feature (`linli.places.hooks.PlaceProperty`)."""

    name = "serves"

    def validate(self, *, street: Street, rows: list[tuple[int, dict[str, Any]]], errors: ErrorList) -> None:
        """`serves`: a list of place ids (in the file or the street) on a kitchen or canteen only."""
        known = {r["external_id"] for _, r in rows if r.get("external_id")}
        known |= set(Place.objects.filter(street=street).values_list("external_id", flat=True))
        for i, row in rows:
            if "serves" not in row:
                continue
            serves = row["serves"]
            if serves is None:  # null: as if not given
                row.pop("serves")
                continue
            if not isinstance(serves, list) or not all(
                isinstance(s, str | int) and not isinstance(s, bool) for s in serves
            ):
                errors.add(i, "properties.serves", _("serves 必须是点位编号列表"))
                row.pop("serves")
                continue
            row["serves"] = serves = list(dict.fromkeys(str(s).strip() for s in serves))
            if serves and row.get("kind") not in KITCHEN_KINDS:
                errors.add(
                    i,
                    "properties.serves",
                    _("只有中央厨房、社区食堂和长者食堂可以填写 serves"),
                )
            for ext in serves:
                if ext not in known:
                    errors.add(
                        i,
                        "properties.serves",
                        format_lazy(_("serves 中的点位 {ext} 不存在（文件和数据库中都没有）"), ext=ext),
                    )

    def differs(self, *, place: Place, value: Any) -> bool:
        """Whether importing `value` would change the kitchen's served places."""
        kitchen = Kitchen.objects.filter(place=place).first()
        current = set(kitchen.serves.values_list("external_id", flat=True)) if kitchen else set()
        return current != set(value)

    def write(self, *, street: Street, places: dict[str, Place], imported: list[str], values: dict[str, Any]) -> None:
        """Every imported kitchen or canteen gets its meals kitchen (elder canteens flagged); `serves` is set when
        the file gives it."""
        for ext_id in imported:
            place = places[ext_id]
            if place.kind not in KITCHEN_KINDS:
                continue
            is_elder = place.kind == PlaceKind.ELDER_CANTEEN
            kitchen, created = Kitchen.objects.get_or_create(
                place=place, defaults={"street": street, "is_elder_canteen": is_elder}
            )
            if not created and kitchen.is_elder_canteen != is_elder:
                Kitchen.objects.filter(pk=kitchen.pk).update(is_elder_canteen=is_elder)
            if ext_id in values:
                kitchen.serves.set([places[e] for e in values[ext_id] if e != ext_id])

    def export(self, *, street: Street, places: list[Place]) -> dict[int, Any]:
        serves = {
            k.place_id: sorted(s.external_id for s in k.serves.all())
            for k in Kitchen.objects.filter(street=street).prefetch_related("serves")
        }
        return {p.pk: serves.get(p.pk, []) for p in places if p.kind in KITCHEN_KINDS}
