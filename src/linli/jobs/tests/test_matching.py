"""Match ranking and reasons: the seeker who can only work mornings within 15 minutes' walk."""

from __future__ import annotations

import pytest
from django.utils import translation

from linli.jobs.models import Job
from linli.jobs.services import matching
from linli.jobs.tests.factories import JobsWorld, build_jobs_world, job, survey

pytestmark = pytest.mark.django_db


def _texts(m: matching.Match) -> list[str]:
    return [r["text"] for r in matching.reasons_text(m.reasons)]


def test_morning_job_ten_minutes_away_first_far_one_left_out(world: JobsWorld) -> None:
    seeker = survey(world)
    found = matching.seeker_matches(seeker)
    ids = [m.job_id for m in found]
    assert ids == [world.near_morning.pk, world.near_afternoon.pk]
    assert world.far_morning.pk not in ids
    with translation.override("zh-hans"):
        first = _texts(found[0])
        second = _texts(found[1])
    assert "择菜切配 ✓" in first and "食品卫生 ✓" in first
    assert "步行 10 分钟" in first
    assert "上午班次合适 ✓" in first
    assert "只能做上午 ✗" in second


def test_essential_skills_weigh_over_optional(world: JobsWorld) -> None:
    pastry = job(world.employer, "面点帮工", (31.2010, 121.4050), ["morning"],
                 skills_essential=["chinese_pastry"], skills_optional=["vegetable_prep", "food_hygiene"])  # fmt: skip
    seeker = survey(world)
    found = {m.job_id: m for m in matching.seeker_matches(seeker)}
    assert found[world.near_morning.pk].score > found[pastry.pk].score
    with translation.override("zh-hans"):
        assert "会做中式面点 ✗" in _texts(found[pastry.pk])


def test_constraints_and_reasons(world: JobsWorld) -> None:
    heavy = job(world.employer, "搬运帮工", (31.2010, 121.4050), ["morning"], heavy_lifting=True)
    seeker = survey(world, constraints=["no_heavy"])
    found = {m.job_id: m for m in matching.seeker_matches(seeker)}
    assert found[heavy.pk].score < found[world.near_morning.pk].score
    with translation.override("zh-hans"):
        assert "不能搬重物 ✗" in _texts(found[heavy.pk])


def test_without_roads_the_reasons_say_so() -> None:
    w = build_jobs_world("noroads2", with_roads=False)
    found = matching.seeker_matches(survey(w))
    with translation.override("zh-hans"):
        assert any("未导入路网" in t for t in _texts(found[0]))


def test_closed_and_expired_jobs_are_not_matched(world: JobsWorld) -> None:
    Job.objects.filter(pk=world.near_morning.pk).update(status="closed")
    found = matching.seeker_matches(survey(world))
    assert [m.job_id for m in found] == [world.near_afternoon.pk]


def test_fast_matches_equal_the_brute_force_scan(world: JobsWorld) -> None:
    for i in range(30):
        job(world.employer, f"岗位{i}", (31.2 + (i % 10) * 0.0008, 121.4 + (i // 10) * 0.002),
            ["morning"] if i % 2 else ["afternoon"], hours_kind="flexible" if i % 5 == 0 else "part_time")  # fmt: skip
    for mode in ("walk", "bike", "transit"):
        seeker = survey(world, travel_mode=mode, name=f"王{mode}", max_minutes=20)
        fast = matching.seeker_matches(seeker)
        scan = matching.seeker_matches_scan(seeker)
        assert [(m.job_id, m.score, m.minutes) for m in fast] == [(m.job_id, m.score, m.minutes) for m in scan]


def test_seekers_for_a_job(world: JobsWorld) -> None:
    near = survey(world)
    afternoon = survey(world, name="李叔", shifts=["afternoon"])
    found = matching.job_matches(world.near_morning)
    assert [m.seeker_id for m in found] == [near.pk, afternoon.pk]


def test_reasons_in_english(world: JobsWorld) -> None:
    found = matching.seeker_matches(survey(world))
    with translation.override("en"):
        assert "Walk 10 min" in _texts(found[0])
        assert "Vegetable preparation ✓" in _texts(found[0])
        assert "Only available: morning ✗" in _texts(found[1])


def test_vectorised_matches_equal_the_scan_on_a_random_street() -> None:
    """Hundreds of jobs on a road grid (some far off the roads, some closed or expired), seekers walking, cycling
    and by transit with constraints: the vectorised pre-score keeps exactly the scan's best (with a small limit,
    so most jobs in reach are cut before the exact scoring)."""
    import datetime as dt
    import random

    from django.utils import timezone

    from linli.core.tests.factories import StreetFactory
    from linli.jobs.models import Employer, Seeker
    from linli.jobs.services import employers, roads
    from linli.jobs.taxonomy import OCCUPATIONS, SKILLS

    rng = random.Random(5)
    street = StreetFactory(code="gridjie", center_lat=31.2, center_lng=121.4)
    lat0, lng0, step, n = 31.2, 121.4, 0.001, 13
    lines = [[[lng0 + j * step, lat0 + i * step] for j in range(n)] for i in range(n)]
    lines += [[[lng0 + i * step, lat0 + j * step] for j in range(n)] for i in range(n)]
    roads.roads_import(street=street, collection={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in lines]})  # fmt: skip
    employer = Employer.objects.create(street=street, name="网格单位", verified_at=timezone.now(),
                                       credit_code=employers.credit_code_with_check("91310104MA1FL0009"))  # fmt: skip
    codes, skills = list(OCCUPATIONS), list(SKILLS)
    shifts = ["morning", "afternoon", "evening", "night"]
    kinds = ["full_time", "part_time", "flexible", "school_hours"]
    today = timezone.localdate()
    Job.objects.bulk_create([
        Job(street=street, employer=employer, title=f"岗位{i}", occupation=(occ := OCCUPATIONS[rng.choice(codes)]).code,
            skills_essential=list(occ.essential), skills_optional=list(occ.optional),
            lat=lat0 + rng.uniform(-0.006, 0.018), lng=lng0 + rng.uniform(-0.006, 0.018),  # some off the grid
            hours_kind=rng.choice(kinds), shifts=sorted({rng.choice(shifts) for _ in range(2)}),
            heavy_lifting=rng.random() < 0.2, step_free=rng.random() < 0.5,
            valid_through=today + dt.timedelta(days=rng.choice([-1, 30, 60])), status=rng.choice(["open"] * 9 + ["closed"]))
        for i in range(400)
    ])  # fmt: skip
    modes = [("walk", 15), ("bike", 10), ("transit", 25), ("walk", 30)]
    many = 0
    for i in range(12):
        mode, minutes = modes[i % 4]
        seeker = Seeker.objects.create(
            street=street, name=f"求职者{i}", consent_at=timezone.now(), travel_mode=mode, max_minutes=minutes,
            lat=lat0 + rng.uniform(0, 0.012), lng=lng0 + rng.uniform(0, 0.012),
            skills=sorted({rng.choice(skills) for _ in range(4)}), occupations=[rng.choice(codes)],
            shifts=sorted({rng.choice(shifts[:3]) for _ in range(i % 3)}), hours=[kinds[i % 4]] if i % 2 else [],
            constraints=[["no_heavy"], ["wheelchair", "no_night"], ["caregiving"], []][i % 4],
        )  # fmt: skip
        for limit in (5, 50):
            fast = matching.seeker_matches(seeker, limit=limit)
            scan = matching.seeker_matches_scan(seeker, limit=limit)
            assert [(m.job_id, m.score, m.minutes) for m in fast] == [(m.job_id, m.score, m.minutes) for m in scan]
            assert fast == scan  # the reasons too
            many += limit == 50 and len(fast) > 20
    assert many >= 4  # most jobs in reach were cut before the exact scoring at limit 5
