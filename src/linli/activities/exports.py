"""The attendance list of an activity for the street's staff: rows, CSV (UTF-8 with BOM) and Excel.

PIPL: phone numbers are masked (138****5678) for everyone, administrators included (a file leaves the
platform; the booking list on the page is where staff reach a person), and the one export writer
(`core.spreadsheets`) masks and neutralises every cell again; every export is audit-logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from linli.activities.models import Activity, BookingSource, BookingStatus
from linli.activities.selectors import activity_bookings
from linli.core.i18n import choice_label_in
from linli.core.phones import mask_phone
from linli.core.services import audit_log
from linli.core.spreadsheets import csv_bytes, xlsx_bytes

# (key, header): headers are Chinese first with English, as the sheet is read at the desk.
COLUMNS = [
    ("index", "序号 No."),
    ("name", "姓名 Name"),
    ("phone", "手机号 Phone"),
    ("status", "状态 Status"),
    ("code", "签到码 Code"),
    ("source", "来源 Source"),
    ("booked_at", "预约时间 Booked at"),
    ("checked_in_at", "签到时间 Checked in at"),
]


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def attendance_rows(*, activity: Activity, actor: Any) -> list[dict[str, Any]]:
    """Every booking of the activity except cancelled ones, in booking order (staff of the street only)."""
    bookings = activity_bookings(activity=activity, actor=actor)  # raises permission_denied for others
    rows = []
    live = [b for b in bookings if b.status != BookingStatus.CANCELLED]
    live.sort(key=lambda b: (b.created_at, b.pk))
    for i, b in enumerate(live, start=1):
        rows.append(
            {
                "index": i,
                "name": b.user.display_name,
                "phone": mask_phone(b.user.phone),
                "status": choice_label_in(BookingStatus, b.status, "zh-hans"),  # the sheet is Chinese
                "status_code": b.status,
                "code": b.code,
                "source": choice_label_in(BookingSource, b.source, "zh-hans"),
                "booked_at": _local(b.created_at),
                "checked_in_at": _local(b.checked_in_at),
            }
        )
    audit_log(
        actor=actor,
        action="activity.attendance_export",
        street=activity.street,
        obj=activity,
        data={"rows": len(rows)},
    )
    return rows


def _title(activity: Activity) -> str:
    start = timezone.localtime(activity.start)
    end = timezone.localtime(activity.end)
    return f"{activity.title} · {activity.place.name} · {start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def attendance_csv(*, activity: Activity, actor: Any) -> bytes:
    """CSV in UTF-8 with a BOM (so Excel shows the Chinese correctly), one header row."""
    rows = attendance_rows(activity=activity, actor=actor)
    return csv_bytes(header=[header for _, header in COLUMNS], rows=([row[key] for key, _ in COLUMNS] for row in rows))


def attendance_xlsx(*, activity: Activity, actor: Any) -> bytes:
    """An Excel workbook: a title row (activity, venue, time), a bold header row, then one row per booking."""
    rows = attendance_rows(activity=activity, actor=actor)
    return xlsx_bytes(
        sheet="签到名单 Attendance",
        title=_title(activity),
        header=[header for _, header in COLUMNS],
        rows=[[row[key] for key, _ in COLUMNS] for row in rows],
        widths=[8, 14, 16, 10, 12, 12, 18, 18],
    )
