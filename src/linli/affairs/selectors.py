"""Affairs reads other domains and the dashboard may use, scoped by street."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
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
from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.models import Street
from linli.places.models import Place

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
    """`slots_free` as plain rows for the API (`id`, `start`, `end`, `resource`, `free`), in ONE statement.

    The same rules as `slots_free` (the tests hold both to the same answers), written in SQL once: building the
    three ORM queries this took (resources, templates open to the item, slots) cost more CPU than PostgreSQL took
    to answer them (bench/bench_affairs.py, slot search p95). The slots are read in the order of the
    (start, resource) index, so the database stops at `limit`."""
    now = now or timezone.now()
    kinds = [k for k, channel in KIND_CHANNEL.items() if channel in (item.channels or [])]
    if not kinds:
        return []
    earliest = now + timedelta(minutes=item.min_notice_minutes)
    latest = now + timedelta(days=item.max_days_ahead)
    params: list[Any] = [item.pk, item.street_id, *kinds]
    place_sql = ""
    if place is not None:
        place_sql = "AND r.place_id = %s "
        params.append(place)
    params += [max(earliest, start) if start else earliest, min(latest, end) if end else latest, limit]
    rows = rawsql.fetch_all(_slots_free_sql(connection.vendor, len(kinds)).format(place=place_sql), params)
    # PostgreSQL writes the Shanghai times as text itself (parsing, converting and writing 200 datetimes per
    # answer in Python was a third of the request); SQLite's come back as text to convert here.
    local = _local_iso if connection.vendor != "postgresql" else str
    resources: dict[int, dict[str, Any]] = {}
    out = []
    for pk, a, b, places, booked, rid, name, kind, place_id, place_name in rows:
        resource = resources.get(rid)
        if resource is None:
            resource = resources[rid] = {
                "id": rid, "name": name, "kind": kind, "place_id": place_id, "place_name": place_name,
            }  # fmt: skip
        out.append(
            {
                "id": pk,
                "start": local(a),
                "end": local(b),
                "resource": resource,
                "free": places - booked,
            }
        )
    return out


def _local_iso(value: Any) -> str:
    return timezone.localtime(rawsql.field_converter(Slot, "start")(value), SH).isoformat()


# Asia/Shanghai has kept +08:00 all year since 1991, so a slot's local time is written with that offset: the text
# equals Python's `localtime(...).isoformat()` for every slot (the API test compares both databases' answers).
_PG_LOCAL_ISO = """to_char(s.{col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')"""


@cache
def _slots_free_sql(vendor: str, n_kinds: int) -> str:
    """The statement of `slots_free_rows` (identifiers from the models; `{place}` is filled per call)."""
    qn = connection.ops.quote_name
    if vendor == "postgresql":
        start_col, end_col = _PG_LOCAL_ISO.format(col=qn("start")), _PG_LOCAL_ISO.format(col=qn("end"))
    else:
        start_col, end_col = f"s.{qn('start')}", f"s.{qn('end')}"
    slot, res, tmpl = rawsql.table(Slot), rawsql.table(Resource), rawsql.table(SlotTemplate)
    place_t = rawsql.table(Place)
    through = SlotTemplate.items.through
    t_items, t_tmpl, t_item = rawsql.table(through), qn("slottemplate_id"), qn("item_id")
    kinds = ", ".join(["%s"] * n_kinds)
    return (
        f"SELECT s.id, {start_col}, {end_col}, s.places, s.booked, "  # noqa: S608
        "r.id, r.name, r.kind, r.place_id, p.name "
        f"FROM {slot} s JOIN {res} r ON r.id = s.resource_id JOIN {place_t} p ON p.id = r.place_id "
        # the templates open to the item: every slot made by hand, a template for all items, or one naming it
        f"WHERE (s.template_id IS NULL OR EXISTS (SELECT 1 FROM {tmpl} t WHERE t.id = s.template_id AND "
        f"(NOT t.restricted OR EXISTS (SELECT 1 FROM {t_items} ti WHERE ti.{t_tmpl} = t.id AND ti.{t_item} = %s)))) "
        f"AND r.street_id = %s AND r.is_active AND r.kind IN ({kinds}) {{place}}"
        f"AND s.{qn('start')} >= %s AND s.{qn('start')} <= %s AND NOT s.closed AND s.booked < s.places "
        f"ORDER BY s.{qn('start')}, s.resource_id LIMIT %s"
    )


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
