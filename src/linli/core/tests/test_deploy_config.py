"""deploy/nginx.conf matches what the README promises: uploaded photos only through permission-checked views."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

NGINX = Path(settings.BASE_DIR).parent.parent / "deploy" / "nginx.conf"


def _locations(text: str) -> dict[str, str]:
    """Each `location PREFIX { ... }` block's body (one level of braces, as the file is written)."""
    text = re.sub(r"#[^\n]*", "", text)
    return {m.group(1): m.group(2) for m in re.finditer(r"location\s+([^\s{]+)\s*\{([^{}]*)\}", text)}


def test_nginx_never_serves_uploaded_media_from_disk():
    text = NGINX.read_text()
    media_root = str(settings.MEDIA_ROOT.name)  # "media" under the var directory
    for prefix, body in _locations(text).items():
        if re.search(r"\b(alias|root)\b", body):
            assert f"/{media_root}" not in body, f"location {prefix} serves the media directory: {body.strip()}"
    media = _locations(text).get("/media/")
    assert media is not None and re.search(r"return\s+404", media), "nginx must refuse /media/ outright"
