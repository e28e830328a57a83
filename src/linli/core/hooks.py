"""Extension points of core that higher domains register into from their `AppConfig.ready()` (core never imports
them).

- `ME_PANEL`: a fragment slot on the "我的" page; providers are called with `user=` and return the URL of their
  fragment or None (meals registers "我的长者优惠", the elder tier the resident's birth year gives them).
"""

from __future__ import annotations

from linli.core.fragments import FragmentSlot

ME_PANEL = FragmentSlot("core.me_panel")
