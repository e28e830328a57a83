"""The sample street's community meals: kitchens, whom they serve, a week of menus, pricing tiers and residents
with wallets. Whom each kitchen serves comes from `serves` in wanli_places.geojson (the central kitchen also
delivers to the party service stations and the other venues of the sample activities).

SAMPLE data: dishes, prices, limits and discounts are illustrative, not any canteen's real offer.

Pricing tiers follow the shape of Shanghai's elder-meal subsidies (a larger discount the older the resident, a
fixed subsidy for 低保 and 独居 residents); the numbers here are sample values chosen for the demo, not policy.

Menus run from today to today + 7 (the day the demo is loaded), like the activities calendar; re-running the
demo the same day changes nothing (rows are looked up by their natural keys; `sold` is never touched here).
The last HISTORY_DAYS days get a seeded history (orders with bills, discounts, timelines and wallet charges,
ratings, waste, inspections, tasting scores) from extra sample residents; it is made only when the street has no
past orders or waste records. `meals_reset` removes every meals row of the sample street and the extra sample
residents who hold nothing else (called by `linli demo --reset`).

The package: `data` (kitchens, dishes, tiers, residents), `world` (what the loader builds, and the reset),
`history` with `history_rows` and `samples` (three weeks of past lunches).
"""

from __future__ import annotations

from linli.demo.meals.data import (
    BREAKFAST_DISHES,
    DAYS_AHEAD,
    DINNER_DISHES,
    ELDER_SET,
    KITCHENS,
    LUNCH_DISHES,
    MEAL_RESIDENTS,
    SH,
    TIERS,
    DemoDish,
    MealResident,
    MealsResult,
)
from linli.demo.meals.samples import EXTRA_NAME_SUFFIX, EXTRA_PHONE_PREFIX, HISTORY_DAYS, HISTORY_SEED
from linli.demo.meals.world import demo_meals_load, meals_reset, menu_cutoff

__all__ = [
    "BREAKFAST_DISHES",
    "DAYS_AHEAD",
    "DINNER_DISHES",
    "ELDER_SET",
    "EXTRA_NAME_SUFFIX",
    "EXTRA_PHONE_PREFIX",
    "HISTORY_DAYS",
    "HISTORY_SEED",
    "KITCHENS",
    "LUNCH_DISHES",
    "MEAL_RESIDENTS",
    "SH",
    "TIERS",
    "DemoDish",
    "MealResident",
    "MealsResult",
    "demo_meals_load",
    "meals_reset",
    "menu_cutoff",
]
