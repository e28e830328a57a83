"""Free text into the care tables: core's input rules, a refusal as a field's `validation_error`, a length cap."""

from __future__ import annotations

from linli.core.errors import Problem, field_error
from linli.core.inputs import InputError, clean_text


def text_in(value: str | None, *, field: str, max_len: int, label: bool = False) -> str:
    try:
        return clean_text(value or "", label=label).strip()[:max_len]
    except InputError as exc:
        raise Problem("validation_error", errors=[field_error(field, exc.message)]) from None
