"""Schemas of the live picture (`GET /api/v1/dashboard/live`): the same numbers the live page and the big screen
show (`selectors_live.grid_picture`)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

from linli.dashboard.schemas import DashboardGridRef


class DashboardCasePin(Schema):
    id: int
    lat: float
    lng: float
    status: str
    sla: str  # due | late | late3 | none (no target) | done (handled, waiting to be closed)
    category: str


class DashboardCaseStates(Schema):
    new: int
    dispatched: int
    accepted: int
    in_progress: int
    resolved: int
    verified: int


class DashboardSlaClock(Schema):
    due: int
    late: int
    late3: int


class DashboardLiveCases(Schema):
    open: int
    by_status: DashboardCaseStates
    sla: DashboardSlaClock
    reports_hour: int
    pins: list[DashboardCasePin]


class DashboardLiveCare(Schema):
    emergency_open: int
    help_open: int
    visits_open: int
    visits_late: int


class DashboardLiveMeals(Schema):
    ordered: int
    in_production: int
    on_the_way: int
    delivered: int
    runs: int
    runs_late: int


class DashboardLiveActivities(Schema):
    bookings: int
    checked_in: int


class DashboardLiveAffairs(Schema):
    waiting: int
    longest_wait_min: int
    avg_wait_min: int


class DashboardLiveAccess(Schema):
    gates: int
    offline: int
    denials_today: int


class DashboardLiveVolunteers(Schema):
    on_duty: int


class DashboardLiveAssistant(Schema):
    unanswered: int


class DashboardChildGrid(Schema):
    id: int
    name: str
    level: str
    external_id: str
    cases_open: int
    late: int
    late3: int
    reports_hour: int
    calls_open: int
    meals_ordered: int
    queue_waiting: int
    gates_offline: int


class DashboardLiveOut(Schema):
    grid: DashboardGridRef
    path: list[DashboardGridRef]
    at: datetime
    cases: DashboardLiveCases
    care: DashboardLiveCare
    meals: DashboardLiveMeals
    activities: DashboardLiveActivities
    affairs: DashboardLiveAffairs
    access: DashboardLiveAccess
    volunteers: DashboardLiveVolunteers
    assistant: DashboardLiveAssistant
    children: list[DashboardChildGrid]
