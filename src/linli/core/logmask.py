"""Phone and ID numbers out of request logs: a logging filter on the servers' access loggers (uvicorn, gunicorn,
Django's) that masks them in every argument of a record, so a URL that still carries one (an old bookmark, a
partner's client) is logged as 138****5678. Searches by phone use POST; this is the net under that rule."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from linli.core.phones import mask_personal_text

ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access", "django.server", "django.request")


def _masked(value: Any) -> Any:
    return mask_personal_text(value) if isinstance(value, str) else value


class PersonalNumbersFilter(logging.Filter):
    """Masks mobile and ID numbers in a record's message and arguments (tuple or mapping, as uvicorn's and
    gunicorn's access records carry them), keeping their shape for the servers' formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_personal_text(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(v) for v in record.args)
        return True


def install() -> None:
    """Add the filter to the access loggers (once; their handlers stay as the servers set them up)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalNumbersFilter) for f in logger.filters):
            logger.addFilter(PersonalNumbersFilter())
