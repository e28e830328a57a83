"""The street report: sums per kitchen and day, subsidies = the sum of the orders' discounts per tier, ratings
and waste per kitchen, street scoping; the API; the staff page with valid SVG charts; the CSV export; and the
chart module itself."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from linli.core import charts
from linli.core.models import AuditLog
from linli.core.services import token_create
from linli.meals.models import OrderDiscount, WasteRecord
from linli.meals.selectors import quality as selectors
from linli.meals.tests.factories import KitchenFactory, MenuFactory, StreetFactory, UserFactory
from linli.meals.tests.factories_quality import RatingFactory, days_ago, discounted_order, staff_of

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world():
    street = StreetFactory(code="repjie", name="报表街道")
    k1 = KitchenFactory(street=street, place__name="甲厨房")
    k2 = KitchenFactory(street=street, place__name="乙食堂")
    d1, d2 = days_ago(2), days_ago(1)
    m11, m12 = MenuFactory(kitchen=k1, date=d1), MenuFactory(kitchen=k1, date=d2)
    m21 = MenuFactory(kitchen=k2, date=d1)
    orders = [
        discounted_order(menu=m11, list_fen=1500, discounts=[("80-89岁", 300)]),
        discounted_order(menu=m11, list_fen=1500, discounts=[("80-89岁", 300), ("低保", 500)]),
        discounted_order(menu=m12, list_fen=2000, discounts=[], status="placed"),
        discounted_order(menu=m21, list_fen=1200, discounts=[("低保", 500)], status="delivered"),
        # Not sales: cancelled and refunded orders (with discounts that must not count as paid subsidies).
        discounted_order(menu=m21, list_fen=1200, discounts=[("低保", 500)], status="cancelled"),
        discounted_order(menu=m12, list_fen=1500, discounts=[("80-89岁", 300)], status="refunded"),
    ]
    # Another street's orders must not appear.
    other = KitchenFactory(street=StreetFactory(code="repother"), place__name="外街厨房")
    discounted_order(menu=MenuFactory(kitchen=other, date=d1), list_fen=9900, discounts=[("80-89岁", 900)])
    RatingFactory(order=orders[0], taste=5, portion=4, price=3)
    RatingFactory(order=orders[1], taste=4, portion=4, price=4)
    RatingFactory(order=orders[3], taste=2, portion=3, price=5)
    WasteRecord.objects.create(kitchen=k1, date=d1, grams=1200)
    WasteRecord.objects.create(kitchen=k1, date=d2, grams=800)
    WasteRecord.objects.create(kitchen=k2, date=d1, grams=3000)
    WasteRecord.objects.create(kitchen=other, date=d1, grams=99999)
    return {"street": street, "k1": k1, "k2": k2, "d1": d1, "d2": d2, "orders": orders}


def test_report_sums(world):
    k1, k2, d1, d2 = world["k1"], world["k2"], world["d1"], world["d2"]
    r = selectors.street_report(street=world["street"], date_from=d1, date_to=d2)
    sales = {(row["kitchen_id"], row["date"]): row for row in r["sales"]}
    assert set(sales) == {(k1.pk, d1), (k1.pk, d2), (k2.pk, d1)}
    assert sales[(k1.pk, d1)] == {
        "kitchen_id": k1.pk,
        "kitchen": "甲厨房",
        "date": d1,
        "orders": 2,
        "list_fen": 3000,
        "discount_fen": 1100,
        "total_fen": 1900,
    }
    assert (sales[(k1.pk, d2)]["orders"], sales[(k1.pk, d2)]["total_fen"]) == (1, 2000)
    assert (sales[(k2.pk, d1)]["orders"], sales[(k2.pk, d1)]["total_fen"]) == (1, 700)
    assert r["totals"] == {
        "orders": 4,
        "list_fen": 6200,
        "discount_fen": 1600,
        "total_fen": 4600,
        "subsidies_fen": 1600,
        "waste_grams": 5000,
    }
    # Subsidies per tier label; their sum is the sum of the counted orders' discounts.
    assert r["subsidies"] == [
        {"label": "低保", "label_en": "", "orders": 2, "amount_fen": 1000},
        {"label": "80-89岁", "label_en": "", "orders": 2, "amount_fen": 600},
    ]
    assert sum(s["amount_fen"] for s in r["subsidies"]) == r["totals"]["discount_fen"]
    by_kitchen = {row["kitchen"]: row for row in r["sales_by_kitchen"]}
    assert by_kitchen["甲厨房"]["total_fen"] == 3900 and by_kitchen["乙食堂"]["total_fen"] == 700
    assert [d["orders"] for d in r["sales_by_day"]] == [3, 1]
    ratings = {row["kitchen"]: row for row in r["ratings"]}
    assert ratings["甲厨房"] == {
        "kitchen_id": k1.pk,
        "kitchen": "甲厨房",
        "count": 2,
        "taste": 4.5,
        "portion": 4.0,
        "price": 3.5,
    }
    assert ratings["乙食堂"]["count"] == 1 and ratings["乙食堂"]["taste"] == 2.0
    waste = {row["kitchen"]: row for row in r["waste"]}
    assert (waste["甲厨房"]["grams"], waste["甲厨房"]["days"], waste["甲厨房"]["avg_grams"]) == (2000, 2, 1000)
    assert waste["乙食堂"]["grams"] == 3000
    assert "外街厨房" not in str(r)


def test_report_date_range(world):
    r = selectors.street_report(street=world["street"], date_from=world["d2"], date_to=world["d2"])
    assert r["totals"]["orders"] == 1 and r["subsidies"] == [] and r["totals"]["waste_grams"] == 800
    assert [d["date"] for d in r["sales_by_day"]] == [world["d2"]]
    assert selectors.report_range(None, None) == (days_ago(29), days_ago(0))
    from linli.core.errors import Problem

    with pytest.raises(Problem):
        selectors.report_range(days_ago(0), days_ago(1))
    with pytest.raises(Problem):
        selectors.report_range(days_ago(400), days_ago(0))


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def test_report_api_and_permissions(client, world):
    street = world["street"]
    url = f"/api/v1/meals/streets/{street.code}/report?from={world['d1']}&to={world['d2']}"
    for role in ("admin", "station_staff"):
        resp = client.get(url, **auth(staff_of(street, role)))
        assert resp.status_code == 200
        data = resp.json()
        assert data["totals"]["subsidies_fen"] == 1600 and data["from"] == world["d1"].isoformat()
    for user in (
        staff_of(street, "kitchen_operator"),
        staff_of(street, "food_supervisor"),
        staff_of(StreetFactory(code="repb"), "admin"),
        UserFactory(),
    ):
        resp = client.get(url, **auth(user))
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert client.get(url).status_code == 401
    admin = staff_of(street, "admin")
    resp = client.get(f"/api/v1/meals/streets/{street.code}/report?from={world['d2']}&to={world['d1']}", **auth(admin))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "from"
    assert client.get("/api/v1/meals/streets/nope/report", **auth(admin)).json()["code"] == "unknown_street"


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_page_shows_charts_and_tables(world):
    admin = staff_of(world["street"], "admin")
    resp = _page(admin).get(f"/staff/meals/?from={world['d1']}&to={world['d2']}")
    html = resp.content.decode()
    assert resp.status_code == 200
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 5
    texts = set()
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 - our own output
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert root.find(f"{SVG}title").text
        texts |= {el.text for el in root.iter() if el.text}
    assert {"甲厨房", "乙食堂", "低保", "80-89岁"} <= texts
    assert "外街厨房" not in html
    assert 'id="csv-link"' in html and "16" in re.search(r'data-fen="1600">([^<]*)<', html).group(1)
    assert re.search(r"<td>低保</td><td class=\"num\">2</td><td class=\"num\">10</td>", html)


def test_staff_page_permissions_and_bad_dates(world):
    street = world["street"]
    assert _page(staff_of(street, "kitchen_operator")).get("/staff/meals/").status_code == 403
    other_admin = staff_of(StreetFactory(code="repc"), "admin")
    assert _page(other_admin).get(f"/staff/meals/?street={street.code}").status_code == 403
    html = _page(other_admin).get("/staff/meals/").content.decode()
    assert "甲厨房" not in html
    resp = _page(staff_of(street, "station_staff")).get("/staff/meals/?from=2026-02-30")
    assert resp.status_code == 422 and 'id="problem"' in resp.content.decode()
    assert Client().get("/staff/meals/").status_code == 302


def test_csv_export(world):
    admin = staff_of(world["street"], "admin")
    resp = _page(admin).get(f"/staff/meals/report.csv?street=repjie&from={world['d1']}&to={world['d2']}")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    body = resp.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    flat = [r for r in rows if r]
    assert [world["d1"].isoformat(), "甲厨房", "2", "3000", "1100", "1900"] in flat
    assert ["低保", "2", "1000"] in flat and ["80-89岁", "2", "600"] in flat
    assert ["甲厨房", "2", "2000", "1000"] in flat
    totals_at = flat.index(next(r for r in flat if r[0] == "合计 Totals"))
    assert flat[totals_at + 2] == ["4", "6200", "1600", "4600", "5000"]
    assert AuditLog.objects.filter(action="meals.street_report_export", actor=admin).count() == 1
    assert _page(staff_of(world["street"], "food_supervisor")).get("/staff/meals/report.csv").status_code == 403


def test_csv_cells_cannot_be_formulas(world):
    world["k1"].place.name = "=HYPERLINK(1)"
    world["k1"].place.save()
    admin = staff_of(world["street"], "admin")
    body = _page(admin).get(f"/staff/meals/report.csv?from={world['d1']}&to={world['d2']}").content.decode()
    assert "'=HYPERLINK(1)" in body and ",=HYPERLINK" not in body


def test_subsidies_equal_discounts_hold_for_many_orders(world):
    """Cross-check against the rows: the report's subsidies are the counted orders' discount lines."""
    street = world["street"]
    r = selectors.street_report(street=street, date_from=days_ago(30), date_to=days_ago(0))
    expected = sum(
        OrderDiscount.objects.filter(order__street=street)
        .exclude(order__status__in=("cancelled", "refunded"))
        .values_list("amount_fen", flat=True)
    )
    assert r["totals"]["subsidies_fen"] == expected == r["totals"]["discount_fen"] == 1600


# -------------------------------------------------------------------------------------------- charts


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    return root


def test_bar_chart_is_valid_svg_with_labels_values_and_title():
    svg = charts.bar_chart(
        title="订单 <按天> & 厨房", labels=["甲厨房", "乙&丙"], series=[("订单", [12, 30])], unit="单"
    )
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "订单 <按天> & 厨房"
    assert root.get("aria-labelledby")
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "甲厨房" in texts and "乙&丙" in texts and "12" in texts and "30" in texts
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(rects) == 2
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] > heights[0] > 0
    assert rects[1].find(f"{SVG}title").text == "乙&丙 · 订单: 30 单"


def test_grouped_bars_legend_and_missing_values():
    svg = charts.bar_chart(title="t", labels=["a", "b"], series=[("x", [1, None]), ("y", [2, 3])], y_max=5)
    root = parse(svg)
    tips = [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert tips == ["a · x: 1", "a · y: 2", "b · y: 3"]
    assert {"x", "y"} <= {el.text for el in root.iter(f"{SVG}text")}  # legend


def test_line_chart_gaps_and_points():
    svg = charts.line_chart(
        title="趋势", labels=["w1", "w2", "w3", "w4"], series=[("口味", [4.5, None, 3, 3.25])], y_max=5
    )
    root = parse(svg)
    points = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert points == ["w1 · 口味: 4.5", "w3 · 口味: 3", "w4 · 口味: 3.25"]
    assert len(list(root.iter(f"{SVG}polyline"))) == 1  # w3-w4; w1 stands alone across the gap


def test_charts_with_no_data_and_many_labels_still_render():
    parse(charts.bar_chart(title="空", labels=[], series=[("x", [])]))
    parse(charts.line_chart(title="空", labels=[], series=[("x", [])]))
    labels = [f"11-{d:02d}" for d in range(1, 31)]
    root = parse(charts.bar_chart(title="30天", labels=labels, series=[("g", list(range(30)))]))
    axis_labels = [el.text for el in root.iter(f"{SVG}text") if el.text in labels]
    assert 5 <= len(axis_labels) <= 15 and axis_labels[-1] == "11-30"  # thinned out, the latest day kept
    assert len(list(root.iter(f"{SVG}rect"))) == 30


def test_helpers():
    assert charts.yuan(123456) == "1,234.56" and charts.yuan(1000) == "10" and charts.yuan(5) == "0.05"
    assert charts.nice_max(0) == 1 and charts.nice_max(7) == 8 and charts.nice_max(2100) == 2500
    assert charts.nice_ticks(5) == (5, 1) and charts.nice_ticks(1600) == (2000, 500)


def test_many_series_wrap_the_legend_and_long_labels_are_shortened():
    names = [f"第{i}号社区长者食堂" for i in range(8)]
    svg = charts.line_chart(title="t", labels=["a", "b"], series=[(n, [1, 2]) for n in names])
    root = parse(svg)
    texts = {el.text for el in root.iter(f"{SVG}text")}
    assert set(names) <= texts  # every legend entry is written
    legend_rows = {r.get("y") for r in root.iter(f"{SVG}rect")}
    assert len(legend_rows) >= 2
    assert float(root.get("viewBox").split()[3]) > 260  # the chart grew to make room
    long = "一个名字非常非常长的中央厨房（曹杨新村街道）"
    root = parse(charts.bar_chart(title="t", labels=[long] * 6, series=[("x", [1] * 6)]))
    axis = [el.text for el in root.iter(f"{SVG}text") if el.text and el.text.startswith("一个")]
    assert axis and all(t.endswith("…") and len(t) < len(long) for t in axis)
    tips = [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert all(long in t for t in tips)  # the full name stays in each bar's title
