"""The demo shows today (issue 15 item 7): whatever day it is built, the sample kitchens have today's and the
week's orders and production lists, the rider a run, each sample case sits in the grid (and the compound) its
address names, every unit grid has its worker, and every demo account has something to do on its first page."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.utils import timezone
from shapely.geometry import Point, shape

from linli.cases.models import Case
from linli.core.models import Compound, Grid, GridLevel, Role, RoleAssignment, User
from linli.demo import ACCOUNTS
from linli.demo.meals import MEAL_RESIDENTS
from linli.meals.models import DeliveryRun, Kitchen, Order
from linli.places.gazetteer import road_of

pytestmark = pytest.mark.django_db

# What a first page must show for its person to have something to do (a pattern in its HTML), by path.
ACTIONABLE = {
    "/staff/cases/": r'<tr class="case-row',  # cases to handle
    "/staff/activities/": r'href="/staff/activities/\d+/edit/"',  # coming activities to run
    "/kitchen/production/": r'name="action" value="(start|lock)"',  # today's production list to start (or lock)
    "/access/": r'href="/access/gates/\w+/"',  # the gates to look after
    "/quality/": r'href="/quality/kitchens/\d+/inspect/"',  # kitchens to inspect
    "/rider/runs/": r'name="action" value="pick_up"',  # today's run to pick up
    "/me/meals/": r'<article class="order-card order-card--placed',  # tomorrow's lunch, with its pickup code
    "/staff/care/": r'<li class="care-call care-call--\w+" data-call-id="\d+"',  # calls to answer
    "/staff/care/day/": r'href="/staff/care/(visits|people)/\d+/"',  # visits and follow-ups due
    "/staff/jobs/": r'href="/staff/jobs/seekers/\d+/"',  # seekers to match, the pipeline board
    "/staff/jobs/dashboard/": r'id="jobs-placed">[1-9]',  # placements to follow up
    "/jobs/employer/": r'<li class="card jobs-candidate" data-application="\d+"',  # candidates to answer
    "/voice/staff/": r'href="/voice/door/\d+/" class="door-link"',  # an open survey to take door to door
}


@pytest.fixture
def demo(demo_shared):  # noqa: ANN001, ANN201
    """The sample street with its gates and riders, as `linli demo` builds it."""
    from linli.demo.access import demo_access_load

    demo_access_load(street=demo_shared.street)  # the gate secrets file goes to the build's VAR_DIR
    return demo_shared


def test_each_case_sits_in_the_grid_and_compound_its_address_names_and_every_grid_has_a_worker(demo):
    street = demo.street
    compounds = list(Compound.objects.filter(street=street))
    for case in Case.objects.filter(street=street, merged_into__isnull=True).select_related("grid"):
        here = Point(case.lng, case.lat)
        assert case.grid is not None and shape(case.grid.geometry).contains(here), case.address
        # The compound at the point is the one on the address's road and house number (真华路1155弄 → 中骏天誉).
        named = [c for c in compounds if road_of(c.address) == road_of(case.address)]
        assert named, f"#{case.pk} {case.address}: no compound at that address"
        outline = shape(named[0].geometry) if named[0].geometry else Point(named[0].lng, named[0].lat)
        assert outline.distance(here) * 111_000 < 80, f"#{case.pk} {case.address} is not at {named[0].name}"
    workers = set(RoleAssignment.objects.filter(street=street, role=Role.GRID_WORKER).values_list("grid_id", flat=True))
    units = Grid.objects.filter(street=street, level=GridLevel.UNIT)
    assert units.count() >= 18
    assert [g.name for g in units if g.pk not in workers] == []


def test_the_kitchens_have_today_and_the_week_ahead(demo):
    from linli.meals.selectors.kitchen import production_list

    street = demo.street
    today = timezone.localdate()
    operator = User.objects.get(phone="+8613800000005")
    for kitchen in Kitchen.objects.filter(street=street, menus__date=today).distinct():
        lunch = Order.objects.filter(kitchen=kitchen, date=today, slot="lunch")
        assert lunch.count() >= 3, kitchen.place.name
        data = production_list(kitchen=kitchen, on=today, slot="lunch", actor=operator)
        assert data["totals"]["orders"] >= 3 and data["dishes"], kitchen.place.name  # portions to cook today
    days = set(Order.objects.filter(street=street, date__gt=today).values_list("date", flat=True))
    assert {today + dt.timedelta(days=d) for d in range(1, 6)} <= days
    run = DeliveryRun.objects.filter(kitchen__street=street, date=today, rider__phone="+8613800000008").first()
    assert run is not None and run.stops.exists()
    # A second build the same day adds nothing.
    from linli.demo.meals import demo_meals_load

    before = Order.objects.filter(street=street).count()
    demo_meals_load(street=street)
    assert Order.objects.filter(street=street).count() == before


def test_every_demo_account_has_something_to_do_on_its_first_page(demo):
    accounts = list(ACCOUNTS) + [a for a, _u in demo.accounts if a.key in {r.key for r in MEAL_RESIDENTS}]
    assert {a.key for a in accounts} >= {"admin", "grid_worker", "kitchen_operator", "rider", "elder", "resident"}
    assert {a.first_page.split("?")[0] for a in accounts} <= set(ACTIONABLE)
    for account in accounts:
        client = Client()
        client.force_login(User.objects.get(phone=f"+86{account.phone}"))
        url = account.first_page.format(street=demo.street.code)
        response = client.get(url)
        assert response.status_code == 200, (account.key, url)
        pattern = ACTIONABLE[url.split("?")[0]]
        assert re.search(pattern, response.content.decode()), f"{account.key}: nothing to do on {url}"


def test_the_site_address_follows_linli_port():
    """`LINLI_PORT=8171 make demo`: the settings the demo and the server read give that port's address."""
    env = {**os.environ, "LINLI_PORT": "8171", "DJANGO_SETTINGS_MODULE": "linli.settings"}
    env.pop("LINLI_SITE_URL", None)
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", "from django.conf import settings; print(settings.LINLI_SITE_URL)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "http://127.0.0.1:8171"
