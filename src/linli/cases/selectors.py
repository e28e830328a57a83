"""Cases reads shared by the API, the pages and the console. Tenancy and visibility live here.

Who sees a case:
- its reporters (each sees the case, its timeline and photos, never another reporter's identity);
- the street's safety officers and admins (every case of the street);
- grid workers: the cases of their grid's subtree (their grid and every grid below it). The HQ queue without a
  grid is the safety officers' and admins' business, so grid workers do not see it unless it is escalated from
  their grid (such a case keeps its grid).
Anyone else gets `not_found` (whether a case exists is not disclosed).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case, CaseCategory, CaseEvent, CaseStatus, Report, SentinelPoints
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text, choice_label, choice_label_in
from linli.core.models import Grid, Role, RoleAssignment, Street, User
from linli.core.phones import mask_personal_text, mask_phone
from linli.core.spreadsheets import CsvWriter

# What each timeline event did, in words.
ACTION_LABELS: dict[str, Text] = {
    "transition": _("状态变更"),
    "report": _("新上报"),
    "merge": _("合并"),
    "split": _("拆分"),
    "remind": _("时限提醒"),
    "escalate": _("超时上报指挥部"),
    "assign": _("指派"),
    "deadline": _("设定时限"),
    "comment": _("指挥部批示"),
}

# A new report may merge into a case in these statuses ("open": not closed, rejected or merged).
MERGEABLE_STATUSES = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.DISPATCHED,
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.RESOLVED,
        CaseStatus.VERIFIED,
    }
)
# The resolution clock runs in these (SLA reminders and escalation; the "overdue" filter).
UNRESOLVED_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS})
CASE_STAFF_ROLES = (Role.GRID_WORKER, Role.SAFETY_OFFICER, Role.ADMIN)
STREET_WIDE_ROLES = (Role.SAFETY_OFFICER, Role.ADMIN)
# How staff appear on a case's timeline: by role (and, to staff, by name), never by phone number.
ROLE_LABELS: dict[str, Text] = {
    Role.GRID_WORKER: _("网格员"),
    Role.SAFETY_OFFICER: _("平安专员"),
    Role.ADMIN: _("街道指挥部"),
    Role.STATION_STAFF: _("工作人员"),
}


# ---------------------------------------------------------------------------------------------- grids


def _street_grid_parents(street_id: int) -> dict[int, int | None]:
    # order_by(): the model's default ordering would join the street table for nothing.
    return dict(Grid.objects.filter(street_id=street_id).order_by().values_list("id", "parent_id"))


def grid_ancestor_ids(grid_id: int, *, street_id: int) -> list[int]:
    """The grid and its ancestors, root first (HQ, workstation, unit)."""
    parents = _street_grid_parents(street_id)
    chain: list[int] = []
    current: int | None = grid_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return list(reversed(chain))


def grid_subtree_ids(grid_ids: set[int], *, street_id: int) -> set[int]:
    """The grids and every grid below them."""
    parents = _street_grid_parents(street_id)
    children: dict[int, list[int]] = {}
    for gid, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(gid)
    out: set[int] = set()
    stack = [g for g in grid_ids if g in parents]
    while stack:
        gid = stack.pop()
        if gid in out:
            continue
        out.add(gid)
        stack.extend(children.get(gid, []))
    return out


# ------------------------------------------------------------------------------------------ staff scope


def staff_scope(user: User, street: Street) -> str | set[int] | None:
    """ "all" for the street's safety officers and admins (and superusers), the grid ids a grid worker covers,
    None when the user is no case staff of the street."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return "all"
    held = list(
        RoleAssignment.objects.filter(user=user, street=street, role__in=CASE_STAFF_ROLES).values_list(
            "role", "grid_id"
        )
    )
    if any(role in STREET_WIDE_ROLES for role, _ in held):
        return "all"
    grids = {gid for role, gid in held if role == Role.GRID_WORKER and gid}
    if not held:
        return None
    return grid_subtree_ids(grids, street_id=street.pk)


def is_case_staff(user: User, case: Case) -> bool:
    scope = staff_scope(user, case.street)
    if scope is None:
        return False
    return scope == "all" or (case.grid_id is not None and case.grid_id in scope)


def is_reporter(user: User, case: Case) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Report.objects.filter(case=case, reporter=user).exists()


def _case_qs() -> QuerySet[Case]:
    return Case.objects.select_related("street", "category", "grid", "assignee", "merged_into")


def case_get(*, case_id: int) -> Case:
    case = _case_qs().filter(pk=case_id).first()
    if case is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {case} 的事件"), case=case_id))
    return case


def case_get_for_user(*, case_id: int, user: User) -> Case:
    """The case if `user` may see it (reporter or staff, see the module docstring), else `not_found`."""
    case = case_get(case_id=case_id)
    if is_case_staff(user, case) or is_reporter(user, case):
        return case
    raise Problem("not_found", detail=format_lazy(_("没有编号为 {case} 的事件"), case=case_id))


def case_get_for_staff(*, case_id: int, user: User) -> Case:
    """The case if `user` is case staff for it; a reporter gets `permission_denied`, anyone else `not_found`."""
    case = case_get(case_id=case_id)
    if is_case_staff(user, case):
        return case
    if is_reporter(user, case):
        raise Problem("permission_denied", detail=_("只有工作人员可以处理事件"))
    raise Problem("not_found", detail=format_lazy(_("没有编号为 {case} 的事件"), case=case_id))


# ------------------------------------------------------------------------------------------- shapes


def mask_name(name: str) -> str:
    """ "张师傅" -> "张**": enough for a leaderboard, not enough to identify someone."""
    name = (name or "").strip()
    if not name:
        return str(_("匿名"))
    return name[0] + "*" * min(max(len(name) - 1, 1), 2)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _staff_label(user: User, roles_by_user: dict[int, str]) -> str:
    """ "网格员 陈网格员": the role and the display name the staff member chose; never a phone number."""
    role = roles_by_user.get(user.pk)
    label = str(ROLE_LABELS.get(role or "", _("工作人员")))
    return f"{label} {user.display_name}" if user.display_name else label


def _actor_label(
    event: CaseEvent, *, viewer: User | None, staff_view: bool, reporter_ids: set[int], roles_by_user: dict[int, str]
) -> str:
    actor = event.actor
    if actor is None:
        return str(_("系统"))
    if viewer is not None and actor.pk == getattr(viewer, "pk", None):
        return str(_("我"))
    is_staff_actor = actor.pk in roles_by_user or actor.is_superuser
    if is_staff_actor and event.action != "report":
        if staff_view:
            return _staff_label(actor, roles_by_user)
        return str(ROLE_LABELS.get(roles_by_user.get(actor.pk, ""), _("工作人员")))
    if actor.pk in reporter_ids or event.action == "report":
        if staff_view:
            return str(format_lazy(_("上报人 {name}"), name=mask_name(actor.display_name)))
        return str(_("其他上报人"))
    return str(_("工作人员"))


def category_to_dict(category: CaseCategory) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name_zh,
        "name_en": category.name_en,
        "description": category.description,
        "urgent": category.urgent,
        "response_minutes": category.response_minutes,
        "resolution_minutes": category.resolution_minutes,
        "points": category.points,
    }


def category_list_for_street(*, street: Street) -> QuerySet[CaseCategory]:
    return CaseCategory.objects.filter(street=street, is_active=True).order_by("sort_order", "code")


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(case.status in UNRESOLVED_STATUSES and case.resolution_due_at and case.resolution_due_at < now)


def case_row(case: Case, *, now: datetime | None = None) -> dict[str, Any]:
    """A list row (console, my reports): no personal information."""
    return {
        "id": case.pk,
        "status": case.status,
        "status_label": str(choice_label(CaseStatus, case.status)),
        "category": {"code": case.category.code, "name": case.category.name_zh, "name_en": case.category.name_en},
        "grid": {"external_id": case.grid.external_id, "name": case.grid.name} if case.grid else None,
        "queue": case.queue,
        "reports_count": case.reports_count,
        "lat": case.lat,
        "lng": case.lng,
        "address": mask_personal_text(case.address),
        "description": mask_personal_text(case.description),
        "created_at": _iso(case.created_at),
        "response_due_at": _iso(case.response_due_at),
        "resolution_due_at": _iso(case.resolution_due_at),
        "overdue": is_overdue(case, now),
        "escalated": case.escalated_at is not None,
        "urgent": case.category.urgent,
    }


def case_to_dict(case: Case, *, user: User | None = None) -> dict[str, Any]:
    """The case as its reporters and staff see it: status, place, due times, photos and the timeline.

    Actors are shown by role label (staff views add the staff member's display name); a reporter never sees
    another reporter's identity, and nobody sees a phone number here: texts are masked (`mask_personal_text`);
    only staff read each report's own words. Staff views also list the reports."""
    staff_view = user is not None and is_case_staff(user, case)
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))
    reports = list(Report.objects.filter(case=case).select_related("reporter", "category").order_by("created_at", "id"))
    reporter_ids = {r.reporter_id for r in reports if r.reporter_id}
    actor_ids = {e.actor_id for e in events if e.actor_id}
    roles_by_user: dict[int, str] = {}
    rank: dict[str, int] = {Role.ADMIN: 0, Role.SAFETY_OFFICER: 1, Role.GRID_WORKER: 2, Role.STATION_STAFF: 3}
    for uid, role in RoleAssignment.objects.filter(
        street_id=case.street_id, user_id__in=actor_ids, role__in=list(rank)
    ).values_list("user_id", "role"):
        if uid not in roles_by_user or rank[role] < rank[roles_by_user[uid]]:
            roles_by_user[uid] = role
    timeline = [
        {
            "at": _iso(e.at),
            "action": e.action,
            "action_label": str(ACTION_LABELS.get(e.action, e.action)),
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": mask_personal_text(e.note),
            "actor": _actor_label(
                e, viewer=user, staff_view=staff_view, reporter_ids=reporter_ids, roles_by_user=roles_by_user
            ),
        }
        for e in events
    ]
    body = {
        "id": case.pk,
        "street": case.street.code,
        "status": case.status,
        "status_label": str(choice_label(CaseStatus, case.status)),
        "status_label_en": choice_label_in(CaseStatus, case.status, "en"),
        "category": {"code": case.category.code, "name": case.category.name_zh, "name_en": case.category.name_en},
        "grid": {"external_id": case.grid.external_id, "name": case.grid.name} if case.grid else None,
        "queue": case.queue,
        "reports_count": case.reports_count,
        "lat": case.lat,
        "lng": case.lng,
        "address": mask_personal_text(case.address),
        "description": mask_personal_text(case.description),
        "created_at": _iso(case.created_at),
        "response_due_at": _iso(case.response_due_at),
        "resolution_due_at": _iso(case.resolution_due_at),
        "overdue": is_overdue(case),
        "escalated": case.escalated_at is not None,
        "merged_into": case.merged_into_id,
        "closing_note": mask_personal_text(case.closing_note),
        "resolution_note": mask_personal_text(case.resolution_note),
        "reject_reason": mask_personal_text(case.reject_reason),
        # The permission-checked photo view, never the public media URL (not served in production, and it
        # would skip the check that only the case's reporters and staff see its photos).
        "photos": [
            {"url": reverse("cases:photo", args=[p.pk]), "kind": p.kind}
            for p in case.photos.all().order_by("created_at", "id")
        ],
        "timeline": timeline,
    }
    if staff_view:
        body["assignee"] = _staff_label(case.assignee, roles_by_user) if case.assignee else None
        body["reports"] = [
            {
                "id": r.pk,
                "created_at": _iso(r.created_at),
                "source": r.source,
                "category": r.category.code,
                "lat": r.lat,
                "lng": r.lng,
                "description": r.description,
                "reporter": (mask_name(r.reporter.display_name) if r.reporter and r.reporter.display_name else None)
                or (
                    mask_phone(r.reporter.phone)
                    if r.reporter
                    else mask_phone(r.contact_phone)
                    if r.contact_phone
                    else None
                ),
            }
            for r in reports
        ]
    return body


# -------------------------------------------------------------------------------------------- lists


def case_list(
    *,
    user: User,
    street: Street,
    status: str | None = None,
    category: str | None = None,
    grid: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The street's cases the staff member may see, filtered. `status` may list several, comma-separated;
    `grid` is a grid's external id (its subtree is included); `overdue` = unresolved past the resolution target."""
    scope = staff_scope(user, street)
    if scope is None:
        raise Problem(
            "permission_denied",
            detail=format_lazy(_("您不是{street}的网格员、平安专员或管理员"), street=street.name),
        )
    qs = _case_qs().filter(street=street)
    if scope != "all":
        qs = qs.filter(grid_id__in=scope)
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        bad = [s for s in wanted if s not in CaseStatus.values]
        if bad:
            raise Problem(
                "validation_error",
                errors=[field_error("status", format_lazy(_("没有状态 {status}"), status=bad[0]))],
            )
        qs = qs.filter(status__in=wanted)
    if category:
        if not CaseCategory.objects.filter(street=street, code=category).exists():
            raise Problem("unknown_category", detail=format_lazy(_("没有类别 {category}"), category=category))
        qs = qs.filter(category__code=category)
    if grid:
        g = Grid.objects.filter(street=street, external_id=grid).first()
        if g is None:
            raise Problem("validation_error", errors=[field_error("grid", _("没有这个网格"))])
        qs = qs.filter(grid_id__in=grid_subtree_ids({g.pk}, street_id=street.pk))
    if overdue is not None:
        now = now or timezone.now()
        late = Q(status__in=list(UNRESOLVED_STATUSES), resolution_due_at__lt=now)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if q:
        q = q.strip()
        cond = Q(description__icontains=q) | Q(address__icontains=q) | Q(category__name_zh__icontains=q)
        if q.lstrip("#").isdigit():
            cond |= Q(pk=int(q.lstrip("#")))
        qs = qs.filter(cond)
    return qs.order_by("-created_at", "-id")


CATCH_UP_LIMIT = 500


def cases_changed_since(*, user: User, street: Street, since: datetime, limit: int = CATCH_UP_LIMIT) -> list[Case]:
    """The street's cases changed at or after `since` that `user` hears of live (their grids' cases, every case
    for street-wide staff, and the cases of categories naming a role they hold), oldest change first: what a
    console missed while its socket was down."""
    scope = staff_scope(user, street)
    held_roles = set(
        RoleAssignment.objects.filter(user=user, street=street, role__in=CASE_STAFF_ROLES).values_list(
            "role", flat=True
        )
    )
    if scope is None and not held_roles and not getattr(user, "is_superuser", False):
        return []
    qs = _case_qs().filter(street=street, updated_at__gte=since).order_by("updated_at", "id")
    out = []
    for case in qs[: limit * 4]:
        visible = scope == "all" or (isinstance(scope, set) and case.grid_id in scope)
        if not visible and held_roles & set(case.category.roles or []) - {Role.GRID_WORKER}:
            visible = True
        if visible:
            out.append(case)
            if len(out) >= limit:
                break
    return out


def report_list_for_user(*, user: User) -> list[dict[str, Any]]:
    """A person's own reports with the current state of each report's case ("my reports")."""
    rows = (
        Report.objects.filter(reporter=user)
        .select_related("case", "case__category", "category", "street")
        .order_by("-created_at", "-id")[:200]
    )
    out = []
    for r in rows:
        case = r.case
        out.append(
            {
                "report_id": r.pk,
                "created_at": _iso(r.created_at),
                "street": r.street.code,
                "category": {"code": r.category.code, "name": r.category.name_zh, "name_en": r.category.name_en},
                "description": r.description,
                "lat": r.lat,
                "lng": r.lng,
                "case": {
                    "id": case.pk,
                    "status": case.status,
                    "status_label": str(choice_label(CaseStatus, case.status)),
                    "reports_count": case.reports_count,
                    "closing_note": mask_personal_text(case.closing_note),
                    "merged_into": case.merged_into_id,
                },
            }
        )
    return out


def leaderboard(*, street: Street, days: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Riders ranked by sentinel points in the street (all time, or the last `days`). Names masked, no phones."""
    qs = SentinelPoints.objects.filter(street=street)
    if days:
        qs = qs.filter(at__gte=timezone.now() - timedelta(days=days))
    rows = (
        qs.values("user_id", "user__display_name")
        .annotate(points=Sum("points"), reports=Count("id"))
        .order_by("-points", "user_id")[:limit]
    )
    return [
        {
            "rank": i + 1,
            "name": mask_name(row["user__display_name"] or "骑手"),
            "points": row["points"],
            "reports": row["reports"],
        }
        for i, row in enumerate(rows)
    ]


def case_stats(*, user: User, street: Street, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """For the console chart: per category, cases opened in the last `days` (total, open, closed, rejected) and
    the median and mean hours from report to close of those closed."""
    now = now or timezone.now()
    qs = case_list(user=user, street=street).filter(created_at__gte=now - timedelta(days=days))
    by_cat: dict[str, dict[str, Any]] = {}
    for cat in category_list_for_street(street=street):
        by_cat[cat.code] = {
            "code": cat.code,
            "name": cat.name_zh,
            "name_en": cat.name_en,
            "total": 0,
            "open": 0,
            "closed": 0,
            "rejected": 0,
        }
    all_hours: list[float] = []
    hours_by_cat: dict[str, list[float]] = {}
    # Counted by the database and only three columns read for the hours: a month of a busy street is thousands of
    # cases, which as model instances cost seconds.
    live = qs.exclude(status=CaseStatus.MERGED).order_by()
    counts = live.values_list("category__code", "category__name_zh", "category__name_en", "status").annotate(
        n=Count("id")
    )
    for code, name_zh, name_en, status, n in counts:
        row = by_cat.setdefault(
            code,
            {"code": code, "name": name_zh, "name_en": name_en, "total": 0, "open": 0, "closed": 0, "rejected": 0},
        )
        row["total"] += n
        if status == CaseStatus.CLOSED:
            row["closed"] += n
        elif status == CaseStatus.REJECTED:
            row["rejected"] += n
        else:
            row["open"] += n
    closed = live.filter(status=CaseStatus.CLOSED, closed_at__isnull=False)
    for code, created_at, closed_at in closed.values_list("category__code", "created_at", "closed_at"):
        h = (closed_at - created_at).total_seconds() / 3600 if closed_at else 0.0
        all_hours.append(h)
        hours_by_cat.setdefault(code, []).append(h)
    for code, row in by_cat.items():
        hours = hours_by_cat.get(code, [])
        row["median_hours_to_close"] = round(statistics.median(hours), 2) if hours else None
        row["avg_hours_to_close"] = round(statistics.fmean(hours), 2) if hours else None
    return {
        "street": street.code,
        "days": days,
        "categories": list(by_cat.values()),
        "total": sum(r["total"] for r in by_cat.values()),
        "median_hours_to_close": round(statistics.median(all_hours), 2) if all_hours else None,
        "avg_hours_to_close": round(statistics.fmean(all_hours), 2) if all_hours else None,
    }


CSV_COLUMNS = [
    ("id", "编号 ID"),
    ("category", "类别 category"),
    ("status", "状态 status"),
    ("grid", "网格 grid"),
    ("queue", "队列 queue"),
    ("reports_count", "上报数 reports"),
    ("address", "地址 address"),
    ("lat", "纬度 lat"),
    ("lng", "经度 lng"),
    ("created_at", "上报时间 created"),
    ("resolution_due_at", "办结时限 due"),
    ("closed_at", "办结时间 closed"),
    ("overdue", "超时 overdue"),
    ("description", "描述 description"),
]


def cases_csv(qs: QuerySet[Case]) -> bytes:
    """CSV in UTF-8 with a BOM (Excel shows the Chinese), no personal information, formula-safe cells."""
    writer = CsvWriter()
    writer.row([h for _, h in CSV_COLUMNS])
    now = timezone.now()
    for case in qs.iterator(chunk_size=500):
        writer.row(
            [
                case.pk,
                case.category.name_zh,
                choice_label_in(CaseStatus, case.status, "zh-hans"),  # the sheet is Chinese, as its headers
                case.grid.name if case.grid else "",
                case.queue,
                case.reports_count,
                case.address,
                f"{case.lat:.6f}",
                f"{case.lng:.6f}",
                _iso(case.created_at) or "",
                _iso(case.resolution_due_at) or "",
                _iso(case.closed_at) or "",
                "是" if is_overdue(case, now) else "",
                case.description,
            ]
        )
    return writer.bytes()
