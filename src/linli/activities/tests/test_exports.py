"""Attendance exports: rows, CSV (UTF-8 with BOM) and Excel, phone masking by role, and who may export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from linli.activities.exports import attendance_csv, attendance_rows, attendance_xlsx
from linli.activities.services.activities import activity_create
from linli.activities.services.bookings import booking_cancel, booking_create
from linli.activities.services.checkin import booking_check_in
from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.core.services import token_create
from linli.places.tests.factories import PlaceFactory, RoleFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    street = StreetFactory(code="exstreet")
    staff = RoleFactory(street=street, role="station_staff").user
    admin = RoleFactory(street=street, role="admin").user
    start = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    activity = activity_create(
        street=street,
        place=PlaceFactory(street=street, name="万里市民驿站"),
        title="健康讲座",
        start=start,
        end=start + timedelta(hours=1),
        capacity=2,
        status="published",
    )
    came = booking_create(activity=activity, user=UserFactory(display_name="张三", phone="+8613811112222"))
    booking_create(activity=activity, user=UserFactory(display_name="李四", phone="+8613833334444"))
    waiting = booking_create(activity=activity, user=UserFactory(display_name="王五", phone="+8613855556666"))
    booking_check_in(activity=activity, actor=staff, code=came.code)
    return {"street": street, "staff": staff, "admin": admin, "activity": activity, "came": came, "waiting": waiting}


def test_rows_for_station_staff_are_masked_with_chinese_status(setup):
    rows = attendance_rows(activity=setup["activity"], actor=setup["staff"])
    assert [r["name"] for r in rows] == ["张三", "李四", "王五"]
    assert [r["phone"] for r in rows] == ["138****2222", "138****4444", "138****6666"]
    assert [r["status"] for r in rows] == ["已签到", "已预约", "候补中"]
    assert rows[0]["code"] == setup["came"].code
    assert rows[0]["checked_in_at"] and not rows[1]["checked_in_at"]
    assert rows[0]["booked_at"].startswith(str(timezone.localdate().year))
    assert AuditLog.objects.filter(action="activity.attendance_export", actor=setup["staff"]).exists()


def test_street_admin_gets_masked_phone_numbers_too(setup):
    rows = attendance_rows(activity=setup["activity"], actor=setup["admin"])
    assert rows[0]["phone"] == "138****2222"
    for export in (attendance_csv, attendance_xlsx):
        assert b"13811112222" not in export(activity=setup["activity"], actor=setup["admin"])
    assert AuditLog.objects.filter(action="activity.attendance_export", actor=setup["admin"]).exists()


def test_a_formula_in_a_display_name_stays_text_in_csv_and_excel(setup):
    for i, name in enumerate(('=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", " =1+1")):
        booking_create(activity=setup["activity"], user=UserFactory(display_name=name, phone=f"+861390000000{i}"))
    body = attendance_csv(activity=setup["activity"], actor=setup["admin"])
    names = [r[1] for r in list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[4:]]
    assert names == ['\'=HYPERLINK("http://x","点我")', "'+1+1", "'-2+3", "'@SUM(A1)", "' =1+1"]
    ws = load_workbook(io.BytesIO(attendance_xlsx(activity=setup["activity"], actor=setup["admin"]))).active
    cells = [ws.cell(row=r, column=2) for r in range(6, 11)]
    assert all(c.data_type == "s" and str(c.value).startswith("'") for c in cells)


def test_cancelled_bookings_are_left_out(setup):
    leaver = UserFactory(display_name="赵六")
    booking = booking_create(activity=setup["activity"], user=leaver)
    booking_cancel(booking=booking, actor=leaver)
    names = [r["name"] for r in attendance_rows(activity=setup["activity"], actor=setup["staff"])]
    assert "赵六" not in names and len(names) == 3


def test_csv_has_a_bom_and_opens_as_chinese(setup):
    body = attendance_csv(activity=setup["activity"], actor=setup["staff"])
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号 No.", "姓名 Name", "手机号 Phone", "状态 Status"]
    assert rows[1][1:4] == ["张三", "138****2222", "已签到"]
    assert len(rows) == 4


def test_xlsx_has_title_and_bold_header(setup):
    body = attendance_xlsx(activity=setup["activity"], actor=setup["staff"])
    ws = load_workbook(io.BytesIO(body)).active
    title = ws["A1"].value
    assert "健康讲座" in title and "万里市民驿站" in title and "09:30" in title
    assert ws["B2"].value == "姓名 Name" and ws["B2"].font.bold
    assert [ws.cell(row=r, column=2).value for r in (3, 4, 5)] == ["张三", "李四", "王五"]
    assert ws["C3"].value == "138****2222" and ws["D3"].value == "已签到"
    assert ws.max_row == 5


def test_residents_and_other_street_staff_cannot_export(setup):
    for outsider in (setup["came"].user, RoleFactory(street=StreetFactory(), role="admin").user):
        for export in (attendance_rows, attendance_csv, attendance_xlsx):
            with pytest.raises(Problem) as exc:
                export(activity=setup["activity"], actor=outsider)
            assert exc.value.code == "permission_denied"


def test_api_downloads(setup, client: Client):
    a = setup["activity"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=setup['staff'])}"}
    resp = client.get(f"/api/v1/activities/{a.pk}/attendance.csv", **auth)
    assert resp.status_code == 200 and resp["Content-Type"] == "text/csv; charset=utf-8"
    disposition = resp["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'filename="attendance-{a.pk}.csv"' in disposition
    assert "filename*=UTF-8''" in disposition
    assert resp.content.startswith(b"\xef\xbb\xbf") and "张三".encode() in resp.content
    resp = client.get(f"/api/v1/activities/{a.pk}/attendance.xlsx", **auth)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(resp.content)).active["B3"].value == "张三"
    resident = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=setup['came'].user)}"}
    assert client.get(f"/api/v1/activities/{a.pk}/attendance.csv", **resident).status_code == 403
    assert client.get(f"/api/v1/activities/{a.pk}/attendance.xlsx").status_code == 401
