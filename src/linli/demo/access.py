"""The sample street's gate access: gates on some of Wanli's compounds, the demo property manager in charge of
them, two delivery partners, verified demo riders (and one suspended), and a policy per compound.

The platform keeps no device secret, so the demo writes the demo gates' secrets to `var/demo-gates.json`
(`{"gates": [{"public_id", "secret", "compound", "name", "street"}]}`) for `linli gate-sim --gate ID`. Idempotent:
a gate whose secret is in the file and still matches keeps it; any other demo gate gets a new secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from linli.access.gatewire import protocol
from linli.access.models import CompoundManager, CredentialStatus, Gate, RiderCredential
from linli.access.services import gates as gate_services
from linli.access.services import policy as policy_services
from linli.access.services import riders as rider_services
from linli.core.models import Compound, Street, User
from linli.core.services import user_get_or_create

# (compound external id, gate name, device id)
GATES = [
    ("wl-cmp-002", "南门", "WLC1-S"),
    ("wl-cmp-002", "北门", "WLC1-N"),
    ("wl-cmp-003", "正门", "WLC2-M"),
    ("wl-cmp-005", "东门", "WLC4-E"),
    ("wl-cmp-007", "1号门", "XHMZ-1"),
]
# (compound external id, hours, partner codes, max per hour)
POLICIES = [
    ("wl-cmp-002", "", [], 20),
    ("wl-cmp-003", "06:00-23:30", [], 12),
    ("wl-cmp-005", "22:00-06:00", ["eleme"], 6),  # night-only, one partner: shows the rules at work
    ("wl-cmp-007", "", ["eleme", "meituan"], None),
]
PARTNERS = [("eleme", "饿了么"), ("meituan", "美团")]
# (phone, real name, partner code, suspended). The verified real name is the rider's one name everywhere (meals'
# runs, the gate, cases): verification writes it into the person's display name.
RIDERS = [
    ("13800000008", "张召（示例骑手）", "eleme", False),  # the demo rider account (ACCOUNTS["rider"])
    ("13800000081", "王磊（示例骑手）", "meituan", False),
    ("13800000082", "刘强（示例骑手）", "meituan", True),
]
MANAGER_PHONE = "+8613800000006"  # the demo property manager (ACCOUNTS["property_manager"])
MANAGED = ["wl-cmp-002", "wl-cmp-003", "wl-cmp-005"]


@dataclass
class AccessDemo:
    gates: list[dict[str, Any]] = field(default_factory=list)
    riders: list[tuple[str, str, str]] = field(default_factory=list)
    file: Path = field(default_factory=lambda: demo_gates_file())


def demo_gates_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-gates.json"


def _known_secrets(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    items = data.get("gates", []) if isinstance(data, dict) else []
    return {i["public_id"]: i["secret"] for i in items if isinstance(i, dict) and "public_id" in i and "secret" in i}


def demo_access_load(*, street: Street, stdout: Any = None) -> AccessDemo:
    result = AccessDemo(file=demo_gates_file())
    known = _known_secrets(result.file)
    compounds = {c.external_id: c for c in Compound.objects.filter(street=street)}
    with transaction.atomic():
        for code, name in PARTNERS:
            made, _ = rider_services.partner_get_or_create(street=street, name=name)
            if made.code != code:
                made.code = code
                made.save(update_fields=["code"])
        manager = User.objects.filter(phone=MANAGER_PHONE).first()
        if manager is not None:
            for ext in MANAGED:
                if not CompoundManager.objects.filter(user=manager, compound=compounds[ext]).exists():
                    gate_services.compound_manager_add(compound=compounds[ext], user=manager, actor=None)
        for ext, gate_name, device_id in GATES:
            compound = compounds[ext]
            gate = Gate.objects.filter(compound=compound, name=gate_name).first()
            if gate is None:
                new = gate_services.gate_create(compound=compound, name=gate_name, device_id=device_id, actor=None)
                gate, secret = new.gate, new.secret
            else:
                secret = known.get(gate.public_id, "")
                try:
                    matches = bool(secret) and protocol.derive_keys(secret)[0] == bytes(gate.token_key)
                except protocol.SecretInvalid:
                    matches = False
                if not matches:
                    secret = gate_services.gate_rekey(gate=gate, actor=None)
            if not gate.display_key:
                gate_services.gate_display_link_create(gate=gate, actor=None)
            result.gates.append(
                {
                    "public_id": gate.public_id,
                    "secret": secret,
                    "street": street.code,
                    "compound": ext,
                    "compound_name": compound.name,
                    "name": gate_name,
                    "display_path": f"/access/display/{gate.display_key}/",
                }
            )
        for ext, hours, partners, max_per_hour in POLICIES:
            if policy_services.policy_get(compound=compounds[ext]) is None:
                policy_services.policy_set(
                    compound=compounds[ext], actor=None, hours=hours, partners=partners, max_per_hour=max_per_hour
                )
        for phone, real_name, partner, suspended in RIDERS:
            user = user_get_or_create(phone=phone, display_name=real_name)
            credential = RiderCredential.objects.filter(user=user, street=street).first()
            if credential is None or credential.real_name != real_name or user.display_name != real_name:
                credential = rider_services.rider_verify(
                    street=street, phone=phone, partner=partner, real_name=real_name, actor=None
                )
            if suspended and credential.status == CredentialStatus.VERIFIED:
                rider_services.rider_suspend(credential=credential, actor=None)
            result.riders.append((phone, real_name, credential.get_status_display()))
    result.file.parent.mkdir(parents=True, exist_ok=True)
    result.file.write_text(json.dumps({"gates": result.gates}, ensure_ascii=False, indent=2), encoding="utf-8")
    result.file.chmod(0o600)
    if stdout is not None:
        _print(result, stdout)
    return result


def _print(result: AccessDemo, out: Any) -> None:
    # Links to open as printed: the site's own address (LINLI_SITE_URL, which follows LINLI_PORT), like the QR codes.
    site = gate_services.site_url()
    out.write("")
    out.write("门禁 Gates（碰一碰 tap to enter; 密钥 secrets in " + str(result.file) + "）:")
    for g in result.gates:
        out.write(f"  {g['public_id']}  {g['compound_name']} {g['name']}  展示屏 display: {site}{g['display_path']}")
    first = result.gates[0]["public_id"] if result.gates else "gXXXXXXXXXXXX"
    out.write(f"  模拟门禁 simulate a gate: linli gate-sim --gate {first}")
    out.write("骑手 Riders: " + "；".join(f"{p} {n}（{s}）" for p, n, s in result.riders))
