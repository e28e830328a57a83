"""Extension points of activities that higher domains register into from their `AppConfig.ready()` (activities
never imports them).

- `BOOKING_PANEL`: a fragment slot beside a live booking, on the activity's page and in "我的预约"; providers are
  called with `booking=` and `view=` ("detail" or "list") and return the URL of their fragment or None (meals
  registers the offer "顺便订午餐，送到活动地点").
"""

from __future__ import annotations

from linli.core.fragments import FragmentSlot

BOOKING_PANEL = FragmentSlot("activities.booking_panel")
