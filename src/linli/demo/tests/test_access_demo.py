"""The demo's gates, riders and property managers (`linli.demo.access`): secrets written once, idempotent, reset."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest

from linli.access.gatewire import protocol
from linli.access.models import Gate, RiderCredential
from linli.access.selectors import managed_compound_ids
from linli.access.services.gates import gate_qr_url
from linli.core.models import User
from linli.demo.access import GATES, demo_access_load
from linli.demo.loader import demo_reset

pytestmark = pytest.mark.django_db


def test_demo_access_writes_the_gate_secrets_and_is_idempotent(
    settings: Any, tmp_path: Any, demo_street_shared: Any
) -> None:
    settings.VAR_DIR = tmp_path
    street = demo_street_shared
    first = demo_access_load(street=street)
    data = json.loads((tmp_path / "demo-gates.json").read_text(encoding="utf-8"))
    assert len(data["gates"]) == len(GATES) == Gate.objects.filter(street=street).count()
    for entry in data["gates"]:
        gate = Gate.objects.get(public_id=entry["public_id"])
        assert protocol.derive_keys(entry["secret"])[0] == bytes(gate.token_key)
        assert gate.display_key and entry["display_path"].endswith(f"{gate.display_key}/")
    second = demo_access_load(street=street)
    assert [g["secret"] for g in second.gates] == [g["secret"] for g in first.gates]  # kept, not rotated
    statuses = dict(RiderCredential.objects.filter(street=street).values_list("user__phone", "status"))
    assert statuses["+8613800000008"] == "verified" and statuses["+8613800000082"] == "suspended"
    assert set(statuses) == {"+8613800000008", "+8613800000081", "+8613800000082"}  # no resident became a rider
    # The demo property manager manages some compounds, not all.
    manager = User.objects.get(phone="+8613800000006")
    assert 0 < len(managed_compound_ids(manager)) < street.compounds.count()
    # `--reset` can still delete the sample street with its gates, riders and taps.
    assert demo_reset()
    assert not Gate.objects.filter(public_id=first.gates[0]["public_id"]).exists()


def test_demo_links_and_gate_qr_codes_follow_the_site_address(
    settings: Any, tmp_path: Any, demo_street_shared: Any
) -> None:
    """`LINLI_PORT=8171 make demo` (the site URL follows the port): printed links and QR codes use that address."""
    settings.VAR_DIR = tmp_path
    settings.LINLI_SITE_URL = "http://127.0.0.1:8171"
    out = StringIO()
    result = demo_access_load(street=demo_street_shared, stdout=out)
    printed = out.getvalue()
    assert printed.count("http://127.0.0.1:8171/access/display/") == len(GATES)
    gate = Gate.objects.get(public_id=result.gates[0]["public_id"])
    assert gate_qr_url(gate)[0].startswith("http://127.0.0.1:8171/")
