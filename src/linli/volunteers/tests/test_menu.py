"""The service menu: claims none / partial / complete, never more people than needed, the claim's states,
unverified teams refused, the station's confirmation credits the claimant once, residents rate."""

from __future__ import annotations

import pytest

from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory, jpeg
from linli.volunteers.models import ServiceItem
from linli.volunteers.services import ledger, menu, profiles
from linli.volunteers.tests.factories import VolWorld, credit_code

pytestmark = pytest.mark.django_db


def coverage(world: VolWorld) -> str:
    return ServiceItem.objects.get(pk=world.item.pk).coverage


def test_claims_go_none_partial_complete_and_never_over(world: VolWorld) -> None:
    assert coverage(world) == "none"
    claim = menu.claim_create(item=world.item, user=world.manager, people=3, team=world.company)
    assert coverage(world) == "partial"
    with pytest.raises(Problem) as over:
        menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    assert over.value.code == "item_fully_claimed"
    menu.claim_create(item=world.item, user=world.retired)  # a volunteer takes the last place
    assert coverage(world) == "complete"
    menu.claim_cancel(claim=claim, actor=world.manager)
    assert ServiceItem.objects.get(pk=world.item.pk).claimed == 1


def test_report_confirm_credits_the_team_once(world: VolWorld) -> None:
    claim = menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    with pytest.raises(Problem) as early:
        menu.claim_confirm(claim=claim, actor=world.staff)
    assert early.value.code == "claim_invalid_transition"
    menu.claim_report(claim=claim, actor=world.manager, served=30, minutes=480, report="理发30人", photos=[jpeg()])
    assert claim.photos.count() == 1
    resident = UserFactory()
    menu.claim_rate(claim=claim, user=resident, stars=5)
    with pytest.raises(Problem) as twice:
        menu.claim_rate(claim=claim, user=resident, stars=4)
    assert twice.value.code == "already_rated"
    with pytest.raises(Problem) as not_staff:
        menu.claim_confirm(claim=claim, actor=world.manager)
    assert not_staff.value.code == "permission_denied"
    menu.claim_confirm(claim=claim, actor=world.staff)
    assert claim.status == "confirmed"
    assert ledger.account_for(world.company).balance == 480
    with pytest.raises(Problem):
        menu.claim_confirm(claim=claim, actor=world.staff)
    assert ledger.account_for(world.company).balance == 480
    assert list(claim.events.values_list("to_status", flat=True)) == ["delivered", "confirmed"]


def test_rejected_delivery_gives_the_places_back(world: VolWorld) -> None:
    claim = menu.claim_create(item=world.item, user=world.manager, people=4, team=world.company)
    menu.claim_report(claim=claim, actor=world.manager, served=0, minutes=60)
    menu.claim_reject(claim=claim, actor=world.staff, note="未到场")
    assert coverage(world) == "none"


def test_unverified_enterprises_and_bad_credit_codes(world: VolWorld) -> None:
    boss = UserFactory()
    with pytest.raises(Problem) as bad:
        profiles.team_register(street=world.street, name="某酒店", kind="hotel", credit_code="91310000123456789X",
                               manager=boss)  # fmt: skip
    assert bad.value.code == "credit_code_invalid"
    hotel = profiles.team_register(
        street=world.street, name="某酒店", kind="hotel", credit_code=credit_code(7), manager=boss
    )
    with pytest.raises(Problem) as unverified:
        menu.claim_create(item=world.item, user=boss, people=1, team=hotel)
    assert unverified.value.code == "team_not_verified"
    with pytest.raises(Problem) as not_manager:
        menu.claim_create(item=world.item, user=world.retired, people=1, team=world.company)
    assert not_manager.value.code == "permission_denied"


def test_credit_code_checksum() -> None:
    assert profiles.credit_code_valid("91350100M000100Y43")  # a published example
    assert not profiles.credit_code_valid("91350100M000100Y44")
    assert profiles.credit_code_valid(credit_code(3))


def test_report_photos_are_re_encoded_and_a_bad_one_writes_nothing(world: VolWorld) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    claim = menu.claim_create(item=world.item, user=world.manager, people=1, team=world.company)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(Problem) as bad:
        menu.claim_report(claim=claim, actor=world.manager, served=10, minutes=60, photos=[jpeg(), fake])
    assert bad.value.code == "photo_invalid" and bad.value.errors[0]["field"] == "photos.1"
    claim.refresh_from_db()
    assert claim.status == "claimed" and claim.photos.count() == 0
    with pytest.raises(Problem) as many:
        menu.claim_report(claim=claim, actor=world.manager, served=10, minutes=60, photos=[jpeg()] * 7)
    assert many.value.code == "validation_error"
    menu.claim_report(claim=claim, actor=world.manager, served=10, minutes=60, photos=[jpeg((800, 600))])
    photo = claim.photos.get()
    with photo.image.open("rb") as fh:
        image = Image.open(fh)
        assert image.format == "JPEG" and not image.getexif()
    assert (photo.width, photo.height) == (800, 600)


def test_residents_served_confirm_and_rate_through_the_claims_qr(world: VolWorld) -> None:
    from datetime import timedelta

    from django.utils import timezone

    claim = menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    resident = UserFactory()
    with pytest.raises(Problem) as early:  # the item is in three days: nobody was served yet
        menu.claim_rate(claim=claim, user=resident, stars=5)
    assert early.value.code == "claim_not_ratable"
    day = timezone.now() + timedelta(days=3, hours=1)
    assert menu.claim_rate(claim=claim, user=resident, stars=4, now=day).stars == 4
    with pytest.raises(Problem) as own:
        menu.claim_rate(claim=claim, user=world.manager, stars=5, now=day)
    assert own.value.code == "permission_denied"
    with pytest.raises(Problem) as stars:
        menu.claim_rate(claim=claim, user=UserFactory(), stars=6, now=day)
    assert stars.value.code == "validation_error"
    assert menu.claim_from_rating_token(menu.rating_token(claim)).pk == claim.pk
    with pytest.raises(Problem):
        menu.claim_from_rating_token(menu.rating_token(claim) + "x")
