"""The request paths of `bench_city_growth.py`, measured in process on one size of the synthetic city (Django set
up by the caller). Every size picks the same subjects (the first synthetic street, its lowest-numbered residents,
kitchen, gate, rider), so the figures differ only by the history behind them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

BIG_TABLE_ROWS = 10_000
SH = dt.timezone(dt.timedelta(hours=8))
SKIP = re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW|COPY)\b", re.I)


def bearer(user: Any) -> Client:
    import secrets

    from linli.core.auth import token_digest
    from linli.core.models import ApiToken

    raw = f"llb_city_{secrets.token_urlsafe(24)}"
    ApiToken.objects.create(user=user, name="bench-city", prefix=raw[:8], digest=token_digest(raw))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def setup(end: dt.date) -> dict[str, Any]:
    """The subjects, the same at every size; the writers' wallets topped up and the street's booking limit raised
    (so that the writes succeed alike at every size)."""
    from linli.access.models import Gate, RiderCredential
    from linli.activities.models import Activity
    from linli.cases.models import CaseCategory
    from linli.core.models import RoleAssignment, Street, User
    from linli.meals.models import Kitchen, MenuItem, Wallet, WalletEntry

    street = Street.objects.filter(code__startswith="sim-").order_by("code").first()
    assert street is not None, "no synthetic street: run linli simulate city first"
    Street.objects.filter(pk=street.pk).update(booking_limit=1000)
    wallets = list(Wallet.objects.filter(street=street).select_related("user").order_by("user_id")[:80])
    for w in wallets:
        Wallet.objects.filter(pk=w.pk).update(balance_fen=w.balance_fen + 100_000)
        WalletEntry.objects.create(wallet=w, kind="topup", amount_fen=100_000, street=street,
                                   balance_after_fen=w.balance_fen + 100_000, note="bench")  # fmt: skip
    admin = User.objects.get(pk=RoleAssignment.objects.filter(street=street, role="admin").values("user")[:1])
    kitchen = next(k for k in Kitchen.objects.filter(street=street).order_by("pk") if k.serves.exists())
    point = kitchen.serves.order_by("pk").first()
    tomorrow = end + dt.timedelta(days=1)
    item = MenuItem.objects.filter(menu__kitchen=kitchen, menu__date=tomorrow, menu__slot="lunch").order_by("pk")[0]
    start = dt.datetime.combine(end + dt.timedelta(days=3), dt.time(14), SH)
    activity = Activity.objects.create(
        street=street, place=point, external_id=f"bench-{uuid.uuid4()}", title="压测活动 bench activity",
        start=start, end=start + dt.timedelta(hours=1), capacity=None, status="published",
    )  # fmt: skip
    cred = RiderCredential.objects.filter(street=street, status="verified").select_related("user").order_by("pk")[0]
    gate = Gate.objects.filter(street=street).order_by("pk")[0]
    category = CaseCategory.objects.filter(street=street, is_active=True).order_by("sort_order", "code")[0]
    compound = gate.compound
    return {
        "street": street, "admin": admin, "kitchen": kitchen, "point": point, "item": item, "activity": activity,
        "rider": cred.user, "gate": gate, "category": category, "compound": compound, "writers":
        [w.user for w in wallets], "tomorrow": tomorrow, "end": end,
    }  # fmt: skip


def explain(queries: list[dict]) -> dict:
    """EXPLAIN of each distinct statement of one request: the plan's scans, and the sequential scans over big
    tables (reltuples > BIG_TABLE_ROWS)."""
    sizes = dict(
        connection.cursor()
        .execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'")  # type: ignore[union-attr]
        .fetchall()
    )
    plans, big = [], []
    seen = set()
    for q in queries:
        sql = q["sql"]
        if SKIP.match(sql) or sql in seen:
            continue
        seen.add(sql)
        # A server-side cursor's statement: the query it declares.
        sql = re.sub(r'^DECLARE "?[\w]+"? .*?CURSOR (WITH(OUT)? HOLD )?FOR ', "", sql, flags=re.S)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)  # no parameters: the values are in the text
                plan = cursor.fetchone()[0]
        except Exception as exc:  # noqa: BLE001 - a statement EXPLAIN cannot take (e.g. a DDL): noted, not fatal
            plans.append({"sql": sql[:160], "error": str(exc)[:200]})
            continue
        plan = plan if isinstance(plan, list) else json.loads(plan)
        scans: list[str] = []
        stack = [plan[0]["Plan"]]
        while stack:
            node = stack.pop()
            kind, rel = node["Node Type"], node.get("Relation Name")
            if rel:
                scans.append(f"{kind} {node.get('Index Name', '')} on {rel}".replace("  ", " "))
                if kind == "Seq Scan" and sizes.get(rel, 0) > BIG_TABLE_ROWS:
                    big.append(f"{rel} ({sizes[rel]:,} rows): {sql[:200]}")
            stack.extend(node.get("Plans", []))
        plans.append({"sql": sql[:160], "scans": scans})
    return {"plans": plans, "big_seq_scans": big}


def timed(fn: Callable[[int], Any], n: int, warm: int = 3) -> dict:
    for i in range(warm):
        fn(-1 - i)
    ms = []
    status = None
    for i in range(n):
        t = time.perf_counter()
        resp = fn(i)
        ms.append((time.perf_counter() - t) * 1000)
        status = resp.status_code
    ms.sort()
    return {
        "n": n,
        "status": status,
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 2),
    }


def paths(s: dict[str, Any]) -> dict[str, tuple[Callable[[int], Any], int]]:
    from linli.access.gatewire.protocol import make_gate_token

    street, end = s["street"], s["end"]
    code = street.code
    resident = s["writers"][0]
    r_client = bearer(resident)
    admin_api, admin_page = bearer(s["admin"]), session(s["admin"])
    rider = bearer(s["rider"])
    writers = [bearer(u) for u in s["writers"]]
    lat, lng = s["point"].lat, s["point"].lng
    month_start = end.replace(day=1) if end.day > 1 else (end - dt.timedelta(days=1)).replace(day=1)
    yesterday = end - dt.timedelta(days=1)
    gate = s["gate"]
    counter = iter(range(10**9))

    def writer(i: int) -> Client:  # writers and askers in turn: the per-person rate limits never answer instead
        return writers[next(counter) % len(writers)]

    def book(i: int) -> Any:
        return writer(i).post(f"/api/v1/activities/{s['activity'].pk}/bookings", content_type="application/json")

    def order(i: int) -> Any:
        body = {"date": str(s["tomorrow"]), "slot": "lunch", "destination": {"place_id": s["point"].pk},
                "items": [{"menu_item_id": s["item"].pk, "quantity": 1}]}  # fmt: skip
        return writer(i).post("/api/v1/meals/orders", json.dumps(body), content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))  # fmt: skip

    def report(i: int) -> Any:
        data = {"street": code, "category": s["category"].code, "lat": str(lat + 0.001 * (i % 7)),
                "lng": str(lng), "description": "压测上报 bench report"}  # fmt: skip
        return writer(i).post("/api/v1/reports", data, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    def tap(i: int) -> Any:
        token = make_gate_token(gate.public_id, bytes(gate.token_key), time.time())
        return rider.post("/api/v1/access/taps", json.dumps({"gate_token": token}), content_type="application/json")

    return {
        "map": (lambda i: Client().get(f"/s/{code}/"), 1),
        "nearest": (lambda i: r_client.get("/api/v1/places/nearest", {"lat": lat, "lng": lng, "street": code}), 1),
        "activities_month": (lambda i: r_client.get("/api/v1/activities", {"street": code, "month": end.strftime("%Y-%m")}), 1),
        "menus": (lambda i: r_client.get("/api/v1/meals/menus", {"place": s["point"].pk, "date": str(s["tomorrow"])}), 1),
        "my_orders": (lambda i: r_client.get("/api/v1/me/meal-orders"), 1),
        "my_bookings": (lambda i: r_client.get("/api/v1/me/bookings"), 1),
        "ask": (lambda i: writer(i).post("/api/v1/assistant/ask", json.dumps({"question": "附近哪里可以吃午饭", "street": code,
                "lat": lat, "lng": lng}), content_type="application/json"), 1),
        "write_booking": (book, 1),
        "write_order": (order, 1),
        "write_report": (report, 1),
        "write_tap": (tap, 1),
        "case_console": (lambda i: admin_page.get("/staff/cases/", {"street": code}), 1),
        "audit_search": (lambda i: admin_api.post("/api/v1/access/taps/search", json.dumps({"decision": "deny",
                         "date_from": str(month_start), "date_to": str(end), "compound": s["compound"].pk}),
                         content_type="application/json"), 1),
        "production_list": (lambda i: admin_api.get("/api/v1/meals/production", {"kitchen": s["kitchen"].pk,
                            "date": str(yesterday), "slot": "lunch"}), 1),
        "export_taps_month": (lambda i: admin_api.get("/api/v1/access/taps/export.csv", {"date_from": str(month_start),
                              "date_to": str(end), "compound": s["compound"].pk}), 4),
        "export_cases_month": (lambda i: admin_api.get("/api/v1/cases/export.csv", {"street": code, "date_from":
                               str(month_start), "date_to": str(end)}), 4),
    }  # fmt: skip


def measure_all(end: dt.date, iterations: int) -> dict:
    s = setup(end)
    out: dict = {}
    for name, (fn, divisor) in paths(s).items():
        try:
            result = timed(fn, max(5, iterations // divisor))
            with CaptureQueriesContext(connection) as ctx:
                resp = fn(10**6)
            result["queries"] = len(ctx.captured_queries)
            result["last_status"] = resp.status_code
            if resp.status_code >= 400:
                result["answer"] = resp.content[:300].decode(errors="replace")
            result.update(explain(ctx.captured_queries))
        except Exception as exc:  # noqa: BLE001 - one broken path must not hide the others
            result = {"error": repr(exc)[:500]}
        out[name] = result
    return out
