"""The sample street's hazard cases: the default categories, the demo case staff and a handful of SAMPLE cases
in different states (new and urgent, merged reports, accepted, in progress, closed with an after photo and
sentinel points, rejected, overdue and escalated). Everything goes through the regular services.

`cases_demo_load(street)` is idempotent: categories are looked up by code, and the sample cases are only made
when the street has no case yet. `cases_demo_reset(street)` removes the street's cases rows (for `--reset`).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from linli.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, Open311Client, Report, SentinelPoints
from linli.cases.services.reports import categories_default_create, report_create
from linli.cases.services.sla import cases_sla_sweep
from linli.cases.services.workflow import case_transition
from linli.core.models import Grid, GridLevel, Role, RoleAssignment, Street, User
from linli.core.photos import decoding_in_transaction_allowed
from linli.core.services import role_assign, user_get_or_create
from linli.demo import ACCOUNTS

# (key, category, grid external id, lat, lng, address, description, hours ago, reporter account key). Each point
# lies in the compound its address names (wanli_compounds.geojson), so in that compound's unit grid.
SAMPLES = [
    (
        "fire",
        "fire_passage",
        "wl-grid-u13",
        31.2650,
        121.3880,
        "真华路1155弄12号楼北侧消防通道",
        "两辆私家车停在消防通道上，消防车进不来",
        0.3,
        "rider",
    ),
    (
        "clutter",
        "corridor_clutter",
        "wl-grid-u13",
        31.2645,
        121.3884,
        "真华路1155弄8号楼2单元",
        "楼道里堆满纸箱和旧家具，楼梯只剩半边能走",
        5,
        "resident",
    ),
    (
        "zombie",
        "abandoned_vehicle",
        "wl-grid-u21",
        31.2590,
        121.3955,
        "真金路588弄门口",
        "一辆没有牌照的电动车停了两个多月，落满灰",
        30,
        "rider",
    ),
    (
        "charging",
        "ebike_indoor_charging",
        "wl-grid-u33",
        31.2650,
        121.4030,
        "大渡河路2018弄5号楼一楼门厅",
        "有人从窗户拉电线到门厅给电动车充电",
        50,
        "rider",
    ),
    (
        "lamp",
        "damaged_facility",
        "wl-grid-u12",
        31.2590,
        121.3915,
        "雪松路66弄小区主路",
        "路灯坏了一个多星期，晚上很黑",
        100,
        "elder",
    ),
    ("other", "other", "wl-grid-u24", 31.2650, 121.3990, "万镇路500弄门口", "小区门口有人发小广告", 20, "resident"),
]


@dataclass
class CasesDemoResult:
    categories: int = 0
    cases: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _photo(color: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (480, 360), color)
    draw = ImageDraw.Draw(image)
    for i in range(0, 480, 40):
        draw.line([(i, 0), (i + 120, 360)], fill=(255, 255, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _accounts() -> dict[str, User]:
    phones = {a.key: "+86" + a.phone for a in ACCOUNTS}
    users = {u.phone: u for u in User.objects.filter(phone__in=phones.values())}
    return {key: users[phone] for key, phone in phones.items() if phone in users}


def _staff(street: Street, accounts: dict[str, User]) -> None:
    """The demo's grid worker (unit u13) and safety officer (workstation 1), if those accounts exist."""
    for key, role, grid_ext in (
        ("grid_worker", Role.GRID_WORKER, "wl-grid-u13"),
        ("safety_officer", Role.SAFETY_OFFICER, "wl-grid-ws1"),
    ):
        user = accounts.get(key)
        grid = Grid.objects.filter(street=street, external_id=grid_ext).first()
        if user is None:
            continue
        held = RoleAssignment.objects.filter(user=user, street=street, role=role).first()
        if held is None or (grid is not None and held.grid_id is None):
            role_assign(user=user, street=street, role=role, grid=grid)


# The other unit grids' workers (the demo's own grid worker, 陈网格员, holds wl-grid-u13): one per unit grid, so
# a case reported anywhere in the street reaches someone. Sample people; phones 13800000101.. are not real.
GRID_WORKER_SURNAMES = "吴郑冯褚卫蒋沈韩杨朱秦尤许何吕施孔曹严华金魏陶姜"
GRID_WORKER_PHONE_BASE = 13800000100


def _grid_workers(street: Street) -> int:
    """A grid worker for every unit grid that has none (idempotent: looked up by grid)."""
    held = set(
        RoleAssignment.objects.filter(street=street, role=Role.GRID_WORKER, grid__isnull=False).values_list(
            "grid_id", flat=True
        )
    )
    made = 0
    units = Grid.objects.filter(street=street, level=GridLevel.UNIT).order_by("external_id")
    for n, grid in enumerate(units, start=1):
        if grid.pk in held:
            continue
        surname = GRID_WORKER_SURNAMES[(n - 1) % len(GRID_WORKER_SURNAMES)]
        user = user_get_or_create(
            phone=str(GRID_WORKER_PHONE_BASE + n), display_name=f"{surname}网格员（示例，{grid.name}）"
        )
        role_assign(user=user, street=street, role=Role.GRID_WORKER, grid=grid)
        made += 1
    return made


def _cases(street: Street, accounts: dict[str, User], now: dt.datetime) -> int:
    if Case.objects.filter(street=street).exists():
        return 0
    grid_worker = accounts.get("grid_worker")
    supervisor = accounts.get("safety_officer") or accounts.get("admin")
    made: dict[str, Any] = {}
    for key, code, _grid, lat, lng, address, description, hours_ago, who in SAMPLES:
        at = now - dt.timedelta(hours=hours_ago)
        photo = SimpleUploadedFile(f"{key}.jpg", _photo((150, 110, 90)), content_type="image/jpeg")
        report = report_create(
            street=street,
            category=code,
            lat=lat,
            lng=lng,
            address=address,
            description=description,
            photos=[photo],
            reporter=accounts.get(who),
            now=at,
        )
        made[key] = report.case
    # A second resident reports the same clutter ~30 m away an hour later: merged into the same case.
    report_create(
        street=street,
        category="corridor_clutter",
        lat=31.2647,
        lng=121.3886,
        description="8号楼楼道堆物，老人上下楼不方便",
        reporter=accounts.get("elder"),
        now=now - dt.timedelta(hours=4),
    )
    if supervisor is None:
        return len(made)
    handler = grid_worker or supervisor

    def move(case: Any, to: str, hours_ago: float, actor: Any = handler, **kw: Any) -> None:
        case.refresh_from_db()
        case_transition(case=case, to_status=to, actor=actor, now=now - dt.timedelta(hours=hours_ago), **kw)

    move(made["clutter"], "accepted", 3.5)
    move(made["zombie"], "accepted", 26, actor=supervisor)
    move(made["zombie"], "in_progress", 20, actor=supervisor, note="已联系车主所在小区物业，张贴清理告知")
    after = SimpleUploadedFile("after.jpg", _photo((90, 140, 110)), content_type="image/jpeg")
    charging = made["charging"]
    move(charging, "accepted", 49, actor=supervisor)
    move(charging, "in_progress", 48.5, actor=supervisor)
    move(charging, "resolved", 47, actor=supervisor, note="已拆除飞线，电动车移至小区集中充电棚", photos=[after])
    move(charging, "verified", 30, actor=supervisor)
    move(charging, "closed", 29.5, actor=supervisor, note="已复查：门厅无电动车，飞线已拆除。感谢骑手师傅上报！")
    move(made["other"], "rejected", 19, actor=supervisor, reason="张贴小广告属城管执法事项，已转城管热线处理")
    # The broken lamp is past its 3-day target: the SLA sweep escalates it to the street HQ.
    cases_sla_sweep(now=now)
    return len(made)


def cases_demo_load(street: Street, *, now: dt.datetime | None = None) -> CasesDemoResult:
    """Default categories, case staff roles and sample cases for the sample street (idempotent)."""
    now = now or timezone.now()
    # One transaction for the whole sample, nobody waiting on it: its few small photos may be decoded inside.
    with transaction.atomic(), decoding_in_transaction_allowed():
        result = CasesDemoResult()
        result.categories = len(categories_default_create(street=street))
        accounts = _accounts()
        _staff(street, accounts)
        _grid_workers(street)
        result.cases = _cases(street, accounts, now)
        result.counts = {
            "categories": result.categories,
            "cases": Case.objects.filter(street=street).count(),
            "cases_created": result.cases,
        }
    return result


def cases_demo_reset(street: Street) -> None:
    """Remove every cases row of the street (Report.case and the categories are PROTECT: children first)."""
    with transaction.atomic():
        SentinelPoints.objects.filter(street=street).delete()
        photos = CasePhoto.objects.filter(case__street=street)
        storage, names = CasePhoto._meta.get_field("image").storage, [p.image.name for p in photos if p.image]

        def _discard() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(_discard)
        photos.delete()
        CaseEvent.objects.filter(case__street=street).delete()
        Report.objects.filter(street=street).delete()
        Case.objects.filter(street=street).update(merged_into=None)
        Case.objects.filter(street=street).delete()
        CaseCategory.objects.filter(street=street).delete()
        Open311Client.objects.filter(street=street).delete()
