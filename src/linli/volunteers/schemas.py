"""Volunteers API schemas."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class ShiftOut(Schema):
    id: int
    station: int
    station_name: str
    kind: str
    title: str
    start: datetime
    end: datetime
    places: int
    taken: int
    free: int
    skills: list[str]


class SignupIn(Schema):
    volunteer_id: int | None = Field(None, description="staff signing a volunteer up; default: oneself")


class SignupOut(Schema):
    id: int
    shift: int
    volunteer: int
    status: str
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    minutes: int = 0


class CheckinIn(Schema):
    token: str = Field(..., max_length=100, description="the station's rotating code (from its QR)")


class VerifyIn(Schema):
    minutes: int | None = Field(None, ge=1, le=1440, description="default: from check-in and check-out")


class EntryOut(Schema):
    at: datetime
    kind: str
    minutes: int
    memo: str


class HoursOut(Schema):
    volunteer: int
    earned_minutes: int
    this_year_minutes: int
    balance_minutes: int
    badges: list[int]
    verified_shifts: int
    entries: list[EntryOut]


class ItemOut(Schema):
    id: int
    station: int
    station_name: str
    title: str
    description: str
    date: date
    people_needed: int
    claimed: int
    coverage: str = Field(description="none | partial | complete")
    capacity: int
    status: str
    skills: list[str]


class ClaimIn(Schema):
    people: int = Field(1, ge=1, le=200)
    team_id: int | None = Field(None, description="claim for a verified team or enterprise one manages")


class ClaimOut(Schema):
    id: int
    item: int
    team: int | None = None
    volunteer: int | None = None
    people: int
    status: str
    served: int
    minutes: int


class ReportIn(Schema):
    served: int = Field(..., ge=0, le=5000)
    minutes: int = Field(..., ge=1, le=100000)
    report: str = Field("", max_length=2000)
