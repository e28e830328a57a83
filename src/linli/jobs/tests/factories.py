"""Jobs test data: a street with a compound, an L-shaped road network (east 476 m, then north), a station worker
and head, a verified employer with a member, and three jobs: a morning kitchen helper 10 minutes' walk away over
the roads, an afternoon one 4 minutes away, a morning one 41 minutes away. `survey` makes a seeker at the
compound who can only work mornings within 15 minutes' walk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from linli.core.models import Compound, Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.jobs.models import Employer, Job, Seeker, Station
from linli.jobs.services import employers, roads, seekers
from linli.jobs.services.jobs import JobValues, job_create

HOME = (31.2000, 121.4000)
CORNER = (31.2000, 121.4050)


def road_collection(north_to: float = 31.2250) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "东西路"},
             "geometry": {"type": "LineString", "coordinates": [[121.4000, 31.2000], [121.4030, 31.2000],
                                                                [121.4050, 31.2000]]}},
            {"type": "Feature", "properties": {"name": "南北路"},
             "geometry": {"type": "LineString", "coordinates": [[121.4050, 31.2000], [121.4050, 31.2025],
                                                                [121.4050, north_to]]}},
        ],
    }  # fmt: skip


@dataclass
class JobsWorld:
    street: Street
    compound: Compound
    station: Station
    worker: User
    head: User
    employer: Employer
    member: User
    resident: User
    near_morning: Job
    near_afternoon: Job
    far_morning: Job


def role(user: User, street: Street, name: str) -> None:
    RoleAssignment.objects.get_or_create(user=user, street=street, role=name)


def job(employer: Employer, title: str, at: tuple[float, float], shifts: list[str], **more: Any) -> Job:
    values = JobValues(title=title, occupation=more.pop("occupation", "4-03-02-09"), lat=at[0], lng=at[1],
                       hours_kind=more.pop("hours_kind", "part_time"), shifts=shifts,
                       valid_through=timezone.localdate() + dt.timedelta(days=60), **more)  # fmt: skip
    return job_create(employer=employer, values=values, actor=None)


def build_jobs_world(code: str = "jobsjie", *, with_roads: bool = True) -> JobsWorld:
    street = StreetFactory(code=code, name="就业街道", center_lat=31.2, center_lng=121.4)
    compound = Compound.objects.create(
        street=street, external_id="h1", name="康健小区", geometry={"type": "Point", "coordinates": [HOME[1], HOME[0]]},
        lat=HOME[0], lng=HOME[1],
    )  # fmt: skip
    station = Station.objects.create(street=street, name="康健就业服务站", lat=HOME[0], lng=HOME[1])
    worker = UserFactory()
    head = UserFactory()
    role(worker, street, Role.EMPLOYMENT_WORKER)
    role(head, street, Role.EMPLOYMENT_HEAD)
    member = UserFactory()
    employer = employers.employer_register(
        street=street, actor=worker, verify=True, member=member,
        values=employers.EmployerValues(name="好味道餐饮", credit_code=employers.credit_code_with_check("91310104MA1FL0000")),
    )  # fmt: skip
    if with_roads:
        roads.roads_import(street=street, collection=road_collection())
    near_morning = job(employer, "早餐店厨房帮工", (31.2025, 121.4050), ["morning"])
    near_afternoon = job(employer, "午市厨房帮工", (31.2000, 121.4030), ["afternoon"])
    far_morning = job(employer, "中央厨房帮工", (31.2250, 121.4050), ["morning"])
    return JobsWorld(street, compound, station, worker, head, employer, member, UserFactory(), near_morning,
                     near_afternoon, far_morning)  # fmt: skip


def survey(world: JobsWorld, user: User | None = None, **more: Any) -> Seeker:
    values = seekers.SeekerValues(
        name=more.pop("name", "王阿姨"), consent=True, phone=more.pop("phone", "13812345678"), compound_id=world.compound.pk,
        skills=more.pop("skills", ["vegetable_prep", "food_hygiene"]), shifts=more.pop("shifts", ["morning"]),
        max_minutes=more.pop("max_minutes", 15), occupations=["4-03-02-09"], station_id=world.station.pk, **more,
    )  # fmt: skip
    return seekers.seeker_save(street=world.street, values=values, actor=world.worker, user=user)
