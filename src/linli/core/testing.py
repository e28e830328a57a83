"""Helpers for the race tests that every domain runs on PostgreSQL (not a test module itself).

SQLite serialises writers, so the races these tests stage are not the ones production faces: the SQLite pass skips
them, `make test-pg` (CI's second pass, which fails when PostgreSQL is absent) runs them, and there a
non-PostgreSQL connection is an error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

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
