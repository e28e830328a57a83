"""The work-order life cycle of a case: the transition table, who may make each move, merge, split, assign.

    new ──► dispatched ──► accepted ──► in_progress ──► resolved ──► verified ──► closed
     │          │             │                          ▲  │            │            │
     └──────────┴─────────────┴──► rejected (reason)     │  └────────────┴────────────┘
                                                         └── reopened to in_progress (safety officer / admin;
                                                             a closed case within REOPEN_DAYS; needs a reason)

- accept / start / resolve / reject: the grid worker of the case's grid or of one of its ancestors, the street's
  safety officers and admins ("handlers"); reject needs a reason.
- dispatch, verify, close, reopen, merge, split, assign: safety officers and admins ("supervisors").
- resolved needs at least one "after" photo and a resolution note.
- `merged` is entered only through `case_merge`; escalation is an event plus `queue = hq`, not a status.

Every transition is one conditional UPDATE on the status the caller saw (`... WHERE status = <from>`): of two
racing transitions the second finds no row and raises `case_invalid_transition`, writing nothing. Each writes a
CaseEvent, stamps its *_at column and pushes the change after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case, CaseEvent, CasePhoto, CaseStatus, PhotoKind, Queue, Report
from linli.cases.selectors import MERGEABLE_STATUSES, case_get, grid_ancestor_ids, is_case_staff
from linli.cases.services import push
from linli.cases.services.case_states import MACHINE, STAMP, TRANSITIONS, case_invalid_transition
from linli.cases.services.points import points_award_for_case
from linli.cases.services.reports import case_route, files_discard, photos_process, photos_save, route_note
from linli.core import hooks as core_hooks
from linli.core.errors import Problem, field_error
from linli.core.gis import grids_containing
from linli.core.i18n import Text, choice_label
from linli.core.models import Grid, Role, RoleAssignment
from linli.core.notifications import notify_user

S = CaseStatus
REOPEN_DAYS = 7
MAX_BULK = 200

HANDLER = "handler"
SUPERVISOR = "supervisor"
SUPERVISOR_ROLES = (Role.SAFETY_OFFICER, Role.ADMIN)
REOPEN_FROM = frozenset({S.RESOLVED, S.VERIFIED, S.CLOSED})
BULK_STATUSES = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.VERIFIED, S.CLOSED})


def required_level(from_status: str, to_status: str) -> str:
    """Who may make a move in the table: "handler" (grid worker of the grid or above, safety officer, admin) or
    "supervisor" (safety officer, admin)."""
    if to_status in (S.ACCEPTED, S.RESOLVED, S.REJECTED):
        return HANDLER
    if to_status == S.IN_PROGRESS and from_status not in REOPEN_FROM:
        return HANDLER
    return SUPERVISOR


def is_supervisor(actor: Any, case: Case) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=actor, street_id=case.street_id, role__in=SUPERVISOR_ROLES).exists()


def is_handler(actor: Any, case: Case) -> bool:
    """A supervisor, or a grid worker whose grid is the case's grid or one of its ancestors."""
    if is_supervisor(actor, case):
        return True
    if actor is None or not getattr(actor, "is_authenticated", False) or not case.grid_id:
        return False
    return RoleAssignment.objects.filter(
        user=actor,
        street_id=case.street_id,
        role=Role.GRID_WORKER,
        grid_id__in=grid_ancestor_ids(case.grid_id, street_id=case.street_id),
    ).exists()


def _denied(level: str) -> Problem:
    if level == SUPERVISOR:
        return Problem(
            "permission_denied",
            detail=_("只有本街道的平安专员或管理员可以进行此操作"),
        )
    return Problem(
        "permission_denied",
        detail=_("只有该网格的网格员、平安专员或管理员可以处理此事件"),
    )


_invalid = case_invalid_transition


def _reporters(case: Case) -> list[Any]:
    seen: dict[int, Any] = {}
    for r in Report.objects.filter(case=case, reporter__isnull=False).select_related("reporter"):
        if r.reporter is not None:
            seen.setdefault(r.reporter.pk, r.reporter)
    return list(seen.values())


def _tell_reporters(case: Case, to_status: str) -> None:
    if to_status == S.CLOSED:
        zh = f"您上报的问题（事件 #{case.pk}「{case.category.name_zh}」）已办结。{case.closing_note}".strip()
        en = f"The problem you reported (case #{case.pk}) has been dealt with. {case.closing_note}".strip()
    elif to_status == S.REJECTED:
        zh = f"您上报的问题（事件 #{case.pk}）经核实不予受理：{case.reject_reason}"
        en = f"Your report (case #{case.pk}) was not taken up: {case.reject_reason}"
    else:
        return
    for user in _reporters(case):
        notify_user(user=user, message_zh=zh, message_en=en)


def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: Any,
    note: str = "",
    photos: Iterable[Any] = (),
    reason: str = "",
    now: datetime | None = None,
) -> Case:
    """Move `case` to `to_status` if the table allows it and `actor` may; see the module docstring.
    `photos` ("after" photos) are taken when resolving. Problems: case_invalid_transition, permission_denied,
    validation_error, photo_invalid."""
    now = now or timezone.now()
    from_status = case.status
    MACHINE.check(case, to_status)
    level = required_level(from_status, to_status)
    if not (is_supervisor(actor, case) if level == SUPERVISOR else is_handler(actor, case)):
        raise _denied(level)
    note = (note or "").strip()
    reason = (reason or "").strip()
    if len(note) > 500 or len(reason) > 300:
        raise Problem("validation_error", errors=[field_error("note", _("说明过长"))])
    photo_list = list(photos or ())
    if photo_list and to_status != S.RESOLVED:
        raise Problem(
            "validation_error",
            errors=[field_error("photos", _("只有办结处置时可以上传处置后照片"))],
        )
    if to_status == S.REJECTED and not reason:
        raise Problem("validation_error", errors=[field_error("reason", _("驳回须填写理由"))])
    reopen = to_status == S.IN_PROGRESS and from_status in REOPEN_FROM
    if reopen and not reason:
        # Undoing someone's finished work: the handler and the record need to know why.
        raise Problem("validation_error", errors=[field_error("reason", _("重新打开须填写理由"))])
    if to_status == S.RESOLVED:
        errors = []
        if not photo_list:
            errors.append(field_error("photos", _("请上传至少一张处置后照片")))
        if not note:
            errors.append(field_error("note", _("请填写处置说明")))
        if errors:
            raise Problem("validation_error", errors=errors)
    if from_status == S.CLOSED and (case.closed_at is None or now - case.closed_at > timedelta(days=REOPEN_DAYS)):
        raise Problem(
            "case_invalid_transition",
            detail=format_lazy(_("事件办结已超过 {days} 天，不能重新打开，请新建上报"), days=REOPEN_DAYS),
            extra={"from_status": from_status, "to_status": to_status},
        )
    processed = photos_process(photo_list) if photo_list else []

    saved: list[CasePhoto] = []
    try:
        with transaction.atomic():
            fields: dict[str, Any] = {"updated_at": now}
            if to_status == S.ACCEPTED and case.assignee_id is None:
                fields["assignee"] = actor
            if to_status == S.RESOLVED:
                fields["resolution_note"] = note
            if to_status == S.CLOSED:
                fields["closing_note"] = note or case.resolution_note
            if to_status == S.REJECTED:
                fields["reject_reason"] = reason
            if to_status == S.IN_PROGRESS and from_status in REOPEN_FROM:
                fields.update(resolved_at=None, verified_at=None, closed_at=None, closing_note="")
            MACHINE.move(
                case,
                to_status,
                actor=actor,
                note=reason if to_status == S.REJECTED or reopen else note,
                now=now,
                fields=fields,
                data={"photos": len(processed)} if processed else {},
            )
            photos_save(case=case, photos=processed, kind=PhotoKind.AFTER, report=None, saved=saved)
            if to_status == S.VERIFIED:
                points_award_for_case(case=case, now=now)
            push.case_push(case=case, event=to_status)
            _tell_reporters(case, to_status)
    except BaseException:
        files_discard(saved)
        raise
    return case


def cases_transition_bulk(
    *, case_ids: Sequence[int], to_status: str, actor: Any, note: str = "", now: datetime | None = None
) -> list[dict[str, Any]]:
    """Move several cases at once (the console's bulk accept / dispatch / close). Per-item results: each case is
    its own transaction, so one case a colleague has just moved does not undo the others; each result says
    {"id", "ok": true, "status"} or {"id", "ok": false, "code", "detail"}. Only moves that need no reason or
    photo are allowed in bulk (dispatched, accepted, in_progress, verified, closed)."""

    if to_status not in BULK_STATUSES:
        raise Problem(
            "validation_error",
            errors=[field_error("to_status", _("批量操作只能派单、接单、开始处置、核查或办结"))],
        )
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids or len(ids) > MAX_BULK:
        raise Problem(
            "validation_error",
            errors=[field_error("case_ids", format_lazy(_("请选择 1 至 {max} 个事件"), max=MAX_BULK))],
        )
    results: list[dict[str, Any]] = []
    for case_id in ids:
        try:
            case = case_get(case_id=case_id)
            if not is_case_staff(actor, case):
                raise Problem("not_found", detail=format_lazy(_("没有编号为 {case} 的事件"), case=case_id))
            case_transition(case=case, to_status=to_status, actor=actor, note=note, now=now)
            results.append({"id": case_id, "ok": True, "status": case.status})
        except Problem as problem:
            results.append({"id": case_id, "ok": False, "code": problem.code, "detail": str(problem.detail)})
    return results


# ------------------------------------------------------------------------------------------- assign


def case_facts_changed(case: Case) -> None:
    """Tell `core.hooks.work_recorded` ("cases.changed") every day on which `case` has a counted fact (its report,
    its moves): re-routing it or changing its deadline changes where or how those facts are counted."""
    days = {timezone.localtime(case.created_at).date()}
    days.update(
        timezone.localtime(at).date() for at in CaseEvent.objects.filter(case=case).values_list("at", flat=True)
    )
    for day in sorted(days):
        at = timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))
        core_hooks.work_recorded(kind="cases.changed", street_id=case.street_id, at=at)


@transaction.atomic
def case_assign(
    *, case: Case, assignee: Any, actor: Any, grid: Grid | None = None, now: datetime | None = None
) -> Case:
    """Hand the case to `assignee` (case staff of its street: a grid worker of the case's grid or above, a safety
    officer or admin) and optionally re-route it to `grid`. Supervisors only."""
    now = now or timezone.now()
    if not is_supervisor(actor, case):
        raise _denied(SUPERVISOR)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in MERGEABLE_STATUSES:
        raise _invalid(case, locked.status, locked.status)
    fields: dict[str, Any] = {"updated_at": now}
    notes = []
    if grid is not None:
        if grid.street_id != case.street_id:
            raise Problem("validation_error", errors=[field_error("grid", _("网格不属于该街道"))])
        g, queue = case_route(grid)
        fields.update(grid=g, queue=queue)
        notes.append(route_note(g, queue))
        case.grid, case.queue = g, queue
    if assignee is not None:
        if not is_handler(assignee, case):
            raise Problem(
                "validation_error",
                errors=[field_error("assignee", _("只能指派给该网格的网格员、平安专员或管理员"))],
            )
        fields["assignee"] = assignee
        notes.append(f"指派给 assigned to {assignee.display_name or '工作人员'}")
    Case.objects.filter(pk=case.pk).update(**fields)
    for name, value in fields.items():
        setattr(case, name, value)
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        action="assign",
        from_status=locked.status,
        to_status=locked.status,
        note="；".join(notes)[:500],
        data={"assignee": getattr(assignee, "pk", None), "grid": grid.external_id if grid else None},
    )
    if grid is not None and locked.grid_id != case.grid_id:
        case_facts_changed(case)  # its counted facts now belong to another grid
    push.case_push(case=case, event="assign")
    if assignee is not None and assignee.pk != getattr(actor, "pk", None):
        push.case_sms(
            users=[assignee],
            message_zh=f"事件 #{case.pk}「{case.category.name_zh}」已指派给您，请及时处置。",
            message_en=f"Case #{case.pk} has been assigned to you.",
        )
    return case


# ------------------------------------------------------------------------------------- merge / split


def _merge_invalid(detail: Text) -> Problem:
    return Problem("merge_invalid", detail=detail)


@transaction.atomic
def case_merge(
    *, target: Case, sources: Sequence[Case], actor: Any, note: str = "", now: datetime | None = None
) -> Case:
    """Merge `sources` into `target` (same street, all open): the sources' reports and photos move to the target
    (its count grows by theirs), each source becomes `merged` with `merged_into = target`. Supervisors only.
    All rows are locked in id order first, so concurrent merges cannot deadlock or double-count."""
    now = now or timezone.now()
    if not is_supervisor(actor, target):
        raise _denied(SUPERVISOR)
    source_ids = sorted({s.pk for s in sources})
    if not source_ids:
        raise _merge_invalid(_("请选择要合并的事件"))
    if target.pk in source_ids:
        raise _merge_invalid(_("不能把事件合并到自己"))
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[target.pk, *source_ids]).order_by("pk")}
    if len(locked) != len(source_ids) + 1:
        raise _merge_invalid(_("有事件不存在"))
    for c in locked.values():
        if c.street_id != target.street_id:
            raise _merge_invalid(_("只能合并同一街道的事件"))
        if c.status not in MERGEABLE_STATUSES:
            raise _merge_invalid(
                format_lazy(
                    _("事件 #{case} 为「{status}」，不能合并"), case=c.pk, status=choice_label(CaseStatus, c.status)
                )
            )
    moved = Report.objects.filter(case_id__in=source_ids).update(case_id=target.pk)
    CasePhoto.objects.filter(case_id__in=source_ids).update(case_id=target.pk)
    Case.objects.filter(merged_into_id__in=source_ids).update(merged_into_id=target.pk)
    Case.objects.filter(pk=target.pk).update(reports_count=F("reports_count") + moved, updated_at=now)
    Case.objects.filter(pk__in=source_ids).update(
        status=S.MERGED, merged_into_id=target.pk, reports_count=0, updated_at=now
    )
    actor_obj = actor if getattr(actor, "pk", None) else None
    note = (note or "").strip()[:300]
    for sid in source_ids:
        src = locked[sid]
        CaseEvent.objects.create(
            case_id=sid,
            at=now,
            actor=actor_obj,
            action="merge",
            from_status=src.status,
            to_status=S.MERGED,
            note=f"并入事件 #{target.pk} merged into #{target.pk}" + (f"：{note}" if note else ""),
            data={"target": target.pk},
        )
    CaseEvent.objects.create(
        case_id=target.pk,
        at=now,
        actor=actor_obj,
        action="merge",
        from_status=locked[target.pk].status,
        to_status=locked[target.pk].status,
        note=f"合并事件 merged {', '.join(f'#{i}' for i in source_ids)}" + (f"：{note}" if note else ""),
        data={"sources": source_ids, "reports_moved": moved},
    )
    target.refresh_from_db()
    push.case_push(case=target, event="merge")
    for src in Case.objects.filter(pk__in=source_ids).select_related("street", "category", "grid"):
        push.case_push(case=src, event="merged")
    return target


def case_split(
    *, case: Case, report_ids: Sequence[int], actor: Any, note: str = "", now: datetime | None = None
) -> Case:
    """Move the chosen reports (not all of them) of `case` to a new case, located at the first of them and
    routed afresh (new SLA clocks from now). Supervisors only. Returns the new case."""
    now = now or timezone.now()
    if not is_supervisor(actor, case):
        raise _denied(SUPERVISOR)
    ids = sorted({int(i) for i in report_ids})
    if not ids:
        raise _merge_invalid(_("请选择要拆分出去的上报"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category", "street").get(pk=case.pk)
        if locked.status not in MERGEABLE_STATUSES:
            raise _merge_invalid(
                format_lazy(
                    _("事件 #{case} 为「{status}」，不能拆分"),
                    case=case.pk,
                    status=choice_label(CaseStatus, locked.status),
                )
            )
        reports = list(
            Report.objects.filter(case=locked, pk__in=ids).select_related("category").order_by("created_at", "id")
        )
        if len(reports) != len(ids):
            raise _merge_invalid(_("所选上报不属于该事件"))
        if Report.objects.filter(case=locked).count() <= len(ids):
            raise _merge_invalid(_("至少要留一条上报在原事件"))
        first = reports[0]
        categories = {r.category_id for r in reports}
        category = first.category if len(categories) == 1 else locked.category
        hits = grids_containing(street=locked.street, lat=first.lat, lng=first.lng)
        grid, queue = case_route(hits[-1] if hits else None)
        new = Case.objects.create(
            street=locked.street,
            category=category,
            status=S.NEW,
            lat=first.lat,
            lng=first.lng,
            address=first.address,
            description=first.description,
            grid=grid,
            queue=queue,
            reports_count=len(ids),
            created_at=now,
            updated_at=now,
            response_due_at=now + timedelta(minutes=category.response_minutes),
            resolution_due_at=now + timedelta(minutes=category.resolution_minutes),
        )
        Report.objects.filter(pk__in=ids).update(case=new)
        CasePhoto.objects.filter(report_id__in=ids).update(case=new)
        Case.objects.filter(pk=locked.pk).update(reports_count=F("reports_count") - len(ids), updated_at=now)
        actor_obj = actor if getattr(actor, "pk", None) else None
        note = (note or "").strip()[:300]
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=actor_obj,
            action="split",
            from_status=locked.status,
            to_status=locked.status,
            note=f"拆分出事件 #{new.pk} split off #{new.pk}" + (f"：{note}" if note else ""),
            data={"new_case": new.pk, "report_ids": ids},
        )
        CaseEvent.objects.create(
            case=new,
            at=now,
            actor=actor_obj,
            action="split",
            from_status="",
            to_status=S.NEW,
            note=f"自事件 #{locked.pk} 拆分 split from #{locked.pk}" + (f"：{note}" if note else ""),
            data={"from_case": locked.pk, "report_ids": ids},
        )
        MACHINE.move(
            new,
            S.DISPATCHED,
            note=route_note(grid, queue),
            now=now,
            data={"grid": grid.external_id if grid else None, "queue": queue},
        )
        locked.refresh_from_db()
        case.reports_count = locked.reports_count
        push.case_push(case=locked, event="split")
        push.case_push(case=new, event="created")
        push.case_sms_urgent(case=new)
    return new


__all__ = [
    "BULK_STATUSES",
    "REOPEN_DAYS",
    "STAMP",
    "TRANSITIONS",
    "Queue",
    "case_assign",
    "case_merge",
    "case_split",
    "case_transition",
    "cases_transition_bulk",
    "is_handler",
    "is_supervisor",
    "required_level",
]
