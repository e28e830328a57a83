"""Coming back to a form after the session expired ("登录过期后回到刚才的页面，已选的内容还在").

A resident who chose dishes and a meal point, or who tapped "一键预约", and whose session expired meanwhile, sends a
POST that cannot be served: signed out (the view sends them to sign in), or with a CSRF token that no longer
matches (a new browser session, a sign-in in another tab). Either way the fields they sent are kept in the
session (`stash`) for that page; after signing in they land on the page again, and the page's forms are filled
with what they had chosen (`core/resume.js`, from `take`), with a notice to check and send it again. Nothing is
ever sent on their behalf: an order costs money.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

SESSION_KEY = "linli_resume"
MAX_AGE_SECONDS = 2 * 3600
MAX_FIELDS = 200
NOT_KEPT = {"csrfmiddlewaretoken"}


def stash(request: HttpRequest, path: str | None = None) -> bool:
    """Keep this POST's fields for `path` (default: the page posted to). False when there is nothing to keep."""
    if request.method != "POST" or not hasattr(request, "session"):
        return False
    try:
        fields = [
            [name, value] for name in request.POST for value in request.POST.getlist(name) if name not in NOT_KEPT
        ][:MAX_FIELDS]
    except Exception:  # noqa: BLE001 - an unreadable body (too large, malformed): nothing to keep
        fields = []
    request.session[SESSION_KEY] = {"path": path or request.path, "fields": fields, "at": int(time.time())}
    return True


def take(request: HttpRequest) -> dict[str, Any] | None:
    """The fields kept for this page, once (a GET of the same path within two hours), else None."""
    session = getattr(request, "session", None)
    if request.method != "GET" or session is None or SESSION_KEY not in session:
        return None
    kept = session.get(SESSION_KEY) or {}
    if kept.get("path") != request.path:
        return None
    del session[SESSION_KEY]
    if time.time() - kept.get("at", 0) > MAX_AGE_SECONDS:
        return None
    return {"path": kept["path"], "fields": kept.get("fields", [])}
