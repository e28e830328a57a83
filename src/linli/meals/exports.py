"""The production list as CSV (UTF-8 with BOM, so Excel shows the Chinese) and as an Excel workbook.

One row per destination and dish (full and half portions in their own columns), a subtotal row per destination
and a grand total per dish at the end. Every export is audit-logged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from linli.core.services import audit_log
from linli.core.spreadsheets import csv_bytes, xlsx_bytes
from linli.meals.models import Kitchen, Slot
from linli.meals.selectors.kitchen import production_list

COLUMNS = [
    ("destination", "送达地点 Destination"),
    ("address", "地址 Address"),
    ("dish", "菜品 Dish"),
    ("full", "整份 Full"),
    ("half", "半份 Half"),
    ("orders", "订单数 Orders"),
]

SUBTOTAL = "小计 Subtotal"
TOTAL = "合计 Total"


def production_rows(*, kitchen: Kitchen, on: date, slot: str, actor: Any) -> tuple[dict[str, Any], list[dict]]:
    """The production list (permission checked there) and its rows; logs the export."""
    data = production_list(kitchen=kitchen, on=on, slot=slot, actor=actor)
    rows: list[dict[str, Any]] = []
    for dest in data["destinations"]:
        label = dest["label"] + (f"（{'、'.join(dest['activities'])}）" if dest["activities"] else "")
        for d in dest["dishes"]:
            rows.append(
                {
                    "destination": label,
                    "address": dest["address"],
                    "dish": d["dish"],
                    "full": d["full"],
                    "half": d["half"],
                    "orders": "",
                }
            )
        rows.append(
            {
                "destination": label,
                "address": dest["address"],
                "dish": SUBTOTAL,
                "full": sum(d["full"] for d in dest["dishes"]),
                "half": sum(d["half"] for d in dest["dishes"]),
                "orders": dest["orders"],
            }
        )
    for d in data["dishes"]:
        rows.append(
            {"destination": TOTAL, "address": "", "dish": d["dish"], "full": d["full"], "half": d["half"], "orders": ""}
        )
    rows.append(
        {
            "destination": TOTAL,
            "address": "",
            "dish": TOTAL,
            "full": data["totals"]["full"],
            "half": data["totals"]["half"],
            "orders": data["totals"]["orders"],
        }
    )
    audit_log(
        actor=actor,
        action="meals.production_export",
        street=kitchen.street,
        obj=kitchen,
        data={"date": on.isoformat(), "slot": slot, "rows": len(rows)},
    )
    return data, rows


def title(kitchen: Kitchen, on: date, slot: str) -> str:
    return f"{kitchen.place.name} · {on.isoformat()} {Slot(slot).label} · 生产单 production list"


def production_csv(*, kitchen: Kitchen, on: date, slot: str, actor: Any) -> bytes:
    _, rows = production_rows(kitchen=kitchen, on=on, slot=slot, actor=actor)
    return csv_bytes(header=[header for _, header in COLUMNS], rows=([row[key] for key, _ in COLUMNS] for row in rows))


def production_xlsx(*, kitchen: Kitchen, on: date, slot: str, actor: Any) -> bytes:
    """A title row (kitchen, date, slot), a bold header row, then the rows; subtotals and totals in bold."""
    _, rows = production_rows(kitchen=kitchen, on=on, slot=slot, actor=actor)
    keys = [key for key, _ in COLUMNS]
    dish, destination = keys.index("dish"), keys.index("destination")
    return xlsx_bytes(
        sheet="生产单 Production",
        title=title(kitchen, on, slot),
        header=[header for _, header in COLUMNS],
        rows=[[row[key] for key in keys] for row in rows],
        widths=[22, 30, 20, 10, 10, 10],
        bold=lambda row: row[dish] in (SUBTOTAL, TOTAL) or row[destination] == TOTAL,
    )
