"""`simulate_city`: the synthetic city written into the configured database in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.db import connections, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.models import Street
from linli.core.partitions import partitions_ensure
from linli.dashboard.services.counters import counters_rebuild
from linli.places.services import places_index_bump
from linli.simulate import STREET_CODE_PREFIX, Volumes
from linli.simulate.bulk import Loader
from linli.simulate.city import SH, City, build
from linli.simulate.history import DOMAINS
from linli.simulate.history_more import jobs, voice, volunteers

# Rows a day at scale 1.0, roughly (meals ~8.5 rows per order, taps, cases ~14 per report, the rest; jobs, voice and
# volunteers ~0.1 M together): what the SQLite path is refused for.
ROWS_PER_DAY_AT_CITY = 4_400_000
SQLITE_MAX_ROWS = 1_000_000


def estimate_rows(scale: float, days: int) -> int:
    return round(ROWS_PER_DAY_AT_CITY * scale * days)


def simulate_city(
    *,
    scale: float,
    days: int,
    seed: int = 2026,
    end: dt.date | None = None,
    using: str = "default",
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Writes the city and `days` days of history ending the day before `end` (default: today in Shanghai); the
    simulated "now" is 07:00 on `end`. Returns the volumes, the rows written per table and the seconds taken."""
    say = progress or (lambda _msg: None)
    if not 0 < scale <= 1 or days < 0:
        raise Problem("validation_error", detail=_("scale 须在 (0, 1] 之间，days 不能小于 0"))
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    if not postgres and estimate_rows(scale, days) > SQLITE_MAX_ROWS:
        raise Problem(
            "simulate_too_big_for_sqlite",
            detail=format_lazy(
                _("约 {rows} 行超出 SQLite 上限 {limit}，请使用 PostgreSQL（--database postgres://...）"),
                rows=f"{estimate_rows(scale, days):,}",
                limit=f"{SQLITE_MAX_ROWS:,}",
            ),
        )
    if Street.objects.using(using).filter(code__startswith=STREET_CODE_PREFIX).exists():
        raise Problem(
            "simulate_city_exists",
            detail=_("数据库中已有模拟城市，请使用新的数据库"),
        )
    end = end or timezone.localdate()
    now = dt.datetime.combine(end, dt.time(7), SH)
    volumes = Volumes.at(scale)
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    with transaction.atomic(using=using):
        if postgres:
            # Synthetic rows are written consistent by construction; skipping the per-row foreign-key triggers
            # (superusers only) keeps tens of millions of deferred checks out of memory. Without the right, the
            # checks run at commit.
            try:
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except Exception:  # noqa: BLE001 - not a superuser: keep the checks
                say("foreign-key checks stay on (not a superuser)")
        if postgres and using == "default":
            # The history's months get their partitions before the load (linli.core.partitions), not the default one.
            partitions_ensure(now=now, since=dt.datetime.combine(end - dt.timedelta(days=days), dt.time(0), SH))
        loader = Loader(using, now=now)
        city = City(volumes=volumes, seed=seed, start=end - dt.timedelta(days=days), end=end, loader=loader)
        t = time.monotonic()
        build(city)
        loader.flush()
        timings["structure"] = round(time.monotonic() - t, 1)
        say(f"structure: {volumes.streets} streets in {timings['structure']} s")
        for name, domain in [*DOMAINS, ("jobs", jobs), ("voice", voice), ("volunteers", volunteers)]:
            t = time.monotonic()
            domain(city, say)
            loader.flush()
            timings[name] = round(time.monotonic() - t, 1)
            say(f"{name}: {timings[name]} s")
        written = loader.finish()
    if postgres:
        t = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timings["analyze"] = round(time.monotonic() - t, 1)
    # The dashboard's counters are kept by the domains' events, which a bulk load does not send: rebuilt from the
    # generated rows, as the nightly job would.
    t = time.monotonic()
    for plan in city.streets:
        counters_rebuild(street=plan.street, days=days + 7, today=end)
    timings["dashboard"] = round(time.monotonic() - t, 1)
    places_index_bump()
    return {
        "scale": scale,
        "days": days,
        "seed": seed,
        "end": end.isoformat(),
        "streets": [p.street.code for p in city.streets],
        "volumes": volumes.__dict__,
        "rows": written,
        "rows_total": sum(written.values()),
        "seconds": round(time.monotonic() - t0, 1),
        "seconds_by_part": timings,
    }
