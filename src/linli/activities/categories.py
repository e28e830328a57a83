"""iCalendar CATEGORIES are free text (RFC 5545 §3.8.1.2): the words partners write are mapped to the platform's
activity categories (codes, Chinese and English labels, common synonyms); every other word is kept as a tag."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from linli.activities.models import Category
from linli.core.i18n import choice_label_in
from linli.core.lenient import norm

MAX_TAG_LENGTH = 40

# Words people use for each category besides its code and labels.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "lecture": ("讲堂", "报告会", "讲座活动", "宣讲", "talk", "talks", "seminar", "lectures"),
    "culture": ("文艺", "文化活动", "书画", "读书会", "合唱", "戏曲", "art", "arts", "cultural"),
    "health": ("义诊", "体检", "养生", "健康讲座", "医疗", "medical", "wellness", "healthcare"),
    "party_affairs": ("党课", "主题党日", "党员活动", "党建活动", "party", "party building"),
    "skills_training": (
        "培训",
        "职业培训",
        "就业培训",
        "技能",
        "training",
        "skills",
        "workshop",
        "vocational training",
    ),
    "volunteering": ("志愿", "志愿者", "志愿活动", "volunteer", "volunteers"),
    "children": ("亲子", "儿童", "少儿", "青少年", "kids", "family", "families"),
    "market": ("集市", "便民市集", "义卖", "fair", "bazaar", "markets"),
    "sports": ("体育", "健身", "运动健身", "sport", "fitness", "exercise"),
    "other": ("其它", "misc", "miscellaneous"),
}


def _key(word: str) -> str:
    return " ".join(norm(word).casefold().replace("_", " ").replace("-", " ").split())


@functools.cache
def category_lookup() -> dict[str, str]:
    """Every known way of writing a category (case-, width- and separator-insensitive) → its code."""
    table: dict[str, str] = {}
    for code in Category.values:
        # the labels in both languages, whatever language is active while importing
        zh, en = choice_label_in(Category, code, "zh-hans"), choice_label_in(Category, code, "en")
        for word in (code, zh, en, *SYNONYMS.get(code, ())):
            table[_key(word)] = code
    return table


@dataclass
class Categorised:
    category: str = Category.OTHER
    tags: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # the words kept as tags because no category matched


def categorise(words: list[str]) -> Categorised:
    """The first word naming a category gives the category; every other word (a second category too) is a tag."""
    table = category_lookup()
    out = Categorised()
    found = False
    for raw in words:
        word = norm(raw)[:MAX_TAG_LENGTH]
        if not word:
            continue
        code = table.get(_key(word))
        if code is not None and not found:
            out.category, found = code, True
            continue
        tag = code or word
        if tag not in out.tags:
            out.tags.append(tag)
        if code is None and word not in out.unknown:
            out.unknown.append(word)
    return out
