"""A small meals world for ordering tests: a street, a central kitchen serving one meal point, tomorrow's
published lunch menu with limited and unlimited dishes, and residents with money in their wallets (topped up
through the wallet service, so the ledger is real); and the invariants the order races check on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from linli.core.tests.factories import StreetFactory, UserFactory
from linli.meals.models import Kitchen, Menu, MenuItem, Order, OrderLine, Wallet, WalletEntry
from linli.meals.services.wallet import wallet_topup
from linli.meals.tests.factories import KitchenFactory, MenuFactory, MenuItemFactory, PlaceFactory
from linli.places.models import Place


@dataclass
class World:
    street: Any
    kitchen: Kitchen
    meal_point: Place
    other_point: Place  # in the street, not served by the kitchen
    menu: Menu
    rice: MenuItem  # 1500 fen, half 800, limit 50
    fish: MenuItem  # 2200 fen, no half, limit 3
    soup: MenuItem  # 500 fen, unlimited
    users: list[Any] = field(default_factory=list)

    def resident(self, *, balance_fen: int = 10_000, birth_year: int | None = 1950) -> Any:
        user = UserFactory(birth_year=birth_year)
        if balance_fen:
            wallet_topup(user=user, amount_fen=balance_fen, actor=None, street=self.street)
        self.users.append(user)
        return user

    def body(self, *items: tuple[MenuItem, int] | tuple[MenuItem, int, bool], **destination: Any) -> dict[str, Any]:
        return {
            "date": self.menu.date.isoformat(),
            "slot": self.menu.slot,
            "destination": destination or {"place_id": self.meal_point.pk},
            "items": [
                {"menu_item_id": it[0].pk, "quantity": it[1], "half": bool(it[2]) if len(it) > 2 else False}
                for it in items
            ],
        }


def build_world(*, code: str = "mealjie", fish_limit: int = 3, date: dt.date | None = None) -> World:
    street = StreetFactory(code=code)
    meal_point = PlaceFactory(street=street, kind="meal_point", name="真如助餐点")
    other_point = PlaceFactory(street=street, kind="meal_point", name="未覆盖助餐点")
    kitchen = KitchenFactory(street=street, serves=[meal_point])
    menu = MenuFactory(kitchen=kitchen, **({"date": date} if date else {}))
    rice = MenuItemFactory(menu=menu, dish__name="红烧肉饭", price_fen=1500, half_price_fen=800, daily_limit=50)
    fish = MenuItemFactory(menu=menu, dish__name="清蒸鱼", price_fen=2200, half_price_fen=None, daily_limit=fish_limit)
    soup = MenuItemFactory(menu=menu, dish__name="番茄蛋汤", price_fen=500, half_price_fen=None, daily_limit=None)
    return World(
        street=street,
        kitchen=kitchen,
        meal_point=meal_point,
        other_point=other_point,
        menu=menu,
        rice=rice,
        fish=fish,
        soup=soup,
    )


def portions_in_live_orders(item: MenuItem) -> int:
    """Portions of `item` in orders still placed (what its `sold` counter must equal)."""
    return int(OrderLine.objects.filter(menu_item=item, order__status="placed").aggregate(n=Sum("quantity"))["n"] or 0)


def charges_match_orders() -> None:
    """Every paid order has exactly its charge in the ledger, and every wallet's balance is its entries' sum, >= 0."""
    charged = dict(WalletEntry.objects.filter(kind="charge").values_list("order_id").annotate(s=Sum("amount_fen")))
    orders = dict(Order.objects.filter(total_fen__gt=0).values_list("id", "total_fen"))
    assert {k: -v for k, v in charged.items()} == orders
    for wallet in Wallet.objects.all():
        total = WalletEntry.objects.filter(wallet=wallet).aggregate(s=Sum("amount_fen"))["s"] or 0
        assert wallet.balance_fen == total >= 0
