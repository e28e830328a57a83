"""`linli import jobs FILE.csv --street CODE`: jobs collected from the street's employers (岗位募集).

The whole file is checked first and every bad line reported with its number (`Problem("csv_invalid")`); then
all of it is written in one transaction. Lines name the employer by its unified social credit code (a verified
employer of the street); a re-import updates jobs by `id` within their employer. Columns: see `CSV_COLUMNS`."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.imports import ImportResult
from linli.core.inputs import InputError, clean_text
from linli.core.lenient import decode_text, parse_date, parse_int
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.jobs.models import Employer
from linli.jobs.services.jobs import JobValues, job_rows_write, job_values_errors

CSV_COLUMNS = ("id", "credit_code", "title", "occupation", "lat", "lng", "address", "hours_kind", "shifts",
               "pay_min_yuan", "pay_max_yuan", "openings", "valid_through", "step_free", "heavy_lifting",
               "description")  # fmt: skip
REQUIRED = ("credit_code", "title", "occupation", "lat", "lng", "hours_kind", "valid_through")
YES = frozenset({"yes", "y", "true", "1", "是"})
MAX_LINES = 20_000


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _line(n: int, cells: dict[str, str], employers: dict[str, Employer], today: Any) -> tuple[Any, list[Any]]:
    errors: list[dict[str, Any]] = []

    def err(name: str, message: Any) -> None:
        errors.append(field_error(name, message, line=n))

    for name in REQUIRED:
        if not cells.get(name):
            err(name, _("必填"))
    if errors:
        return None, errors
    employer = employers.get(cells["credit_code"].upper())
    if employer is None:
        err("credit_code", format_lazy(_("本街道没有已核验的用人单位 {code}"), code=cells["credit_code"]))
    lat, lng = _float(cells["lat"]), _float(cells["lng"])
    if lat is None or lng is None:
        err("lat", _("坐标必须是数字"))
    valid = parse_date(cells["valid_through"])
    if valid is None:
        err("valid_through", _("日期格式应为 YYYY-MM-DD"))
    pays = [parse_int(cells.get(k) or "0") for k in ("pay_min_yuan", "pay_max_yuan")]
    openings = parse_int(cells.get("openings") or "1")
    if any(p is None for p in pays) or openings is None:
        err("pay_min_yuan", _("工资和人数必须是整数"))
    if errors or employer is None or lat is None or lng is None or valid is None or openings is None:
        return None, errors
    values = JobValues(
        title=cells["title"], occupation=cells["occupation"], lat=lat, lng=lng, hours_kind=cells["hours_kind"],
        valid_through=valid, shifts=[s.strip() for s in cells.get("shifts", "").split("|") if s.strip()],
        address=cells.get("address", ""), pay_min_fen=(pays[0] or 0) * 100, pay_max_fen=(pays[1] or 0) * 100,
        openings=openings, step_free=cells.get("step_free", "").lower() in YES,
        heavy_lifting=cells.get("heavy_lifting", "").lower() in YES, description=cells.get("description", ""),
        external_id=cells.get("id", ""),
    )  # fmt: skip
    for e in job_values_errors(values, today=today):
        errors.append({**e, "line": n})
    return (employer, values), errors


def jobs_import(*, street: Street, text: str | bytes, actor: User | None = None) -> ImportResult:
    if isinstance(text, bytes):
        text, _encoding = decode_text(text)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Problem("csv_invalid", errors=[field_error("header", format_lazy(_("缺少列：{columns}"),
                                                                             columns=", ".join(missing)))])  # fmt: skip
    employers = {e.credit_code: e for e in Employer.objects.filter(street=street, verified_at__isnull=False)}
    today = timezone.localdate()
    errors: list[dict[str, Any]] = []
    rows: list[tuple[Employer, JobValues]] = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(reader, start=2):
        if n - 1 > MAX_LINES:
            errors.append(field_error("file", _("行数太多"), line=n))
            break
        try:
            cells = {str(k).strip().lower(): clean_text(str(v or "")).strip() for k, v in raw.items() if k}
        except InputError as exc:
            errors.append(field_error("line", exc.message, line=n))
            continue
        row, line_errors = _line(n, cells, employers, today)
        key = (cells.get("credit_code", "").upper(), cells.get("id", ""))
        if key[1] and key in seen:
            line_errors.append(field_error("id", format_lazy(_("与第 {line} 行重复"), line=seen[key]), line=n))
        seen[key] = n
        errors.extend(line_errors)
        if row is not None and not line_errors:
            rows.append(row)
    if errors:
        raise Problem("csv_invalid", detail=format_lazy(_("共 {count} 处错误"), count=len(errors)), errors=errors)
    with transaction.atomic():
        created, updated = job_rows_write(street=street, rows=rows, actor=actor)
        audit_log(actor=actor, action="jobs.jobs.import", street=street, data={"created": created, "updated": updated})
    return ImportResult(created=created, updated=updated)
