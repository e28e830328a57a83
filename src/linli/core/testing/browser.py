"""Helpers for browser tests (the fixtures they take are in `linli.core.testing.plugin`): a page signed in as a
user, phone-size pages, and screenshots into docs/screenshots/ when LINLI_SCREENSHOTS=1."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.test import Client

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"


def shoot(page: Any, name: str) -> None:
    """With LINLI_SCREENSHOTS=1 the page is saved into docs/screenshots/<name>.png."""
    if os.environ.get("LINLI_SCREENSHOTS", "").strip() in {"1", "true", "yes"}:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def shoot_elder_too(page: Any, server: Any, name: str) -> None:
    """Screenshot the page, then the same page in elder mode (whose body text is at least 20 px), then switch elder
    mode off again."""
    shoot(page, name)
    page.context.add_cookies([{"name": "linli_elder", "value": "1", "url": server.url}])
    page.reload()
    page.wait_for_selector("html.elder")
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 20
    shoot(page, f"{name}-elder")
    page.context.add_cookies([{"name": "linli_elder", "value": "0", "url": server.url}])
    page.reload()


def watch_errors(page: Any) -> Any:
    """Collect the page's console errors (CSP violations among them) and uncaught exceptions in `page.errors`."""
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def session_cookie(server: Any, user: Any) -> dict[str, str]:
    """A session cookie for `user` on `server` (the session made by Django's test client)."""
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}


def signed_in_page(browser_context_factory: Callable[..., Any], server: Any, user: Any, **options: Any) -> Any:
    """A page whose browser holds a session for `user`; `options` go to the context (default: 1280×800)."""
    context = browser_context_factory(**options)
    context.add_cookies([session_cookie(server, user)])
    return watch_errors(context.new_page())


def signed_in_phone(browser_context_factory: Callable[..., Any], server: Any, user: Any, *, elder: bool = False) -> Any:
    """A phone-size page whose browser holds a session for `user`, in elder mode if `elder`."""
    context = browser_context_factory(**PHONE)
    cookies = [session_cookie(server, user)]
    if elder:
        cookies.append({"name": "linli_elder", "value": "1", "url": server.url})
    context.add_cookies(cookies)
    return watch_errors(context.new_page())
