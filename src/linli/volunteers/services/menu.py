"""The service menu (服务菜单, "服务的中央厨房"): stations publish items; verified teams, enterprises and volunteers
claim them (接单) for some of the people needed, deliver, report with photos and the residents served; residents
who took part rate it; the station confirms and the claimant's hours are credited to the time bank.

An item's `claimed` counts the people its live claims commit and never passes `people_needed` (a conditional
UPDATE); its coverage is none / partial / complete, as Sahana Eden's commitments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import hooks as core_hooks
from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.core.photos import ProcessedPhoto, photo_process
from linli.core.services import audit_log
from linli.volunteers.models import (
    Claim,
    ClaimPhoto,
    ClaimStatus,
    ItemStatus,
    Rating,
    ServiceItem,
    Station,
    Team,
    TransferKind,
    Volunteer,
)
from linli.volunteers.services import ledger
from linli.volunteers.services.profiles import require_staff
from linli.volunteers.services.states import CLAIMS

C = ClaimStatus
MAX_PHOTOS = 6
RATING_SALT = "linli.volunteers.claim-rating"


def item_publish(
    *, station: Station, actor: User, title: str, day: date, people_needed: int = 1, capacity: int = 30,
    description: str = "", skills: list[str] | None = None,
) -> ServiceItem:  # fmt: skip
    require_staff(actor, station.street)
    errors = []
    if not (title or "").strip() or len(title) > 120:
        errors.append(field_error("title", _("请填写服务名称")))
    if not 1 <= int(people_needed) <= 200:
        errors.append(field_error("people_needed", _("人数在 1 到 200 之间")))
    if not 1 <= int(capacity) <= 5000:
        errors.append(field_error("capacity", _("服务人数在 1 到 5000 之间")))
    if errors:
        raise Problem("validation_error", errors=errors)
    item = ServiceItem.objects.create(
        station=station, title=title.strip(), date=day, people_needed=people_needed, capacity=capacity,
        description=description[:2000], skills=sorted(set(skills or [])),
    )  # fmt: skip
    audit_log(actor=actor, street=station.street, action="volunteer.item_publish", obj=item)
    return item


def claim_create(
    *,
    item: ServiceItem | int,
    user: User,
    people: int = 1,
    team: Team | None = None,
    volunteer: Volunteer | None = None,
) -> Claim:
    """Take the order for `people` of the item's people needed, as a team (its manager) or as oneself."""
    item_id = item if isinstance(item, int) else item.pk
    current = ServiceItem.objects.select_related("station__street").filter(pk=item_id).first()
    if current is None:
        raise Problem("not_found")
    street = current.station.street
    if team is not None:
        if team.street_id != street.pk or not team.managers.filter(pk=user.pk).exists():
            raise Problem("permission_denied")
        if team.verified_at is None:
            raise Problem("team_not_verified")
    else:
        volunteer = volunteer or Volunteer.objects.filter(user=user, street=street).first()
        if volunteer is None:
            raise Problem("volunteer_not_registered")
        people = 1
    if not 1 <= int(people) <= 200:
        raise Problem("validation_error", errors=[field_error("people", _("人数在 1 到 200 之间"))])
    if current.status != ItemStatus.OPEN or current.date < timezone.localdate():
        raise Problem("item_closed")
    with transaction.atomic():
        taken = ServiceItem.objects.filter(pk=current.pk, claimed__lte=F("people_needed") - people).update(
            claimed=F("claimed") + people
        )
        if not taken:
            raise Problem(
                "item_fully_claimed", extra={"claimed": current.claimed, "people_needed": current.people_needed}
            )
        claim = Claim.objects.create(
            item=current, team=team, volunteer=None if team else volunteer, by=user, people=people
        )
    audit_log(actor=user, street=street, action="volunteer.claim", obj=claim, data={"people": people})
    return claim


def _is_claimant(claim: Claim, user: User) -> bool:
    if claim.team_id:
        return claim.team.managers.filter(pk=user.pk).exists()  # type: ignore[union-attr]
    return bool(claim.volunteer and claim.volunteer.user_id == user.pk)


def claim_cancel(*, claim: Claim, actor: User) -> Claim:
    if not _is_claimant(claim, actor):
        require_staff(actor, claim.item.station.street)
    with transaction.atomic():
        CLAIMS.move(claim, C.CANCELLED, actor=actor)
        ServiceItem.objects.filter(pk=claim.item_id, claimed__gte=claim.people).update(
            claimed=F("claimed") - claim.people
        )
    return claim


def claim_photos_process(uploads: Sequence[Any]) -> list[ProcessedPhoto]:
    """Check and re-encode a report's photos (core.photos) before any transaction; nothing is kept when one is bad."""
    items = list(uploads or ())
    if len(items) > MAX_PHOTOS:
        raise Problem("validation_error", errors=[field_error("photos", _("照片最多 6 张"))])
    processed = []
    for index, upload in enumerate(items):
        try:
            processed.append(photo_process(upload))
        except Problem as problem:
            problem.errors = [field_error(f"photos.{index}", problem.detail)]
            raise
    return processed


def claim_report(
    *, claim: Claim, actor: User, served: int, minutes: int, report: str = "", photos: Sequence[Any] | None = None
) -> Claim:
    """The claimant reports the delivery: residents served, hours given (minutes, all people together), photos
    (uploads, checked and re-encoded without metadata by core.photos; at most six)."""
    if not _is_claimant(claim, actor):
        raise Problem("permission_denied")
    errors = []
    if not 0 <= int(served) <= claim.item.capacity:
        errors.append(field_error("served", _("服务人数不能超过这项服务的容量")))
    if not 0 < int(minutes) <= 24 * 60 * max(1, claim.people):
        errors.append(field_error("minutes", _("时长不正确")))
    if errors:
        raise Problem("validation_error", errors=errors)
    processed = claim_photos_process(photos or [])
    saved: list[ClaimPhoto] = []
    try:
        with transaction.atomic():
            CLAIMS.move(
                claim, C.DELIVERED, actor=actor,
                fields={"served": int(served), "minutes": int(minutes), "report": report[:2000]},
            )  # fmt: skip
            for photo in processed:
                row = ClaimPhoto(claim=claim, width=photo.width, height=photo.height)
                row.image.save(f"{uuid.uuid4().hex}.{photo.ext}", ContentFile(photo.content), save=False)
                saved.append(row)
                row.save()
    except BaseException:
        for row in saved:
            row.image.delete(save=False)
        raise
    return claim


def claim_confirm(*, claim: Claim, actor: User, now: datetime | None = None) -> Claim:
    """The station confirms the delivery; the claimant's hours are credited once."""
    station = claim.item.station
    require_staff(actor, station.street)
    owner: Volunteer | Team = claim.team if claim.team_id else claim.volunteer  # type: ignore[assignment]
    with transaction.atomic():
        CLAIMS.move(claim, C.CONFIRMED, actor=actor, now=now)
        ledger.credit_hours(
            station=station, owner=owner, minutes=claim.minutes, kind=TransferKind.SERVICE, ref=f"claim:{claim.pk}",
            memo=claim.item.title, actor=actor,
        )  # fmt: skip
    return claim


def claim_reject(*, claim: Claim, actor: User, note: str = "") -> Claim:
    require_staff(actor, claim.item.station.street)
    with transaction.atomic():
        CLAIMS.move(claim, C.REJECTED, actor=actor, note=note)
        ServiceItem.objects.filter(pk=claim.item_id, claimed__gte=claim.people).update(
            claimed=F("claimed") - claim.people
        )
    return claim


def rating_token(claim: Claim) -> str:
    """The link residents who took part open (the claimant shows its QR code on the day): a signed claim id."""
    return signing.dumps({"c": claim.pk}, salt=RATING_SALT)


def claim_from_rating_token(token: str) -> Claim:
    try:
        data = signing.loads(token, salt=RATING_SALT)
    except signing.BadSignature:
        raise Problem("not_found") from None
    claim = Claim.objects.select_related("item__station__street", "team", "volunteer").filter(pk=data.get("c")).first()
    if claim is None:
        raise Problem("not_found")
    return claim


def claim_rate(*, claim: Claim, user: User, stars: int, comment: str = "", now: datetime | None = None) -> Rating:
    """A resident who took part confirms they were served and rates the delivery (once): from the item's day on
    while it is claimed, and once it is reported or confirmed. The claimant's own people cannot rate it."""
    today = timezone.localdate(now) if now else timezone.localdate()
    on_the_day = claim.status == C.CLAIMED and claim.item.date <= today
    if not (on_the_day or claim.status in (C.DELIVERED, C.CONFIRMED)):
        raise Problem("claim_not_ratable")
    if _is_claimant(claim, user):
        raise Problem("permission_denied")
    if not 1 <= int(stars) <= 5:
        raise Problem("validation_error", errors=[field_error("stars", _("评分为 1 到 5 星"))])
    try:
        with transaction.atomic():
            rating = Rating.objects.create(claim=claim, user=user, stars=int(stars), comment=comment[:200])
    except IntegrityError:
        raise Problem("already_rated") from None
    core_hooks.work_recorded(kind="volunteers.rating", street_id=claim.item.station.street_id, at=rating.at)
    return rating
