"""Reports in, cases out: categories, where a point belongs, merging near-duplicates and routing new cases.

Concurrency of merging: two riders photographing the same blocked fire passage a second apart must make ONE case.
Locking the candidate cases (`SELECT ... FOR UPDATE` on them) does not achieve that: when there is no candidate
yet, both transactions find nothing to lock and both insert a case (a phantom). So every report takes a row lock
on its `CaseCategory` row first (`select_for_update` on the category): reports of the same street and category are
serialised (the second waits until the first commits and then sees its case), while other categories and other
streets proceed in parallel. Reports of one category in one street arrive at most a few per minute in real life
(Shanghai's 12345 line takes ~25,000 requests a day for the whole city) and the locked section is a handful of
short statements, so the serialisation costs nothing measurable. The chosen case is also locked
(`select_for_update`) so a staff transition racing with the merge is ordered by the database; the status is
re-read under that lock. On SQLite (embedded mode) writers are serialised by the database anyway
(`BEGIN IMMEDIATE`).

Photos are validated and re-encoded (linli.core.photos) before the transaction opens: a bad photo refuses the whole
report and nothing is written (files stored before a rollback are removed).

The statements of a report (street, category, grids at the point, the category lock, the merge search and the
inserts) are plain SQL from `services/fast.py`: through the ORM they cost more CPU than the database spent on
them (bench/bench_dispatch.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    Open311Client,
    PhotoKind,
    Queue,
    Report,
    ReportSource,
)
from linli.cases.selectors import MERGEABLE_STATUSES
from linli.cases.services import fast, push
from linli.cases.services.case_states import MACHINE as CASE_MACHINE
from linli.core.errors import Problem, field_error
from linli.core.geo import haversine_m
from linli.core.i18n import local_name_lazy
from linli.core.models import Grid, GridLevel, Role, Street
from linli.core.notifications import notify_user
from linli.core.photos import ProcessedPhoto, photo_process
from linli.core.selectors import street_get

MAX_REPORT_PHOTOS = 4
MAX_DESCRIPTION = 4000  # Open311 GeoReport v2: free form text limited to 4,000 characters
MAX_ADDRESS = 200
STREET_RADIUS_M = 5000  # a street without grids accepts points this close to its centre

# code, zh, en, response min, resolution min, merge radius m, merge window h, roles, urgent, points, description
DEFAULT_CATEGORIES: list[tuple[str, str, str, int, int, int, int, list[str], bool, int, str]] = [
    (
        "fire_passage",
        "消防通道堵塞",
        "Blocked fire passage",
        30,
        240,
        50,
        24,
        [Role.SAFETY_OFFICER],
        True,
        20,
        "消防车通道、安全出口被车辆或杂物占用",
    ),
    (
        "ebike_indoor_charging",
        "电动车进楼入户充电",
        "E-bike charged indoors",
        30,
        240,
        30,
        24,
        [Role.SAFETY_OFFICER],
        True,
        20,
        "电动自行车停放在楼道、门厅或拉线入户充电",
    ),
    (
        "corridor_clutter",
        "楼道堆物",
        "Clutter in stairwell",
        120,
        2880,
        30,
        72,
        [],
        False,
        10,
        "楼道、走廊、楼梯间堆放杂物",
    ),
    (
        "abandoned_vehicle",
        "僵尸车/废弃电动车",
        "Abandoned vehicle or e-bike",
        240,
        10080,
        30,
        168,
        [],
        False,
        10,
        "长期停放、无人使用的汽车、电动车或自行车",
    ),
    (
        "damaged_facility",
        "设施损坏",
        "Damaged facility",
        120,
        4320,
        30,
        72,
        [],
        False,
        10,
        "路灯、井盖、护栏、健身器材等公共设施损坏",
    ),
    ("other", "其他", "Other", 240, 4320, 20, 24, [], False, 5, "其他安全隐患或环境问题"),
]


@transaction.atomic
def categories_default_create(*, street: Street) -> list[CaseCategory]:
    """Seed the default hazard categories of a street (idempotent: existing categories are left as configured)."""
    out = []
    for order, (code, zh, en, resp, resol, radius, window, roles, urgent, points, desc) in enumerate(
        DEFAULT_CATEGORIES
    ):
        category, _created = CaseCategory.objects.get_or_create(
            street=street,
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "description": desc,
                "response_minutes": resp,
                "resolution_minutes": resol,
                "merge_radius_m": radius,
                "merge_window_hours": window,
                "roles": [str(r) for r in roles],
                "urgent": urgent,
                "points": points,
                "sort_order": (order + 1) * 10,
            },
        )
        out.append(category)
    return out


def street_for_report(code: str) -> Street:
    """The street a report names (linli.core.selectors.street_get, in plain SQL on the report path)."""
    street = fast.street_by_code(code)
    if street is None:
        return street_get(code=code)  # raises unknown_street
    return street


def report_key_answered(*, user_id: int, scope: str, key: str) -> bool:
    """Whether this Idempotency-Key already holds an answer (its retry replays it: not a new report)."""
    return fast.idempotency_answered(user_id=user_id, scope=scope, key=key)


def _unknown_category(street: Street, code: str) -> Problem:
    return Problem(
        "unknown_category",
        detail=format_lazy(_("{street}没有事件类别「{code}」"), street=street.name, code=code),
        errors=[field_error("category", _("没有这个事件类别"))],
    )


def category_get(*, street: Street, code: str) -> CaseCategory:
    category = fast.category_by_code(street.pk, (code or "").strip())
    if category is None:
        raise _unknown_category(street, code)
    return category


# ------------------------------------------------------------------------------------------- routing


def _check_coordinates(lat: Any, lng: Any) -> tuple[float, float]:
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        raise Problem(
            "validation_error",
            errors=[field_error("lat", _("坐标应为数字"))],
        ) from None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f) and -90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        raise Problem(
            "validation_error",
            errors=[field_error("lat", _("坐标超出范围"))],
        )
    return lat_f, lng_f


def _outside(street: Street) -> Problem:
    return Problem(
        "outside_street",
        detail=format_lazy(_("该位置不在{street}范围内，请确认定位或联系所在街道"), street=local_name_lazy(street)),
    )


def _grid_locate(*, street: Street, lat: float, lng: float) -> tuple[Grid | None, list[int] | None]:
    """The deepest grid holding the point (None when the street has no grids: the point must then be within
    STREET_RADIUS_M of the street centre; `outside_street` for a point outside the street), with its ancestor
    chain (root first) when the grids holding the point are exactly that chain (the usual nested grid tree), else
    None (the push then reads the chain from the grid tree)."""
    hits = fast.grids_containing(street=street, lat=lat, lng=lng)
    if hits:
        chain_ok = hits[0].parent_id is None and all(hits[i].parent_id == hits[i - 1].pk for i in range(1, len(hits)))
        return hits[-1], ([g.pk for g in hits] if chain_ok else None)
    if fast.street_has_grids(street.pk):
        raise _outside(street)
    c_lat, c_lng = street.center_lat, street.center_lng
    if c_lat is not None and c_lng is not None and haversine_m(lat, lng, c_lat, c_lng) > STREET_RADIUS_M:
        raise _outside(street)
    return None, None


def case_route(grid: Grid | None) -> tuple[Grid | None, str]:
    """(grid, queue): a unit or workstation grid handles its cases; no grid (or only the HQ-level grid) → HQ."""
    if grid is None or grid.level == GridLevel.HQ:
        return grid, Queue.HQ
    return grid, Queue.GRID


def route_note(grid: Grid | None, queue: str) -> str:
    if queue == Queue.HQ:
        return "派至 街道指挥部 dispatched to street HQ"
    assert grid is not None
    return f"派至 网格 {grid.name} dispatched to grid {grid.external_id}"


# -------------------------------------------------------------------------------------------- photos


def photos_process(uploads: Iterable[Any], *, field: str = "photos") -> list[ProcessedPhoto]:
    """Validate and re-encode every photo first (nothing is written when one is bad)."""
    items = list(uploads or ())
    if len(items) > MAX_REPORT_PHOTOS:
        raise Problem(
            "validation_error",
            errors=[field_error(field, format_lazy(_("最多上传 {max} 张照片"), max=MAX_REPORT_PHOTOS))],
        )
    processed = []
    for index, upload in enumerate(items):
        try:
            processed.append(photo_process(upload))
        except Problem as problem:
            problem.errors = [field_error(f"{field}.{index}", problem.detail)]
            raise
    return processed


def photos_save(
    *, case: Case, photos: Sequence[ProcessedPhoto], kind: str, report: Report | None, saved: list[CasePhoto]
) -> None:
    """Store processed photos under random names (call inside the transaction; `saved` collects the rows so the
    caller can delete the files if the transaction rolls back)."""
    for photo in photos:
        row = CasePhoto(case=case, report=report, kind=kind, width=photo.width, height=photo.height)
        row.image.save(f"{uuid.uuid4().hex}.{photo.ext}", ContentFile(photo.content), save=False)
        saved.append(row)
        fast.insert(row, fast.PHOTO_FIELDS)


def files_discard(saved: list[CasePhoto]) -> None:
    for row in saved:
        row.image.delete(save=False)


# -------------------------------------------------------------------------------------------- create


def _text(value: Any, *, name: str, max_length: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_length:
        raise Problem(
            "validation_error",
            errors=[field_error(name, format_lazy(_("不能超过 {max_length} 字"), max_length=max_length))],
        )
    return text


def _merge_candidate(
    *, category: CaseCategory, lat: float, lng: float, now: datetime
) -> tuple[Case | None, float | None]:
    """The nearest open case of the category within the merge radius whose creation or latest report falls in
    the merge window. Call with the category row locked."""
    radius = category.merge_radius_m
    since = now - timedelta(hours=category.merge_window_hours)
    dlat = radius / 111_320.0
    dlng = radius / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    # Plain statements, no aggregate: the candidates in the bounding box (usually none), then, only for those
    # within the radius but opened before the window, whether a report of theirs falls in it.
    boxed = fast.cases_in_box(
        category_id=category.pk,
        statuses=sorted(MERGEABLE_STATUSES),
        lat0=lat - dlat,
        lat1=lat + dlat,
        lng0=lng - dlng,
        lng1=lng + dlng,
    )
    near = [
        (cid, clat, clng, created) for cid, clat, clng, created in boxed if haversine_m(lat, lng, clat, clng) <= radius
    ]
    old = [cid for cid, _lat, _lng, created in near if created < since]
    recent_reports = (
        set(
            Report.objects.filter(case_id__in=old, created_at__gte=since)
            .order_by()
            .values_list("case_id", flat=True)
            .distinct()
        )
        if old
        else set()
    )
    qs = [(cid, clat, clng) for cid, clat, clng, created in near if created >= since or cid in recent_reports]
    best: tuple[float, int] | None = None
    for case_id, clat, clng in qs:
        d = haversine_m(lat, lng, clat, clng)
        if d <= radius and (best is None or d < best[0]):
            best = (d, case_id)
    if best is None:
        return None, None
    return Case.objects.select_for_update().get(pk=best[1]), best[0]


def report_create(
    *,
    street: Street,
    category: CaseCategory | str,
    lat: Any,
    lng: Any,
    description: str = "",
    photos: Iterable[Any] = (),
    reporter: Any = None,
    source: str = ReportSource.APP,
    open311_client: Open311Client | None = None,
    contact: dict[str, Any] | None = None,
    attributes: dict[str, Any] | None = None,
    address: str = "",
    now: datetime | None = None,
) -> Report:
    """Record a report. It merges into an open case of the same category within the category's radius and
    window, or opens a new case routed to the deepest grid holding the point (else the street HQ's queue),
    dispatched at once, with its SLA due times. Staff and the reporter are told after commit.

    `category` is a CaseCategory of `street` or its code. `contact` (Open311) may carry name, email, phone,
    device_id. Problems: unknown_category, outside_street, photo_invalid, validation_error."""
    now = now or timezone.now()
    if source not in ReportSource.values:
        raise Problem(
            "validation_error",
            errors=[field_error("source", format_lazy(_("来源 {source} 无效"), source=repr(source)))],
        )
    if isinstance(category, CaseCategory):
        if category.street_id != street.pk or not category.is_active:
            raise _unknown_category(street, category.code)
        cat = category
    else:
        cat = category_get(street=street, code=str(category or ""))
    lat_f, lng_f = _check_coordinates(lat, lng)
    description = _text(description, name="description", max_length=MAX_DESCRIPTION)
    address = _text(address, name="address", max_length=MAX_ADDRESS)
    contact = contact or {}
    grid, grid_chain = _grid_locate(street=street, lat=lat_f, lng=lng_f)
    processed = photos_process(photos)

    saved: list[CasePhoto] = []
    try:
        # No savepoint when called inside a transaction (the API's idempotency key): what _report_write can
        # raise (a database or storage error) fails the whole request anyway, and the savepoint cost two
        # round trips per report.
        with transaction.atomic(savepoint=False):
            report = _report_write(
                street=street,
                category=cat,
                lat=lat_f,
                lng=lng_f,
                description=description,
                address=address,
                grid=grid,
                grid_chain=grid_chain,
                processed=processed,
                reporter=reporter,
                source=source,
                open311_client=open311_client,
                contact=contact,
                attributes=attributes or {},
                now=now,
                saved=saved,
            )
    except BaseException:
        files_discard(saved)
        raise
    return report


def _report_write(
    *,
    street: Street,
    category: CaseCategory,
    lat: float,
    lng: float,
    description: str,
    address: str,
    grid: Grid | None,
    grid_chain: list[int] | None,
    processed: list[ProcessedPhoto],
    reporter: Any,
    source: str,
    open311_client: Open311Client | None,
    contact: dict[str, Any],
    attributes: dict[str, Any],
    now: datetime,
    saved: list[CasePhoto],
) -> Report:
    # Serialise reports of this street + category (see the module docstring).
    fast.category_lock(category.pk)
    candidate, _distance = _merge_candidate(category=category, lat=lat, lng=lng, now=now)
    if candidate is not None and candidate.status not in MERGEABLE_STATUSES:
        candidate = None  # closed meanwhile (re-read under the row lock)
    reporter_obj = reporter if getattr(reporter, "pk", None) else None
    new_case = candidate is None
    case: Case
    if candidate is None:
        grid, queue = case_route(grid)
        # Opened new, then dispatched through the state machine in the same transaction (after its report and
        # photos): the timeline records both steps, the report (new) and new → dispatched.
        case = Case(
            street=street,
            category=category,
            status=CaseStatus.NEW,
            lat=lat,
            lng=lng,
            address=address,
            description=description,
            grid=grid,
            queue=queue,
            reports_count=1,
            created_at=now,
            updated_at=now,
            response_due_at=now + timedelta(minutes=category.response_minutes),
            resolution_due_at=now + timedelta(minutes=category.resolution_minutes),
        )
        fast.insert(case, fast.CASE_FIELDS)
    else:
        case = candidate
        Case.objects.filter(pk=case.pk).update(reports_count=F("reports_count") + 1, updated_at=now)
        case.refresh_from_db(fields=["reports_count", "updated_at"])
    report = Report(
        street=street,
        case=case,
        category=category,
        reporter=reporter_obj,
        source=source,
        open311_client=open311_client,
        token=str(uuid.uuid4()),
        lat=lat,
        lng=lng,
        address=address,
        description=description,
        contact_name=str(contact.get("name") or "")[:100],
        contact_email=str(contact.get("email") or "")[:200],
        contact_phone=str(contact.get("phone") or "")[:40],
        device_id=str(contact.get("device_id") or "")[:100],
        attributes=attributes,
        created_at=now,
    )
    fast.insert(report, fast.REPORT_FIELDS)
    photos_save(case=case, photos=processed, kind=PhotoKind.REPORT, report=report, saved=saved)
    if new_case:
        fast.insert_many(
            [
                CaseEvent(
                    case=case,
                    at=now,
                    actor=reporter_obj,
                    action="report",
                    from_status="",
                    to_status=CaseStatus.NEW,
                    note=f"上报 reported ({source})",
                    data={"report_id": report.pk},
                ),
            ],
            fast.EVENT_FIELDS,
        )
        CASE_MACHINE.move(
            case,
            CaseStatus.DISPATCHED,
            note=route_note(case.grid, case.queue),
            now=now,
            data={"grid": case.grid.external_id if case.grid else None, "queue": case.queue},
        )
        if grid_chain:
            push.case_grid_chain_remember(case, grid_chain)
        push.case_push(case=case, event="created")
        push.case_sms_urgent(case=case)
    else:
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=reporter_obj,
            action="report",
            from_status=case.status,
            to_status=case.status,
            note=f"同一问题的新上报，合并 merged report ({source})",
            data={"report_id": report.pk},
        )
        push.case_push(case=case, event="report")
        if reporter_obj is not None:
            notify_user(
                user=reporter_obj,
                message_zh=f"感谢上报！附近已有人反映同一问题（事件 #{case.pk}「{category.name_zh}」），"
                f"已合并处理，可在「我的上报」查看进度。",
                message_en=f"Thank you! The same problem was already reported nearby (case #{case.pk}); "
                "your report was added to it. Follow it under My reports.",
            )
    report.case = case
    return report
