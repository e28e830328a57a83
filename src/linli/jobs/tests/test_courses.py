"""Training that ends in a job (issue 18 item 5): sessions are activities at the venue and enrolment books their
seats; attendance short of the minimum refuses the assessment; a pass proposes an interview at each linked job;
the certificate PDF carries a QR link that checks it; other streets' staff see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity, Booking, BookingStatus, Category
from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory
from linli.jobs.models import Application, AppStatus, Enrollment, EnrollmentStatus
from linli.jobs.services import courses
from linli.jobs.tests.factories import JobsWorld, build_jobs_world, role, survey
from linli.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def make_course(w: JobsWorld, **more: object) -> courses.Course:
    venue = PlaceFactory(street=w.street, name="康健社区学校")
    values = courses.CourseValues(
        title="厨房帮工实训", venue_id=venue.pk, first_start=timezone.now() + dt.timedelta(days=3),
        job_ids=[w.near_morning.pk, w.far_morning.pk], capacity=more.pop("capacity", 12), **more,  # type: ignore[arg-type]
    )  # fmt: skip
    return courses.course_create(street=w.street, values=values, actor=w.worker)


def test_sessions_are_activities_and_enrolment_books_every_seat(world: JobsWorld) -> None:
    course = make_course(world, capacity=1)
    sessions = list(Activity.objects.filter(pk__in=course.activity_ids).order_by("start"))
    assert len(sessions) == 4 and course.min_attendance == 4 - 0  # 80% of 4 sessions, rounded up
    assert {a.category for a in sessions} == {Category.SKILLS_TRAINING} and {a.capacity for a in sessions} == {1}
    assert sessions[1].start - sessions[0].start == dt.timedelta(weeks=1)
    seeker = survey(world)
    courses.enrollment_add(course=course, seeker=seeker, actor=world.worker)
    booked = Booking.objects.filter(activity_id__in=course.activity_ids, status=BookingStatus.CONFIRMED)
    assert booked.count() == 4 and {b.user.phone for b in booked} == {"+8613812345678"}
    with pytest.raises(Problem) as again:
        courses.enrollment_add(course=course, seeker=seeker, actor=world.worker)
    assert again.value.code == "jobs_enrolled_already"
    other = survey(world, name="李阿姨", phone="13912345678")
    with pytest.raises(Problem) as full:
        courses.enrollment_add(course=course, seeker=other, actor=world.worker)
    assert full.value.code == "activity_full"
    assert not Enrollment.objects.filter(seeker=other).exists()  # nothing half-written
    assert not Booking.objects.filter(user__phone="+8613912345678").exists()


def test_short_attendance_refuses_the_assessment_and_a_pass_proposes_interviews(world: JobsWorld) -> None:
    course = make_course(world)
    seeker = survey(world)
    e = courses.enrollment_add(course=course, seeker=seeker, actor=world.worker)
    for activity_id in course.activity_ids[:2]:
        courses.attendance_mark(enrollment=e, activity_id=activity_id, present=True, actor=world.worker)
    with pytest.raises(Problem) as short:
        courses.assessment_record(enrollment=e, score=90, actor=world.worker)
    assert short.value.code == "jobs_attendance_short"
    # A session checked in through activities counts too.
    Booking.objects.filter(activity_id=course.activity_ids[2], user__phone="+8613812345678").update(
        status=BookingStatus.CHECKED_IN
    )
    courses.attendance_mark(enrollment=e, activity_id=course.activity_ids[3], present=True, actor=world.worker)
    # An earlier suggestion of one linked job moves on; the other gets a new application.
    from linli.jobs.services import pipeline

    earlier = pipeline.application_create(seeker=seeker, job=world.near_morning, actor=world.worker)
    proposed = courses.assessment_record(enrollment=e, score=85, actor=world.worker)
    assert {a.job_id for a in proposed} == {world.near_morning.pk, world.far_morning.pk}
    assert set(Application.objects.filter(seeker=seeker).values_list("status", flat=True)) == {AppStatus.INTERVIEW}
    earlier.refresh_from_db()
    last = earlier.events.order_by("-id").first()
    assert last.action == "course_passed" and "厨房帮工实训" in last.note
    e.refresh_from_db()
    assert e.status == EnrollmentStatus.PASSED and e.score == 85
    with pytest.raises(Problem) as twice:
        courses.assessment_record(enrollment=e, score=85, actor=world.worker)
    assert twice.value.code == "jobs_assessed_already"


def test_a_fail_proposes_nothing(world: JobsWorld) -> None:
    course = make_course(world)
    e = courses.enrollment_add(course=course, seeker=survey(world), actor=world.worker)
    for activity_id in course.activity_ids:
        courses.attendance_mark(enrollment=e, activity_id=activity_id, present=True, actor=world.worker)
    assert courses.assessment_record(enrollment=e, score=59, actor=world.worker) == []
    assert not Application.objects.exists()
    with pytest.raises(Problem):
        courses.certificate_token(e)


def test_certificate_pdf_and_its_check(world: JobsWorld) -> None:
    course = make_course(world)
    resident = UserFactory(phone="+8613812345678")
    seeker = survey(world, user=resident)
    e = courses.enrollment_add(course=course, seeker=seeker, actor=resident)
    for activity_id in course.activity_ids:
        courses.attendance_mark(enrollment=e, activity_id=activity_id, present=True, actor=world.worker)
    courses.assessment_record(enrollment=e, score=92, actor=world.worker)
    client = Client()
    client.force_login(resident)
    pdf = client.get(f"/jobs/courses/enrollments/{e.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    token = courses.certificate_token(e)
    page = Client().get(f"/jobs/certificates/{token}/")
    text = page.content.decode()
    assert page.status_code == 200 and 'id="cert-valid"' in text and "厨房帮工实训" in text and "王*" in text
    assert "王阿姨" not in text  # the name masked on the public check
    forged = Client().get(f"/jobs/certificates/{token[:-2]}xx/")
    assert forged.status_code == 404 and 'id="cert-invalid"' in forged.content.decode()
    # Someone else's certificate is not theirs to download.
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/jobs/courses/enrollments/{e.pk}/certificate.pdf").status_code == 403
    assert "/jobs/certificates/" in courses.certificate_url(e)


def test_course_pages_and_api_for_staff_only(world: JobsWorld) -> None:
    course = make_course(world)
    seeker = survey(world)
    staff = Client()
    staff.force_login(world.worker)
    page = staff.get(f"/staff/jobs/courses/?street={world.street.code}")
    assert page.status_code == 200 and "厨房帮工实训" in page.content.decode()
    r = staff.post(f"/staff/jobs/courses/{course.pk}/", {"action": "enroll", "seeker": seeker.pk})
    assert r.status_code == 302
    e = Enrollment.objects.get(course=course, seeker=seeker)
    for activity_id in course.activity_ids:
        r = staff.post(f"/staff/jobs/courses/{course.pk}/", {"action": "attendance", "enrollment": e.pk,
                                                            "session": activity_id, "present": "1"})  # fmt: skip
    r = staff.post(f"/api/v1/jobs/enrollments/{e.pk}/assessment", {"score": 80}, content_type="application/json")
    assert r.status_code == 200 and len(r.json()["interviews"]) == 2
    assert "/jobs/certificates/" in r.json()["enrollment"]["certificate_url"]
    # Another street's employment staff see nothing.
    other = build_jobs_world("otherjie")
    outsider = Client()
    outsider.force_login(other.worker)
    assert outsider.get(f"/staff/jobs/courses/{course.pk}/").status_code == 403
    r = outsider.post(f"/api/v1/jobs/enrollments/{e.pk}/assessment", {"score": 80}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = staff.post(
        "/api/v1/jobs/courses",
        {
            "street": world.street.code,
            "title": "",
            "venue_id": course.venue_id,
            "first_start": "2000-01-01T09:00:00+08:00",
        },
        content_type="application/json",
    )
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"title", "first_start"}


def test_resident_enrols_themself(world: JobsWorld) -> None:
    course = make_course(world)
    resident = UserFactory(phone="+8613812345678")
    survey(world, user=resident)
    role(UserFactory(), world.street, "employment_worker")
    client = Client()
    client.force_login(resident)
    home = client.get("/jobs/").content.decode()
    assert 'href="/jobs/courses/"' in home and 'href="/jobs/fairs/"' in home  # found from 家门口就业
    page = client.get("/jobs/courses/")
    assert f'data-course="{course.pk}"' in page.content.decode()
    r = client.post("/jobs/courses/", {"course": course.pk})
    assert r.status_code == 302 and "done=enrolled" in r["Location"]
    assert Enrollment.objects.filter(course=course, seeker__user=resident).exists()
    assert Booking.objects.filter(user=resident, activity_id__in=course.activity_ids).count() == 4
