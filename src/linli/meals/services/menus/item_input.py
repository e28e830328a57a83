"""Validating one menu item's input (dish name, prices in fen, limit, tags) into `ItemValues`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.inputs import INT_MAX, INT_MIN
from linli.meals.models import (
    Allergen,
    DishTag,
)
from linli.meals.services.menus.cutoffs import (
    MAX_DAILY_LIMIT,
    MAX_PRICE_FEN,
)

# What kitchens write besides the codes (in any case or width): Chinese labels and common synonyms.
TAG_WORDS: dict[str, str] = {
    **dict.fromkeys(("软烂", "软", "软食", "易嚼"), "soft"),
    **dict.fromkeys(("少盐", "低盐", "low salt", "low-salt"), "low_salt"),
    **dict.fromkeys(("少糖", "低糖", "low sugar", "low-sugar"), "low_sugar"),
    **dict.fromkeys(("少油", "低油", "low oil", "low-oil"), "low_oil"),
    **dict.fromkeys(("素", "素食", "素菜", "veg", "veggie"), "vegetarian"),
    **dict.fromkeys(("辣", "微辣", "香辣", "hot"), "spicy"),
    **dict.fromkeys(("清真",), "halal"),
    **dict.fromkeys(("套餐", "set meal"), "set"),
    **dict.fromkeys(("长者套餐", "长者优惠套餐", "老人套餐", "elder set", "elder-set"), "elder_set"),
}
ALLERGEN_WORDS: dict[str, str] = {
    **dict.fromkeys(("麸质", "含麸质谷物", "小麦", "面筋", "wheat"), "gluten"),
    **dict.fromkeys(("甲壳类", "虾", "蟹", "虾蟹", "shellfish"), "crustacean"),
    **dict.fromkeys(("鱼", "鱼类"), "fish"),
    **dict.fromkeys(("蛋", "鸡蛋", "蛋类", "eggs"), "egg"),
    **dict.fromkeys(("花生", "peanuts"), "peanut"),
    **dict.fromkeys(("大豆", "黄豆", "豆制品", "soya", "soybean"), "soy"),
    **dict.fromkeys(("乳", "奶", "牛奶", "乳制品", "dairy"), "milk"),
    **dict.fromkeys(("坚果", "树坚果", "tree nut", "nuts"), "tree_nut"),
    **dict.fromkeys(("芝麻",), "sesame"),
}
_ALLERGEN_PREFIXES = ("allergen:", "过敏原:", "过敏:", "含")
TAG_SEPARATORS = re.compile(r"[|｜、;；]")


def _allergen(word: str) -> str | None:
    word = word.strip().lower().replace(" ", "_")
    if word in Allergen.values:
        return word
    return ALLERGEN_WORDS.get(word.replace("_", " ")) or ALLERGEN_WORDS.get(word)


def split_tags(values: Iterable[str]) -> tuple[list[str], list[str], bool, bool, list[str]]:
    """Split tag codes into (dish tags, allergens, is_set_meal, is_elder_discount_set, unknown codes).

    Accepted: the `DishTag` codes, `allergen:<Allergen code>`, `set` (a set meal 套餐) and `elder_set` (the
    discounted elder set meal 长者优惠套餐, which is a set meal too), in any case or width, and their Chinese labels
    and common synonyms (`TAG_WORDS`; allergens as `过敏原:花生`, `含花生` or `allergen:peanut`). An unknown word is
    refused, not kept: tags drive the elder-canteen rules and allergen warnings, so a misspelt allergen must not
    slip through as free text."""
    tags: list[str] = []
    allergens: list[str] = []
    is_set = is_elder_set = False
    unknown: list[str] = []
    for raw in values:
        code = unicodedata.normalize("NFKC", str(raw)).strip()
        if not code:
            continue
        low = code.lower()
        low = TAG_WORDS.get(low, low)
        prefix = next((p for p in _ALLERGEN_PREFIXES if low.startswith(p) and len(low) > len(p)), None)
        if prefix == "含" and _allergen(low[1:]) is None:
            prefix = None  # "含" starts other words too
        if prefix is not None:
            a = _allergen(low[len(prefix) :]) or low[len(prefix) :].strip()
            if a in Allergen.values:
                if a not in allergens:
                    allergens.append(a)
            else:
                unknown.append(code)
        elif low == "set":
            is_set = True
        elif low == "elder_set":
            is_set = is_elder_set = True
        elif low in DishTag.values:
            if low not in tags:
                tags.append(low)
        else:
            unknown.append(code)
    return tags, allergens, is_set, is_elder_set, unknown


def _unknown_tag_message(unknown: Sequence[str]) -> Text:
    allowed = ", ".join([*DishTag.values, "set", "elder_set", "allergen:<" + "/".join(Allergen.values) + ">"])
    joined = ", ".join(unknown)
    return format_lazy(_("未知的标签 {joined}（可用：{allowed}）"), joined=joined, allowed=allowed)


@dataclass
class ItemValues:
    """Validated values of one menu item (prices in fen)."""

    dish: str
    price_fen: int
    half_price_fen: int | None = None
    daily_limit: int | None = None
    tags: list[str] = field(default_factory=list)
    allergens: list[str] = field(default_factory=list)
    is_set_meal: bool = False
    is_elder_discount_set: bool = False
    components: str = ""
    description: str = ""


def _int_or_none(value: Any) -> tuple[int | None, bool]:
    """(value, ok): None/'' → (None, True); an int or an integral string → (int, True); else (None, False)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and INT_MIN <= value <= INT_MAX:  # linli.core.inputs: a 64-bit column
        return value, True
    return None, False


def validate_item(data: Mapping[str, Any], prefix: str = "") -> tuple[ItemValues | None, list[tuple[str, Text]]]:
    """Check one item's input (dish name, prices in fen, limit, tags); return the values or (field, message) errors.

    `tags` may hold DishTag codes, `allergen:<code>`, `set` and `elder_set`; `allergens` plain allergen codes;
    `is_set_meal` / `is_elder_discount_set` booleans (either way of saying it is accepted)."""
    problems: list[tuple[str, Text]] = []
    name = data.get("dish")
    if not isinstance(name, str) or not name.strip():
        problems.append((f"{prefix}dish", _("缺少菜名")))
        name = ""
    elif len(name.strip()) > 100:
        problems.append((f"{prefix}dish", _("菜名超过 100 个字")))
    price, ok = _int_or_none(data.get("price_fen"))
    if not ok or price is None:
        problems.append((f"{prefix}price_fen", _("价格必须是整数（单位：分）")))
        price = None
    elif not 1 <= price <= MAX_PRICE_FEN:
        problems.append(
            (
                f"{prefix}price_fen",
                format_lazy(_("价格应在 1 到 {max} 分之间（单位是分，12 元写 1200）"), max=MAX_PRICE_FEN),
            )
        )
        price = None
    half, ok = _int_or_none(data.get("half_price_fen"))
    if not ok:
        problems.append(
            (
                f"{prefix}half_price_fen",
                _("半份价格必须是整数（单位：分）"),
            )
        )
        half = None
    elif half is not None and half < 1:
        problems.append((f"{prefix}half_price_fen", _("半份价格必须大于 0")))
        half = None
    elif half is not None and price is not None and half >= price:
        problems.append(
            (
                f"{prefix}half_price_fen",
                format_lazy(_("半份价格 {half} 分应低于整份价格 {price} 分"), half=half, price=price),
            )
        )
    limit, ok = _int_or_none(data.get("daily_limit"))
    if not ok or (limit is not None and not 1 <= limit <= MAX_DAILY_LIMIT):
        problems.append(
            (
                f"{prefix}daily_limit",
                _("每日限量必须是正整数（不限量请留空）"),
            )
        )
        limit = None
    raw_tags = data.get("tags") or []
    if isinstance(raw_tags, str):
        raw_tags = raw_tags.split("|")
    raw_allergens = data.get("allergens") or []
    if not isinstance(raw_tags, list | tuple) or not isinstance(raw_allergens, list | tuple):
        problems.append((f"{prefix}tags", _("标签必须是列表")))
        raw_tags, raw_allergens = [], []
    tags, allergens, is_set, is_elder_set, unknown = split_tags(
        [*map(str, raw_tags), *(f"allergen:{a}" for a in raw_allergens)]
    )
    if unknown:
        problems.append((f"{prefix}tags", _unknown_tag_message(unknown)))
    is_elder_set = is_elder_set or bool(data.get("is_elder_discount_set"))
    is_set = is_set or is_elder_set or bool(data.get("is_set_meal"))
    for key, limit_len in (("components", 300), ("description", 300)):
        v = data.get(key) or ""
        if not isinstance(v, str) or len(v) > limit_len:
            problems.append(
                (
                    f"{prefix}{key}",
                    format_lazy(_("{key} 必须是不超过 {limit_len} 字的文字"), key=key, limit_len=limit_len),
                )
            )
    if problems:
        return None, problems
    return (
        ItemValues(
            dish=name.strip(),
            price_fen=price,  # type: ignore[arg-type]
            half_price_fen=half,
            daily_limit=limit,
            tags=tags,
            allergens=allergens,
            is_set_meal=is_set,
            is_elder_discount_set=is_elder_set,
            components=(data.get("components") or "").strip(),
            description=(data.get("description") or "").strip(),
        ),
        [],
    )


def _raise_validation(problems: list[tuple[str, Text]]) -> None:
    if problems:
        raise Problem("validation_error", errors=[field_error(f, message) for f, message in problems])
