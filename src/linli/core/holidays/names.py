"""Names of China's statutory holidays: the Chinese name, the English name chinese-calendar uses, and the ways
people write them in a notice, a spreadsheet or a calendar file."""

from __future__ import annotations

import unicodedata

# (Chinese name, chinese-calendar's English name, other spellings)
HOLIDAY_NAMES: list[tuple[str, str, tuple[str, ...]]] = [
    ("元旦", "New Year's Day", ("元旦节", "新年", "new year", "new years day", "new year day")),
    ("春节", "Spring Festival", ("春节假期", "过年", "chinese new year", "lunar new year")),
    ("清明节", "Tomb-sweeping Day", ("清明", "qingming", "qingming festival", "tomb sweeping day")),
    ("劳动节", "Labour Day", ("五一", "五一劳动节", "国际劳动节", "labor day", "may day")),
    ("端午节", "Dragon Boat Festival", ("端午", "duanwu")),
    ("中秋节", "Mid-autumn Festival", ("中秋", "mid autumn festival", "moon festival")),
    ("国庆节", "National Day", ("国庆", "十一", "国庆假期")),
    ("中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日", "Anti-Fascist 70th Day", ("抗战胜利纪念日",)),
]


def _key(text: str) -> str:
    """Case-, width- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


_BY_KEY: dict[str, tuple[str, str]] = {}
for _zh, _en, _others in HOLIDAY_NAMES:
    for _word in (_zh, _en, *_others):
        _BY_KEY[_key(_word)] = (_zh, _en)


def canonical_name(text: str) -> tuple[str, str]:
    """(Chinese name, English name) of a holiday written any known way; an unknown name is kept as written."""
    text = (text or "").strip()
    found = _BY_KEY.get(_key(text))
    if found:
        return found
    # "国庆节放假", "国庆节、中秋节" ...: the first known name inside the text.
    key = _key(text)
    for word_key, names in sorted(_BY_KEY.items(), key=lambda kv: -len(kv[0])):
        if len(word_key) >= 2 and word_key in key:
            return names
    return text, text


def name_zh(name_en: str) -> str:
    """The Chinese name of a holiday given chinese-calendar's English name (unknown names unchanged)."""
    return canonical_name(name_en)[0]
