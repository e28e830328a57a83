"""The meals pages' strings go through gettext in the request's language: the report and quality chart titles
(once fixed "中文 English" strings) and the runs page's "骑手" label, which needs its own context (pgettext) since
elsewhere "骑手" names the audience "Riders"."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from linli.meals.models import DeliveryRun
from linli.meals.tests.factories import KitchenFactory, StreetFactory
from linli.meals.tests.factories_quality import staff_of

pytestmark = pytest.mark.django_db
CHART_TITLES = {
    "chart-orders": "每日订单数（按厨房）",
    "chart-sales": "各厨房销售额（元）",
    "chart-subsidies": "各档补贴金额（元）",
    "chart-ratings": "各厨房居民评分",
    "chart-waste": "各厨房厨余重量（千克）",
}


def _client(user, lang: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    c.force_login(user)
    return c


def _titles(html: str) -> dict[str, str]:
    out = {}
    for figure_id in CHART_TITLES:
        m = re.search(rf'id="{figure_id}">.*?<title id="[^"]+">([^<]*)</title>', html, re.S)
        assert m, figure_id
        out[figure_id] = unescape(m.group(1))
    return out


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_report_chart_titles_are_translated_not_fixed_bilingual(lang):
    street = StreetFactory(code="i18nj")
    KitchenFactory(street=street)
    html = _client(staff_of(street, "admin"), lang).get(f"/staff/meals/?street={street.code}").content.decode()
    titles = _titles(html)
    with translation.override(lang):
        assert titles == {k: translation.gettext(v) for k, v in CHART_TITLES.items()}
    if lang == "zh-hans":
        assert titles == CHART_TITLES  # Chinese only: no English glued on


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_runs_page_rider_label_has_its_own_context(lang):
    street = StreetFactory(code="i18nr")
    kitchen = KitchenFactory(street=street)
    DeliveryRun.objects.create(kitchen=kitchen, date=timezone.localdate(), slot="lunch", name="第1批")
    html = _client(staff_of(street, "kitchen_operator"), lang).get("/kitchen/runs/").content.decode()
    with translation.override(lang):
        label, audience = translation.pgettext("meal run", "骑手"), translation.gettext("骑手")
    assert f"<p>{label}：" in html
    if label != audience:
        assert f"<p>{audience}：" not in html
