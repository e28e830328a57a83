"""Translation helpers: every user-facing string is a zh-Hans msgid through gettext (English in
locale/en/LC_MESSAGES/django.po); these render lazy strings in a given language and look up choice labels."""

from __future__ import annotations

import functools
from typing import Any, TypeAlias

from django.db import models
from django.utils import translation
from django.utils.functional import Promise, lazy

# A user-facing message: a lazy translation, or a plain string that needs none (a name, a parser's own text).
Text: TypeAlias = str | Promise


def in_language(text: Any, lang: str) -> str:
    """One message rendered in a language (`zh-hans`, `en`)."""
    with translation.override(lang):
        return str(text)


def both_languages(text: Any) -> str:
    """`中文 / English` for the CLI and logs; one of them when the two are the same (nothing to translate)."""
    zh, en = in_language(text, "zh-hans"), in_language(text, "en")
    return zh if zh == en else f"{zh} / {en}"


def _join(parts: list[Any], separator: Any) -> str:
    return str(separator).join(str(p) for p in parts)


_join_lazy = lazy(_join, str)


def join_lazy(parts: list[Any], separator: Text) -> Text:
    """Messages joined by a (translated) separator, rendered in the language active when shown."""
    return _join_lazy(list(parts), separator)


def rendered(value: Any) -> Any:
    """`value` with every lazy string in it rendered in the active language (dicts, lists and tuples walked)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {k: rendered(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rendered(v) for v in value]
    return value


def choice_label(choices: type[models.Choices], value: Any) -> Text:
    """The (lazy) label of a choices value; the value itself when it is not one of them."""
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def choice_label_in(choices: type[models.Choices], value: Any, lang: str) -> str:
    """The label of a choices value rendered in `lang`, for answers that carry a fixed language (an API's
    `*_en` field); cached, as the catalogue does not change while the process runs."""
    return _labels_in(choices, lang).get(value, str(value))


@functools.cache
def _labels_in(choices: type[models.Choices], lang: str) -> dict[Any, str]:
    with translation.override(lang):
        return {value: str(label) for value, label in choices.choices}


def is_english() -> bool:
    return (translation.get_language() or "").startswith("en")


# A day (and a time) as a page shows it: Chinese month and day, or the English short month.
DAY_FORMATS = {"zh": ("n月j日", "n月j日 H:i"), "en": ("M j", "M j, H:i")}
WEEKDAY_FORMATS = {"zh": ("n月j日 l", "n月j日 l H:i"), "en": ("l, M j", "l, M j, H:i")}


def local_date(value: Any, *, time: bool = False, weekday: bool = False) -> str:
    """`12月7日` (`12月7日 09:30`) or `Dec 7` (`Dec 7, 09:30`) in the active language; "" for no value. An aware
    datetime is shown in the local time zone, as Django's `date` filter does."""
    import datetime as dt

    from django.utils import dateformat, timezone

    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    fmt = (WEEKDAY_FORMATS if weekday else DAY_FORMATS)["en" if is_english() else "zh"][1 if time else 0]
    return dateformat.format(value, fmt)


def local_name(row: Any, field: str = "name") -> Any:
    """A row's name in the active language: its English twin (`<field>_en`) on an English page when it has one,
    else the Chinese (`<field>`, or `<field>_zh`). Works on model instances and on dicts."""

    def get(key: str) -> Any:
        return row.get(key) if isinstance(row, dict) else getattr(row, key, None)

    if row is None:
        return ""
    chinese = get(field)
    if chinese is None:
        chinese = get(f"{field}_zh")
    if is_english():
        english = get(f"{field}_en")
        if english:
            return english
    return chinese if chinese is not None else ""


def local_name_lazy(row: Any, field: str = "name") -> Any:
    """`local_name`, read when the text is rendered (in a lazy message built before the reader's language is
    known, such as a Problem's detail)."""
    return lazy(lambda: str(local_name(row, field)), str)()
