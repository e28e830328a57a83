"""What the management commands of every domain share: a Problem ends the command with its message on stderr
and exit status 1."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.management.base import CommandError

from linli.core.errors import Problem


def problems_exit_1(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a Problem into a CommandError: printed to stderr, exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Problem as problem:
            raise CommandError(str(problem), returncode=1) from problem

    return wrapper


def json_line(data: Any) -> str:
    """What `--json` prints: one JSON object on one line (UTF-8 text as is), for scripts: `| jq -r .secret`."""
    import json

    return json.dumps(data, ensure_ascii=False, default=str)
