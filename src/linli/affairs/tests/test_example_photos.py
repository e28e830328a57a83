"""A material's example photo (示例照片): uploaded, replaced and removed by centre staff on the catalogue's staff
item page, through core.photos (checked by content, re-encoded, metadata stripped), audit-logged."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from linli.affairs.models import Material
from linli.core.models import AuditLog
from linli.core.tests.factories import UserFactory, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _jpeg_with_gps() -> SimpleUploadedFile:
    """A phone photo: EXIF with the camera's make and a GPS position."""
    image = Image.new("RGB", (120, 90), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 15.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert b"PhoneMaker" in out.getvalue()
    return SimpleUploadedFile("card.jpg", out.getvalue(), content_type="image/jpeg")


def _page(world: Any) -> str:
    return reverse("affairs:staff_item_edit", args=[world.card.pk]) + f"?street={world.street.code}"


def _post(client: Any, world: Any, material: Material, **data: Any) -> Any:
    return client.post(_page(world), {"street": world.street.code, "action": "photo", "material": material.pk, **data})


def test_staff_upload_then_replace_an_example_photo_without_metadata(
    world: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    material = world.card.materials.get(name="居民身份证")
    client.force_login(world.clerk)
    page = client.get(_page(world)).content.decode()
    assert (
        'id="materials"' in page and f'id="material-{material.pk}"' in page and 'enctype="multipart/form-data"' in page
    )
    resp = _post(client, world, material, photo=_jpeg_with_gps())
    assert resp.status_code == 302 and "done=photo" in resp["Location"]
    material.refresh_from_db()
    first = Path(material.example_photo.path)
    data = first.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and b"PhoneMaker" not in data and b"Exif" not in data
    assert not Image.open(io.BytesIO(data)).getexif()
    # Residents see it on the item's page and in the open data.
    assert (
        material.example_photo.url in client.get(reverse("affairs:item_detail", args=[world.card.pk])).content.decode()
    )
    api = client.get(f"/api/v1/affairs/items/{world.card.pk}").json()
    assert any(m["example_photo"] == material.example_photo.url for m in api["materials"])
    # Replace: a new file (new address), the old one deleted after commit.
    with_photo = client.get(_page(world)).content.decode()
    assert material.example_photo.url in with_photo
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, world, material, photo=jpeg(size=(80, 60), name="again.jpg"))
    material.refresh_from_db()
    assert Path(material.example_photo.path).exists() and Path(material.example_photo.path) != first
    assert not first.exists()
    actions = list(
        AuditLog.objects.filter(action__startswith="affairs.material_photo").values_list("action", flat=True)
    )
    assert actions == ["affairs.material_photo_set", "affairs.material_photo_set"]


def test_remove_an_example_photo(world: Any, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    material = world.card.materials.get(name="一寸照片")
    client.force_login(world.head)
    _post(client, world, material, photo=jpeg())
    material.refresh_from_db()
    path = Path(material.example_photo.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, world, material, remove="1")
    material.refresh_from_db()
    assert not material.example_photo and not path.exists()
    assert AuditLog.objects.filter(action="affairs.material_photo_remove").count() == 1


def test_a_file_that_is_not_a_photo_is_refused(world: Any, client: Any) -> None:
    material = world.card.materials.get(name="居民身份证")
    client.force_login(world.clerk)
    fake = SimpleUploadedFile("x.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    resp = _post(client, world, material, photo=fake)
    assert resp.status_code == 422 and 'data-code="photo_invalid"' in resp.content.decode()
    material.refresh_from_db()
    assert not material.example_photo


def test_only_staff_of_the_street_change_photos(world: Any, client: Any) -> None:
    material = world.card.materials.get(name="居民身份证")
    client.force_login(world.resident)
    assert _post(client, world, material, photo=jpeg()).status_code == 403
    client.force_login(UserFactory())
    assert _post(client, world, material, photo=jpeg()).status_code == 403
    material.refresh_from_db()
    assert not material.example_photo


def test_the_page_in_english(world: Any, client: Any) -> None:
    client.force_login(world.clerk)
    page = client.get(_page(world), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Example photos of the materials" in page and "Upload an example photo" in page
