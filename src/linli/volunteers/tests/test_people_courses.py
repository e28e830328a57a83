"""Station staff's volunteer list (real-name check, skills, teams; private to the street's staff, phones masked,
each look audit-logged) and classes by volunteers: a teacher proposes, the station approves into activities
(booking, waitlist), attendance credits the teacher's hours once per session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity, Booking
from linli.activities.services.bookings import booking_create
from linli.core.errors import Problem
from linli.core.models import AuditLog, User
from linli.core.tests.factories import UserFactory
from linli.volunteers.models import Course, Volunteer
from linli.volunteers.services import courses, ledger
from linli.volunteers.tests.factories import VolWorld, build_world

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_staff_volunteer_list_masked_filtered_verified_and_audited(world: VolWorld) -> None:
    Volunteer.objects.filter(pk=world.volunteer.pk).update(emergency_name="王先生", emergency_phone="13700009999")
    c = client(world.staff)
    q = f"?street={world.street.code}"
    page = c.get("/staff/volunteers/people/" + q).content.decode()
    assert "王老师" in page and "李阿姨" in page
    phone = world.retired.phone[3:]
    assert phone not in page and f"{phone[:3]}****{phone[-4:]}" in page
    assert "13700009999" not in page and "137****9999" in page and "王先生" not in page
    teaching = c.get("/staff/volunteers/people/" + q + "&skill=teaching").content.decode()
    assert "王老师" in teaching and "李阿姨" not in teaching
    logs = AuditLog.objects.filter(action="volunteer.list_view", actor=world.staff)
    assert logs.count() == 2 and logs.order_by("-pk").first().data["rows"] == 1
    c.post("/staff/volunteers/people/" + q, {"action": "verify", "volunteer": world.other.pk})
    assert Volunteer.objects.get(pk=world.other.pk).real_name_verified_at is not None
    unverified = c.get("/staff/volunteers/people/" + q + "&unverified=1").content.decode()
    assert f'data-volunteer="{world.other.pk}"' not in unverified
    far = build_world(code="farjie")
    assert client(far.staff).get("/staff/volunteers/people/" + q).status_code == 403
    assert client(world.retired).get("/staff/volunteers/people/" + q).status_code == 403
    # a volunteer of another street cannot be verified from this street's list
    refused = c.post("/staff/volunteers/people/" + q, {"action": "verify", "volunteer": far.volunteer.pk})
    assert 'id="people-problem"' in refused.content.decode()


def test_teacher_proposes_staff_approve_residents_book_and_attendance_credits_hours(world: VolWorld) -> None:
    t = client(world.retired)
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    t.post("/volunteer/courses/", {"station": world.station.pk, "title": "书法入门", "day": day, "start": "14:00",
                                   "minutes": 90, "sessions": 3, "capacity": 1})  # fmt: skip
    course = Course.objects.get(teacher=world.volunteer)
    assert course.status == "proposed" and 'data-status="proposed"' in t.get("/volunteer/courses/").content.decode()
    s = client(world.staff)
    q = f"?street={world.street.code}"
    assert f'data-course="{course.pk}"' in s.get("/staff/volunteers/courses/" + q).content.decode()
    s.post("/staff/volunteers/courses/" + q, {"action": "approve", "course": course.pk})
    course.refresh_from_db()
    assert course.status == "approved" and len(course.activity_ids) == 3
    again = s.post("/staff/volunteers/courses/" + q, {"action": "approve", "course": course.pk}).content.decode()
    assert 'id="review-problem"' in again and Activity.objects.filter(pk__in=course.activity_ids).count() == 3
    first = Activity.objects.filter(pk__in=course.activity_ids).order_by("start").first()
    assert first.status == "published" and first.capacity == 1
    # booking and the waitlist are activities': one place, the second resident waits
    a, b = UserFactory(), UserFactory()
    booking = booking_create(activity=first, user=a)
    waiting = booking_create(activity=first, user=b)
    assert booking.status == "confirmed" and waiting.status == "waitlisted"
    page = t.get("/volunteer/courses/").content.decode()
    assert f'data-activity="{first.pk}"' in page
    # the session took place: nobody checked in yet, nothing credited; then one attendee, credited once
    Activity.objects.filter(pk=first.pk).update(start=timezone.now() - timedelta(hours=3),
                                                end=timezone.now() - timedelta(hours=1, minutes=30))  # fmt: skip
    assert courses.class_hours_credit() == 0
    Booking.objects.filter(pk=booking.pk).update(status="checked_in")
    assert courses.class_hours_credit() == 1
    assert courses.class_hours_credit() == 0
    assert ledger.account_for(world.volunteer).balance == 90
    assert "vol-credited" in t.get("/volunteer/courses/").content.decode()
    assert ledger.ledger_check() == []


def test_course_refusals_and_declines(world: VolWorld) -> None:
    past = timezone.now() - timedelta(days=1)
    with pytest.raises(Problem) as bad:
        courses.course_propose(teacher=world.volunteer, station_id=world.station.pk, title="", first_start=past)
    assert {e["field"] for e in bad.value.errors} == {"title", "first_start"}
    far = build_world(code="farjie")
    with pytest.raises(Problem) as other_street:
        courses.course_propose(teacher=world.volunteer, station_id=far.station.pk, title="书法",
                               first_start=timezone.now() + timedelta(days=2))  # fmt: skip
    assert other_street.value.code == "not_found"
    course = courses.course_propose(teacher=world.volunteer, station_id=world.station.pk, title="书法",
                                    first_start=timezone.now() + timedelta(days=2))  # fmt: skip
    with pytest.raises(Problem) as not_staff:
        courses.course_approve(course=course, actor=far.staff)
    assert not_staff.value.code == "permission_denied"
    courses.course_decline(course=course, actor=world.staff, note="时间冲突")
    with pytest.raises(Problem) as decided:
        courses.course_approve(course=course, actor=world.staff)
    assert decided.value.code == "course_already_decided" and course.activity_ids == []
    page = client(world.retired).get("/volunteer/courses/").content.decode()
    assert 'data-status="declined"' in page and "时间冲突" in page
    assert client(far.staff).get(f"/staff/volunteers/courses/?street={world.street.code}").status_code == 403
