"""API schemas for jobs: seekers' surveys, employers, jobs, matches with reasons, the pipeline."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class SeekerIn(Schema):
    street: str = Field(description="the street's code")
    name: str = Field(max_length=50)
    consent: bool = Field(description="the person agreed to their needs being held by the station")
    phone: str = Field("", max_length=20)
    birth_year: int | None = Field(None, ge=1900, le=2100)
    compound_id: int | None = None
    lat: float | None = None
    lng: float | None = None
    occupations: list[str] = Field(default_factory=list, max_length=20)
    skills: list[str] = Field(default_factory=list, max_length=50)
    experience_years: int = Field(0, ge=0, le=70)
    education: str = "junior"
    hours: list[str] = Field(default_factory=list, max_length=4)
    shifts: list[str] = Field(default_factory=list, max_length=4)
    max_minutes: int = Field(15, ge=1, le=120)
    travel_mode: str = "walk"
    constraints: list[str] = Field(default_factory=list, max_length=10)
    accommodations: str = Field("", max_length=300)
    health_notes: str = Field("", max_length=300)
    benefits: list[str] = Field(default_factory=list, max_length=5)
    station_id: int | None = None


class SeekerOut(Schema):
    id: int
    name: str
    phone: str
    compound: str
    station: str
    occupations: list[str]
    shifts: list[str]
    max_minutes: int
    travel_mode: str


class ReasonOut(Schema):
    ok: bool
    kind: str
    text: str


class MatchOut(Schema):
    job_id: int
    seeker_id: int
    title: str
    name: str = Field(description="the employer (a seeker's matches) or the seeker (a job's matches)")
    score: float
    minutes: int
    reasons: list[ReasonOut]


class JobIn(Schema):
    employer_id: int
    title: str = Field(max_length=100)
    occupation: str = Field(max_length=20)
    lat: float
    lng: float
    hours_kind: str
    valid_through: dt.date
    shifts: list[str] = Field(default_factory=list, max_length=4)
    skills_essential: list[str] | None = Field(None, max_length=20)
    skills_optional: list[str] | None = Field(None, max_length=20)
    description: str = Field("", max_length=4000)
    address: str = Field("", max_length=200)
    pay_min_fen: int = Field(0, ge=0, le=100_000_000)
    pay_max_fen: int = Field(0, ge=0, le=100_000_000)
    step_free: bool = False
    heavy_lifting: bool = False
    openings: int = Field(1, ge=1, le=1000)


class JobOut(Schema):
    id: int
    street: str
    employer: str
    title: str
    occupation: str
    occupation_label: str
    hours_kind: str
    shifts: list[str]
    address: str
    lat: float
    lng: float
    pay_min_fen: int
    pay_max_fen: int
    openings: int
    valid_through: dt.date
    url: str


class EmployerIn(Schema):
    street: str
    name: str = Field(max_length=120)
    credit_code: str = Field(max_length=18)
    sector: str = Field("", max_length=40)
    contact_name: str = Field("", max_length=50)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class EmployerOut(Schema):
    id: int
    name: str
    credit_code: str
    verified: bool


class ApplicationIn(Schema):
    seeker_id: int
    job_id: int
    note: str = Field("", max_length=500)


class MoveIn(Schema):
    to: str = Field(description="contacted | interview | offer | hired | refused | retained | left")
    reason: str = Field("", description="for refused: not_mobile | hours | pay | skills | health | "
                                        "no_longer_available | withdrawn | other")  # fmt: skip
    note: str = Field("", max_length=500)


class EventOut(Schema):
    at: str
    action: str
    from_status: str
    to_status: str
    note: str


class ApplicationOut(Schema):
    id: int
    seeker_id: int
    job_id: int
    status: str
    status_label: str
    refusal_reason: str
    reasons: list[ReasonOut]
    timeline: list[EventOut]


class CourseIn(Schema):
    street: str = Field(description="the street's code")
    title: str = Field(max_length=100)
    venue_id: int = Field(description="a place of the street (activities are held there)")
    first_start: dt.datetime
    class_hours: int = Field(20, ge=1, le=500)
    sessions: int = Field(4, ge=1, le=60, description="weekly sessions, each an activity")
    session_minutes: int = Field(300, ge=30, le=600)
    capacity: int = Field(12, ge=1, le=200)
    min_attendance: int | None = Field(None, ge=1, le=60)
    pass_mark: int = Field(60, ge=1, le=100)
    description: str = Field("", max_length=4000)
    occupation: str = Field("", max_length=20)
    skills: list[str] = Field(default_factory=list, max_length=20)
    job_ids: list[int] = Field(default_factory=list, max_length=50, description="jobs an interview is proposed at")
    station_id: int | None = None


class CourseOut(Schema):
    id: int
    street: str
    title: str
    venue: str
    first_start: dt.datetime
    class_hours: int
    sessions: int
    capacity: int
    seats_left: int
    min_attendance: int
    pass_mark: int
    job_ids: list[int]
    activity_ids: list[int]


class EnrollIn(Schema):
    seeker_id: int


class EnrollmentOut(Schema):
    id: int
    course_id: int
    seeker_id: int
    status: str
    attended: list[int]
    score: int | None
    certificate_url: str = Field("", description="the verification link of the certificate, once passed")


class AttendanceIn(Schema):
    session_id: int = Field(description="one of the course's activity ids")
    present: bool = True


class AssessmentIn(Schema):
    score: int = Field(ge=0, le=100)


class AssessmentOut(Schema):
    enrollment: EnrollmentOut
    interviews: list[int] = Field(description="applications moved to an interview by the pass")
