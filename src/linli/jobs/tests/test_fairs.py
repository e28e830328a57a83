"""Job fairs (issue 18 item 6): the registration is an activity residents book; each booth's on-site list ranks
the registered seekers against its jobs with the reasons; an interview agreed there carries the fair, and the
results count interviews and offers per booth; another street's staff see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity
from linli.activities.services.bookings import booking_create
from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory
from linli.jobs.models import Application, AppStatus, Fair
from linli.jobs.services import employers, fairs, pipeline
from linli.jobs.tests.factories import JobsWorld, build_jobs_world, job, survey
from linli.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def make_fair(w: JobsWorld, *employer_ids: int) -> Fair:
    venue = PlaceFactory(street=w.street, name="康健社区文化中心")
    start = timezone.now() + dt.timedelta(days=2)
    values = fairs.FairValues(title="春风行动招聘会", venue_id=venue.pk, start=start, end=start + dt.timedelta(hours=3),
                              capacity=100, employer_ids=list(employer_ids) or [w.employer.pk])  # fmt: skip
    return fairs.fair_create(street=w.street, values=values, actor=w.worker)


def test_registration_booth_list_interview_and_results(world: JobsWorld) -> None:
    other = employers.employer_register(
        street=world.street, actor=world.worker, verify=True,
        values=employers.EmployerValues(name="快乐家政", credit_code=employers.credit_code_with_check("91310104MA1FL0001")),
    )  # fmt: skip
    cleaning = job(other, "保洁员", (31.2010, 121.4030), ["morning"], occupation="4-09-08-01")
    fair = make_fair(world, world.employer.pk, other.pk)
    activity = Activity.objects.get(pk=fair.activity_id)
    assert activity.status == "published" and activity.capacity == 100 and activity.place_id == fair.venue_id
    booths = {b.employer_id: b for b in fair.booths.all()}
    assert set(booths[world.employer.pk].jobs.values_list("pk", flat=True)) == {
        world.near_morning.pk,
        world.near_afternoon.pk,
        world.far_morning.pk,
    }
    assert list(booths[other.pk].jobs.all()) == [cleaning]

    resident = UserFactory(phone="+8613812345678")
    kitchen = survey(world, user=resident)  # registered with their own account
    survey(world, name="未报名", phone="13700000000")  # not registered: not on the lists
    staffed = survey(world, name="李阿姨", phone="13912345678", skills=["cleaning"])  # surveyed by staff
    booking_create(activity=activity, user=resident)
    booking_create(activity=activity, user=UserFactory(phone="+8613912345678"))  # her phone's account
    assert {s.pk for s in fairs.registered_seekers(fair)} == {kitchen.pk, staffed.pk}

    rows = fairs.booth_list(booths[world.employer.pk], fairs.registered_seekers(fair))
    assert rows[0].seeker == kitchen and rows[0].job == world.near_morning  # her best job of the booth
    texts = [r["text"] for r in pipeline.matching.reasons_text(rows[0].match.reasons)]
    assert "择菜切配 ✓" in texts and "步行 10 分钟" in texts

    app = fairs.fair_interview(fair=fair, seeker=kitchen, job=world.near_morning, actor=world.worker)
    assert app.status == AppStatus.INTERVIEW and app.fair_id == fair.pk
    assert app.events.order_by("-id").first().action == "fair_interview"
    with pytest.raises(Problem) as again:
        fairs.fair_interview(fair=fair, seeker=kitchen, job=world.near_morning, actor=world.worker)
    assert again.value.code == "jobs_application_exists"
    with pytest.raises(Problem) as elsewhere:  # a job not at the fair
        fairs.fair_interview(fair=make_fair(world, other.pk), seeker=kitchen, job=world.near_morning, actor=None)
    assert elsewhere.value.code == "not_found"
    # An earlier suggestion moves on to the interview, and carries the fair.
    earlier = pipeline.application_create(seeker=staffed, job=cleaning, actor=world.worker)
    fairs.fair_interview(fair=fair, seeker=staffed, job=cleaning, actor=world.worker)
    earlier.refresh_from_db()
    assert earlier.fair_id == fair.pk and earlier.status == AppStatus.INTERVIEW
    pipeline.application_move(application=app, to=AppStatus.OFFER, actor=world.member)

    results = {r["booth"].employer_id: r for r in fairs.fair_results(fair)}
    assert (results[world.employer.pk]["interviews"], results[world.employer.pk]["offers"]) == (1, 1)
    assert (results[other.pk]["interviews"], results[other.pk]["offers"]) == (1, 0)


def test_fair_pages_and_privacy(world: JobsWorld) -> None:
    fair = make_fair(world)
    resident = UserFactory(phone="+8613812345678")
    kitchen = survey(world, user=resident)
    booking_create(activity=Activity.objects.get(pk=fair.activity_id), user=resident)
    staff = Client()
    staff.force_login(world.worker)
    page = staff.get(f"/staff/jobs/fairs/{fair.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and f'data-seeker="{kitchen.pk}"' in text and "步行 10 分钟" in text
    r = staff.post(f"/staff/jobs/fairs/{fair.pk}/", {"seeker": kitchen.pk, "job": world.near_morning.pk})
    assert r.status_code == 302
    assert Application.objects.get(seeker=kitchen, job=world.near_morning).fair_id == fair.pk
    listing = Client().get(f"/jobs/fairs/?street={world.street.code}").content.decode()
    assert "春风行动招聘会" in listing and f"/activities/{fair.activity_id}/" in listing
    assert "王阿姨" not in listing  # residents see the fair and the jobs, never who registered
    outsider = Client()
    outsider.force_login(build_jobs_world("otherjie").worker)
    assert outsider.get(f"/staff/jobs/fairs/{fair.pk}/").status_code == 403
    bad = staff.post(f"/staff/jobs/fairs/?street={world.street.code}", {"title": "", "venue": "x", "start": "nope"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    assert Fair.objects.count() == 1  # nothing written
