"""`linli import menus FILE.csv --street CODE` and the menu editor's upload: a canteen's menu plan from CSV.

Validates the whole file first and reports every bad row with its line number (`Problem("csv_invalid")`); then
writes everything in one transaction. See `CSV_HELP` for the format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.imports import ImportResult
from linli.core.inputs import InputError, check_date, clean_text
from linli.core.models import AuditLog, Street, User
from linli.core.selectors import require_role
from linli.meals.models import Dish, Kitchen, Menu, MenuItem, MenuStatus, Slot
from linli.meals.services.menus.cutoffs import MENU_EDITOR_ROLES, SLOT_ALIASES, menu_cutoff_default, menu_is_frozen
from linli.meals.services.menus.editing import _date_in_range, _dish_upsert
from linli.meals.services.menus.item_input import TAG_SEPARATORS, ItemValues, validate_item
from linli.meals.services.menus.kitchens import kitchen_for_place
from linli.meals.services.menus.publish import menus_publish_all
from linli.places.models import KITCHEN_KINDS, Place

CSV_COLUMNS = ("date", "slot", "kitchen", "dish", "price_fen", "half_price_fen", "daily_limit", "tags")
CSV_HELP_ZH = (
    "菜单表格 CSV（UTF-8，可带 BOM，Excel 另存为“CSV UTF-8”即可），第一行为列名："
    "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags。"
    "date 日期 2026-12-01；slot 餐次 breakfast/lunch/dinner（或 早餐/午餐/晚餐）；kitchen 厨房或食堂点位编号；"
    "dish 菜名；price_fen 价格（分，12 元写 1200）；half_price_fen 半份价格（分，可空）；daily_limit 每日限量（可空=不限）；"
    "tags 标签用 | 分隔：soft 软烂、low_salt 少盐、low_sugar、low_oil、vegetarian、spicy、halal，"
    "过敏原 allergen:peanut 等（gluten crustacean fish egg peanut soy milk tree_nut sesame），"
    "set 套餐，elder_set 长者优惠套餐。同一厨房、日期、餐次、菜名再次导入即更新。整份文件有错则不写入任何数据。"
)
CSV_HELP_EN = (
    "Menu CSV (UTF-8, BOM allowed): header date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags; "
    "kitchen = the place's external id; prices in fen; tags separated by '|' (DishTag codes, allergen:<code>, "
    "set, elder_set). Re-importing updates by (kitchen, date, slot, dish). All or nothing."
)
CSV_HELP = f"{CSV_HELP_ZH}\n{CSV_HELP_EN}"


def csv_help() -> str:
    """The format in the page's language."""
    return CSV_HELP_EN if (get_language() or "").startswith("en") else CSV_HELP_ZH


@dataclass
class _Row:
    line: int
    date: dt.date
    slot: str
    place: Place
    values: ItemValues
    says_tags: bool = True  # an empty tags cell keeps the dish's tags and allergens as they are


def _parse_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*", text or "")
    if not m:
        return None
    try:
        return check_date(dt.date(int(m[1]), int(m[2]), int(m[3])))
    except (ValueError, InputError):
        return None


class _CsvErrors(list):
    def add(self, line: int | None, column: str, message: Text) -> None:
        where = format_lazy(_("第 {line} 行"), line=line) if line else _("文件")
        entry: dict[str, Any] = field_error(column, format_lazy(_("{where}：{message}"), where=where, message=message))
        if line:
            entry = {"line": line, **entry}
        self.append(entry)


def _read_csv(street: Street, text: str, errors: _CsvErrors) -> list[_Row]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        errors.add(None, "file", _("文件是空的"))
        return []
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        errors.add(1, "header", _("无法读取列名"))
        return []
    columns = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        errors.add(
            1,
            "header",
            format_lazy(
                _("缺少列 {missing}（应为 {expected}）"), missing=", ".join(missing), expected=",".join(CSV_COLUMNS)
            ),
        )
        return []
    index = {c: columns.index(c) for c in CSV_COLUMNS}
    places = {p.external_id: p for p in Place.objects.filter(street=street).select_related("street")}
    rows: list[_Row] = []
    seen: dict[tuple[str, dt.date, str, str], int] = {}
    dish_flags: dict[tuple[str, str], tuple[int, tuple]] = {}
    line = 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            errors.add(reader.line_num, "file", format_lazy(_("无法解析：{error}"), error=e))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        cell = {c: (raw[i].strip() if i < len(raw) else "") for c, i in index.items()}
        ok = True
        for column, value in cell.items():  # linli.core.inputs' rules: the dish name is a label
            try:
                cell[column] = clean_text(value, label=column == "dish").strip()
            except InputError as exc:
                errors.add(line, column, exc.message)
                ok = False
        if any(extra.strip() for extra in raw[len(columns) :]):
            errors.add(
                line,
                "tags",
                format_lazy(
                    _("这一行比列名多 {extra} 列（标签之间请用 | 分隔，不要用逗号）"), extra=len(raw) - len(columns)
                ),
            )
            ok = False
        date = _parse_date(cell["date"])
        if date is not None and not _date_in_range(date) and date > timezone.localdate():
            errors.add(line, "date", format_lazy(_("日期 {date} 超过一年以后"), date=date))
            ok = False
        elif date is None:
            errors.add(
                line,
                "date",
                format_lazy(_("日期 {date} 无效，应为 2026-12-01"), date=repr(cell["date"])),
            )
            ok = False
        slot = SLOT_ALIASES.get(cell["slot"].lower())
        if slot is None:
            errors.add(
                line,
                "slot",
                format_lazy(_("餐次 {slot} 无效，应为 breakfast、lunch 或 dinner"), slot=repr(cell["slot"])),
            )
            ok = False
        place = places.get(cell["kitchen"])
        if place is None:
            errors.add(
                line,
                "kitchen",
                format_lazy(_("本街道没有编号为 {kitchen} 的点位"), kitchen=repr(cell["kitchen"])),
            )
            ok = False
        elif place.kind not in KITCHEN_KINDS:
            errors.add(
                line,
                "kitchen",
                format_lazy(_("{kitchen}（{name}）不是厨房或食堂"), kitchen=cell["kitchen"], name=place.name),
            )
            ok = False
        values, problems = validate_item(
            {
                "dish": cell["dish"],
                "price_fen": cell["price_fen"],
                "half_price_fen": cell["half_price_fen"],
                "daily_limit": cell["daily_limit"],
                "tags": TAG_SEPARATORS.split(cell["tags"]) if cell["tags"] else [],
            }
        )
        for column, message in problems:
            errors.add(line, column, message)
        if values is None or not ok:
            continue
        assert date is not None and slot is not None and place is not None
        key = (place.external_id, date, slot, values.dish)
        if key in seen:
            errors.add(
                line,
                "dish",
                format_lazy(_("与第 {line} 行重复（同一厨房、日期、餐次、菜名）"), line=seen[key]),
            )
            continue
        seen[key] = line
        says_tags = bool(cell["tags"])
        flags = (tuple(values.tags), tuple(values.allergens), values.is_set_meal)
        first = dish_flags.setdefault((place.external_id, values.dish), (line, flags)) if says_tags else (line, flags)
        if first[1] != flags:
            errors.add(
                line,
                "tags",
                format_lazy(
                    _("{dish} 的标签与第 {line} 行不同（同一菜品的标签、过敏原须一致）"),
                    dish=values.dish,
                    line=first[0],
                ),
            )
            continue
        rows.append(_Row(line=line, date=date, slot=slot, place=place, values=values, says_tags=says_tags))
    if not rows and not errors:
        errors.add(None, "file", _("文件里没有菜单行"))
    return rows


def menus_import(*, street: Street, text: str, actor: User | None = None, publish: bool = False) -> ImportResult:
    """Import a canteen's menu plan from CSV (see `CSV_HELP`); all or nothing.

    Every error is reported with its line number (`Problem("csv_invalid", errors=[{line, field, message}])`).
    Menus are created as drafts with the default cut-off; re-importing updates items by (kitchen, date, slot, dish);
    items not in the file stay. Menus whose cut-off has passed are refused. `publish`: then publish every menu of
    the file (`menus_publish_all`); if any day fails the rules (an elder canteen's small portions and elder set
    meal), nothing is imported or published."""
    if actor is not None:
        require_role(actor, street=street, roles=MENU_EDITOR_ROLES)
    errors = _CsvErrors()
    rows = _read_csv(street, text, errors)
    now = timezone.now()
    kitchens = {k.place_id: k for k in Kitchen.objects.filter(place__street=street).select_related("street", "place")}
    menus: dict[tuple[int, dt.date, str], Menu] = {}
    items: dict[tuple[int, str], MenuItem] = {}
    if rows:
        menu_q = Q()
        for r in rows:
            menu_q |= Q(kitchen__place_id=r.place.pk, date=r.date, slot=r.slot)
        for m in Menu.objects.filter(menu_q):
            menus[(m.kitchen.place_id, m.date, m.slot)] = m
        for it in MenuItem.objects.filter(menu__in=list(menus.values())).select_related("dish"):
            items[(it.menu_id, it.dish.name)] = it
    for r in rows:
        kitchen = kitchens.get(r.place.pk)
        menu = menus.get((r.place.pk, r.date, r.slot))
        if menu is not None:
            cutoff = menu.cutoff_at
            if menu.status == MenuStatus.LOCKED:
                cutoff = min(cutoff, now)
        else:
            probe = kitchen or Kitchen(place=r.place, street=street)
            cutoff = menu_cutoff_default(kitchen=probe, date=r.date, slot=r.slot)
        if cutoff <= now:
            errors.add(
                r.line,
                "date",
                format_lazy(_("{date} {slot} 已过截单时间，不能再修改"), date=r.date, slot=Slot(r.slot).label),
            )
            continue
        existing = items.get((menu.pk, r.values.dish)) if menu is not None else None
        if existing is not None and r.values.daily_limit is not None and existing.sold > r.values.daily_limit:
            errors.add(
                r.line,
                "daily_limit",
                format_lazy(_("已售出 {sold} 份，限量不能低于 {sold}"), sold=existing.sold),
            )
    if errors:
        raise Problem(
            "csv_invalid",
            detail=format_lazy(_("共 {count} 处错误，未写入任何数据"), count=len(errors)),
            errors=list(errors),
        )

    result = ImportResult()
    with transaction.atomic():
        for r in rows:
            kitchen = kitchens.get(r.place.pk)
            if kitchen is None:
                kitchen = kitchens[r.place.pk] = kitchen_for_place(place=r.place)
            mkey = (r.place.pk, r.date, r.slot)
            menu = menus.get(mkey)
            if menu is None:
                menu, _created = Menu.objects.get_or_create(
                    kitchen=kitchen,
                    date=r.date,
                    slot=r.slot,
                    defaults={"cutoff_at": menu_cutoff_default(kitchen=kitchen, date=r.date, slot=r.slot)},
                )
                menus[mkey] = menu
            menu = Menu.objects.select_for_update().get(pk=menu.pk)
            if menu_is_frozen(menu, now=timezone.now()):  # closed while we validated
                raise Problem(
                    "csv_invalid",
                    errors=[
                        {
                            "line": r.line,
                            "field": "date",
                            "message": format_lazy(_("第 {line} 行：已过截单时间"), line=r.line),
                        }
                    ],
                )
            existing = items.get((menu.pk, r.values.dish))
            if existing is None:
                dish = _dish_upsert(kitchen=kitchen, values=r.values, update_tags=r.says_tags)
                existing = MenuItem.objects.filter(menu=menu, dish=dish).first()
                if existing is None:
                    MenuItem.objects.create(
                        menu=menu,
                        dish=dish,
                        price_fen=r.values.price_fen,
                        half_price_fen=r.values.half_price_fen,
                        daily_limit=r.values.daily_limit,
                        is_elder_discount_set=r.values.is_elder_discount_set,
                        sort_order=r.line,
                    )
                    result.created += 1
                    continue
            dish = Dish.objects.get(pk=existing.dish_id)  # fresh: an earlier row may have set its tags
            dish_changed = r.says_tags and (dish.tags, dish.allergens, dish.is_set_meal) != (
                r.values.tags,
                r.values.allergens,
                r.values.is_set_meal,
            )
            new = {
                "price_fen": r.values.price_fen,
                "half_price_fen": r.values.half_price_fen,
                "daily_limit": r.values.daily_limit,
                "is_elder_discount_set": r.values.is_elder_discount_set,
            }
            item_changed = any(getattr(existing, k) != v for k, v in new.items())
            if dish_changed:
                _dish_upsert(kitchen=kitchen, values=r.values)
            if item_changed:
                limit_q = Q() if r.values.daily_limit is None else Q(sold__lte=r.values.daily_limit)
                if not MenuItem.objects.filter(limit_q, pk=existing.pk).update(**new):
                    raise Problem(
                        "csv_invalid",
                        errors=[
                            {
                                "line": r.line,
                                "field": "daily_limit",
                                "message": format_lazy(_("第 {line} 行：限量低于已售份数"), line=r.line),
                            }
                        ],
                    )
            if dish_changed or item_changed:
                result.updated += 1
            else:
                result.unchanged += 1
        if publish:
            published = menus_publish_all(menus={menus[(r.place.pk, r.date, r.slot)] for r in rows}, actor=actor)
            result.notes.append(f"已发布 published: {published} 份菜单 menus")
        AuditLog.objects.create(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            street=street,
            action="menus.import",
            object_type="menu",
            data={**result.as_dict(), "rows": len(rows)},
        )
    return result
