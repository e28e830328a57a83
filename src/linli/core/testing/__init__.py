"""Helpers for every domain's tests (not a test module itself): the race tests run on PostgreSQL, and pages read
in English.

SQLite serialises writers, so the races these tests stage are not the ones production faces: the SQLite pass skips
them, `make test-pg` (CI's second pass, which fails when PostgreSQL is absent) runs them, and there a
non-PostgreSQL connection is an error.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from linli.core.errors import Problem


def require_postgres(what: str) -> None:
    """Skip on SQLite, fail if LINLI_DATABASE_URL names PostgreSQL but the connection is something else."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("LINLI_DATABASE_URL", "").startswith("postgres"):
        pytest.fail("LINLI_DATABASE_URL names PostgreSQL but the test connection is not PostgreSQL")
    pytest.skip(f"{what} need PostgreSQL: `make test-pg` runs them (CI does)")


def race(
    n: int, work: Callable[[int], Any], *, on_problem: Callable[[Problem], Any] = lambda problem: problem.code
) -> list[Any]:
    """Run `work(i)` in n threads released together by a barrier; return each one's outcome: what `work` returned,
    `on_problem(problem)` for a Problem (its code by default), or "error:<class>:<message>" for anything else.
    Each thread closes its own database connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Problem as problem:
            results[i] = on_problem(problem)
        except Exception as exc:  # noqa: BLE001 - any other outcome is a failure the test reports
            results[i] = f"error:{exc.__class__.__name__}:{exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results


# ------------------------------------------------------------------------------------ pages in English


def english_client(user: Any) -> Client:
    """A client signed in as `user` that asks for English (header and language cookie)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    """The page's HTML (it must answer 200)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_english(html: str, english: list[str], chinese: list[str]) -> None:
    """Every English label is on the page and none of the Chinese ones."""
    html = unescape(html)
    for label in english:
        assert label in html, label
    for label in chinese:
        assert label not in html, label


def assert_admin_hides(client: Client, url: str) -> None:
    """The admin answers `url` (another street's row) as it answers a row that does not exist: a redirect to the
    admin's index (with Django's "does not exist" message), so a staff member cannot tell the row is there."""
    response = client.get(url)
    assert (response.status_code, response.get("Location")) == (302, reverse("admin:index")), (
        url,
        response.status_code,
    )


# ------------------------------------------------------------------------------------- htmx fragments

FRAGMENT_RE = re.compile(r'<div class="fragment" hx-get="([^"]+)" hx-trigger="load" hx-swap="outerHTML"></div>')


def with_fragments(client: Client, html: str) -> str:
    """The page as the browser shows it once htmx has loaded its fragments (`linli.core.fragments`): each
    placeholder replaced by its fragment's HTML (which must answer 200)."""

    def load(match: re.Match[str]) -> str:
        response = client.get(unescape(match.group(1)))
        assert response.status_code == 200, (match.group(1), response.status_code)
        return response.content.decode()

    return FRAGMENT_RE.sub(load, html)
