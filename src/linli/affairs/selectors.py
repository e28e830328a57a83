"""Affairs reads other domains and the dashboard may use, scoped by street."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (
    KIND_CHANNEL,
    Appointment,
    Item,
    Material,
    PreReview,
    PreReviewFile,
    PreReviewStatus,
    Resource,
    Slot,
    SlotTemplate,
    Suspension,
    Synonym,
)
from linli.affairs.services.items_import import CSV_COLUMNS, item_csv_row
from linli.affairs.services.search import Candidate, rank
from linli.core.errors import Problem
from linli.core.models import Street

SH = ZoneInfo("Asia/Shanghai")


def items_active(*, street: Street) -> QuerySet[Item]:
    """The street's active catalogue, by code."""
    return Item.objects.filter(street=street, is_active=True).order_by("code")


def items_with_materials(qs: QuerySet[Item]) -> QuerySet[Item]:
    return qs.prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("position", "id")))


def synonyms_for(*, street: Street) -> list[tuple[str, str]]:
    return list(Synonym.objects.filter(street=street).values_list("term", "means"))


def items_search(*, street: Street, q: str = "", channel: str = "", limit: int = 50) -> list[Item]:
    """The street's active items matching the residents' words `q` (best first), or all by code without `q`;
    only those offering `channel` when given."""
    qs = items_active(street=street)
    items = list(qs.only("id", "code", "name", "keywords", "search_text", "channels"))
    if channel:
        items = [i for i in items if channel in (i.channels or [])]
    if not q.strip():
        ids = [i.pk for i in items[:limit]]
    else:
        candidates = [Candidate(i.pk, i.code, i.name, " ".join(i.keywords or []), i.search_text) for i in items]
        ids = [c.id for c, _score in rank(candidates, q, synonyms_for(street=street), limit=limit)]
    by_id = {i.pk: i for i in items_with_materials(Item.objects.filter(pk__in=ids)).select_related("street")}
    return [by_id[i] for i in ids if i in by_id]


def item_best_match(*, street: Street, q: str) -> tuple[Item, float] | None:
    """The one item the words name best, with its score (the assistant answers from it)."""
    items = list(items_active(street=street).only("id", "code", "name", "keywords", "search_text"))
    candidates = [Candidate(i.pk, i.code, i.name, " ".join(i.keywords or []), i.search_text) for i in items]
    ranked = rank(candidates, q, synonyms_for(street=street), limit=2)
    if not ranked:
        return None
    best, best_score = ranked[0]
    item = items_with_materials(Item.objects.filter(pk=best.id)).select_related("street").first()
    return (item, best_score) if item else None


def items_export_csv(*, street: Street) -> str:
    """The street's whole catalogue in the import format (UTF-8 text; `linli export affairs`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items_with_materials(Item.objects.filter(street=street).order_by("code")):
        writer.writerow(item_csv_row(item))
    return out.getvalue()


# ------------------------------------------------------------------------------------------- slots


def slots_free(
    *,
    item: Item,
    place: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> QuerySet[Slot]:
    """The free slots `item` may be booked in: resources of the kinds its channels allow, in its booking window
    (minimum notice, maximum days ahead), open, with a place left, templates for all items or for this one."""
    now = now or timezone.now()
    kinds = [k for k, channel in KIND_CHANNEL.items() if channel in (item.channels or [])]
    earliest = now + timedelta(minutes=item.min_notice_minutes)
    latest = now + timedelta(days=item.max_days_ahead)
    qs = Slot.objects.filter(
        resource__street_id=item.street_id,
        resource__is_active=True,
        resource__kind__in=kinds,
        start__gte=max(earliest, start) if start else earliest,
        start__lte=min(latest, end) if end else latest,
        closed=False,
        booked__lt=F("places"),
    ).filter(Q(template__isnull=True) | Q(template__restricted=False) | Q(template__items=item))
    if place is not None:
        qs = qs.filter(resource__place_id=place)
    return qs.select_related("resource", "resource__place").order_by("start", "resource_id")[:limit]


def slots_free_rows(
    *,
    item: Item,
    place: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """`slots_free` as plain rows for the API (`id`, `start`, `end`, `resource`, `free`), without joins: the
    street's resources and the templates open to the item are read first (a few dozen rows), then one indexed
    query over the slots by resource, template and time."""
    now = now or timezone.now()
    kinds = [k for k, channel in KIND_CHANNEL.items() if channel in (item.channels or [])]
    resources = {
        r["id"]: r
        for r in Resource.objects.filter(street_id=item.street_id, is_active=True, kind__in=kinds)
        .annotate(place_name=F("place__name"))
        .values("id", "name", "kind", "place_id", "place_name")
    }
    if place is not None:
        resources = {k: r for k, r in resources.items() if r["place_id"] == place}
    if not resources:
        return []
    templates = list(
        SlotTemplate.objects.filter(resource_id__in=list(resources))
        .filter(Q(restricted=False) | Q(items=item))
        .values_list("id", flat=True)
        .distinct()
    )
    earliest = now + timedelta(minutes=item.min_notice_minutes)
    latest = now + timedelta(days=item.max_days_ahead)
    rows = (
        Slot.objects.filter(
            resource_id__in=list(resources),
            start__gte=max(earliest, start) if start else earliest,
            start__lte=min(latest, end) if end else latest,
            closed=False,
            booked__lt=F("places"),
        )
        .filter(Q(template_id__in=templates) | Q(template__isnull=True))
        .order_by("start", "resource_id")
        .values_list("id", "start", "end", "resource_id", "places", "booked")[:limit]
    )
    return [
        {
            "id": pk,
            "start": timezone.localtime(a, SH).isoformat(),
            "end": timezone.localtime(b, SH).isoformat(),
            "resource": resources[rid],
            "free": places - booked,
        }
        for pk, a, b, rid, places, booked in rows
    ]


def resources_of(*, street: Street) -> QuerySet[Resource]:
    return Resource.objects.filter(street=street).select_related("place").order_by("kind", "place__name", "name")


# ------------------------------------------------------------------------------------ appointments


def appointments_for_user(*, user: Any) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(user=user)
        .select_related("item", "resource", "resource__place", "street", "prereview")
        .order_by("-start", "-id")
    )


def appointment_for_user(*, user: Any, appointment_id: int) -> Appointment:
    appointment = appointments_for_user(user=user).filter(pk=appointment_id).first()
    if appointment is None:
        raise Problem("not_found", detail=_("没有这个预约"))
    return appointment


def appointments_for_street(*, street: Street, day: date | None = None) -> QuerySet[Appointment]:
    """A street's appointments (a day's, by start), for staff pages and the window queue."""
    qs = Appointment.objects.filter(street=street).select_related(
        "item", "resource", "resource__place", "user", "prereview"
    )
    if day is not None:
        start = datetime.combine(day, time(0), tzinfo=SH)
        qs = qs.filter(start__gte=start, start__lt=start + timedelta(days=1))
    return qs.order_by("start", "id")


def appointment_by_code(*, street: Street, code: str) -> Appointment | None:
    """The street's appointment with this code (typed at the desk or read from the QR code)."""
    return appointments_for_street(street=street).filter(code=(code or "").strip().upper()).first()


def suspensions_active(*, street: Street, now: datetime | None = None) -> QuerySet[Suspension]:
    now = now or timezone.now()
    return (
        Suspension.objects.filter(street=street, lifted_at__isnull=True, ends_at__gt=now)
        .select_related("user")
        .order_by("ends_at")
    )


# -------------------------------------------------------------------------------------- pre-reviews


def prereviews_for_user(*, user: Any) -> QuerySet[PreReview]:
    return PreReview.objects.filter(user=user).select_related("item", "street").order_by("-created_at", "-id")


def prereview_queue(*, street: Street, status: str | None = None) -> QuerySet[PreReview]:
    """The street's pre-reviews for reviewers: waiting first (oldest deadline first)."""
    qs = PreReview.objects.filter(street=street).select_related("item", "user")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("review_due_at", "id")


def prereview_files_current(*, prereview: PreReview) -> list[PreReviewFile]:
    return list(
        prereview.files.filter(superseded_at__isnull=True)
        .select_related("material")
        .order_by("material__position", "id")
    )


def prereview_approved_for(*, user: Any, item: Item) -> PreReview | None:
    """The person's latest approved pre-review of `item` (the window shows it; the booking links it)."""
    return (
        PreReview.objects.filter(user=user, item=item, status=PreReviewStatus.APPROVED)
        .order_by("-approved_at", "-id")
        .first()
    )
