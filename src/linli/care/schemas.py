"""API schemas for care: calls, register rows (masked), check-ins, 8-hour requests."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema


class CallIn(Schema):
    kind: Literal["emergency", "help", "chat"] = Field(description="emergency | help | chat")
    person_id: int | None = Field(None, description="staff taking a hotline call: the registered person")
    committee_id: int | None = Field(None, description="staff: the committee, for a caller not on the register")
    caller_phone: str = Field("", max_length=20)
    address_given: str = Field("", max_length=200, description="the address the caller gave (it may be wrong)")
    note: str = Field("", max_length=500)


class ContactOut(Schema):
    kind: str
    name: str
    relation: str
    phone: str


class PersonCardOut(Schema):
    id: int
    name: str
    address: str
    committee: str
    lat: float | None
    lng: float | None
    phone: str
    groups: list[str]
    health_notes: str
    contacts: list[ContactOut]


class CallOut(Schema):
    id: int
    street: str
    committee: str
    kind: str
    kind_label: str
    kind_label_en: str
    status: str
    status_label: str
    status_label_en: str
    source: str
    address: str
    address_given: str
    note: str
    person: PersonCardOut | None
    lat: float | None
    lng: float | None
    created_at: str
    acknowledged_at: str | None
    acknowledged_by: str
    on_site_at: str | None
    actions: list[str]
    action_labels: list[str]
    action_labels_en: list[str]
    escalated: bool


class CallMoveIn(Schema):
    move: Literal["acknowledge", "on_the_way", "arrive", "actions", "close"]
    actions: list[Literal["called_120", "family_told", "doctor_told"]] = Field(default_factory=list)
    outcome: str = Field("", max_length=500)
    note: str = Field("", max_length=500)


class PersonRowOut(Schema):
    id: int
    name: str
    committee: str
    address: str
    phone: str = Field(description="masked: 138****5678")
    id_number: str = Field(description="masked")
    groups: list[str]
    checkin_enabled: bool
    checkin_hour: int


class CareCheckInIn(Schema):
    person_id: int | None = Field(None, description="staff logging a visit or a call; else the signed-in person")
    source: Literal["tap", "device", "visit", "call"] = "tap"


class CheckInOut(Schema):
    id: int
    person_id: int
    at: str
    source: str


class VisitRequestIn(Schema):
    person_id: int | None = Field(None, description="staff or family on the person's behalf; else the signed-in person")
    what: str = Field("", max_length=300)
    item_ref: str = Field("", max_length=80, description="an item of the affairs catalogue, where it exists")


class VisitRequestOut(Schema):
    id: int
    person_id: int
    what: str
    status: str
    created_at: str
    due_at: str
