"""What every answer builder gets: the parsed question, the street, its lexicon, the resident's location, the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.assistant.engine.intents import Parsed
from linli.assistant.engine.matching import Entity, Lexicon
from linli.core.local_time import WEEKDAYS, day_names
from linli.core.models import Street


@dataclass
class Ctx:
    parsed: Parsed
    street: Street
    lex: Lexicon
    lat: float | None
    lng: float | None
    now: dt.datetime  # aware, Asia/Shanghai
    lang: str

    @property
    def en(self) -> bool:
        return self.lang.startswith("en")

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def day_label(self, day: dt.date) -> str:
        weekday = day_names()[WEEKDAYS[day.weekday()]]  # 周一, Mon
        if self.en:
            return f"{weekday} {day:%d %b}"
        return f"{day.month}月{day.day}日（{weekday}）"

    def origin(self) -> tuple[float, float, str, Entity | None]:
        """Where "nearest" is measured from: a named road/compound/place, the resident's location, the centre."""
        for kind in ("road", "compound"):
            ents = self.parsed.entities(kind)
            if ents and ents[0].lat is not None:
                return ents[0].lat, ents[0].lng, ents[0].name, ents[0]  # type: ignore[return-value]
        if self.lat is not None and self.lng is not None:
            return self.lat, self.lng, pgettext("assistant", "您的位置"), None
        lat = self.street.center_lat if self.street.center_lat is not None else 31.2304
        lng = self.street.center_lng if self.street.center_lng is not None else 121.4737
        return lat, lng, _("街道中心"), None

    def pick(self, zh: str, en: str) -> str:
        """Punctuation and small glue that differ between Chinese and English text."""
        return en if self.en else zh

    def items(self, parts: list[str]) -> str:
        return self.pick("；", "; ").join(parts)

    def stop(self) -> str:
        return self.pick("。", ". ")

    def labelled(self, label: str, text: str) -> str:
        return f"{label}{self.pick('：', ': ')}{text}"

    def bracket(self, text: str) -> str:
        return self.pick(f"（{text}）", f" ({text})")

    def hotline(self) -> str:
        return self.street.hotline or ""


def join(items: list[str], en: bool) -> str:
    return ", ".join(items) if en else "、".join(items)
