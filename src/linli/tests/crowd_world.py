"""The data of the embedded-mode race (`test_embedded_crowd.py`), written into the database the environment names
(`LINLI_SQLITE_PATH`) by a process of its own, as `linli serve` will read it:

    python -m linli.tests.crowd_world N_USERS [--migrate]

One street (centre set, the default hazard categories, no grids: reports go to the street's HQ queue), a venue
with one activity of CAPACITY seats and WAITLIST waiting places, a central kitchen serving one meal point with a
published lunch menu (one dish limited to DISH_LIMIT portions, one unlimited), and N_USERS residents (born 1950)
with a bearer token and a funded meal wallet each. The last stdout line is JSON: the ids and the raw tokens.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys

CAPACITY = 8
WAITLIST = 4
DISH_LIMIT = 40
BALANCE_FEN = 100_000
LAT, LNG = 31.2304, 121.4737


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if "--migrate" in argv:
        call_command("migrate", interactive=False, verbosity=0)
    n_users = int(argv[0])

    from django.db import transaction
    from django.utils import timezone

    from linli.activities.models import Activity
    from linli.cases.services.reports import categories_default_create
    from linli.core.auth import token_digest
    from linli.core.geo import h3_cell
    from linli.core.models import ApiToken, Street, User
    from linli.meals.models import Dish, Kitchen, Menu, MenuItem, Wallet, WalletEntry
    from linli.places.models import Place

    now = timezone.now()
    with transaction.atomic():
        street = Street.objects.create(code="crowd", name="压测街道", center_lat=LAT, center_lng=LNG)
        categories_default_create(street=street)

        def place(key: str, name: str, kind: str) -> Place:
            return Place.objects.create(
                street=street, external_id=key, name=name, kind=kind, address="某路1号", lat=LAT, lng=LNG,
                h3_cell=h3_cell(LAT, LNG),
            )  # fmt: skip

        start = now + dt.timedelta(days=20)
        activity = Activity.objects.create(
            street=street, place=place("venue", "党群服务中心", "party_service_center"), external_id="crowd-1",
            title="人气讲座", start=start, end=start + dt.timedelta(hours=2), capacity=CAPACITY,
            waitlist_capacity=WAITLIST, status="published",
        )  # fmt: skip
        kitchen = Kitchen.objects.create(street=street, place=place("kitchen", "中央厨房", "central_kitchen"))
        point = place("point", "助餐点", "meal_point")
        kitchen.serves.add(point)
        date = timezone.localdate() + dt.timedelta(days=2)
        menu = Menu.objects.create(
            kitchen=kitchen, date=date, slot="lunch", status="published", published_at=now,
            cutoff_at=timezone.make_aware(dt.datetime.combine(date, dt.time(9, 30))),
        )  # fmt: skip
        limited = MenuItem.objects.create(
            menu=menu, dish=Dish.objects.create(kitchen=kitchen, name="红烧肉"), price_fen=1800, daily_limit=DISH_LIMIT
        )
        unlimited = MenuItem.objects.create(
            menu=menu, dish=Dish.objects.create(kitchen=kitchen, name="青菜"), price_fen=600, daily_limit=None
        )
        unusable = "!"  # no password: they sign in with their tokens
        users = [
            User.objects.create(
                phone=f"+86135{i:08d}", display_name=f"居民{i}", password=unusable, home_street=street, birth_year=1950
            )
            for i in range(n_users)
        ]
        raws = [f"llc_{i}_{secrets.token_urlsafe(24)}" for i in range(n_users)]
        for user, raw in zip(users, raws, strict=True):
            # No last_used_at: the first request of each token records it (the write a read may do once).
            ApiToken.objects.create(user=user, name="crowd", prefix=raw[:8], digest=token_digest(raw))
            wallet = Wallet.objects.create(user=user, street=street, balance_fen=BALANCE_FEN)
            WalletEntry.objects.create(
                wallet=wallet, kind="topup", amount_fen=BALANCE_FEN, balance_after_fen=BALANCE_FEN, street=street,
                note="crowd", at=now,
            )  # fmt: skip
    print(
        json.dumps(
            {
                "street": street.code,
                "activity_id": activity.pk,
                "place_id": point.pk,
                "date": date.isoformat(),
                "limited_item": limited.pk,
                "unlimited_item": unlimited.pk,
                "tokens": raws,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
