"""Cases API schemas: what the hazard-report and work-order endpoints read and answer, and the OpenAPI
description of the two multipart bodies (a report with photos, a transition with an after-photo)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from linli.cases.services import workflow


class CategoryRef(Schema):
    code: str
    name: str
    name_en: str = ""


class GridRef(Schema):
    external_id: str
    name: str


class PhotoOut(Schema):
    url: str
    kind: str = Field(..., description="report | after")


class TimelineEntry(Schema):
    at: str
    action: str = Field(..., description="transition | report | merge | split | remind | escalate | assign")
    action_label: str
    from_status: str
    to_status: str
    note: str
    actor: str = Field(..., description="a role label (staff views add the display name); never a phone")


class StaffReportOut(Schema):
    id: int
    created_at: str
    source: str
    category: str
    lat: float
    lng: float
    description: str
    reporter: str | None = Field(None, description="masked")


class CaseOut(Schema):
    id: int
    street: str
    status: str
    status_label: str
    status_label_en: str
    category: CategoryRef
    grid: GridRef | None
    queue: str
    reports_count: int
    lat: float
    lng: float
    address: str
    description: str
    created_at: str
    response_due_at: str | None
    resolution_due_at: str | None
    overdue: bool
    escalated: bool
    merged_into: int | None
    closing_note: str
    resolution_note: str
    reject_reason: str
    photos: list[PhotoOut]
    timeline: list[TimelineEntry]
    assignee: str | None = Field(None, description="staff views only")
    reports: list[StaffReportOut] | None = Field(None, description="staff views only")


class CaseRow(Schema):
    id: int
    status: str
    status_label: str
    category: CategoryRef
    grid: GridRef | None
    queue: str
    reports_count: int
    lat: float
    lng: float
    address: str
    description: str
    created_at: str
    response_due_at: str | None
    resolution_due_at: str | None
    overdue: bool
    escalated: bool
    urgent: bool


class CasePage(Schema):
    items: list[CaseRow]
    count: int
    page: int
    page_size: int


class MyCase(Schema):
    id: int
    status: str
    status_label: str
    reports_count: int
    closing_note: str
    merged_into: int | None


class MyReport(Schema):
    report_id: int
    created_at: str
    street: str
    category: CategoryRef
    description: str
    lat: float
    lng: float
    case: MyCase


class BulkResult(Schema):
    id: int
    ok: bool
    status: str | None = None
    code: str | None = None
    detail: str | None = None


class BulkOut(Schema):
    results: list[BulkResult]
    ok: int
    failed: int


class CategoryStats(Schema):
    code: str
    name: str
    name_en: str = ""
    total: int
    open: int
    closed: int
    rejected: int
    median_hours_to_close: float | None
    avg_hours_to_close: float | None


class StatsOut(Schema):
    street: str
    days: int
    categories: list[CategoryStats]
    total: int
    median_hours_to_close: float | None
    avg_hours_to_close: float | None


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    urgent: bool
    response_minutes: int
    resolution_minutes: int
    points: int


class LeaderRow(Schema):
    rank: int
    name: str = Field(..., description="masked display name")
    points: int
    reports: int


class LeaderboardOut(Schema):
    street: str
    days: int | None
    items: list[LeaderRow]


def binary_array() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 4}


def one_photo() -> dict[str, Any]:
    return {
        "type": "string",
        "format": "binary",
        "description": "one photo under this name, for clients that send a single file; counts with `photos` "
        "(4 in all)",
    }


REPORT_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["category"],
                    "properties": {
                        "street": {
                            "type": "string",
                            "description": "street code 街道代码; optional with lat/lng: the street whose grids "
                            "(or, without grids, whose centre) hold the point",
                        },
                        "category": {"type": "string", "description": "category code 事件类别代码"},
                        "lat": {"type": "number", "description": "WGS-84 (with lng; or give spot or address)"},
                        "lng": {"type": "number", "description": "WGS-84"},
                        "spot": {
                            "type": "string",
                            "description": "without lat/lng: a compound or service point of the street, "
                            "`compound:<id>` or `place:<id>` (the report page's list)",
                        },
                        "description": {"type": "string", "maxLength": 4000},
                        "address": {
                            "type": "string",
                            "maxLength": 200,
                            "description": "without lat/lng or spot: located by the compound or place it names",
                        },
                        "photos": binary_array(),
                        "photo": one_photo(),
                    },
                }
            }
        },
        "required": True,
    }
}


TRANSITION_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["to_status"],
                    "properties": {
                        "to_status": {"type": "string", "enum": sorted(workflow.TRANSITIONS)},
                        "note": {"type": "string", "maxLength": 500},
                        "reason": {"type": "string", "maxLength": 300},
                        "photos": binary_array(),
                        "photo": one_photo(),
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["to_status"],
                    "properties": {
                        "to_status": {"type": "string"},
                        "note": {"type": "string"},
                        "reason": {"type": "string"},
                    },
                }
            },
        },
        "required": True,
    }
}


class ReportCreated(Schema):
    report_id: int
    case_id: int
    status: str
    merged: bool


class BulkIn(Schema):
    case_ids: list[int] = Field(..., min_length=1, max_length=workflow.MAX_BULK)
    to_status: str
    note: str = Field("", max_length=500)


class AssignIn(Schema):
    assignee_id: int | None = None
    grid: str | None = Field(None, description="external id of the grid to re-route to")


class MergeIn(Schema):
    source_ids: list[int] = Field(..., min_length=1, max_length=50)
    note: str = Field("", max_length=300)


class SplitIn(Schema):
    report_ids: list[int] = Field(..., min_length=1, max_length=200)
    note: str = Field("", max_length=300)
