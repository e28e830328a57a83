"""Request and response schemas of the access API."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class TapFilters(Schema):
    """The access log's filters, shared by the list and its CSV export. In a query string (GET) `phone` takes
    only a number's last 4 digits: a whole number goes in a POST body (`/access/taps/search`), so it never lands
    in an access log."""

    phone: str | None = Field(None, max_length=20, description="GET: the last 4 digits; POST: a whole number too")
    gate: str | None = Field(None, max_length=20)
    compound: int | None = None
    decision: str | None = Field(None, pattern="^(allow|deny)$")
    reason: str | None = Field(None, max_length=24)
    date_from: date | None = None
    date_to: date | None = None


class TapIn(Schema):
    gate_token: str = Field(..., max_length=100, description="the QR code's `t`")
    lat: float | None = Field(None, ge=-90, le=90, description="the phone's location (WGS-84), optional")
    lng: float | None = Field(None, ge=-180, le=180)


class TapGate(Schema):
    id: str
    name: str
    compound: str


class TapRider(Schema):
    name: str
    partner: str
    photo_url: str | None


class TapOut(Schema):
    decision: str = Field(..., description="allow | deny")
    reason: str | None = Field(
        None,
        description="token_expired | token_invalid | rider_unverified | rider_suspended | outside_hours | "
        "partner_not_allowed | rate_limited | gate_offline | too_far",
    )
    reason_text: str | None = None
    gate: TapGate | None
    expires_at: str | None = Field(None, description="until when the green pass is valid (allow only)")
    opened: bool = Field(..., description="true only when the controller reported the gate opened")
    outcome: str | None = Field(None, description="opened | refused:<reason> | timeout | queued | broker_down")
    tap_id: int
    rider: TapRider | None


class CompoundRef(Schema):
    id: int
    external_id: str
    name: str


class GateOut(Schema):
    id: str
    name: str
    device_id: str
    compound: CompoundRef
    transport: str
    active: bool
    online: bool
    last_heartbeat_at: str | None
    display_link: bool


class GateIn(Schema):
    name: str = Field(..., max_length=60)
    device_id: str = Field("", max_length=64)
    transport: str = Field("mqtt", description="mqtt | http")


class GatePatch(Schema):
    name: str | None = Field(None, max_length=60)
    device_id: str | None = Field(None, max_length=64)
    transport: str | None = None
    active: bool | None = None


class NewGateOut(Schema):
    gate: GateOut
    secret: str = Field(..., description="the device secret (base64url); shown this once, never again")


class PolicyIO(Schema):
    riders_allowed: bool | None = None
    hours: str | None = Field(None, max_length=20, description="HH:MM-HH:MM (may cross midnight); empty: all day")
    partners: list[str] | None = Field(None, description="partner codes allowed; empty: every partner of the street")
    other_streets: bool | None = Field(None, description="admit riders verified by other streets")
    max_per_hour: int | None = Field(None, ge=0, le=1000, description="entries per rider per hour; 0: no limit")


class PolicyOut(Schema):
    riders_allowed: bool
    hours: str
    partners: list[str]
    other_streets: bool
    max_per_hour: int | None


class CompoundOut(Schema):
    id: int
    external_id: str
    name: str
    street: str
    policy: PolicyOut
    gates: list[GateOut]


class QrOut(Schema):
    url: str
    svg: str
    expires_at: float = Field(..., description="unix seconds; fetch a new code before this")
    refresh_in: float
    online: bool
    gate: str


class DisplayLinkOut(Schema):
    url: str


class RiderIn(Schema):
    street: str
    phone: str = Field(..., max_length=20)
    partner: str = Field(..., max_length=60)
    name: str = Field("", max_length=40)
    days: int = Field(180, ge=1, le=1095)


class CredentialOut(Schema):
    id: int
    street: str
    rider: str = Field(..., description="masked phone")
    name: str
    partner: str
    status: str
    verified_by: str
    verified_at: str
    expires_at: str
    active: bool
    has_photo: bool


class AssertionIn(Schema):
    assertion: str = Field(..., max_length=4096, description="compact JWS (HS256) signed with the partner's key")


class TapRow(Schema):
    id: int
    at: str
    gate: str | None
    gate_name: str
    compound: str
    rider: str | None
    rider_name: str
    partner: str
    decision: str
    reason: str
    reason_text: str
    outcome: str
    opened: bool
    distance_m: int | None


class TapSearchIn(TapFilters):
    """POST /access/taps/search: the filters (a whole phone number allowed) and the page."""

    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class TapPage(Schema):
    items: list[TapRow]
    count: int
    page: int
    page_size: int


class AlertOut(Schema):
    id: int
    at: str
    kind: str
    street: str | None
    compound: str | None
    gate: str | None
    rider: str | None
    data: dict
