"""Shared pytest fixtures: a small service map (one street, one place per need) and a Playwright browser.

Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's
live server. Without Chromium they skip loudly, unless LINLI_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM then refuses to run there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --------------------------------------------------------------------------------------- map data


@dataclass
class MapData:
    street: Any
    places: dict[str, Any]  # short key -> Place

    def names(self, *keys: str) -> set[str]:
        return {self.places[k].name for k in keys}


# (key, name, kind, lat, lng, services, amenities, opening_hours)
MAP_PLACES: list[tuple[str, str, str, float, float, list[str], list[str], str]] = [
    ("meal", "测试助餐点", "meal_point", 31.2500, 121.3900, ["meal"], ["seats"], "Mo-Su 00:00-24:00"),
    ("canteen", "测试长者食堂", "elder_canteen", 31.2540, 121.3950, ["meal"], ["step_free"], "Mo-Su off"),
    ("affairs", "测试社区事务受理服务中心", "affairs_center", 31.2560, 121.3860, ["affairs"], [], "Mo-Su 00:00-24:00"),
    ("medical", "测试助医点", "medical_point", 31.2470, 121.3930, ["medical"], [], ""),
    (
        "rider",
        "测试骑手驿站",
        "rider_station",
        31.2600,
        121.4000,
        ["rider_rest", "drinking_water"],
        ["ebike_charging"],
        "Mo-Su 00:00-24:00",
    ),
]

SERVICE_NAMES = {
    "meal": ("助餐", "Meals", "care"),
    "affairs": ("事务受理", "Community affairs", "affairs"),
    "medical": ("助医", "Medical help", "care"),
    "rider_rest": ("骑手休息", "Rest for riders", "riders"),
    "drinking_water": ("饮水", "Drinking water", "riders"),
}


def build_map_data(code: str = "testjie") -> MapData:
    """One street with five places: two for meals (one always closed), affairs, medical (no hours), riders."""
    from linli.core.geo import h3_cell
    from linli.core.models import Street
    from linli.places.models import Place, Service

    street, _ = Street.objects.get_or_create(
        code=code,
        defaults={
            "name": "测试街道",
            "name_en": "Test Subdistrict",
            "district": "普陀区",
            "hotline": "021-60000000",
            "center_lat": 31.2530,
            "center_lng": 121.3920,
        },
    )
    services = {}
    for scode, (zh, en, category) in SERVICE_NAMES.items():
        services[scode], _ = Service.objects.get_or_create(
            street=None, code=scode, defaults={"name_zh": zh, "name_en": en, "category": category}
        )
    places = {}
    for i, (key, name, kind, lat, lng, svc, amenities, hours) in enumerate(MAP_PLACES):
        place = Place.objects.create(
            street=street,
            external_id=f"T{i:03d}",
            name=name,
            kind=kind,
            address=f"上海市普陀区测试路{100 + i}号",
            lat=lat,
            lng=lng,
            h3_cell=h3_cell(lat, lng),
            phone="021-6000 1234" if key == "meal" else "",
            opening_hours=hours,
            amenities=amenities,
            capacity=40 if key == "meal" else None,
            description="午餐 11:00 开始供应。" if key == "meal" else "",
        )
        place.services.set([services[s] for s in svc])
        places[key] = place
    try:
        from linli.places import selectors

        selectors.nearest_index_invalidate_local()
    except (ImportError, AttributeError):
        pass
    return MapData(street=street, places=places)


@pytest.fixture
def map_data(db: None) -> MapData:
    return build_map_data()


@pytest.fixture
def live_map_data(transactional_db: None) -> MapData:
    return build_map_data()


# ------------------------------------------------------------------------------------------ browser


def _require_services() -> bool:
    return os.environ.get("LINLI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = (
            f"!!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Install Debian's `chromium` package to run them. "
            "Set LINLI_REQUIRE_SERVICES=1 to make this a failure (CI does). !!!"
        )
        if _require_services():
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context_factory(chromium_browser: Any) -> Iterator[Callable[..., Any]]:
    """`new_context(**options)`: a fresh Playwright context (default: 1280×800, zh-CN); closed after the test."""
    contexts: list[Any] = []

    def new_context(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "zh-CN")
        context = chromium_browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(browser_context_factory: Callable[..., Any]) -> Any:
    """A page in a fresh context; console errors (CSP violations among them) are collected in `page.errors`."""
    page = browser_context_factory().new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


AXE_JS = os.path.join(os.path.dirname(__file__), "test_vendor", "axe-core", "axe.min.js")


@pytest.fixture
def axe_audit() -> Callable[..., list[dict[str, Any]]]:
    """`axe_audit(page, impacts=("serious", "critical"))`: the axe-core violations of that impact on the page.

    axe is evaluated through Playwright (not a <script> tag), so the page's CSP stays strict.
    """
    with open(AXE_JS, encoding="utf-8") as fh:
        source = fh.read()

    def audit(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            "async () => await window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in impacts
        ]

    return audit


@pytest.fixture(autouse=True)
def _forget_cached_tokens() -> Iterator[None]:
    """Bearer lookups are cached per process; each test starts with an empty cache."""
    from linli.core.auth import token_cache_forget

    token_cache_forget()
    yield
    token_cache_forget()


@pytest.fixture(autouse=True)
def _fresh_holiday_calendar() -> Iterator[None]:
    """The holiday calendar is read once per process; each test reads the table its own transaction sees."""
    from linli.core.holidays import calendar

    calendar.invalidate_local()
    yield
    calendar.invalidate_local()


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end the sessions other threads left open on it.

    Channels runs database work of WebSocket consumers (and `sync_to_async` code) in executor threads whose
    connections live for CONN_MAX_AGE; those threads outlive the tests, so pytest-django's DROP DATABASE met
    "being accessed by other users" and left the test database behind. This fixture is torn down before
    `django_db_setup` (it depends on it), while the database still exists."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
