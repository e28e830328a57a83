"""Extension points care offers to domains beside it, without importing them: the 8-hour channel may name an item
of another catalogue (the affairs domain's, where it exists). A provider registers from its AppConfig.ready()
a function (item_ref, street) -> the item's label or None; care never imports it."""

from __future__ import annotations

from collections.abc import Callable

from linli.core.models import Street

VisitItemLabel = Callable[[str, Street], "str | None"]
_item_providers: dict[str, VisitItemLabel] = {}


def visit_item_register(key: str, label_of: VisitItemLabel) -> None:
    _item_providers[key] = label_of


def visit_item_label(item_ref: str, *, street: Street) -> str | None:
    """The label of `item_ref` from the first provider that knows it; None when none does (or none is
    registered: the request is then free text only)."""
    for label_of in _item_providers.values():
        label = label_of(item_ref, street)
        if label:
            return label
    return None
