"""The sample street's employment circle (issue 18): 2 employment stations, 30 SAMPLE employers (verified, with
checksummed credit codes), 200 open jobs around the compounds, 150 SAMPLE seekers at the compounds, a road-free
street (travel times say they are straight-line estimates) and six months of pipeline history so the station
head's dashboard shows placements, time to placement and retention.

Written in bulk (the demo must start quickly); the rows are what the services would write. `jobs_demo_load`
makes the data only when the street has no seekers yet; `jobs_demo_reset` removes the street's jobs rows."""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from linli.activities.models import Activity
from linli.activities.services.bookings import booking_create
from linli.core.errors import Problem
from linli.core.models import Compound, Street, User
from linli.core.services import user_get_or_create
from linli.jobs.models import (
    Application,
    ApplicationEvent,
    AppStatus,
    Course,
    Employer,
    Fair,
    HoursKind,
    Job,
    RefusalReason,
    Seeker,
    Station,
    TravelMode,
)
from linli.jobs.services import courses, fairs, pipeline
from linli.jobs.services.employers import credit_code_with_check
from linli.jobs.taxonomy import OCCUPATIONS
from linli.places.models import Place, PlaceKind

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
SECTORS = ["餐饮", "家政", "养老", "零售", "物流", "物业", "制造", "咖啡"]
EMPLOYER_KINDS = ["餐饮店", "家政服务社", "养老院", "便利店", "快递站", "物业公司", "服装厂", "咖啡馆"]
SHIFT_SETS = [["morning"], ["afternoon"], ["morning", "afternoon"], ["evening"], ["night"]]
EMPLOYER_PHONE = "13800000063"  # the demo account `employer` (linli.demo.ACCOUNTS)
RESIDENT_PHONE = "13800000009"  # the demo account `resident`
HOURS = [HoursKind.FULL_TIME, HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS]


def jobs_demo_reset(street: Street) -> None:
    Application.objects.filter(street=street).delete()
    Course.objects.filter(street=street).delete()
    Fair.objects.filter(street=street).delete()
    Job.objects.filter(street=street).delete()
    Employer.objects.filter(street=street).delete()
    Seeker.objects.filter(street=street).delete()
    Station.objects.filter(street=street).delete()


def _history(rng: random.Random, now: datetime, seekers: list[Seeker], jobs: list[Job], worker: User | None) -> int:
    apps: list[Application] = []
    events: list[tuple[int, list[tuple[str, str, datetime]]]] = []
    path = [AppStatus.CONTACTED, AppStatus.INTERVIEW, AppStatus.OFFER, AppStatus.HIRED, AppStatus.RETAINED]
    for i, seeker in enumerate(seekers[:120]):
        job = jobs[(i * 7) % len(jobs)]
        start = now - timedelta(days=rng.randint(5, 180))
        steps = rng.choice([0, 1, 2, 3, 4, 4, 5]) if i % 5 else 0
        stamps: dict[str, datetime] = {}
        at = start
        moves: list[tuple[str, str, datetime]] = [("", AppStatus.SUGGESTED, start)]
        status = AppStatus.SUGGESTED
        for step in path[:steps]:
            at = at + timedelta(days=rng.randint(2, 10) if step != AppStatus.RETAINED else 91)
            if at > now:
                break
            moves.append((status, step, at))
            stamps[f"{step}_at"] = at
            status = step
        refused = status in (AppStatus.SUGGESTED, AppStatus.CONTACTED) and i % 3 == 0
        if refused:
            at = at + timedelta(days=3)
            moves.append((status, AppStatus.REFUSED, at))
            stamps["refused_at"] = at
            status = AppStatus.REFUSED
        apps.append(Application(
            street_id=seeker.street_id, seeker=seeker, job=job, status=status, created_by=worker, created_at=start,
            moved_at=at, refusal_reason=RefusalReason.HOURS if refused else "", **stamps,  # type: ignore[arg-type]
        ))  # fmt: skip
        events.append((i, moves))
    Application.objects.bulk_create(apps, batch_size=500)
    saved = list(Application.objects.filter(street_id=seekers[0].street_id).order_by("id"))
    rows = [
        ApplicationEvent(
            application=app,
            at=at,
            actor=worker,
            action="transition" if frm else "create",
            from_status=frm,
            to_status=to,
        )  # fmt: skip
        for app, (_i, moves) in zip(saved, events, strict=False)
        for frm, to, at in moves
    ]
    ApplicationEvent.objects.bulk_create(rows, batch_size=1000)
    return len(apps)


def jobs_demo_load(street: Street, *, worker: User | None = None) -> dict[str, int]:
    if Seeker.objects.filter(street=street).exists():
        return {"seekers": Seeker.objects.filter(street=street).count(), "created": 0}
    rng = random.Random(18)
    now = timezone.now()
    compounds = list(Compound.objects.filter(street=street).order_by("id"))
    if not compounds:
        return {"seekers": 0, "created": 0}
    with transaction.atomic():
        stations = [
            Station.objects.create(street=street, name=name, lat=c.lat, lng=c.lng, address=c.address)
            for name, c in (("万里就业服务站（示例）", compounds[0]), ("富平就业服务站（示例）", compounds[-1]))
        ]
        employers = []
        for i in range(30):
            c = compounds[i % len(compounds)]
            employers.append(Employer(
                street=street, name=f"{SURNAMES[i]}记{EMPLOYER_KINDS[i % 8]}（示例）", sector=SECTORS[i % 8],
                credit_code=credit_code_with_check(f"9231010{i:04d}MA1DM0"[:17]), lat=c.lat, lng=c.lng,
                address=c.address, verified_at=now, verified_by=worker,
            ))  # fmt: skip
        Employer.objects.bulk_create(employers)
        employers = list(Employer.objects.filter(street=street).order_by("id"))
        codes = list(OCCUPATIONS)
        valid = timezone.localdate() + timedelta(days=60)
        jobs = []
        for i in range(200):
            e = employers[i % 30]
            occ = OCCUPATIONS[codes[i % len(codes)]]
            jobs.append(Job(
                street=street, employer=e, title=f"{occ.name}", occupation=occ.code,
                skills_essential=list(occ.essential), skills_optional=list(occ.optional),
                lat=(e.lat or 31.26) + rng.uniform(-0.006, 0.006), lng=(e.lng or 121.39) + rng.uniform(-0.006, 0.006),
                address=e.address, hours_kind=HOURS[i % 4], shifts=SHIFT_SETS[i % 5], pay_min_fen=300_000 + (i % 5) * 50_000,
                pay_max_fen=450_000 + (i % 5) * 50_000, openings=1 + i % 3, step_free=i % 3 == 0,
                heavy_lifting=i % 7 == 0, valid_through=valid, created_by=worker,
            ))  # fmt: skip
        Job.objects.bulk_create(jobs, batch_size=500)
        jobs = list(Job.objects.filter(street=street).order_by("id"))
        seekers = []
        for i in range(150):
            c = compounds[(i * 3) % len(compounds)]
            occ = OCCUPATIONS[codes[(i * 5) % len(codes)]]
            seekers.append(Seeker(
                street=street, station=stations[i % 2], caseworker=worker, compound=c, lat=c.lat, lng=c.lng,
                name=f"{SURNAMES[i % len(SURNAMES)]}{'阿姨' if i % 2 else '师傅'}（示例）", phone=f"1350000{i:04d}",
                occupations=[occ.code], skills=list(occ.essential)[: 1 + i % 2] + list(occ.optional)[:1],
                hours=[HOURS[i % 4]], shifts=SHIFT_SETS[i % 3], max_minutes=(15, 20, 30)[i % 3],
                travel_mode=(TravelMode.WALK, TravelMode.BIKE, TravelMode.TRANSIT)[i % 3],
                constraints=["caregiving"] if i % 6 == 0 else [], benefits=["dibao"] if i % 8 == 0 else [],
                consent_at=now, registered_at=now - timedelta(days=rng.randint(10, 200)),
            ))  # fmt: skip
        Seeker.objects.bulk_create(seekers, batch_size=500)
        seekers = list(Seeker.objects.filter(street=street).order_by("id"))
        apps = _history(rng, now, seekers, jobs, worker)
        _accounts(street, now, stations, employers[0], jobs, worker)
        _courses(street, now, stations, jobs, seekers, worker)
        _fair(street, now, employers, seekers, worker)
    return {"stations": 2, "employers": 30, "jobs": 200, "seekers": 150, "applications": apps}


def _accounts(street: Street, now: datetime, stations: list[Station], employer: Employer, jobs: list[Job],
              worker: User | None) -> None:  # fmt: skip
    """The demo's employer account (杜老板) is a member of the first employer, with candidates waiting for its
    answer; the sample resident (小林) surveyed himself online, so 家门口就业 shows him jobs near home."""
    boss = User.objects.filter(phone=f"+86{EMPLOYER_PHONE}").first()
    if boss is not None:
        employer.members.add(boss)
    mine = [j for j in jobs if j.employer_id == employer.pk]
    waiting = list(Seeker.objects.filter(street=street, applications__isnull=True).order_by("id")[:3])
    for i, (seeker, job) in enumerate(zip(waiting, mine, strict=False)):
        at = now - timedelta(days=2 + i)
        app = Application.objects.create(street=street, seeker=seeker, job=job, status=AppStatus.SUGGESTED,
                                         created_by=worker, created_at=at, moved_at=at)  # fmt: skip
        ApplicationEvent.objects.create(application=app, at=at, actor=worker, action="create", to_status=app.status)
    resident = User.objects.filter(phone=f"+86{RESIDENT_PHONE}").first()
    compound = Compound.objects.filter(street=street).order_by("id").first()
    if resident is not None and compound is not None:
        Seeker.objects.create(
            street=street, station=stations[0], user=resident, compound=compound, lat=compound.lat, lng=compound.lng,
            name=resident.display_name, phone=RESIDENT_PHONE, occupations=["4-03-02-09"],
            skills=["vegetable_prep", "food_hygiene", "dishwashing"], hours=[HoursKind.PART_TIME],
            shifts=["morning"], max_minutes=15, travel_mode=TravelMode.WALK, consent_at=now, registered_at=now,
        )  # fmt: skip


def _courses(street: Street, now: datetime, stations: list[Station], jobs: list[Job], seekers: list[Seeker],
             worker: User | None) -> None:  # fmt: skip
    """A kitchen-helper course linked to the kitchens' jobs: a finished one (20 class hours, 4 sessions; 12 trainees,
    attendance, the practical assessment: 10 passed and were proposed interviews) and the next one, open for
    enrolment (小林 can enrol from 就业培训)."""
    venue = (
        Place.objects.filter(street=street, kind=PlaceKind.EMPLOYMENT_STATION).order_by("id").first()
        or Place.objects.filter(street=street, kind=PlaceKind.PARTY_SERVICE_CENTER).order_by("id").first()
        or Place.objects.filter(street=street).order_by("id").first()
    )
    if venue is None:
        return
    kitchen = [j.pk for j in jobs if j.occupation in ("4-03-02-09", "4-03-02-02")][:6]
    past_now = now - timedelta(days=40)
    values = courses.CourseValues(
        title="技能耀前程·厨房帮工实训（示例）", venue_id=venue.pk, first_start=past_now + timedelta(days=5, hours=2),
        class_hours=20, sessions=4, session_minutes=300, capacity=12, occupation="4-03-02-09",
        skills=["vegetable_prep", "food_hygiene"], job_ids=kitchen, station_id=stations[0].pk,
        description="20课时：食品卫生、择菜切配、后厨协作；最后一次课实操考核，合格者推荐到对接岗位面试。",
    )  # fmt: skip
    past = courses.course_create(street=street, values=values, actor=None, now=past_now)
    trainees = [s for s in seekers if s.phone and not s.applications.exists()][:12]
    for i, seeker in enumerate(trainees):
        e = courses.enrollment_add(course=past, seeker=seeker, actor=worker, now=past_now)
        for activity_id in past.activity_ids:
            courses.attendance_mark(enrollment=e, activity_id=activity_id, present=True, actor=worker)
        score = 55 + (i * 7) % 45  # two of twelve under the pass mark
        courses.assessment_record(enrollment=e, score=score, actor=worker, now=now - timedelta(days=12))
    values.first_start = now + timedelta(days=9, hours=2)
    values.title = "技能耀前程·厨房帮工实训 第二期（示例）"
    courses.course_create(street=street, values=values, actor=None, now=now)


def _fair(street: Street, now: datetime, employers: list[Employer], seekers: list[Seeker], worker: User | None) -> None:
    """A past job fair (春风行动, three weeks ago) with 6 booths: 30 seekers registered through its activity, the
    interviews agreed at the booths, and the offers and hires that followed; and a coming one with 4 booths."""
    venue = (
        Place.objects.filter(street=street, kind=PlaceKind.CULTURE_CENTER).order_by("id").first()
        or Place.objects.filter(street=street).order_by("id").first()
    )
    if venue is None:
        return
    past_now = now - timedelta(days=30)
    start = (now - timedelta(days=21)).replace(hour=1, minute=30, second=0, microsecond=0)  # 9:30 in Shanghai
    values = fairs.FairValues(title="春风行动·家门口招聘会（示例）", venue_id=venue.pk, start=start,
                              end=start + timedelta(hours=3), capacity=300,
                              employer_ids=[e.pk for e in employers[:6]])  # fmt: skip
    fair = fairs.fair_create(street=street, values=values, actor=None, now=past_now)
    coming = (now + timedelta(days=10)).replace(hour=1, minute=30, second=0, microsecond=0)
    fairs.fair_create(street=street, actor=None, now=now, values=fairs.FairValues(
        title="金秋家门口招聘会（示例）", venue_id=venue.pk, start=coming, end=coming + timedelta(hours=3), capacity=300,
        employer_ids=[e.pk for e in employers[6:10]],
    ))  # fmt: skip
    activity = Activity.objects.get(pk=int(fair.activity_id or 0))
    for seeker in [s for s in seekers if s.phone][30:60]:
        user = seeker.user or user_get_or_create(phone=seeker.phone, display_name=seeker.name)
        try:
            with transaction.atomic():
                booking_create(activity=activity, user=user, now=past_now)
        except Problem:  # a booking limit reached: not registered
            continue
    registered = fairs.registered_seekers(fair)
    at = start + timedelta(hours=1)
    for n, booth in enumerate(fair.booths.order_by("number")):
        made = 0
        for row in fairs.booth_list(booth, registered):
            if made >= 3 or row.application is not None or row.match.score < 40:
                continue
            try:
                app = fairs.fair_interview(fair=fair, seeker=row.seeker, job=row.job, actor=worker, now=at)
            except Problem:  # placed elsewhere meanwhile, or already in the pipeline
                continue
            made += 1
            if (made + n) % 2 == 0:
                pipeline.application_move(application=app, to="offer", actor=worker, now=at + timedelta(days=3))
                if made == 2:
                    with contextlib.suppress(Problem):  # placed elsewhere meanwhile
                        pipeline.application_move(application=app, to="hired", actor=worker,
                                                  now=at + timedelta(days=7))  # fmt: skip
