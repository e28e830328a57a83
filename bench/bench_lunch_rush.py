"""Lunch rush: 200 concurrent clients ordering 2-dish lunches through the production arrangement (gunicorn gthread).

Budget (DESIGN.md): 0 oversold dishes; >= 400 orders/s; p99 <= 300 ms at 50 clients.

What it does (run alone: `.venv/bin/python bench/run.py lunch_rush`; needs `wrk`, PostgreSQL, Redis). The database,
server, wrk and CPU-accounting plumbing is bench/common.py's, pointed at this bench's database and wrk script:
1. drops and creates the PostgreSQL database `linli_bench_lunch`, migrates it and fills it in a subprocess
   (`python bench/bench_lunch_rush.py --populate`): one street with a 60+ pricing tier, a central kitchen serving
   one meal point, published lunch menus on four days (limited dishes, unlimited, latency, warm-up), N users
   (born 1950) with a bearer token and a funded meal wallet (a top-up ledger entry each);
2. starts gunicorn (`LINLI_BENCH_LUNCH_CONFIG` workers x threads, default 2x8), warms it up, then at 200 clients:
   the ping baseline; phase "limited" (3 dishes of 600 portions; each user orders one of the three 2-dish
   baskets once: the dishes sell out, then `sold_out`); phase "unlimited" (every user once or 15 s); then 50
   clients on another unlimited menu for the p99 figure. Every order carries its own Idempotency-Key;
3. after each phase checks the database (one REPEATABLE READ snapshot): per dish `sold` <= `daily_limit` and
   `sold` == the portions in live order lines; every order's charge == its total; every wallet's balance == the
   sum of its ledger entries, never negative; the client's 201 count against the order rows; no 5xx;
4. stops gunicorn, drops the database and flushes Redis db 13 (try/finally).

Environment: as bench/common.py (LINLI_BENCH_PG_URL, LINLI_BENCH_REDIS_URL), LINLI_BENCH_LUNCH_USERS (default
9000), LINLI_BENCH_LUNCH_CONFIG (default "2x8"), LINLI_BENCH_LUNCH_KEEP=1 (keep the database and the log).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

DB_NAME = "linli_bench_lunch"
DB = common.Database(DB_NAME)

N_USERS = int(os.environ.get("LINLI_BENCH_LUNCH_USERS", "9000"))
LIMITED_USERS = 2400
LIMIT = 600  # portions of each of the three limited dishes
CLIENTS = 200
CLIENTS_LATENCY = 50
PHASE_SECONDS = 15
LATENCY_SECONDS = 8
PING_SECONDS = 5
WARMUP_SECONDS = 2
BALANCE_FEN = 100_000
CONFIG = os.environ.get("LINLI_BENCH_LUNCH_CONFIG", "2x8")

BUDGET_MIN_ORDERS_PER_S = 400
BUDGET_P99_MS_AT_50 = 300
LIVE = ("placed", "locked", "in_production", "out_for_delivery", "delivered", "collected")

# wrk script: like loadgen/storm.lua (same arguments, the same "book" mode that ends when every user has tried
# once, the same WRK_JSON summary), but each request is a JSON order from LINLI_BENCH_LUNCH_BODIES (bodies
# separated by newlines, taken in turn) with a fresh Idempotency-Key.
LUA = r"""
local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end
local mode, path, marker_dir
local tokens = {}
local bodies = {}
local next_token = 1
local exhausted = false
local nonce = os.getenv("LINLI_BENCH_LUNCH_NONCE") or "n"
statuses = {}
codes = {}
sent = 0
function init(args)
  mode = args[1] or "ping"
  path = args[2] or "/api/v1/ping"
  marker_dir = args[4]
  if mode == "book" then
    local n = tonumber(args[5]) or 1
    local i = 0
    for line in io.lines(args[3]) do
      if i % n == tid and #line > 0 then tokens[#tokens + 1] = line end
      i = i + 1
    end
    for b in string.gmatch(os.getenv("LINLI_BENCH_LUNCH_BODIES") or "{}", "[^\n]+") do bodies[#bodies + 1] = b end
  end
end
local function mark_exhausted()
  if exhausted then return end
  exhausted = true
  if marker_dir then
    local f = io.open(marker_dir .. "/exhausted." .. tid, "w")
    if f then f:write(tostring(sent)); f:close() end
  end
  if wrk.thread then wrk.thread:stop() end
end
function request()
  if mode == "book" then
    local token = tokens[next_token]
    if token == nil then
      mark_exhausted()
      return wrk.format("GET", "/api/v1/ping")
    end
    next_token = next_token + 1
    sent = sent + 1
    local body = bodies[((next_token + tid) % #bodies) + 1]
    return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Accept-Language"] = "en",
      ["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. sent,
    }, body)
  end
  sent = sent + 1
  return wrk.format("GET", path)
end
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 and body then
    local code = string.match(body, '"code"%s*:%s*"([%w_%-]+)"') or "unparsed"
    codes[code] = (codes[code] or 0) + 1
  end
end
local function encode(value)
  local t = type(value)
  if t == "table" then
    local parts = {}
    for k, v in pairs(value) do parts[#parts + 1] = string.format("%q:%s", tostring(k), encode(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "number" then return string.format("%.17g", value)
  elseif t == "boolean" then return tostring(value)
  elseif value == nil then return "null" end
  return string.format("%q", tostring(value))
end
local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = (into[k] or 0) + v end
end
function done(summary, latency, requests)
  local all_statuses, all_codes, all_sent = {}, {}, 0
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_codes, thread:get("codes"))
    all_sent = all_sent + (thread:get("sent") or 0)
  end
  local out = {
    duration_us = summary.duration, requests = summary.requests, bytes = summary.bytes, sent = all_sent,
    errors = {connect = summary.errors.connect, read = summary.errors.read, write = summary.errors.write,
              status = summary.errors.status, timeout = summary.errors.timeout},
    latency_us = {p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
                  max = latency.max, mean = latency.mean},
    statuses = all_statuses, codes = all_codes,
  }
  io.write("WRK_JSON " .. encode(out) .. "\n")
end
"""


# ------------------------------------------------------------------------------------------ populate


def populate_main(tokens_file: str, n_users: int) -> None:
    """Runs in a subprocess (its own Django settings): street, kitchen, menus, users, tokens, funded wallets."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from linli.core.auth import token_digest
    from linli.core.geo import h3_cell
    from linli.core.models import ApiToken, Street, User
    from linli.meals.models import Dish, Kitchen, Menu, MenuItem, PricingTier, Wallet, WalletEntry
    from linli.places.models import Place

    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        street = Street.objects.create(code="bench-lunch", name="压测街道")
        lat, lng = 31.2304, 121.4737

        def place(key: str, name: str, kind: str) -> Place:
            return Place.objects.create(
                street=street, external_id=key, name=name, kind=kind, address="某路1号", lat=lat, lng=lng,
                h3_cell=h3_cell(lat, lng),
            )  # fmt: skip

        kitchen = Kitchen.objects.create(street=street, place=place("bench-kitchen", "压测中央厨房", "central_kitchen"))
        point = place("bench-point", "压测助餐点", "meal_point")
        kitchen.serves.add(point)
        PricingTier.objects.create(
            street=street, kind="age", name="60岁以上九折", min_age=60, discount_type="percent", value=10
        )
        dishes = [Dish.objects.create(kitchen=kitchen, name=f"压测菜{i}") for i in range(3)]

        def menu(days: int, limit: int | None) -> dict:
            date = today + dt.timedelta(days=days)
            cutoff = timezone.make_aware(dt.datetime.combine(date, dt.time(9, 30)))
            m = Menu.objects.create(
                kitchen=kitchen, date=date, slot="lunch", status="published", cutoff_at=cutoff, published_at=now
            )
            items = [
                MenuItem.objects.create(menu=m, dish=d, price_fen=1500 + 300 * i, half_price_fen=800, daily_limit=limit)
                for i, d in enumerate(dishes)
            ]
            return {"menu_id": m.pk, "date": date.isoformat(), "items": [it.pk for it in items]}

        menus = {
            "limited": menu(2, LIMIT),
            "unlimited": menu(3, None),
            "latency": menu(4, None),
            "warmup": menu(5, None),
        }

        users = User.objects.bulk_create(
            [
                User(phone=f"+86138{i:08d}", display_name=f"居民{i}", password="!", home_street=street, birth_year=1950)
                for i in range(n_users)
            ],
            batch_size=5000,
        )
        raws = [f"llb_{i}_{secrets.token_urlsafe(24)}" for i in range(n_users)]
        ApiToken.objects.bulk_create(
            [
                ApiToken(user=u, name="bench", prefix=raw[:8], digest=token_digest(raw), last_used_at=now)
                for u, raw in zip(users, raws, strict=True)
            ],
            batch_size=5000,
        )
        # What wallet_topup writes, in bulk: the balance and its ledger entry agree.
        wallets = Wallet.objects.bulk_create(
            [Wallet(user=u, street=street, balance_fen=BALANCE_FEN) for u in users], batch_size=5000
        )
        WalletEntry.objects.bulk_create(
            [
                WalletEntry(wallet=w, kind="topup", amount_fen=BALANCE_FEN, balance_after_fen=BALANCE_FEN, street=street,
                            note="bench", at=now)
                for w in wallets
            ],
            batch_size=5000,
        )  # fmt: skip
    Path(tokens_file).write_text("\n".join(raws) + "\n", encoding="utf-8")
    print(json.dumps({"place_id": point.pk, "menus": menus}))


def _populate(env: dict[str, str], tokens_file: Path) -> dict:
    return common.populate(__file__, [str(tokens_file), str(N_USERS)], env)


def _bodies(place_id: int, menu: dict, baskets: list[tuple[int, int]]) -> str:
    return "\n".join(
        json.dumps(
            {
                "date": menu["date"],
                "slot": "lunch",
                "destination": {"place_id": place_id},
                "items": [
                    {"menu_item_id": menu["items"][a], "quantity": 1},
                    {"menu_item_id": menu["items"][b], "quantity": 1},
                ],
            },
            separators=(",", ":"),
        )
        for a, b in baskets
    )


# ------------------------------------------------------------------------------------------ checks


def verify(menu_id: int, load: dict) -> dict:
    """The database's account of one phase, and its agreement with the client's counts."""
    DB.drain()
    items, orders, charges, wallets = DB.snapshot(
        [
            (
                "SELECT i.id, i.daily_limit, i.sold, COALESCE((SELECT sum(l.quantity) FROM meals_orderline l "
                "JOIN meals_order o ON o.id = l.order_id WHERE l.menu_item_id = i.id AND o.status = ANY(%s)), 0) "
                "FROM meals_menuitem i WHERE i.menu_id = %s ORDER BY i.id",
                (list(LIVE), menu_id),
            ),
            ("SELECT count(*), COALESCE(sum(total_fen), 0) FROM meals_order WHERE menu_id = %s", (menu_id,)),
            (
                "SELECT count(*), COALESCE(-sum(e.amount_fen), 0), "
                "count(*) FILTER (WHERE -e.amount_fen <> o.total_fen) FROM meals_walletentry e "
                "JOIN meals_order o ON o.id = e.order_id WHERE e.kind = 'charge' AND o.menu_id = %s",
                (menu_id,),
            ),
            (
                "SELECT count(*), count(*) FILTER (WHERE w.balance_fen <> COALESCE(s.total, 0) OR w.balance_fen < 0) "
                "FROM meals_wallet w LEFT JOIN (SELECT wallet_id, sum(amount_fen) AS total FROM meals_walletentry "
                "GROUP BY wallet_id) s ON s.wallet_id = w.id",
                (),
            ),
        ]
    )
    dishes = [
        {"menu_item_id": i, "daily_limit": limit, "sold": sold, "portions_in_live_orders": int(lines)}
        for i, limit, sold, lines in items
    ]
    oversold = sum(1 for d in dishes if d["daily_limit"] is not None and d["sold"] > d["daily_limit"])
    order_rows, order_total = orders[0]
    charge_rows, charged, charge_mismatch = charges[0]
    wallet_rows, wallet_bad = wallets[0]
    created_201 = load["statuses"].get("201", 0)
    result = {
        "menu_id": menu_id,
        "dishes": dishes,
        "oversold_dishes": oversold,
        "sold_matches_lines": all(d["sold"] == d["portions_in_live_orders"] for d in dishes),
        # A dish ran out (the baskets pair the dishes, so the last portions of the others may stay unsold).
        "sold_out_reached": any(d["daily_limit"] is not None and d["sold"] == d["daily_limit"] for d in dishes)
        and load["problem_codes_client"].get("sold_out", 0) > 0,
        "order_rows": order_rows,
        "orders_vs_client_201": order_rows - created_201,  # >= 0: orders of requests wrk stopped waiting for
        "charges_equal_orders": charge_rows == order_rows and int(charged) == int(order_total) and not charge_mismatch,
        "wallets": wallet_rows,
        "wallets_inconsistent": wallet_bad,
        "orders_per_s": round(order_rows / load["duration_s"], 1) if load["duration_s"] else 0.0,
    }
    result["ok"] = (
        oversold == 0
        and result["sold_matches_lines"]
        and result["charges_equal_orders"]
        and wallet_bad == 0
        and 0 <= result["orders_vs_client_201"] <= load["in_flight_at_stop"]
        and load["unanswered"] == 0
        and load["server_errors_5xx"] == 0
    )
    return result


# ------------------------------------------------------------------------------------------ run


def _cpu_per_request(phase: dict) -> float | None:
    return phase["cpu"].get("server_ms_per_request")


def _budgets(oversold: int, unanswered: int, phases: tuple, limited: dict, orders_per_s: float,
             cpu_per_order: float | None, lat: dict, floor: dict) -> list[dict]:  # fmt: skip
    """DESIGN.md's lunch-rush budgets, each against the bare Django view of the same run (issue 23)."""
    bare = {"bare_django_rps": floor["rps"], "bare_django_cpu_ms_per_request": floor["cpu_ms_per_request"]}
    rate = round(orders_per_s / floor["rps"], 3) if floor["rps"] else None
    cpu = (
        round(cpu_per_order / floor["cpu_ms_per_request"], 2) if cpu_per_order and floor["cpu_ms_per_request"] else None
    )
    return [
        common.budget("oversold dishes", oversold, 0),
        common.budget("unanswered requests", unanswered, 0),
        common.budget(
            "database checks failed (sold = lines, wallets = ledgers, charges = totals)",
            sum(not p["db"]["ok"] for p in phases),
            0,
        ),
        # The oversold check means something only if the limited dishes sold out (a slow run may not get there).
        common.budget(
            "limited phase reached sold out", int(bool(limited["db"]["sold_out_reached"])), 1, at_most=False
        ),  # fmt: skip
        common.budget("orders/s ÷ bare Django rps", rate, 0.12, at_most=False, baseline=bare),
        common.budget("server CPU per order (gunicorn + PostgreSQL) ÷ bare Django's", cpu, 6, baseline=bare),
        common.budget("p99 at 50 clients", lat["p99_ms"], 300, unit=" ms"),
    ]


def run() -> dict:
    common.require_wrk("bench_lunch_rush")
    workers, threads = (int(x) for x in CONFIG.lower().split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="linli-lunch-"))
    lua = tmp / "lunch.lua"
    lua.write_text(LUA, encoding="utf-8")
    tokens = tmp / "tokens.txt"
    log = tmp / "gunicorn.log"
    keep = os.environ.get("LINLI_BENCH_LUNCH_KEEP") == "1"
    env = common.django_env(tmp, DB)
    server: common.Server | None = None
    started = time.monotonic()
    load_before = [round(x, 2) for x in os.getloadavg()]
    path = "/api/v1/meals/orders"

    def wrk(mode: str, url_path: str, clients: int, seconds: float, token_file: Path | None = None) -> dict:
        assert server is not None
        return common.wrk(server, mode, url_path, clients, seconds, token_file, lua=lua, db=DB)

    try:
        DB.create()
        common.redis_flush()
        common.migrate(env)
        ids = _populate(env, tokens)
        setup_s = round(time.monotonic() - started, 1)
        place_id, menus = ids["place_id"], ids["menus"]

        def phase(name: str, baskets: list[tuple[int, int]], clients: int, seconds: float, token_file: Path) -> dict:
            os.environ["LINLI_BENCH_LUNCH_BODIES"] = _bodies(place_id, menus[name], baskets)
            os.environ["LINLI_BENCH_LUNCH_NONCE"] = f"{name}-{secrets.token_hex(4)}"
            load = wrk("book", path, clients, seconds, token_file)
            return {**load, "db": verify(menus[name]["menu_id"], load)}

        server = common.Server(env, workers, threads, log)
        server.wait_ready(common.PING_PATH)
        wrk("ping", common.PING_PATH, CLIENTS, WARMUP_SECONDS)
        warm_tokens = tmp / "tokens_warm.txt"
        warm_tokens.write_text("".join(tokens.read_text().splitlines(keepends=True)[-1000:]))
        phase("warmup", [(0, 1)], CLIENTS, WARMUP_SECONDS, warm_tokens)
        ping = wrk("ping", common.PING_PATH, CLIENTS, PING_SECONDS)
        limited_tokens = tmp / "tokens_limited.txt"
        limited_tokens.write_text("".join(tokens.read_text().splitlines(keepends=True)[:LIMITED_USERS]))
        limited = phase("limited", [(0, 1), (1, 2), (0, 2)], CLIENTS, PHASE_SECONDS, limited_tokens)
        unlimited = phase("unlimited", [(0, 1), (1, 2), (0, 2)], CLIENTS, PHASE_SECONDS, tokens)
        lat = phase("latency", [(0, 1)], CLIENTS_LATENCY, LATENCY_SECONDS, tokens)
        server.stop()
        server = None
        # The budgets' baseline in the same run: a bare Django view, same gunicorn arrangement, same wrk.
        floor = common.floor_bare_django(env, workers, threads, log, CLIENTS, PING_SECONDS, lua=lua, db=DB)

        phases = (limited, unlimited, lat)
        oversold = sum(p["db"]["oversold_dishes"] for p in phases)
        unanswered = sum(p["unanswered"] for p in phases) + ping["unanswered"]
        orders_per_s = unlimited["db"]["orders_per_s"]
        ratio = orders_per_s / ping["rps"] if ping["rps"] else 0.0
        gunicorn_5xx_lines = common.gunicorn_5xx_lines(log)
        result = {
            "bench": "lunch_rush",
            "server": {"kind": "gunicorn gthread", "workers": workers, "threads": threads, "conn_max_age": 600},
            "load_generator": f"wrk {common.WRK_THREADS} threads, same machine (shares the 2 cores)",
            "users": N_USERS,
            "setup_s": setup_s,
            "load_average_before": load_before,
            "ping": {"rps": ping["rps"], "p50_ms": ping["p50_ms"], "p99_ms": ping["p99_ms"], "clients": CLIENTS},
            "phase_limited": limited,
            "phase_unlimited": unlimited,
            "latency_50_clients": lat,
            "oversold_dishes": oversold,
            "unanswered": unanswered,
            "gunicorn_log_5xx_lines": gunicorn_5xx_lines,
            "db_checks_ok": all(p["db"]["ok"] for p in phases),
            "orders_per_s": orders_per_s,
            "ratio_order_to_ping": round(ratio, 3),
            "cpu_ms_per_ping": ping["cpu"].get("server_ms_per_request"),
            "cpu_ms_per_order": unlimited["cpu"].get("server_ms_per_request"),
            "p99_ms_at_50": lat["p99_ms"],
            "floor_bare_django": floor,
            "budgets": _budgets(
                oversold, unanswered, phases, limited, orders_per_s, _cpu_per_request(unlimited), lat, floor
            ),
            "budget": {
                "min_orders_per_s": BUDGET_MIN_ORDERS_PER_S,
                "p99_ms_at_50": BUDGET_P99_MS_AT_50,
                "met": oversold == 0
                and unanswered == 0
                and all(p["db"]["ok"] for p in phases)
                and limited["db"]["sold_out_reached"]
                and orders_per_s >= BUDGET_MIN_ORDERS_PER_S
                and lat["p99_ms"] <= BUDGET_P99_MS_AT_50,
            },
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "total_s": round(time.monotonic() - started, 1),
        }
        if keep:
            result["kept"] = {"database": DB.url, "gunicorn_log": str(log), "tokens": str(tokens)}
        return result
    finally:
        if server is not None:
            server.stop()
        if not keep:
            DB.drop()
            common.redis_flush()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--populate":
        populate_main(sys.argv[2], int(sys.argv[3]))
    else:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(run(), indent=2, ensure_ascii=False))
