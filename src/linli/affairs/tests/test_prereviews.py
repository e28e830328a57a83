"""Online pre-review: the transitions (submitted → needs correction → submitted → approved → completed; rejected;
withdrawn), per-material reviews, corrections of flagged materials only, file validation by content, the
permission-checked file view, escalation past the deadline, deletion after retention, and the multipart API."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from linli.affairs.models import FileReview, PreReview, PreReviewEvent, PreReviewFile, PreReviewStatus
from linli.affairs.services import prereviews as svc
from linli.affairs.services.files import file_check
from linli.affairs.services.prereview_states import MACHINE, TRANSITIONS
from linli.affairs.tests.factories import pdf_bytes
from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.core.sms import OutboxSmsBackend
from linli.core.tests.factories import jpeg

pytestmark = pytest.mark.django_db

S = PreReviewStatus


def _files(world: Any) -> dict[int, Any]:
    return {m.pk: jpeg() for m in svc.materials_of(world.card)}


def _submit(world: Any) -> PreReview:
    return svc.prereview_submit(item=world.card, user=world.resident, files=_files(world))


def _current(pr: PreReview) -> list[PreReviewFile]:
    return list(pr.files.filter(superseded_at__isnull=True).order_by("material__position"))


def test_flagged_corrected_approved_completed(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    pr = _submit(world)
    assert pr.status == S.SUBMITTED and pr.review_due_at > timezone.now()
    id_card, photo = _current(pr)
    svc.prereview_review(
        prereview=pr,
        reviewer=world.clerk,
        decisions={id_card.pk: ("accepted", ""), photo.pk: ("needs_correction", "照片太暗，请重拍")},
    )
    assert pr.status == S.NEEDS_CORRECTION
    # The resident corrects only the flagged photo: sending the accepted one too is refused.
    with pytest.raises(Problem) as exc:
        svc.prereview_correct(
            prereview=pr, user=world.resident, files={id_card.material_id: jpeg(), photo.material_id: jpeg()}
        )
    assert exc.value.code == "validation_error"
    svc.prereview_correct(prereview=pr, user=world.resident, files={photo.material_id: jpeg()})
    assert pr.status == S.SUBMITTED
    current = _current(pr)
    assert [f.review for f in current] == [FileReview.ACCEPTED, FileReview.PENDING]
    assert PreReviewFile.objects.filter(prereview=pr, superseded_at__isnull=False).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        svc.prereview_review(prereview=pr, reviewer=world.clerk, decisions={current[1].pk: ("accepted", "")})
    assert pr.status == S.APPROVED
    svc.prereview_complete(prereview=pr, actor=world.clerk)
    pr.refresh_from_db()
    assert pr.status == S.COMPLETED and pr.closed_at is not None
    timeline = list(PreReviewEvent.objects.filter(prereview=pr).values_list("from_status", "to_status"))
    assert timeline == [
        ("", "submitted"),
        ("submitted", "needs_correction"),
        ("needs_correction", "submitted"),
        ("submitted", "approved"),
        ("approved", "completed"),
    ]
    assert any("预审已通过" in s.message for s in OutboxSmsBackend.outbox)


def test_a_rejected_material_rejects_the_prereview_and_reasons_are_required(world: Any) -> None:
    pr = _submit(world)
    a, b = _current(pr)
    with pytest.raises(Problem) as exc:
        svc.prereview_review(
            prereview=pr, reviewer=world.clerk, decisions={a.pk: ("rejected", ""), b.pk: ("accepted", "")}
        )
    assert exc.value.code == "validation_error"
    with pytest.raises(Problem):  # every pending file must be decided
        svc.prereview_review(prereview=pr, reviewer=world.clerk, decisions={a.pk: ("accepted", "")})
    svc.prereview_review(
        prereview=pr, reviewer=world.clerk, decisions={a.pk: ("rejected", "不是本人证件"), b.pk: ("accepted", "")}
    )
    assert pr.status == S.REJECTED
    with pytest.raises(Problem) as exc:
        svc.prereview_correct(prereview=pr, user=world.resident, files={a.material_id: jpeg()})
    assert exc.value.code == "prereview_invalid_transition"


def test_only_reviewers_review_and_only_the_owner_corrects(world: Any) -> None:
    pr = _submit(world)
    a, b = _current(pr)
    with pytest.raises(Problem) as exc:
        svc.prereview_review(prereview=pr, reviewer=world.resident, decisions={a.pk: ("accepted", "")})
    assert exc.value.code == "permission_denied"
    with pytest.raises(Problem) as exc:
        svc.prereview_withdraw(prereview=pr, user=world.clerk)
    assert exc.value.code == "permission_denied"


def test_transition_table_refuses_every_move_it_does_not_list(world: Any) -> None:
    pr = _submit(world)
    for status in S.values:
        for target in S.values:
            pr.status = status
            if target in TRANSITIONS[status]:
                assert MACHINE.allows(status, target)
            else:
                with pytest.raises(Problem) as exc:
                    MACHINE.check(pr, target)
                assert exc.value.code == "prereview_invalid_transition"


def test_submit_refusals(world: Any) -> None:
    with pytest.raises(Problem) as exc:
        svc.prereview_submit(item=world.care, user=world.resident, files={})
    assert exc.value.code == "prereview_not_allowed"
    first = svc.materials_of(world.card)[0]
    with pytest.raises(Problem) as exc:
        svc.prereview_submit(item=world.card, user=world.resident, files={first.pk: jpeg()})
    assert exc.value.code == "validation_error" and "一寸照片" in str(exc.value.errors[0]["message"])


def _exif_jpeg() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (80, 60), (10, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_photos_are_reencoded_without_metadata() -> None:
    raw = _exif_jpeg()
    assert b"PhoneMaker" in raw
    checked = file_check(SimpleUploadedFile("x.jpg", raw, content_type="image/jpeg"))
    assert checked.content_type == "image/jpeg" and b"PhoneMaker" not in checked.content
    assert not Image.open(io.BytesIO(checked.content)).getexif()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, I am a text file pretending", "unsupported"),
        (b"\xff\xd8\xff" + b"\x00" * 200, "unreadable"),  # a JPEG header and nothing behind it
        (b"MZ\x90\x00executable", "unsupported"),
        (pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "active_content"),
        (pdf_bytes(b"/Encrypt 5 0 R "), "encrypted"),
        (pdf_bytes()[:-8], "truncated"),
        (b"", "empty"),
    ],
)
def test_files_are_validated_by_content(content: bytes, reason: str) -> None:
    upload = SimpleUploadedFile("innocent.jpg", content, content_type="image/jpeg")
    with pytest.raises(Problem) as exc:
        file_check(upload)
    assert exc.value.code == "file_invalid" and exc.value.extra["reason"] == reason


def test_a_clean_pdf_is_accepted_as_it_is() -> None:
    checked = file_check(SimpleUploadedFile("id.pdf", pdf_bytes(), content_type="application/octet-stream"))
    assert checked.content_type == "application/pdf" and checked.content == pdf_bytes()


def test_files_are_served_to_the_owner_and_reviewers_only(world: Any, client: Any) -> None:
    pr = _submit(world)
    row = _current(pr)[0]
    url = f"/affairs/files/{row.pk}/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(world.resident)
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert resp["Cache-Control"] == "private, no-store" and "sandbox" in resp["Content-Security-Policy"]
    stranger = type(world.resident).objects.create_user("+8613900009999")
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    client.force_login(world.clerk)
    assert client.get(url).status_code == 200
    assert AuditLog.objects.filter(action="affairs.prereview_file_read", actor=world.clerk).exists()


def test_review_deadline_escalates_to_the_centre_head_once(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    pr = _submit(world)
    later = pr.review_due_at + dt.timedelta(minutes=1)
    OutboxSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.prereviews_escalate(now=later) == 1
    assert svc.prereviews_escalate(now=later) == 0
    pr.refresh_from_db()
    assert pr.escalated_at == later
    head_phone = world.head.phone
    assert [s.phone for s in OutboxSmsBackend.outbox] == [head_phone]
    assert PreReviewEvent.objects.filter(prereview=pr, note__contains="上报").exists()


def test_files_are_deleted_ninety_days_after_completion(world: Any) -> None:
    pr = _submit(world)
    a, b = _current(pr)
    svc.prereview_review(prereview=pr, reviewer=world.clerk, decisions={a.pk: ("accepted", ""), b.pk: ("accepted", "")})
    svc.prereview_complete(prereview=pr, actor=world.clerk)
    pr.refresh_from_db()
    path = a.file.path
    assert svc.prereview_files_purge(now=pr.closed_at + dt.timedelta(days=89)) == 0
    assert svc.prereview_files_purge(now=pr.closed_at + dt.timedelta(days=91)) == 1
    assert not os.path.exists(path)
    assert not PreReviewFile.objects.filter(prereview=pr).exclude(file="").exists()


def test_api_multipart_with_idempotency_key(world: Any, client: Any) -> None:
    client.force_login(world.resident)
    materials = svc.materials_of(world.card)
    data = {"item": str(world.card.pk), **{f"material_{m.pk}": jpeg(name=f"{m.pk}.jpg") for m in materials}}
    resp = client.post("/api/v1/affairs/prereviews", data, headers={"Idempotency-Key": "pr-1"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "submitted" and len(body["files"]) == 2
    data = {"item": str(world.card.pk), **{f"material_{m.pk}": jpeg(name=f"{m.pk}.jpg") for m in materials}}
    again = client.post("/api/v1/affairs/prereviews", data, headers={"Idempotency-Key": "pr-1"})
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert PreReview.objects.count() == 1
    bad = {
        "item": str(world.card.pk),
        **{f"material_{m.pk}": SimpleUploadedFile("a.jpg", b"not an image") for m in materials},
    }
    resp = client.post("/api/v1/affairs/prereviews", bad, headers={"Idempotency-Key": "pr-2"})
    assert resp.status_code == 422 and resp.json()["code"] == "file_invalid"
    # Staff review through the API; the resident sees the per-material result and the timeline.
    client.force_login(world.clerk)
    files = body["files"]
    resp = client.post(
        f"/api/v1/affairs/prereviews/{body['id']}/reviews",
        {
            "files": [
                {"id": files[0]["id"], "review": "accepted"},
                {"id": files[1]["id"], "review": "needs_correction", "reason": "模糊"},
            ]
        },
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["status"] == "needs_correction"
    client.force_login(world.resident)
    resp = client.post(
        f"/api/v1/affairs/prereviews/{body['id']}/corrections", {f"material_{files[1]['material']}": jpeg()}
    )
    assert resp.status_code == 200 and resp.json()["status"] == "submitted"
    assert [e["to_status"] for e in resp.json()["timeline"]] == ["submitted", "needs_correction", "submitted"]
