"""Quality pages in a real browser (Debian Chromium via Playwright): a resident in elder mode rates a meal by
tapping the big 1-5 buttons (no JavaScript needed); the supervisor's checklist, the kitchen dashboard and the
street report pass axe with no CSP errors and their SVG charts are visible."""

from __future__ import annotations

import pytest

from linli.core.testing.browser import signed_in_phone
from linli.meals.models import Rating
from linli.meals.services import quality as services
from linli.meals.tests.factories import KitchenFactory, MenuFactory, OrderFactory, StreetFactory
from linli.meals.tests.factories_quality import days_ago, discounted_order, staff_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_elder_resident_rates_a_meal_with_big_buttons(live_server, browser_context_factory, axe_audit):
    kitchen = KitchenFactory(street=StreetFactory(code="brq"), place__name="浏览器食堂")
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    page = signed_in_phone(browser_context_factory, live_server, order.user, elder=True)
    page.goto(f"{live_server.url}/me/meals/orders/{order.pk}/rate/")
    page.wait_for_selector("html.elder")
    label = page.locator('label[for="taste-5"]')
    box = label.bounding_box()
    assert box["height"] >= 60 and box["width"] >= 44  # big tap targets in elder mode
    assert axe_audit(page) == []
    label.tap()
    page.locator('label[for="portion-4"]').tap()
    page.locator('label[for="price-3"]').tap()
    page.fill("#comment", "米饭软")
    page.click("#rate-submit")
    page.wait_for_selector("#rated")
    assert "谢谢您的评价" in page.inner_text("#rated")
    rating = Rating.objects.get(order=order)
    assert (rating.taste, rating.portion, rating.price, rating.comment) == (5, 4, 3, "米饭软")
    assert page.errors == []


def test_staff_pages_pass_axe_and_show_charts(live_server, browser_context_factory, axe_audit):
    street = StreetFactory(code="brq2", name="图表街道")
    kitchen = KitchenFactory(street=street, place__name="图表厨房")
    supervisor = staff_of(street, "food_supervisor")
    admin = staff_of(street, "admin")
    order = discounted_order(
        menu=MenuFactory(kitchen=kitchen, date=days_ago(1)), list_fen=1500, discounts=[("低保", 500)]
    )
    services.rating_create(order=order, user=order.user, taste=4, portion=5, price=4)
    services.waste_record_set(kitchen=kitchen, date=days_ago(1), grams=2300, actor=admin)
    services.inspection_create(kitchen=kitchen, inspector=supervisor, items={"wok": ("issue", "油污")})

    page = signed_in_phone(browser_context_factory, live_server, supervisor)
    page.goto(f"{live_server.url}/quality/kitchens/{kitchen.pk}/inspect/")
    assert page.locator('input[type="file"][capture="environment"]').count() == 7
    assert axe_audit(page) == []
    page.goto(f"{live_server.url}/kitchen/quality/?kitchen={kitchen.pk}")
    assert page.locator("#trend-chart svg").is_visible() and page.locator("#waste-chart svg").is_visible()
    assert axe_audit(page) == []
    assert page.errors == []

    page = signed_in_phone(browser_context_factory, live_server, admin)
    page.goto(f"{live_server.url}/staff/meals/?from={days_ago(7)}&to={days_ago(0)}")
    assert page.locator("figure.chart-box svg").count() == 5
    assert page.locator("#chart-subsidies svg text", has_text="低保").count() >= 1
    assert axe_audit(page) == []
    assert page.errors == []
