"""Gates: registration (the device secret is returned once and never stored), changes, the display link, the
online state and the heartbeats the wire side records, and property managers' assignment to compounds."""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.access.gatewire import protocol
from linli.access.models import CompoundManager, Gate, Transport
from linli.core.errors import Problem, field_error
from linli.core.models import Compound, Role, User
from linli.core.services import audit_log, role_assign

OFFLINE_AFTER_SECONDS = 90
DISPLAY_KEY_BYTES = 32  # 43 base64url characters


def gate_online(gate: Gate, now: datetime | None = None) -> bool:
    """A gate is online when its last heartbeat is at most OFFLINE_AFTER_SECONDS old."""
    if gate.last_heartbeat_at is None:
        return False
    now = now or timezone.now()
    return now - gate.last_heartbeat_at <= timedelta(seconds=OFFLINE_AFTER_SECONDS)


def site_url() -> str:
    return str(getattr(settings, "LINLI_SITE_URL", "") or "http://127.0.0.1:8000")


def gate_qr_url(gate: Gate, now: float | None = None) -> tuple[str, float]:
    """The QR code's URL for the current window and when that token stops being accepted (unix seconds)."""
    now = time.time() if now is None else now
    token = protocol.make_gate_token(gate.public_id, bytes(gate.token_key), now)
    return protocol.gate_url(site_url(), token), protocol.token_expires_at(protocol.token_window(now))


@dataclass(frozen=True)
class NewGate:
    gate: Gate
    secret: str  # the device secret, base64url: shown once


def _clean(name: str, device_id: str, transport: str) -> tuple[str, str]:
    name, device_id = (name or "").strip(), (device_id or "").strip()
    errors = []
    if not name or len(name) > 60:
        errors.append(field_error("name", _("请填写门禁名称（不超过60字）")))
    if len(device_id) > 64:
        errors.append(field_error("device_id", _("设备编号过长")))
    if transport not in Transport.values:
        errors.append(field_error("transport", _("连接方式只能是 mqtt 或 http")))
    if errors:
        raise Problem("validation_error", errors=errors)
    return name, device_id


def gate_create(
    *, compound: Compound, name: str, device_id: str = "", transport: str = Transport.MQTT, actor: User | None
) -> NewGate:
    """Register a gate; returns it with its device secret (the platform keeps only the derived keys)."""
    name, device_id = _clean(name, device_id, transport)
    secret = protocol.new_device_secret()
    token_key, command_key = protocol.derive_keys(secret)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                gate = Gate.objects.create(
                    public_id=protocol.new_gate_public_id(),
                    street_id=compound.street_id,
                    compound=compound,
                    name=name,
                    device_id=device_id,
                    token_key=token_key,
                    command_key=command_key,
                    transport=transport,
                )
                audit_log(
                    actor=actor,
                    action="access.gate_create",
                    street=compound.street,
                    obj=gate,
                    data={"compound": compound.external_id, "name": name, "device_id": device_id},
                )
            return NewGate(gate=gate, secret=secret)
        except IntegrityError as exc:
            if device_id and Gate.objects.filter(compound=compound, device_id=device_id).exists():
                raise Problem(
                    "validation_error",
                    errors=[field_error("device_id", _("该设备编号已登记"))],
                ) from exc
    raise Problem("server_error")  # pragma: no cover - five public-id collisions in 60 random bits


@transaction.atomic
def gate_update(
    *,
    gate: Gate,
    actor: User | None,
    name: str | None = None,
    device_id: str | None = None,
    transport: str | None = None,
    active: bool | None = None,
) -> Gate:
    new_name, new_device = _clean(
        gate.name if name is None else name,
        gate.device_id if device_id is None else device_id,
        gate.transport if transport is None else transport,
    )
    gate.name, gate.device_id = new_name, new_device
    if transport is not None:
        gate.transport = transport
    if active is not None:
        gate.active = active
    try:
        with transaction.atomic():
            gate.save(update_fields=["name", "device_id", "transport", "active"])
    except IntegrityError as exc:
        raise Problem(
            "validation_error",
            errors=[field_error("device_id", _("该设备编号已登记"))],
        ) from exc
    audit_log(
        actor=actor,
        action="access.gate_update",
        street=gate.street,
        obj=gate,
        data={"name": gate.name, "device_id": gate.device_id, "transport": gate.transport, "active": gate.active},
    )
    return gate


@transaction.atomic
def gate_rekey(*, gate: Gate, actor: User | None) -> str:
    """A new device secret (the old one stops working at once: tokens, commands and events); returned once."""
    secret = protocol.new_device_secret()
    token_key, command_key = protocol.derive_keys(secret)
    Gate.objects.filter(pk=gate.pk).update(token_key=token_key, command_key=command_key)
    gate.token_key, gate.command_key = token_key, command_key
    audit_log(actor=actor, action="access.gate_rekey", street=gate.street, obj=gate)
    return secret


@transaction.atomic
def gate_display_link_create(*, gate: Gate, actor: User | None) -> str:
    """A new display key (the previous link stops working)."""
    key = secrets.token_urlsafe(DISPLAY_KEY_BYTES)
    Gate.objects.filter(pk=gate.pk).update(display_key=key)
    gate.display_key = key
    audit_log(actor=actor, action="access.display_link_create", street=gate.street, obj=gate)
    return key


@transaction.atomic
def gate_display_link_revoke(*, gate: Gate, actor: User | None) -> None:
    Gate.objects.filter(pk=gate.pk).update(display_key=None)
    gate.display_key = None
    audit_log(actor=actor, action="access.display_link_revoke", street=gate.street, obj=gate)


def gate_heartbeat(*, public_id: str, at: datetime | None = None) -> bool:
    """Record a verified heartbeat (the wire side calls this, or updates the same columns itself)."""
    at = at or timezone.now()
    return bool(Gate.objects.filter(public_id=public_id).update(last_heartbeat_at=at, last_event_at=at))


# ------------------------------------------------------------------------------------ compound managers


@transaction.atomic
def compound_manager_add(*, compound: Compound, user: User, actor: User | None) -> CompoundManager:
    """Put a property manager in charge of a compound (they get the street's property_manager role too)."""
    role_assign(user=user, street=compound.street, role=Role.PROPERTY_MANAGER, actor=actor)
    row, _created = CompoundManager.objects.get_or_create(user=user, compound=compound)
    audit_log(
        actor=actor,
        action="access.manager_add",
        street=compound.street,
        obj=compound,
        data={"user": user.pk},
    )
    return row


@transaction.atomic
def compound_manager_remove(*, compound: Compound, user: User, actor: User | None) -> bool:
    deleted, _ = CompoundManager.objects.filter(user=user, compound=compound).delete()
    if deleted:
        audit_log(
            actor=actor, action="access.manager_remove", street=compound.street, obj=compound, data={"user": user.pk}
        )
    return bool(deleted)


def gate_dict(gate: Gate, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": gate.public_id,
        "name": gate.name,
        "device_id": gate.device_id,
        "compound": {"id": gate.compound_id, "external_id": gate.compound.external_id, "name": gate.compound.name},
        "transport": gate.transport,
        "active": gate.active,
        "online": gate_online(gate, now),
        "last_heartbeat_at": gate.last_heartbeat_at.isoformat() if gate.last_heartbeat_at else None,
        "display_link": bool(gate.display_key),
    }


def gate_qr(gate: Gate, now: float | None = None) -> dict[str, Any]:
    """The display's current QR code (SVG), its URL, when it stops working and when to fetch the next one."""
    now = time.time() if now is None else now
    url, expires_at = gate_qr_url(gate, now)
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, omitsize=True, title="扫码开门 scan to open"
    )
    window_end = (protocol.token_window(now) + 1) * protocol.TOKEN_WINDOW_SECONDS
    return {
        "url": url,
        "svg": out.getvalue().decode("utf-8"),
        "expires_at": expires_at,
        "refresh_in": max(1.0, window_end - now),
        "online": gate_online(gate),
        "gate": gate.public_id,
    }
