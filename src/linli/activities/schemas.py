"""API schemas for activities and bookings."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class PlaceRef(Schema):
    id: int
    external_id: str
    name: str


class ActivityOut(Schema):
    id: int
    external_id: str
    title: str
    description: str
    category: str
    category_name: str
    category_name_en: str
    audience: str
    organiser: str
    start: str
    end: str
    capacity: int | None = Field(None, description="empty: unlimited seats")
    booked: int
    waitlisted: int
    seats_left: int | None = Field(None, description="empty: unlimited seats")
    waitlist_capacity: int
    status: str
    booking_opens_at: str | None
    booking_closes_at: str | None
    cancel_deadline: str | None
    place: PlaceRef
    street: str
    series_id: int | None


class ActivityPage(Schema):
    items: list[ActivityOut]
    count: int
    page: int
    page_size: int


class BookingCreated(Schema):
    booking_id: int
    status: str = Field(..., description="confirmed | waitlisted")
    code: str
    waitlist_position: int | None


class BookingFields(Schema):
    booking_id: int
    status: str
    code: str
    source: str
    created_at: str
    cancelled_at: str | None
    checked_in_at: str | None
    waitlist_position: int | None


class BookingOut(BookingFields):
    activity: ActivityOut


class BookingStaffOut(Schema):
    booking_id: int
    status: str
    code: str
    source: str
    name: str
    phone: str = Field(..., description="masked (PIPL)")
    created_at: str
    waitlisted_at: str | None
    checked_in_at: str | None


class ActivityIn(Schema):
    street: str = Field(..., description="street code")
    place_id: int
    title: str = Field(..., max_length=200)
    start: datetime = Field(..., description="ISO 8601; without an offset it is Shanghai time")
    end: datetime
    capacity: int | None = Field(None, ge=1, description="empty: unlimited")
    category: str = "other"
    audience: str = "everyone"
    description: str = Field("", max_length=5000)
    organiser: str = Field("", max_length=200)
    waitlist_capacity: int = Field(10, ge=0, le=10000)
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None
    cancel_deadline: datetime | None = None
    status: str = Field("draft", description="draft | published")
    external_id: str | None = Field(None, max_length=255)


class ActivityPatch(Schema):
    place_id: int | None = None
    title: str | None = Field(None, max_length=200)
    start: datetime | None = None
    end: datetime | None = None
    capacity: int | None = Field(None, ge=1)
    category: str | None = None
    audience: str | None = None
    description: str | None = Field(None, max_length=5000)
    organiser: str | None = Field(None, max_length=200)
    waitlist_capacity: int | None = Field(None, ge=0, le=10000)
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None
    cancel_deadline: datetime | None = None
    status: str | None = Field(None, description="draft | published")


class CancelIn(Schema):
    message: str = Field("", max_length=300)


class CancelOut(Schema):
    activity: ActivityOut
    told: int


class BookingCancelIn(Schema):
    reason: str = Field("", max_length=300)


class DeskBookingOut(BookingFields):
    """A booking as the check-in desk sees it (no activity: the desk is at it)."""

    name: str | None = Field(None, description="the person's chosen name (check-in answers)")
    already_checked_in: bool | None = Field(
        None, description="a second scan of the same code: checked in before, at `checked_in_at` (check-in answers)"
    )


class NoShowsOut(Schema):
    marked: int = Field(description="bookings marked as no-shows")


class PingOut(Schema):
    pong: bool
