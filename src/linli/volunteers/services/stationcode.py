"""The station's rotating check-in code, on the gates' model (linli.access: a token per 30-second window, signed
with the station's own key, shown as a QR code on the station's screen and refreshed before it expires).

A token is `<station id>.<window>.<signature>`; the signature is HMAC-SHA256 over "station:<id>:<window>" with the
station's key, cut to 16 base64url characters. A token is accepted in its window and the one after (a volunteer
who scanned it just before it rotated); older ones are refused as stale, bad signatures as invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time
from typing import Any

import segno
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.volunteers.models import Station

WINDOW_SECONDS = 30
GRACE_WINDOWS = 1


def _sign(station: Station, window: int) -> str:
    mac = hmac.new(bytes(station.code_key), f"station:{station.pk}:{window}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:16]


def station_token(station: Station, now: float | None = None) -> str:
    window = int((time.time() if now is None else now) // WINDOW_SECONDS)
    return f"{station.pk}.{window}.{_sign(station, window)}"


def station_code_url(station: Station, now: float | None = None) -> str:
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "")
    return f"{site}/volunteer/checkin/?t={station_token(station, now)}"


def station_code_qr(station: Station, now: float | None = None) -> dict[str, Any]:
    """The screen's current code: SVG, URL and seconds until the next one."""
    now = time.time() if now is None else now
    url = station_code_url(station, now)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False, omitsize=True)
    refresh = (int(now // WINDOW_SECONDS) + 1) * WINDOW_SECONDS - now
    return {"url": url, "svg": out.getvalue().decode(), "refresh_in": max(1.0, refresh), "station": station.pk}


def station_from_token(token: str, now: float | None = None) -> Station:
    """The station whose current code `token` is; Problem `station_code_invalid` or `station_code_stale`."""
    invalid = Problem("station_code_invalid", detail=_("这不是驿站的签到码，请扫描驿站屏幕上的二维码"))
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 12:
        raise invalid
    station = Station.objects.filter(pk=int(parts[0])).first()
    if station is None:
        raise invalid
    window = int(parts[1])
    if not hmac.compare_digest(_sign(station, window), parts[2]):
        raise invalid
    current = int((time.time() if now is None else now) // WINDOW_SECONDS)
    if window > current or current - window > GRACE_WINDOWS:
        raise Problem("station_code_stale", detail=_("签到码已过期，请重新扫描驿站屏幕上的二维码"))
    return station
