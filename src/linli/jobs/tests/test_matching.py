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
