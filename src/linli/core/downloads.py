"""File responses every domain sends: spreadsheet and CSV attachments (a plain ASCII file name for old clients
and the real, often Chinese, name in RFC 6266's `filename*`) and iCalendar files (feeds shown inline, a
booking's event as an attachment)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ICS_TYPE = "text/calendar; charset=utf-8"


def attachment_response(body: bytes, *, content_type: str, ascii_name: str, name: str) -> HttpResponse:
    """A download saved as `name` (UTF-8, RFC 6266), or `ascii_name` by clients that cannot read that."""
    resp = HttpResponse(body, content_type=content_type)
    resp["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return resp


def ics_response(body: bytes, *, filename: str, attachment: bool = False, private: bool = False) -> HttpResponse:
    """An iCalendar file: a public feed calendar apps subscribe to (inline, cached five minutes), or one
    person's event to save (`attachment`, `private`: never cached)."""
    resp = HttpResponse(body, content_type=ICS_TYPE)
    resp["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    resp["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return resp
