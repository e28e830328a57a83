"""API schemas of the window queue and the metrics."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class QueueCheckInIn(Schema):
    place: int = Field(description="the affairs centre (a place of kind affairs_center)")
    code: str = Field(max_length=2000, description="the appointment code, or what its QR code holds")


class QueueWalkInIn(Schema):
    place: int
    item: int | None = Field(None, description="the catalogue item, if the person knows it")


class OutcomeIn(Schema):
    outcome: str = Field(description="served | incomplete | referred")
    missing: list[str] = Field(default_factory=list, max_length=30, description="what was missing (incomplete)")
    referred_to: str = Field("", max_length=120, description="where to (referred)")
    note: str = Field("", max_length=300)


class TicketOut(Schema):
    id: int
    number: str = Field(description="A012 (appointment) or W034 (walk-in), per centre and day")
    kind: str
    status: str
    day: date
    place: int
    item: int | None
    item_name: str
    counter: int | None = Field(description="the window number once called")
    ahead: int = Field(description="waiting tickets checked in before this one")
    checked_in_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    missing: list[str]
    referred_to: str
    url: str = Field(description="the ticket's page on the phone (its address is the secret)")


class CallNextOut(Schema):
    ticket: TicketOut | None = Field(description="null when nobody is waiting for this window's clerk")


class HallCallOut(Schema):
    number: str
    counter: int
    at: datetime
    recall: bool


class HallOut(Schema):
    place: int
    waiting: int
    calls: list[HallCallOut]


class MetricsRow(Schema):
    appointments: int
    walk_ins: int
    tickets: int
    wait_p50: float | None = Field(description="minutes, check-in → called")
    wait_p90: float | None
    service_p50: float | None = Field(description="minutes, called → outcome")
    service_mean: float | None
    finished: int
    served: int
    first_time_rate: float | None = Field(description="percent of visits with an outcome served at that visit")
    trips_saved: int = Field(description="served with an approved pre-review, plus entrusted with no trip")
    no_shows: int
    remote_sessions: int
    remote_minutes: int


class MetricsDay(MetricsRow):
    day: date


class MetricsOut(Schema):
    street: str
    place: int | None
    start: date
    end: date
    total: MetricsRow
    daily: list[MetricsDay]
