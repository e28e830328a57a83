"""Every pipeline transition allowed and refused, one placement at once, and the employers' clocks with a
controlled clock."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core import mail  # noqa: F401  (notifications are SMS; the console backend)
from django.utils import timezone

from linli.core.errors import Problem
from linli.jobs.models import Application, ApplicationEvent, AppStatus, RefusalReason
from linli.jobs.services import pipeline, reminders
from linli.jobs.services.pipeline_states import PIPELINE_TRANSITIONS
from linli.jobs.tests.factories import JobsWorld, survey

pytestmark = pytest.mark.django_db

PATH_TO: dict[str, list[str]] = {
    AppStatus.SUGGESTED: [],
    AppStatus.CONTACTED: [AppStatus.CONTACTED],
    AppStatus.INTERVIEW: [AppStatus.INTERVIEW],
    AppStatus.OFFER: [AppStatus.INTERVIEW, AppStatus.OFFER],
    AppStatus.HIRED: [AppStatus.INTERVIEW, AppStatus.HIRED],
    AppStatus.RETAINED: [AppStatus.INTERVIEW, AppStatus.HIRED, AppStatus.RETAINED],
    AppStatus.LEFT: [AppStatus.INTERVIEW, AppStatus.HIRED, AppStatus.LEFT],
    AppStatus.REFUSED: [AppStatus.REFUSED],
}


def _at(world: JobsWorld, status: str, n: int) -> Application:
    seeker = survey(world, name=f"求职者{n}")
    app = pipeline.application_create(seeker=seeker, job=world.near_morning, actor=world.worker)
    for step in PATH_TO[status]:
        pipeline.application_move(application=app, to=step, actor=world.worker, reason=RefusalReason.HOURS)
    return app


@pytest.mark.parametrize("from_status", list(PATH_TO))
def test_every_transition_allowed_and_refused(world: JobsWorld, from_status: str) -> None:
    counter = itertools.count()
    for to in AppStatus.values:
        if to in (AppStatus.SUGGESTED, AppStatus.APPLIED):
            continue
        app = _at(world, from_status, next(counter))
        events = ApplicationEvent.objects.filter(application=app).count()
        allowed = to in PIPELINE_TRANSITIONS[from_status]
        if allowed:
            pipeline.application_move(application=app, to=to, actor=world.worker, reason=RefusalReason.PAY)
            app.refresh_from_db()
            assert app.status == to
            assert ApplicationEvent.objects.filter(application=app).count() == events + 1
        else:
            with pytest.raises(Problem) as exc:
                pipeline.application_move(application=app, to=to, actor=world.worker, reason=RefusalReason.PAY)
            assert exc.value.code == "jobs_application_invalid_transition"
            app.refresh_from_db()
            assert app.status == from_status
            assert ApplicationEvent.objects.filter(application=app).count() == events
        Application.objects.filter(pk=app.pk).delete()


def test_refusal_needs_a_reason_from_the_list(world: JobsWorld) -> None:
    app = pipeline.application_create(seeker=survey(world), job=world.near_morning, actor=world.worker)
    with pytest.raises(Problem) as exc:
        pipeline.application_move(application=app, to=AppStatus.REFUSED, actor=world.worker, reason="bored")
    assert exc.value.code == "jobs_refusal_reason_required"
    pipeline.application_move(application=app, to=AppStatus.REFUSED, actor=world.worker, reason="not_mobile")
    app.refresh_from_db()
    assert app.refusal_reason == "not_mobile" and app.refused_at is not None


def test_one_application_per_seeker_and_job_and_one_placement_at_once(world: JobsWorld) -> None:
    seeker = survey(world)
    app = pipeline.application_create(seeker=seeker, job=world.near_morning, actor=world.worker)
    with pytest.raises(Problem) as exc:
        pipeline.application_create(seeker=seeker, job=world.near_morning, actor=world.worker)
    assert exc.value.code == "jobs_application_exists"
    other = pipeline.application_create(seeker=seeker, job=world.near_afternoon, actor=world.worker)
    for a in (app, other):
        pipeline.application_move(application=a, to=AppStatus.INTERVIEW, actor=world.worker)
    pipeline.application_move(application=app, to=AppStatus.HIRED, actor=world.worker)
    with pytest.raises(Problem) as exc:
        pipeline.application_move(application=other, to=AppStatus.HIRED, actor=world.worker)
    assert exc.value.code == "jobs_already_placed"
    pipeline.application_move(application=app, to=AppStatus.LEFT, actor=world.worker)
    pipeline.application_move(application=other, to=AppStatus.HIRED, actor=world.worker)


def test_the_match_reasons_are_kept_with_the_suggestion(world: JobsWorld) -> None:
    app = pipeline.application_create(seeker=survey(world), job=world.near_morning, actor=world.worker)
    assert any(r["kind"] == "travel" and r["minutes"] == 10 for r in app.reasons)


def test_reminded_at_14_days_once_and_declined_at_60(world: JobsWorld) -> None:
    start = timezone.now()
    app = pipeline.application_create(seeker=survey(world), job=world.near_morning, actor=world.worker, now=start)
    assert reminders.sweep(now=start + dt.timedelta(days=13)).reminded == 0
    assert reminders.sweep(now=start + dt.timedelta(days=14, minutes=1)).reminded == 1
    assert reminders.sweep(now=start + dt.timedelta(days=15)).reminded == 0  # once per silence
    # a move restarts the clock
    pipeline.application_move(application=app, to=AppStatus.CONTACTED, actor=world.worker,
                              now=start + dt.timedelta(days=20))  # fmt: skip
    assert reminders.sweep(now=start + dt.timedelta(days=30)).reminded == 0
    assert reminders.sweep(now=start + dt.timedelta(days=34, minutes=1)).reminded == 1
    assert reminders.sweep(now=start + dt.timedelta(days=79)).declined == 0
    result = reminders.sweep(now=start + dt.timedelta(days=80, minutes=1))
    assert result.declined == 1
    app.refresh_from_db()
    assert app.status == AppStatus.REFUSED and app.refusal_reason == RefusalReason.NO_ANSWER
    assert app.events.last().action == "auto_decline"  # type: ignore[union-attr]
    assert reminders.sweep(now=start + dt.timedelta(days=200)).declined == 0


def test_hired_people_are_not_chased(world: JobsWorld) -> None:
    start = timezone.now()
    app = pipeline.application_create(seeker=survey(world), job=world.near_morning, actor=world.worker, now=start)
    pipeline.application_move(application=app, to=AppStatus.INTERVIEW, actor=world.worker, now=start)
    pipeline.application_move(application=app, to=AppStatus.HIRED, actor=world.worker, now=start)
    result = reminders.sweep(now=start + dt.timedelta(days=100))
    assert (result.reminded, result.declined) == (0, 0)
