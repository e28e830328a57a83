"""A synthetic city at a fraction of Shanghai (`linli simulate city --scale F --days N`), for measuring Linli as
its data grows (issue 21). SYNTHETIC: every street is named "模拟 Synthetic …" and flagged `is_sample`; no row is
real. Deterministic from the seed (and the end date), bulk-loaded with PostgreSQL COPY (`linli.simulate.bulk`).

The anchors (whole city, per day) are the issue's: 16 districts, ~215 streets and towns, ~12,000 party-mass service
sites plus ~8,000 meal, medical and service points, ~200,000 elder meals a day, ~25,000 hotline requests a day,
tens of thousands of delivery riders each entering dozens of compounds a day. The other volumes are estimates,
written beside each figure below; `Volumes.at(scale)` multiplies them by the fraction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SYNTHETIC_PREFIX = "模拟 Synthetic"
STREET_CODE_PREFIX = "sim-"

DISTRICTS = [
    # name, approximate centre (WGS-84): a synthetic street is laid out around its district's centre
    ("黄浦区", 31.2317, 121.4846),
    ("徐汇区", 31.1886, 121.4365),
    ("长宁区", 31.2204, 121.4244),
    ("静安区", 31.2290, 121.4480),
    ("普陀区", 31.2495, 121.3972),
    ("虹口区", 31.2646, 121.5050),
    ("杨浦区", 31.2595, 121.5260),
    ("闵行区", 31.1129, 121.3816),
    ("宝山区", 31.4054, 121.4893),
    ("嘉定区", 31.3747, 121.2655),
    ("浦东新区", 31.2215, 121.5447),
    ("金山区", 30.7418, 121.3420),
    ("松江区", 31.0323, 121.2277),
    ("青浦区", 31.1508, 121.1240),
    ("奉贤区", 30.9180, 121.4740),
    ("崇明区", 31.6230, 121.3973),
]


@dataclass(frozen=True)
class Shanghai:
    """The whole city (scale 1.0)."""

    streets: int = 215  # 街道 and 镇 (the issue)
    points: int = 20_000  # ~12,000 party-mass service sites + meal, medical and service points (the issue)
    meals_per_day: int = 200_000  # elder meals (the issue)
    hotline_per_day: int = 25_000  # 12345 requests (the issue): each a hazard report here
    riders: int = 60_000  # "tens of thousands" (the issue)
    compounds_per_rider_day: int = 30  # "dozens of compounds a day" (the issue): one tap each
    residents: int = 2_500_000  # residents with a Linli account (~10 % of 24.9 M people; estimate)
    meal_eaters_share_per_day: float = 0.6  # an elder with a meal wallet eats ~0.6 ordered meals a day (estimate)
    bookings_per_day: int = 65_000  # ~20 activities a day per street × ~15 seats taken (estimate)
    questions_per_day: int = 100_000  # 问一问 questions (estimate: one in 25 residents a day)
    appointments_per_day: int = 20_000  # affairs appointments (estimate: ~90 per street centre a day)
    tickets_per_day: int = 40_000  # affairs walk-in queue tickets (estimate)
    checkins_per_day: int = 60_000  # care daily check-ins (报平安) of elders living alone (estimate)
    calls_per_day: int = 1_000  # care emergency calls (estimate)
    visits_per_day: int = 2_000  # care door-to-door requests (estimate)
    applications_per_day: int = 3_000  # jobs applications (estimate)
    signups_per_day: int = 6_000  # volunteer shift sign-ups (estimate)
    job_posts_per_day: int = 600  # job postings (estimate: ~3 per street a day)
    needs_per_day: int = 1_000  # residents' needs raised (estimate: ~5 per street a day)
    shifts_per_day: int = 1_000  # volunteer shifts (estimate: ~5 per street a day, ~6 sign-ups each)
    audit_per_day: int = 60_000  # staff audit-log lines (sensitive views, staff writes; estimate)


@dataclass(frozen=True)
class Volumes:
    scale: float
    streets: int
    points_per_street: int
    residents: int
    meal_eaters: int
    riders: int
    meals_per_day: int
    reports_per_day: int
    taps_per_day: int
    bookings_per_day: int
    questions_per_day: int
    appointments_per_day: int
    tickets_per_day: int
    checkins_per_day: int
    calls_per_day: int
    visits_per_day: int
    applications_per_day: int
    signups_per_day: int
    job_posts_per_day: int
    needs_per_day: int
    shifts_per_day: int
    audit_per_day: int

    @classmethod
    def at(cls, scale: float, city: Shanghai | None = None) -> Volumes:
        c = city or Shanghai()

        def n(x: float, least: int = 1) -> int:
            return max(least, round(x * scale))

        streets = n(c.streets)
        meals = n(c.meals_per_day)
        riders = n(c.riders, 5)
        return cls(
            scale=scale,
            streets=streets,
            points_per_street=max(8, math.ceil(c.points * scale / streets)),
            residents=n(c.residents, 200),
            meal_eaters=max(20, round(meals / c.meal_eaters_share_per_day)),
            riders=riders,
            meals_per_day=meals,
            reports_per_day=n(c.hotline_per_day),
            taps_per_day=riders * c.compounds_per_rider_day,
            bookings_per_day=n(c.bookings_per_day),
            questions_per_day=n(c.questions_per_day),
            appointments_per_day=n(c.appointments_per_day),
            tickets_per_day=n(c.tickets_per_day),
            checkins_per_day=n(c.checkins_per_day),
            calls_per_day=n(c.calls_per_day),
            visits_per_day=n(c.visits_per_day),
            applications_per_day=n(c.applications_per_day),
            signups_per_day=n(c.signups_per_day),
            job_posts_per_day=n(c.job_posts_per_day),
            needs_per_day=n(c.needs_per_day),
            shifts_per_day=n(c.shifts_per_day),
            audit_per_day=n(c.audit_per_day),
        )


# Share of a day's events per local hour (0-23): the time-of-day peaks.
HOURS_MEAL_ORDERS = [
    1,
    0,
    0,
    0,
    0,
    1,
    6,
    14,
    16,
    10,
    1,
    0,
    1,
    1,
    2,
    2,
    3,
    4,
    6,
    9,
    10,
    8,
    4,
    2,
]  # before the 09:30 cut-off
HOURS_RIDER_TAPS = [3, 2, 1, 1, 1, 1, 2, 4, 5, 6, 10, 16, 16, 9, 5, 4, 5, 9, 13, 13, 9, 6, 5, 4]  # lunch, dinner
HOURS_REPORTS = [1, 1, 0, 0, 0, 1, 3, 6, 9, 10, 10, 8, 6, 7, 9, 9, 8, 7, 6, 6, 5, 4, 2, 1]  # working day, evening
HOURS_MORNING_EVENING = [1, 0, 0, 0, 0, 1, 4, 9, 10, 9, 7, 5, 4, 4, 5, 5, 5, 5, 6, 9, 10, 8, 4, 2]  # questions
HOURS_OFFICE = [0, 0, 0, 0, 0, 0, 0, 1, 6, 12, 12, 10, 3, 8, 11, 11, 9, 4, 1, 1, 0, 0, 0, 0]  # desks open
HOURS_CHECKIN = [0, 0, 0, 0, 0, 2, 8, 18, 22, 18, 10, 4, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]  # 报平安 before 10
