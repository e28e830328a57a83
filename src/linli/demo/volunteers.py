"""The sample street's volunteers (issue 20): 4 citizen stations, 120 SAMPLE volunteers in 6 teams, a month of
shifts with check-ins and verified hours (past) and open ones (the next two weeks), a time bank with exchanges,
two volunteer-taught classes (activities), and a service menu with items claimed by enterprises in every state.
The sample elder (胡阿姨) is a volunteer who opens a station at 7:40, so her volunteer page has hours and shifts.

Everything goes through the regular services except the past sign-ups' rows, written in bulk with the states and
times they would have (the ledger's credits still go through `ledger.credit_hours`). `volunteers_demo_load(street)`
makes the data only when the street has no station yet; `volunteers_demo_reset(street)` removes it."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from linli.activities.models import Activity, Booking, BookingStatus
from linli.activities.services.bookings import booking_create
from linli.core.errors import Problem
from linli.core.models import Role, RoleAssignment, Street, User
from linli.core.photos import decoding_in_transaction_allowed
from linli.core.services import role_assign, user_get_or_create
from linli.places.models import Place
from linli.volunteers.models import (
    Claim,
    ClaimPhoto,
    Course,
    Entry,
    Offer,
    ServiceItem,
    Shift,
    ShiftKind,
    Signup,
    SignupStatus,
    Station,
    Team,
    TeamKind,
    Transfer,
    Volunteer,
)
from linli.volunteers.services import courses, ledger, menu, profiles, shifts, timebank

SH = ZoneInfo("Asia/Shanghai")
STATIONS = ("wl-cs-001", "wl-cs-002", "wl-pss-001", "wl-pss-002")
TEAMS = [
    ("沪上老字号理发店（示例）", TeamKind.OLD_BRAND, "91310107MA1G0A001"),
    ("万里大酒店（示例）", TeamKind.HOTEL, "91310107MA1G0A002"),
    ("万里家电维修有限公司（示例）", TeamKind.COMPANY, "91310107MA1G0A003"),
    ("万里中学志愿服务队（示例）", TeamKind.SCHOOL, ""),
    ("万里城第一居民区党支部（示例）", TeamKind.PARTY_BRANCH, ""),
    ("蒲公英学员志愿队（示例）", TeamKind.COMMUNITY, ""),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
SKILL_SETS = [["reception"], ["reception", "catering"], ["teaching", "calligraphy"], ["haircut"], ["repair"],
              ["health"], ["legal"], ["it", "reception"], ["language", "reception"], ["catering"]]  # fmt: skip
MANAGER = ("13800000050", "张经理（示例，老字号理发店）")
ELDER_PHONE = "13800000010"


@dataclass
class VolunteersDemo:
    counts: dict[str, int] = field(default_factory=dict)


def volunteers_demo_reset(street: Street) -> None:
    for photo in ClaimPhoto.objects.filter(claim__item__station__street=street):
        photo.image.delete(save=False)
    Entry.objects.filter(account__street=street).delete()
    Transfer.objects.filter(street=street).delete()
    Claim.objects.filter(item__station__street=street).delete()
    Course.objects.filter(station__street=street).delete()
    Volunteer.objects.filter(street=street).delete()
    Team.objects.filter(street=street).delete()
    Station.objects.filter(street=street).delete()


def _at(day: object, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SH)  # type: ignore[arg-type]


def volunteers_demo_load(street: Street, *, accounts: dict[str, User] | None = None) -> VolunteersDemo:
    result = VolunteersDemo()
    if Station.objects.filter(street=street).exists():
        return result
    accounts = accounts or {}
    rng = random.Random(20)
    staff = accounts.get("station_staff") or User.objects.filter(
        roles__street=street, roles__role=Role.STATION_STAFF
    ).first()  # fmt: skip
    if staff is None:
        staff = user_get_or_create(phone="13800000002", display_name="李站长（示例）")
    if not RoleAssignment.objects.filter(user=staff, street=street, role=Role.STATION_STAFF).exists():
        role_assign(user=staff, street=street, role=Role.STATION_STAFF)
    with transaction.atomic():
        places = {p.external_id: p for p in Place.objects.filter(street=street, external_id__in=STATIONS)}
        stations = [
            Station.objects.create(street=street, place=places.get(code), name=places[code].name if code in places
                                   else f"市民驿站{i + 1}（示例）", address=places[code].address if code in places else "")
            for i, code in enumerate(STATIONS)
        ]  # fmt: skip
        manager = user_get_or_create(phone=MANAGER[0], display_name=MANAGER[1])
        teams = []
        for name, kind, code in TEAMS:
            team = profiles.team_register(
                street=street, name=name, kind=kind, credit_code=profiles.credit_code_complete(code) if code else "",
                manager=manager if kind == TeamKind.OLD_BRAND else None, contact_name="联系人（示例）",
            )  # fmt: skip
            if kind != TeamKind.COMMUNITY:
                profiles.team_verify(team=team, actor=staff)
            teams.append(team)
        teams[1].managers.add(manager)
        volunteers = _volunteers(street, stations, teams, rng, accounts)
        result.counts["stations"], result.counts["teams"], result.counts["volunteers"] = 4, len(teams), len(volunteers)
        result.counts["signups"] = _month_of_shifts(street, stations, volunteers, staff, rng)
        result.counts["swaps"] = _swap_asked(volunteers)
        result.counts["exchanges"] = _time_bank(volunteers, rng)
        result.counts["classes"] = _classes(stations, volunteers, staff)
        result.counts["claims"] = _menu(stations, teams, volunteers, manager, staff)
    return result


def _volunteers(street: Street, stations: list[Station], teams: list[Team], rng: random.Random,
                accounts: dict[str, User]) -> list[Volunteer]:  # fmt: skip
    out = []
    elder = accounts.get("elder") or User.objects.filter(phone="+86" + ELDER_PHONE).first()
    if elder is not None:
        out.append(profiles.volunteer_register(
            user=elder, street=street, stations=[stations[0]], team=teams[5],
            values={"name": elder.display_name[:3] or "胡阿姨", "skills": ["reception", "teaching"], "tags": ["退休教师"],
                    "availability": {"mo": ["am"], "we": ["am"], "fr": ["am"]}, "consent": True,
                    "emergency_name": "胡先生（示例）", "emergency_phone": "13700009999"},
        ))  # fmt: skip
    for i in range(120 - len(out)):
        user = user_get_or_create(phone=f"1390100{i:04d}", display_name=f"{SURNAMES[i % len(SURNAMES)]}志愿者（示例）")
        out.append(profiles.volunteer_register(
            user=user, street=street, stations=[stations[i % 4]], team=teams[i % 6],
            values={"name": f"{SURNAMES[i % len(SURNAMES)]}{'建国秀英志强丽华明辉'[i % 10]}", "skills": SKILL_SETS[i % 10],
                    "languages": ["English"] if i % 9 == 0 else [], "consent": True,
                    "availability": {"sa": ["am", "pm"]} if i % 3 else {"mo": ["am"], "tu": ["pm"]}},
        ))  # fmt: skip
    Volunteer.objects.filter(pk__in=[v.pk for v in out[: len(out) * 3 // 4]]).update(
        real_name_verified_at=timezone.now()
    )
    return out


def _month_of_shifts(street: Street, stations: list[Station], volunteers: list[Volunteer], staff: User,
                     rng: random.Random) -> int:  # fmt: skip
    today = timezone.localdate()
    by_station = {s.pk: [v for v in volunteers if v.stations.filter(pk=s.pk).exists()] for s in stations}
    shifts: list[Shift] = []
    for offset in range(-28, 15):
        day = today + timedelta(days=offset)
        for n, station in enumerate(stations):
            shifts.append(Shift(station=station, kind=ShiftKind.OPENING, title="开门值守", start=_at(day, 7, 40),
                                end=_at(day, 9, 40), places=2))  # fmt: skip
            if n < 2 and day.weekday() < 5:
                shifts.append(Shift(station=station, kind=ShiftKind.DINING, title="助餐堂食区", start=_at(day, 11),
                                    end=_at(day, 13), places=3, skills=["catering"]))  # fmt: skip
            if day.weekday() == 5 and n == 0:
                shifts.append(Shift(station=station, kind=ShiftKind.DUTY_MANAGER, title="周末值班经理",
                                    start=_at(day, 9), end=_at(day, 17), places=1, skills=["language"]))  # fmt: skip
    shifts = Shift.objects.bulk_create(shifts)
    now = timezone.now()
    signups = 0
    for shift in shifts:
        pool = [v for v in by_station[shift.station_id] if set(shift.skills) <= set(v.skills)]
        if not pool:
            continue
        if shift.start > now:
            if rng.random() < 0.5:
                continue
            chosen = rng.sample(pool, min(len(pool), shift.places - 1 or 1))
            Signup.objects.bulk_create([Signup(shift=shift, volunteer=v) for v in chosen])
            Shift.objects.filter(pk=shift.pk).update(taken=F("taken") + len(chosen))
            signups += len(chosen)
            continue
        if shift.kind == ShiftKind.OPENING and shift.station_id == stations[0].pk and volunteers[0].stations.filter(
            pk=shift.station_id
        ).exists():  # fmt: skip
            chosen = [volunteers[0], *rng.sample(pool[1:], 1)]
        else:
            chosen = rng.sample(pool, min(len(pool), shift.places))
        rows = []
        for v in chosen:
            show = rng.random() > 0.06
            rows.append(Signup(
                shift=shift, volunteer=v, created_at=shift.start - timedelta(days=3),
                status=SignupStatus.VERIFIED if show else SignupStatus.NO_SHOW,
                checked_in_at=shift.start - timedelta(minutes=rng.randint(0, 10)) if show else None,
                checked_out_at=shift.end + timedelta(minutes=rng.randint(0, 15)) if show else None,
                verified_at=shift.end + timedelta(hours=2) if show else None,
                minutes=int((shift.end - shift.start).total_seconds() // 60) if show else 0,
            ))  # fmt: skip
        made = Signup.objects.bulk_create(rows)
        Shift.objects.filter(pk=shift.pk).update(taken=len(made))
        for s in made:
            if s.status == SignupStatus.VERIFIED:
                t = ledger.credit_hours(station=shift.station, owner=s.volunteer, minutes=s.minutes, kind="shift",
                                        ref=f"signup:{s.pk}", memo=shift.title, actor=staff)  # fmt: skip
                if t is not None:
                    Transfer.objects.filter(pk=t.pk).update(at=s.verified_at)
        signups += len(made)
    return signups


def _swap_asked(volunteers: list[Volunteer]) -> int:
    """A colleague asks the sample elder to take over one of their coming opening duties (she answers on her page)."""
    elder = volunteers[0]
    now = timezone.now()
    signups = (
        Signup.objects.filter(
            status=SignupStatus.SIGNED_UP, shift__kind=ShiftKind.OPENING, shift__start__gt=now + timedelta(days=2)
        )
        .exclude(volunteer=elder)
        .select_related("shift__station", "volunteer__user")
    )
    for signup in signups.order_by("shift__start")[:20]:
        try:
            shifts.swap_request(signup=signup, phone=elder.user.phone, actor=signup.volunteer.user)
            return 1
        except Problem:
            continue
    return 0


def _time_bank(volunteers: list[Volunteer], rng: random.Random) -> int:
    paid = 0
    titles = ["帮忙教用智能手机", "陪同就医", "代买菜", "修理台灯", "英语口语陪练"]
    for i in range(12):
        payer, payee = rng.sample(volunteers[:40], 2)
        if ledger.account_for(payer).balance >= 60:
            timebank.exchange_pay(payer=payer, payee=payee, minutes=60, memo=titles[i % 5], actor=payer.user)
            paid += 1
    for i, v in enumerate(volunteers[1:9]):
        timebank.offer_create(volunteer=v, kind="offer" if i % 2 else "request", title=titles[i % 5], minutes=60)
    return paid


def _classes(stations: list[Station], volunteers: list[Volunteer], staff: User) -> int:
    """Two volunteer-taught classes, proposed by their teachers and approved by the station (activities take the
    bookings and the waitlist). The calligraphy class began last week: its first session, attended, is history,
    and the beat's crediting gave the teacher (the sample elder) its hours."""
    teachers = [v for v in volunteers if "teaching" in v.skills][:2]
    residents = [v.user for v in volunteers[40:70]]
    made = 0
    history = timedelta(days=9)
    for n, (teacher, title) in enumerate(
        zip(teachers, ["书法入门（志愿者授课）", "智能手机课（志愿者授课）"], strict=False)
    ):
        station = stations[n] if stations[n].place_id else stations[0]
        if station.place_id is None:
            continue
        start = _at(timezone.localdate() + timedelta(days=2 + n), 14)
        course = courses.course_propose(teacher=teacher, station_id=station.pk, title=title, first_start=start,
                                        minutes=90, sessions=4, capacity=20,
                                        description="每周一次，零基础可报（示例）")  # fmt: skip
        sessions = courses.course_approve(course=course, actor=staff)
        # the first class sells out "like concert tickets": 20 booked, the rest on the waitlist
        for user in residents[: 20 + 4 if n == 0 else 9]:
            try:
                booking_create(activity=sessions[0], user=user)
            except Problem:
                continue
        if n == 0:
            ids = [a.pk for a in sessions]
            Activity.objects.filter(pk__in=ids).update(start=F("start") - history, end=F("end") - history)
            Course.objects.filter(pk=course.pk).update(first_start=F("first_start") - history)
            first = Activity.objects.get(pk=ids[0])
            Booking.objects.filter(activity=first, status=BookingStatus.CONFIRMED).update(
                status=BookingStatus.CHECKED_IN, checked_in_at=first.start - timedelta(minutes=5)
            )
        made += 1
    courses.class_hours_credit()
    return made


def _photo(colour: tuple[int, int, int], name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", (640, 480), colour)
    ImageDraw.Draw(image).rectangle((120, 120, 520, 360), outline=(255, 255, 255), width=12)
    image.save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _menu(stations: list[Station], teams: list[Team], volunteers: list[Volunteer], manager: User, staff: User) -> int:
    today = timezone.localdate()
    items = [
        menu.item_publish(station=stations[0], actor=staff, title="免费理发日", day=today + timedelta(days=5),
                          people_needed=4, capacity=40, skills=["haircut"]),
        menu.item_publish(station=stations[1], actor=staff, title="家电维修摊", day=today + timedelta(days=6),
                          people_needed=3, capacity=30, skills=["repair"]),
        menu.item_publish(station=stations[0], actor=staff, title="健康讲座", day=today + timedelta(days=8), people_needed=2),
        menu.item_publish(station=stations[2], actor=staff, title="法律咨询时间", day=today + timedelta(days=9),
                          people_needed=2, capacity=20),
        menu.item_publish(station=stations[3], actor=staff, title="周末助餐帮厨", day=today + timedelta(days=1),
                          people_needed=4, capacity=60),
    ]  # fmt: skip
    haircut = menu.claim_create(item=items[0], user=manager, people=2, team=teams[0])  # partial, claimed
    hotel = menu.claim_create(item=items[4], user=manager, people=4, team=teams[1])  # complete
    done = menu.claim_create(item=items[1], user=manager, people=1, team=teams[0])
    # the past: one delivered and waiting, one confirmed, one rejected, one cancelled
    with decoding_in_transaction_allowed():  # the demo loads in one transaction, nobody else waiting
        menu.claim_report(claim=done, actor=manager, served=18, minutes=240, report="修好电饭煲、台灯等18件（示例）",
                          photos=[_photo((70, 110, 160), "repair-1.jpg"), _photo((160, 120, 70), "repair-2.jpg")])  # fmt: skip
    old = menu.item_publish(
        station=stations[0], actor=staff, title="免费理发日（上月）", day=today, people_needed=3, capacity=40
    )
    confirmed = menu.claim_create(item=old, user=manager, people=3, team=teams[0])
    menu.claim_report(claim=confirmed, actor=manager, served=32, minutes=540, report="理发32人（示例）")
    menu.claim_confirm(claim=confirmed, actor=staff)
    rejected = menu.claim_create(item=items[3], user=manager, people=1, team=teams[1])
    menu.claim_report(claim=rejected, actor=manager, served=0, minutes=60)
    menu.claim_reject(claim=rejected, actor=staff, note="未到场（示例）")
    cancelled = menu.claim_create(item=items[2], user=volunteers[5].user)
    menu.claim_cancel(claim=cancelled, actor=volunteers[5].user)
    ServiceItem.objects.filter(pk=old.pk).update(status="closed")
    Offer.objects.none()
    return Claim.objects.filter(item__station__street=stations[0].street).count() if haircut and hotel else 0
