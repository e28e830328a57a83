"""The sample street's community affairs (全岗通): 45 real Shanghai catalogue items (`wanli_affairs.csv`, through
the regular CSV import; 14 picked for office workers' evening and Saturday slots), the affairs centre's six
windows and door-to-door team, the three remote service points, slot templates (with the holiday table), and
pre-reviews and appointments in every state for the demo residents. Everything goes through the services.

`affairs_demo_load(street)` is idempotent: the import updates by code, resources are made when the street has
none, the sample pre-reviews and appointments when it has none. The window queue's history is the queue's own.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from linli.affairs.models import Appointment, Item, PreReview, Resource, ResourceKind, Slot
from linli.affairs.services import appointments as appointment_services
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services import slots as slot_services
from linli.affairs.services.defaults import street_defaults_create
from linli.affairs.services.items_import import items_import
from linli.core.models import Street, User
from linli.core.photos import decoding_in_transaction_allowed
from linli.demo import ACCOUNTS
from linli.places.models import Place, PlaceKind

SH = ZoneInfo("Asia/Shanghai")
CATALOGUE_FILE = "wanli_affairs.csv"
# The 14 items picked for office workers (白领): bookable in the evening and Saturday slots.
OFFICE_ITEMS = (
    "WL-RS-001",
    "WL-RS-002",
    "WL-RS-003",
    "WL-RS-004",
    "WL-RS-005",
    "WL-RS-010",
    "WL-YB-002",
    "WL-YB-003",
    "WL-YB-004",
    "WL-WJ-001",
    "WL-WJ-002",
    "WL-FG-001",
    "WL-FG-002",
    "WL-ZF-002",
)
WEEKDAY_TIMES = "09:00-11:30,13:30-16:30"


@dataclass
class AffairsDemoResult:
    counts: dict[str, Any] = field(default_factory=dict)


def _photo(color: tuple[int, int, int]) -> bytes:
    """A made-up 'document' photo (a card with lines), never a real one."""
    image = Image.new("RGB", (640, 400), (240, 240, 235))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([40, 40, 600, 360], radius=24, fill=color)
    for y in range(100, 330, 40):
        draw.line([(80, y), (520, y)], fill=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _accounts() -> dict[str, User]:
    phones = {a.key: "+86" + a.phone for a in ACCOUNTS}
    users = {u.phone: u for u in User.objects.filter(phone__in=phones.values())}
    return {key: users[phone] for key, phone in phones.items() if phone in users}


def _resources(street: Street) -> int:
    if Resource.objects.filter(street=street).exists():
        return 0
    centre = Place.objects.filter(street=street, kind=PlaceKind.AFFAIRS_CENTER).order_by("pk").first()
    if centre is None:
        return 0
    windows = [
        slot_services.resource_add(place=centre, name=f"{n}号综合窗口", kind=ResourceKind.WINDOW) for n in range(1, 7)
    ]
    home = slot_services.resource_add(place=centre, name="上门服务队", kind=ResourceKind.HOME)
    remotes = [
        slot_services.resource_add(place=p, name="远程帮办", kind=ResourceKind.REMOTE)
        for p in Place.objects.filter(street=street, kind=PlaceKind.REMOTE_SERVICE_POINT).order_by("pk")[:3]
    ]
    for w in windows:
        slot_services.template_add(resource=w, days="Mo-Fr", times=WEEKDAY_TIMES, minutes=30, places=2)
    # Office workers' hours (白领延时服务): Tuesday and Thursday evenings and Saturday mornings at window 6.
    slot_services.template_add(
        resource=windows[5], days="Tu,Th", times="17:00-19:00", minutes=30, places=2, items=OFFICE_ITEMS
    )
    slot_services.template_add(
        resource=windows[5], days="Sa", times="09:00-12:00", minutes=30, places=3, items=OFFICE_ITEMS
    )
    for r in remotes:
        slot_services.template_add(resource=r, days="Mo-Fr", times="09:00-11:00,14:00-16:00", minutes=30, places=1)
    slot_services.template_add(resource=home, days="Mo,We,Fr", times="14:00-17:00", minutes=60, places=1)
    # Two weeks back too: the past appointments (completed, no-show) sit in real past slots.
    today = timezone.localtime(timezone.now(), SH).date()
    for r in [*windows, *remotes, home]:
        slot_services.slots_materialise(resource=r, start=today - dt.timedelta(days=14), days=14)
    return len(windows) + len(remotes) + 1


def _files(item: Item, colors: tuple[tuple[int, int, int], ...]) -> dict[int, Any]:
    return {
        m.pk: SimpleUploadedFile(f"m{m.pk}.jpg", _photo(colors[i % len(colors)]), content_type="image/jpeg")
        for i, m in enumerate(prereview_services.materials_of(item))
    }


def _prereviews(street: Street, accounts: dict[str, User], now: dt.datetime) -> dict[str, PreReview]:
    """One pre-review in each state; the elderly resident's 社保卡补领 is approved (she books with it)."""
    if PreReview.objects.filter(street=street).exists():
        return {}
    reviewer = accounts.get("station_staff") or accounts.get("admin")
    elder, resident = accounts.get("elder"), accounts.get("resident")
    if reviewer is None or elder is None or resident is None:
        return {}
    items = {i.code: i for i in Item.objects.filter(street=street)}
    colors = ((70, 120, 180), (180, 90, 70), (90, 150, 90))
    made: dict[str, PreReview] = {}

    def submit(key: str, code: str, user: User, hours_ago: float) -> PreReview:
        pr = prereview_services.prereview_submit(
            item=items[code], user=user, files=_files(items[code], colors), now=now - dt.timedelta(hours=hours_ago)
        )
        made[key] = pr
        return pr

    def review(pr: PreReview, outcome: dict[int, tuple[str, str]], hours_ago: float) -> None:
        files = list(pr.files.filter(superseded_at__isnull=True).order_by("material__position"))
        decisions = {f.pk: outcome.get(i, ("accepted", "")) for i, f in enumerate(files)}
        prereview_services.prereview_review(
            prereview=pr, reviewer=reviewer, decisions=decisions, now=now - dt.timedelta(hours=hours_ago)
        )

    approved = submit("approved", "WL-RS-001", elder, 30)
    review(approved, {}, 26)
    flagged = submit("needs_correction", "WL-MZ-001", elder, 20)
    review(flagged, {1: ("needs_correction", "户口簿照片不清楚，请拍清楚户主页和本人页")}, 18)
    submit("submitted", "WL-YB-001", resident, 2)
    overdue = submit("overdue", "WL-FG-001", resident, 40)
    prereview_services.prereviews_escalate(now=overdue.review_due_at + dt.timedelta(hours=1))
    rejected = submit("rejected", "WL-ZF-002", resident, 72)
    review(rejected, {0: ("rejected", "不符合申请条件：未提供本市稳定就业证明")}, 60)
    withdrawn = submit("withdrawn", "WL-WJ-001", resident, 50)
    prereview_services.prereview_withdraw(prereview=withdrawn, user=resident, now=now - dt.timedelta(hours=49))
    completed = submit("completed", "WL-RS-002", resident, 24 * 9)
    review(completed, {}, 24 * 8)
    made["completed"] = completed
    return made


def _free_slot(street: Street, item: Item, *, after: dt.datetime, kind: str = ResourceKind.WINDOW) -> Slot | None:
    return (
        Slot.objects.filter(
            resource__street=street, resource__kind=kind, start__gte=after, closed=False, booked__lt=F("places")
        )
        .filter(template__restricted=False)
        .order_by("start", "resource_id")
        .first()
    )


def _appointments(street: Street, accounts: dict[str, User], prereviews: dict[str, PreReview], now: dt.datetime) -> int:
    """Appointments in every state: booked (the elder's, with her approved pre-review; a remote one), checked
    in today, completed and no-show in the past two weeks, cancelled; one booked by staff for a caller."""
    if Appointment.objects.filter(street=street).exists():
        return 0
    elder, resident = accounts.get("elder"), accounts.get("resident")
    staff = accounts.get("station_staff") or accounts.get("admin")
    if elder is None or resident is None or staff is None:
        return 0
    items = {i.code: i for i in Item.objects.filter(street=street)}
    n = 0

    def book(user: User, code: str, slot: Slot | None, at: dt.datetime, **kw: Any) -> Appointment | None:
        nonlocal n
        if slot is None:
            return None
        a = appointment_services.appointment_book(slot=slot, item=items[code], user=user, now=at, **kw)
        n += 1
        return a

    tomorrow = now + dt.timedelta(days=1)
    book(
        elder,
        "WL-RS-001",
        _free_slot(street, items["WL-RS-001"], after=tomorrow),
        now,
        prereview=prereviews.get("approved"),
    )
    book(resident, "WL-YB-001", _free_slot(street, items["WL-YB-001"], after=tomorrow, kind=ResourceKind.REMOTE), now)
    caller = User.objects.filter(phone="+8613900000001").first()
    if caller is not None:
        book(
            caller,
            "WL-MZ-001",
            _free_slot(street, items["WL-MZ-001"], after=tomorrow + dt.timedelta(days=1)),
            now,
            booked_by=staff,
        )
    cancelled = book(resident, "WL-RS-003", _free_slot(street, items["WL-RS-003"], after=tomorrow), now)
    if cancelled is not None:
        appointment_services.appointment_cancel(appointment=cancelled, actor=resident, now=now)
    # Checked in today: a slot a little after now (made for the demo when today has none).
    start = (now + dt.timedelta(minutes=90)).replace(second=0, microsecond=0)
    window = Resource.objects.filter(street=street, kind=ResourceKind.WINDOW).order_by("pk").first()
    if window is not None:
        slot, _created = Slot.objects.get_or_create(
            resource=window, start=start, defaults={"end": start + dt.timedelta(minutes=30), "places": 2}
        )
        arrived = book(resident, "WL-CL-001", slot, now - dt.timedelta(hours=3))
        if arrived is not None:
            appointment_services.appointment_check_in(appointment=arrived, actor=staff, now=now)
    # The past two weeks: completed and no-show.
    users = list(User.objects.filter(phone__startswith="+86139000000").order_by("phone")[:12]) or [resident]
    past_items = ["WL-RS-001", "WL-MZ-001", "WL-YB-002", "WL-FG-001", "WL-RS-007", "WL-CL-002"]
    for day in range(13, 0, -1):
        after = now - dt.timedelta(days=day)
        past_slot = _free_slot(street, items["WL-RS-001"], after=after)
        if past_slot is None or past_slot.start >= now:
            continue
        user = users[day % len(users)]
        code = past_items[day % len(past_items)]
        if Appointment.objects.filter(user=user, item=items[code], status="booked").exists():
            continue
        a = book(user, code, past_slot, past_slot.start - dt.timedelta(days=2))
        if a is None:
            continue
        if day % 5 == 0:
            appointment_services.appointment_no_show(appointment=a, now=past_slot.end + dt.timedelta(hours=1))
        else:
            appointment_services.appointment_check_in(appointment=a, actor=staff, now=past_slot.start)
            appointment_services.appointment_complete(
                appointment=a, actor=staff, now=past_slot.start + dt.timedelta(minutes=15)
            )
    completed = prereviews.get("completed")
    if completed is not None:
        prereview_services.prereview_complete(prereview=completed, actor=staff, now=now - dt.timedelta(days=7))
    return n


def affairs_demo_load(street: Street) -> AffairsDemoResult:
    result = AffairsDemoResult()
    street_defaults_create(street)
    text = resources.files("linli.demo").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    result.counts["items"] = items_import(street=street, text=text).as_dict()
    Item.objects.filter(street=street, code__in=OFFICE_ITEMS).update(office_hours=True)
    result.counts["resources"] = _resources(street)
    accounts = _accounts()
    now = timezone.now()
    with decoding_in_transaction_allowed():
        prereviews = _prereviews(street, accounts, now)
    result.counts["prereviews"] = len(prereviews)
    result.counts["appointments"] = _appointments(street, accounts, prereviews, now)
    return result


def affairs_demo_reset(street: Street) -> None:
    """Remove the street's affairs rows (for `linli demo --reset`), files first."""
    for pr in PreReview.objects.filter(street=street):
        for row in pr.files.exclude(file=""):
            row.file.delete(save=False)
    Appointment.objects.filter(street=street).delete()
    PreReview.objects.filter(street=street).delete()
    Resource.objects.filter(street=street).delete()
    Item.objects.filter(street=street).delete()
