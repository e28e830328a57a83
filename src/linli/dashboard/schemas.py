"""API schemas of the dashboard (names prefixed `Dashboard`: schema names are unique across the whole API)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class DashboardGridRef(Schema):
    id: int
    external_id: str
    name: str
    level: str = Field(description="hq | workstation | unit")


class DashboardKpis(Schema):
    """One period's KPIs of a grid's subtree (None: nothing to compute it from)."""

    served: int = Field(description="people-times served across every domain (the sum of the six below and calls)")
    bookings_attended: int
    meals_delivered: int
    affairs_served: int
    care_visits: int
    care_calls: int
    volunteer_shifts: int
    volunteer_hours: float
    assistant_answers: int
    cases_reported: int
    cases_resolved: int
    cases_resolved_on_time: int
    cases_closed: int
    cases_reopened: int
    cases_verified: int = Field(description="case confirmations (verified after resolution)")
    on_time_rate: float | None = Field(description="resolved on time ÷ resolved, 0..1")
    response_p50: float | None = Field(description="minutes from report to acceptance")
    response_p90: float | None
    resolution_p50: float | None = Field(description="minutes from report to resolution")
    resolution_p90: float | None
    ratings_n: int
    satisfaction: float | None = Field(description="mean score of ratings, 1..5")
    complaints: int = Field(description="ratings with a score of 2 or less")


class DashboardSeriesPoint(Schema):
    start: dt.date = Field(description="the first day of the bucket")
    kpis: DashboardKpis


class DashboardGridRow(Schema):
    grid: DashboardGridRef
    rank: int
    has_children: bool
    now: DashboardKpis
    previous: DashboardKpis
    on_time_change: float | None = Field(description="this period's on-time rate minus the previous one's")


class DashboardKpisOut(Schema):
    street: str
    grid: DashboardGridRef
    path: list[DashboardGridRef] = Field(description="HQ → … → this grid (the drill-down breadcrumb)")
    from_: dt.date = Field(alias="from")
    to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    granularity: str
    now: DashboardKpis
    previous: DashboardKpis
    series: list[DashboardSeriesPoint]
    rows: list[DashboardGridRow] = Field(description="the child grids the user may see, ranked by people served")
    attention: list[DashboardGridRow] = Field(description="grids below whose on-time rate fell most")


class DashboardBreachedCase(Schema):
    id: int
    category: str
    status: str
    grid: DashboardGridRef | None
    lateness: float = Field(description="time since the report ÷ time given (≥ 1 late, ≥ 3 three times late)")
    resolution_due_at: dt.datetime | None
    levels_up: int


class DashboardAttentionOut(Schema):
    grid: DashboardGridRef
    from_: dt.date = Field(alias="from")
    to: dt.date
    grids: list[DashboardGridRow] = Field(description="grids below whose on-time rate fell most")
    breached_cases: list[DashboardBreachedCase] = Field(description="the grid's escalation board")
