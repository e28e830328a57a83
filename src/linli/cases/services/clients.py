"""Open311 client API keys: issue (shown once), look up, list and revoke.

A key is `o311_` + 43 URL-safe characters. Only its SHA-256 digest is stored; the first 12 characters (the
`prefix`) identify it in lists and in `linli open311 key revoke --prefix`. A key belongs to one street (one
Open311 jurisdiction): it is refused for any other street, and at once when revoked.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Open311Client
from linli.core.errors import Problem, field_error
from linli.core.models import Street, User
from linli.core.services import audit_log

KEY_PREFIX = "o311_"
PREFIX_LENGTH = 12  # Open311Client.prefix max_length


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def client_create(*, street: Street, name: str, actor: User | None = None) -> tuple[Open311Client, str]:
    """Register an Open311 client of `street` and issue its key. Returns (client, raw key); the raw key is not
    stored and cannot be shown again."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Problem(
            "validation_error",
            detail=_("客户端名称必填，且不超过 100 个字"),
            errors=[field_error("name", _("必填，最长 100 字"))],
        )
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client.objects.create(
        street=street,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        digest=key_digest(raw),
        created_by=actor if actor is not None and getattr(actor, "pk", None) else None,
    )
    audit_log(actor=actor, action="open311.key.create", street=street, obj=client, data={"prefix": client.prefix})
    return client, raw


def client_for_key(raw: str | None, street: Street) -> Open311Client | None:
    """The active client of `street` whose key is `raw`; None for a missing, unknown, revoked or other-street key."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    return Open311Client.objects.filter(digest=key_digest(raw), street=street, revoked_at__isnull=True).first()


@transaction.atomic
def client_revoke(*, street: Street, prefix: str, actor: User | None = None) -> int:
    """Revoke the street's active keys with this prefix; return how many were revoked (0 if none matched)."""
    prefix = (prefix or "").strip().rstrip("…")
    if not prefix:
        raise Problem("validation_error", detail=_("请给出密钥前缀"))
    qs = Open311Client.objects.filter(street=street, prefix=prefix, revoked_at__isnull=True)
    ids = list(qs.values_list("id", flat=True))
    count = Open311Client.objects.filter(id__in=ids, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if count:
        audit_log(actor=actor, action="open311.key.revoke", street=street, data={"prefix": prefix, "count": count})
    return count


def client_list(*, street: Street) -> QuerySet[Open311Client]:
    """Every client of the street, active and revoked, oldest first."""
    return Open311Client.objects.filter(street=street).order_by("created_at", "id")
