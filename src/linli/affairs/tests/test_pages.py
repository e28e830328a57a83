"""The affairs pages end to end through the test client: search, what to bring, pre-review upload, staff review,
correction, booking, my appointment (QR, cancel), and the staff pages (catalogue import, templates, lift)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.affairs.models import Appointment, PreReview, Resource, Suspension
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services import slots as slot_services
from linli.affairs.tests.factories import SlotFactory
from linli.core.tests.factories import jpeg

pytestmark = pytest.mark.django_db


def test_resident_search_prereview_correct_book_cancel(world: Any, client: Any) -> None:
    resp = client.get(f"/s/{world.street.code}/affairs/?q=补办社保卡")
    assert resp.status_code == 200 and "社会保障卡补领" in resp.content.decode()
    frag = client.get(f"/s/{world.street.code}/affairs/?q=长护险", headers={"HX-Request": "true"})
    assert "长期护理保险申请" in frag.content.decode() and "<html" not in frag.content.decode()
    detail = client.get(f"/affairs/items/{world.card.pk}/").content.decode()
    assert "居民身份证" in detail and "一寸照片" in detail
    assert client.get(f"/affairs/items/{world.card.pk}/prereview/").status_code == 302  # sign in first

    client.force_login(world.resident)
    form = client.get(f"/affairs/items/{world.card.pk}/prereview/").content.decode()
    assert 'capture="environment"' in form
    materials = prereview_services.materials_of(world.card)
    resp = client.post(f"/affairs/items/{world.card.pk}/prereview/", {f"material_{m.pk}": jpeg() for m in materials})
    assert resp.status_code == 302
    pr = PreReview.objects.get(user=world.resident)

    client.force_login(world.clerk)
    assert pr.code in client.get(f"/staff/affairs/prereviews/?street={world.street.code}").content.decode()
    files = list(pr.files.order_by("material__position"))
    resp = client.post(
        f"/staff/affairs/prereviews/{pr.pk}/",
        {
            "street": world.street.code,
            f"review_{files[0].pk}": "accepted",
            f"review_{files[1].pk}": "needs_correction",
            f"reason_{files[1].pk}": "照片反光",
        },
    )
    assert resp.status_code == 302
    pr.refresh_from_db()
    assert pr.status == "needs_correction"

    client.force_login(world.resident)
    page = client.get(f"/me/affairs/prereviews/{pr.pk}/").content.decode()
    assert "照片反光" in page and f'name="material_{files[1].material_id}"' in page
    assert f'name="material_{files[0].material_id}"' not in page  # only the flagged one is asked again
    resp = client.post(f"/me/affairs/prereviews/{pr.pk}/", {f"material_{files[1].material_id}": jpeg()})
    assert resp.status_code == 302
    pr.refresh_from_db()
    assert pr.status == "submitted"

    slot = SlotFactory(resource=world.window)
    page = client.get(f"/affairs/items/{world.card.pk}/book/").content.decode()
    assert f'data-slot="{slot.pk}"' in page
    resp = client.post(f"/affairs/items/{world.card.pk}/book/", {"slot": slot.pk})
    assert resp.status_code == 302
    a = Appointment.objects.get(user=world.resident)
    page = client.get(f"/me/affairs/appointments/{a.pk}/").content.decode()
    assert "<svg" in page and a.code in page
    assert "<svg" in client.get("/me/affairs/").content.decode()
    resp = client.post(f"/me/affairs/appointments/{a.pk}/", {"action": "cancel"})
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.status == "cancelled"
    # A full slot answers with the problem on the page.
    full = SlotFactory(
        resource=world.window,
        places=1,
        booked=1,
        start=slot.start + dt.timedelta(hours=1),
        end=slot.end + dt.timedelta(hours=1),
    )
    resp = client.post(f"/affairs/items/{world.card.pk}/book/", {"slot": full.pk})
    assert resp.status_code == 409 and 'data-code="slot_full"' in resp.content.decode()


def test_staff_pages_in_english(world: Any, client: Any) -> None:
    client.force_login(world.head)
    client.cookies["django_language"] = "en"
    for path in (
        f"/staff/affairs/?street={world.street.code}",
        "/staff/affairs/items/new/?street=" + world.street.code,
        f"/staff/affairs/items/{world.card.pk}/",
        f"/staff/affairs/prereviews/?street={world.street.code}",
        f"/staff/affairs/templates/?street={world.street.code}",
        f"/staff/affairs/book/?street={world.street.code}&q=社保卡",
    ):
        resp = client.get(path, headers={"Accept-Language": "en"})
        assert resp.status_code == 200, path
        assert "Affair catalogue" in resp.content.decode(), path


def test_residents_cannot_open_staff_pages(world: Any, client: Any) -> None:
    client.force_login(world.resident)
    assert client.get(f"/staff/affairs/?street={world.street.code}").status_code == 403
    client.force_login(world.clerk)
    assert client.get(f"/staff/affairs/templates/?street={world.street.code}").status_code == 403  # head only


def test_catalogue_upload_and_item_edit(world: Any, client: Any) -> None:
    client.force_login(world.clerk)
    csv_text = (
        "code,name,department,channels,prereview,entrusted,time_limit_days,fee_fen,eligibility,materials,keywords,legal_basis\n"
        "NEW1,新事项,区民政局,window,no,no,5,0,,居民身份证*1*original,,\n"
    )
    resp = client.post(
        "/staff/affairs/",
        {
            "street": world.street.code,
            "action": "import",
            "file": SimpleUploadedFile("c.csv", csv_text.encode("gb18030")),
        },
    )
    assert resp.status_code == 200 and "import-result" in resp.content.decode()
    bad = client.post(
        "/staff/affairs/",
        {"street": world.street.code, "action": "import", "file": SimpleUploadedFile("c.csv", b"code,name\nx,y\n")},
    )
    assert bad.status_code == 422
    resp = client.post(
        f"/staff/affairs/items/{world.card.pk}/",
        {
            "street": world.street.code,
            "code": "SB001",
            "name": "社会保障卡补领",
            "department": "区人社局",
            "channels": ["window"],
            "prereview": "on",
            "time_limit_days": 7,
            "fee_fen": 0,
            "materials": "居民身份证*1*original",
            "keywords": "社保卡丢了",
        },
    )
    assert resp.status_code == 302
    world.card.refresh_from_db()
    assert world.card.channels == ["window"] and world.card.materials.filter(position__lt=1000).count() == 1


def test_head_adds_template_and_lifts_a_suspension(world: Any, client: Any) -> None:
    client.force_login(world.head)
    resp = client.post(
        "/staff/affairs/templates/",
        {
            "street": world.street.code,
            "action": "template_add",
            "resource": world.window.pk,
            "days": "Mo-Fr",
            "times": "09:00-10:00",
            "minutes": 30,
            "places": 2,
        },
    )
    assert resp.status_code == 302 and world.window.templates.count() == 1
    suspension = Suspension.objects.create(
        street=world.street, user=world.resident, ends_at=timezone.now() + dt.timedelta(days=10)
    )
    resp = client.post(
        "/staff/affairs/templates/", {"street": world.street.code, "action": "lift", "suspension": suspension.pk}
    )
    suspension.refresh_from_db()
    assert resp.status_code == 302 and suspension.lifted_by == world.head
    assert slot_services.slots_materialise(resource=Resource.objects.get(pk=world.window.pk))["created"] == 0
