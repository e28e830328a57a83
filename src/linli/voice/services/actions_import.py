"""Importing action items from a spreadsheet (CSV, as `linli import voice-actions` and the staff page read it),
all or nothing: every row is checked first; one bad row writes nothing (`import_invalid`, the rows named).

Columns: consultation_id (约请编号), title (事项), owner (责任方), due_on (期限 YYYY-MM-DD), and optionally
status (done/已完成) with evidence (完成情况). A header in Chinese or English."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.imports import ImportResult
from linli.core.models import Street, User
from linli.voice.models import ActionItem, ActionStatus, Consultation, ConsultationStatus

HEADERS = {
    "consultation_id": "consultation_id", "约请编号": "consultation_id", "title": "title", "事项": "title",
    "owner": "owner", "责任方": "owner", "due_on": "due_on", "期限": "due_on", "status": "status", "状态": "status",
    "evidence": "evidence", "完成情况": "evidence",
}  # fmt: skip
MAX_ROWS = 2000


def _rows(text: str | bytes) -> list[dict[str, str]]:
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    lines = list(reader)
    if not lines:
        raise Problem("import_invalid", errors=[field_error("file", _("文件是空的"))])
    header = [HEADERS.get(h.strip(), "") for h in lines[0]]
    missing = {"consultation_id", "title", "owner", "due_on"} - set(header)
    if missing:
        raise Problem("import_invalid", errors=[field_error("header", _("缺少列：约请编号、事项、责任方、期限"))])
    if len(lines) - 1 > MAX_ROWS:
        raise Problem("import_invalid", errors=[field_error("file", _("行数太多"))])
    return [{k: (v or "").strip() for k, v in zip(header, line, strict=False) if k} for line in lines[1:] if any(line)]


def actions_import(*, street: Street, text: str | bytes, actor: User | None = None, **_more: Any) -> ImportResult:
    rows = _rows(text)
    consultations = {c.pk: c for c in Consultation.objects.filter(street=street)}
    errors = []
    made: list[ActionItem] = []
    for line, row in enumerate(rows, start=2):
        cid = row.get("consultation_id", "")
        c = consultations.get(int(cid)) if cid.isdigit() else None
        try:
            due = dt.date.fromisoformat(row.get("due_on", ""))
        except ValueError:
            due = None
        if c is None or c.status in (ConsultationStatus.CLOSED, ConsultationStatus.CANCELLED):
            errors.append(field_error("consultation_id", _("没有这个进行中的约请"), line=line))
        if not row.get("title") or not row.get("owner"):
            errors.append(field_error("title", _("事项和责任方必填"), line=line))
        if due is None:
            errors.append(field_error("due_on", _("期限格式应为 YYYY-MM-DD"), line=line))
        done = row.get("status", "").lower() in ("done", "已完成")
        if done and not row.get("evidence"):
            errors.append(field_error("evidence", _("已完成的事项需写明完成情况"), line=line))
        if c is not None and due is not None:
            made.append(ActionItem(consultation=c, title=row["title"][:200], owner=row["owner"][:100], due_on=due,
                                   status=ActionStatus.DONE if done else ActionStatus.OPEN,
                                   evidence=row.get("evidence", "")[:500], done_at=timezone.now() if done else None))  # fmt: skip
    if errors:
        raise Problem("import_invalid", errors=errors)
    with transaction.atomic():
        ActionItem.objects.bulk_create(made)
    return ImportResult(created=len(made))
