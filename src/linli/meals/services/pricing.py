"""Meal pricing: the bill a resident sees — list price, each discount, what they pay. All in integer fen.

Rules (per street, `PricingTier`):
- age tiers: of the active age tiers whose `min_age` the resident has reached, the one with the highest `min_age`
  applies (a 92-year-old gets the 90+ tier, not 60+, 70+, 80+ and 90+ together);
- hardship subsidies: each active tier for a hardship the resident holds (`MealProfile.hardships`, set by staff)
  applies, in a fixed order (age tier first, then hardships by code), each to what is left to pay;
- a percentage takes `floor(remaining × percent / 100)`; a fixed amount takes `min(value, remaining)`: a discount
  never takes the total below zero, and the discounts add up exactly to `list_fen - total_fen`;
- a tier with `slots` applies only to those slots (e.g. a lunch-only subsidy).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Street, User
from linli.meals.models import DiscountType, MealProfile, MenuItem, PricingTier, TierKind


@dataclass(frozen=True)
class BillLine:
    menu_item_id: int
    dish: str
    quantity: int
    half: bool
    unit_price_fen: int
    line_fen: int


@dataclass(frozen=True)
class BillDiscount:
    tier_id: int | None
    label: str
    amount_fen: int
    label_en: str = ""  # the tier's English name, for an English page (`label` is what the bill keeps)


@dataclass(frozen=True)
class Bill:
    lines: tuple[BillLine, ...]
    list_fen: int
    discounts: tuple[BillDiscount, ...]
    discount_fen: int
    total_fen: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": [asdict(line) for line in self.lines],
            "list_fen": self.list_fen,
            "discounts": [asdict(d) for d in self.discounts],
            "discount_fen": self.discount_fen,
            "total_fen": self.total_fen,
        }


def resident_age(user: User | None, on: date) -> int | None:
    """Age reached in the year of `on` (only the birth year is kept, PIPL: enough for elder tiers)."""
    birth_year = getattr(user, "birth_year", None)
    if not birth_year:
        return None
    return on.year - int(birth_year)


def _applies_to_slot(tier: PricingTier, slot: str) -> bool:
    return not tier.slots or slot in tier.slots


def _take(tier: PricingTier, remaining: int) -> int:
    if remaining <= 0:
        return 0
    if tier.discount_type == DiscountType.PERCENT:
        return min(remaining, remaining * min(int(tier.value), 100) // 100)
    return min(int(tier.value), remaining)


def discounts_compute(
    *, tiers: Sequence[PricingTier], age: int | None, hardships: Collection[str], slot: str, list_fen: int
) -> list[BillDiscount]:
    """The discounts of one bill (pure: no database). See the module docstring for the rules."""
    active = [t for t in tiers if t.is_active and _applies_to_slot(t, slot)]
    chosen: list[PricingTier] = []
    if age is not None:
        reached = [t for t in active if t.kind == TierKind.AGE and t.min_age is not None and age >= t.min_age]
        if reached:
            chosen.append(max(reached, key=lambda t: (t.min_age or 0, _take(t, list_fen), -(t.pk or 0))))
    held = set(hardships)
    chosen.extend(
        sorted(
            (t for t in active if t.kind == TierKind.HARDSHIP and t.hardship in held),
            key=lambda t: (t.hardship, t.pk or 0),
        )
    )
    out: list[BillDiscount] = []
    remaining = list_fen
    for tier in chosen:
        amount = _take(tier, remaining)
        if amount <= 0:
            continue
        remaining -= amount
        out.append(BillDiscount(tier_id=tier.pk, label=tier.name, amount_fen=amount, label_en=tier.name_en))
    return out


def street_tiers(street: Street) -> list[PricingTier]:
    return list(PricingTier.objects.filter(street=street, is_active=True).order_by("kind", "min_age", "hardship", "id"))


def resident_hardships(user: User | None) -> list[str]:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return []
    profile = MealProfile.objects.filter(user_id=user_id).only("hardships").first()
    return list(profile.hardships or []) if profile else []


def bill_compute(
    *,
    street: Street,
    user: User | None,
    slot: str,
    on: date,
    lines: Sequence[tuple[MenuItem, int, bool]],
    tiers: Sequence[PricingTier] | None = None,
    hardships: Collection[str] | None = None,
) -> Bill:
    """The bill for `lines` of (menu item, quantity, half portion?) ordered by `user` for `slot` on `on`."""
    bill_lines: list[BillLine] = []
    errors = []
    for index, (item, quantity, half) in enumerate(lines):
        if quantity < 1:
            errors.append(field_error(f"items.{index}.quantity", _("数量至少为1")))
            continue
        if half and item.half_price_fen is None:
            errors.append(field_error(f"items.{index}.half", _("这道菜没有半份"), menu_item_id=item.pk))
            continue
        unit = int(item.half_price_fen if half else item.price_fen)  # type: ignore[arg-type]
        dish_name = item.dish.name if item.dish_id else ""
        bill_lines.append(
            BillLine(
                menu_item_id=item.pk,
                dish=dish_name,
                quantity=quantity,
                half=half,
                unit_price_fen=unit,
                line_fen=unit * quantity,
            )
        )
    if errors:
        raise Problem("validation_error", errors=errors)
    list_fen = sum(line.line_fen for line in bill_lines)
    discounts = discounts_compute(
        tiers=street_tiers(street) if tiers is None else tiers,
        age=resident_age(user, on),
        hardships=resident_hardships(user) if hardships is None else hardships,
        slot=slot,
        list_fen=list_fen,
    )
    discount_fen = sum(d.amount_fen for d in discounts)
    return Bill(
        lines=tuple(bill_lines),
        list_fen=list_fen,
        discounts=tuple(discounts),
        discount_fen=discount_fen,
        total_fen=list_fen - discount_fen,
    )


def fen_to_yuan(fen: int) -> str:
    """'12.50' for 1250 fen (display only; arithmetic stays in fen)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"
