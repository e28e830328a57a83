"""The hazard report's map for someone who cannot read a map (issue 15 item 2): without tiles it draws the street's
own compounds and roads, and a tap on it is told back in words (compound · road · nearest place)."""

from __future__ import annotations

import pytest

from linli.cases.tests.factories import IN_A1, build_world
from linli.core.models import Compound
from linli.core.testing.browser import signed_in_phone
from linli.places.tests.factories import PlaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_map_draws_compounds_and_roads_and_names_the_tapped_spot(live_server, browser_context_factory):
    world = build_world("mapjie")
    lat, lng = IN_A1
    world.street.center_lat, world.street.center_lng = lat, lng  # the map opens on the compound
    world.street.save(update_fields=["center_lat", "center_lng"])
    d = 0.0008
    ring = [[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]
    Compound.objects.create(
        street=world.street,
        external_id="c1",
        name="阳光小区",
        address="上海市普陀区真金路100弄",
        geometry={"type": "Polygon", "coordinates": [ring]},
        lat=lat,
        lng=lng,
    )
    PlaceFactory(street=world.street, name="真金路助餐点", address="上海市普陀区真金路120号", lat=lat + 0.002, lng=lng)
    PlaceFactory(street=world.street, name="真金路驿站", address="上海市普陀区真金路300号", lat=lat - 0.003, lng=lng)

    page = signed_in_phone(browser_context_factory, live_server, world.rider, elder=True)
    page.goto(f"{live_server.url}/s/mapjie/report/")
    page.wait_for_selector("#report-map .leaflet-tooltip.outline-label")
    labels = page.locator("#report-map .outline-label").all_inner_texts()
    assert "阳光小区" in labels and "真金路" in labels
    assert "Ukraine" not in page.inner_html(".leaflet-control-attribution")  # a neutral attribution
    assert page.locator(".leaflet-control-attribution svg").count() == 0

    # A tap in the middle of the compound: the spot is told in words, and sent as coordinates.
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map").bounding_box()
    page.locator("#report-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    status = page.inner_text("#location-status")
    assert "阳光小区" in status and "真金路" in status, status
    assert page.input_value("#lat") != ""
    assert page.errors == []
