"""Fragment slots: where a lower domain's page shows a piece that a higher domain owns.

The lower domain declares a slot and renders `{% include "core/_fragments.html" with urls=... %}`; a higher domain
registers, from its `AppConfig.ready()`, a provider that returns the URL of a fragment it serves itself (its own
view and template), or None when it has nothing to show. The browser loads each URL with htmx (`hx-get`,
`hx-trigger="load"`) and the fragment replaces its placeholder, so the lower domain never imports the higher one.

    STREET_MAP = FragmentSlot("places.street_map")                        # in places/hooks.py
    STREET_MAP.register(lambda *, street, **_: reverse("activities:map_link", args=[street.code]))  # activities
    ctx["fragments"] = STREET_MAP.urls(street=street)                     # in the places view
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Provider = Callable[..., "str | None"]


class FragmentSlot:
    def __init__(self, name: str) -> None:
        self.name = name
        self._providers: dict[str, Provider] = {}

    def register(self, provider: Provider, *, key: str | None = None) -> None:
        """Add (or, for the same key, replace) a provider: `provider(**context) -> URL | None`."""
        self._providers[key or f"{provider.__module__}.{provider.__qualname__}"] = provider

    def urls(self, **context: Any) -> list[str]:
        """The fragment URLs for this page, in registration order."""
        return [url for provider in self._providers.values() if (url := provider(**context))]

    def __repr__(self) -> str:
        return f"FragmentSlot({self.name!r}, {len(self._providers)} providers)"
