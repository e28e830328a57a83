"""Built into every template (settings.TEMPLATES builtins): dates and translated names in the page's language.

- `{{ day|month_day }}` → 12月7日 / Dec 7; `{{ moment|month_day_time }}` → 12月7日 09:30 / Dec 7, 09:30;
  `weekday_day` (`weekday_day_time`) → 12月7日 星期一 / Monday, Dec 7
  (no "12月7日" on an English page: Django's `date:"n月j日"` does not change with the language);
- `{{ row|local:"name" }}` → the row's English twin (`name_en`) on an English page when it has one, else its
  Chinese name (`name`, or `name_zh`): streets, service and case categories, pricing tiers.
"""

from __future__ import annotations

from typing import Any

from django import template

from linli.core.i18n import local_date, local_name

register = template.Library()


@register.filter
def month_day(value: Any) -> str:
    return local_date(value, time=False)


@register.filter
def month_day_time(value: Any) -> str:
    return local_date(value, time=True)


@register.filter
def weekday_day(value: Any) -> str:
    return local_date(value, weekday=True)


@register.filter
def weekday_day_time(value: Any) -> str:
    return local_date(value, time=True, weekday=True)


@register.filter
def local(row: Any, field: str = "name") -> Any:
    return local_name(row, field)
