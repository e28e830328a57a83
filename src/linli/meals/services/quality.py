"""Quality writes: residents' ratings of collected orders, food-safety inspections with photos, tasting-panel
scores for new dishes, and the kitchen's daily food-waste weight.

Each function checks who may do it (role in the kitchen's street), validates everything before writing, and
writes in one transaction. Photos are validated and re-encoded (core.photos) before the transaction opens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import hooks as core_hooks
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text, choice_label
from linli.core.models import Role, User
from linli.core.photos import ProcessedPhoto, photo_process
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.meals.models import (
    ChecklistArea,
    Dish,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    InspectionResult,
    Kitchen,
    Order,
    OrderStatus,
    Rating,
    TastingScore,
    WasteRecord,
)

RATEABLE_STATUSES = frozenset({OrderStatus.COLLECTED, OrderStatus.DELIVERED})
INSPECTION_ROLES = (Role.FOOD_SUPERVISOR, Role.ADMIN)
TASTING_ROLES = (Role.FOOD_SUPERVISOR, Role.ADMIN)
WASTE_ROLES = (Role.KITCHEN_OPERATOR, Role.ADMIN)
MAX_INSPECTION_PHOTOS = 12
MAX_WASTE_GRAMS = 1_000_000  # one tonne a day: anything above is a typo

SCORE_LABELS: dict[str, Text] = {"taste": _("口味"), "portion": _("分量"), "price": _("价格"), "score": _("评分")}


def _score_errors(scores: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for name, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            label = SCORE_LABELS.get(name, name)
            errors.append(field_error(name, format_lazy(_("{label}请打 1 到 5 分"), label=label)))
    return errors


def _text(value: str | None, *, name: str, max_length: int, errors: list[dict[str, Any]]) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        errors.append(field_error(name, format_lazy(_("最多 {max_length} 个字"), max_length=max_length)))
    return text


# ---------------------------------------------------------------------------------------------- ratings


def rating_create(*, order: Order, user: User, taste: int, portion: int, price: int, comment: str = "") -> Rating:
    """The order's owner rates a collected (or delivered) order once: taste, portion and price, 1 to 5."""
    errors = _score_errors({"taste": taste, "portion": portion, "price": price})
    comment = _text(comment, name="comment", max_length=500, errors=errors)
    if errors:
        raise Problem("validation_error", errors=errors)
    if user is None or order.user_id != getattr(user, "pk", None):
        raise Problem("permission_denied", detail=_("只能评价自己的订单"))
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in RATEABLE_STATUSES:
            raise Problem(
                "order_invalid_transition",
                detail=format_lazy(
                    _("订单当前为「{status}」，取餐后才能评价"), status=choice_label(OrderStatus, locked.status)
                ),
                extra={"status": locked.status},
            )
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    order=locked,
                    kitchen_id=locked.kitchen_id,
                    taste=taste,
                    portion=portion,
                    price=price,
                    comment=comment,
                )
        except IntegrityError:
            raise _already_rated(locked) from None
    core_hooks.work_recorded(kind="meals.rating", street_id=locked.street_id, at=rating.created_at)
    return rating


def _already_rated(order: Order) -> Problem:
    return Problem(
        "validation_error",
        status=409,
        detail=_("这份订单已经评价过了"),
        errors=[field_error("order", _("已评价"))],
        extra={"reason": "already_rated", "order_id": order.pk},
    )


# ------------------------------------------------------------------------------------------ inspections


def inspection_form_parse(data: Any, files: Any) -> tuple[dict[str, tuple[str, str]], list[tuple[str, Any]], str]:
    """The inspection's multipart form (shared by the API and the supervisor's page): `result_<area>`
    (pass/issue/not_seen) and `note_<area>` per checklist area, `summary`, photos as files named
    `photo_<area>` (several allowed) or `photo` (no particular area)."""
    items: dict[str, tuple[str, str]] = {}
    for area in ChecklistArea.values:
        result = (data.get(f"result_{area}") or "").strip()
        note = data.get(f"note_{area}") or ""
        if result or note.strip():
            items[area] = (result or InspectionResult.NOT_SEEN, note)
    photos: list[tuple[str, Any]] = []
    for name in files:
        if name == "photo":
            area = ""
        elif name.startswith("photo_") and name[6:] in ChecklistArea.values:
            area = name[6:]
        else:
            raise Problem("validation_error", errors=[field_error(name, _("无法识别的文件字段"))])
        photos.extend((area, f) for f in files.getlist(name))
    return items, photos, data.get("summary") or ""


def _photo_errors(photo_list: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    errors = []
    if len(photo_list) > MAX_INSPECTION_PHOTOS:
        errors.append(field_error("photos", format_lazy(_("最多上传 {max} 张照片"), max=MAX_INSPECTION_PHOTOS)))
    for index, (area, _upload) in enumerate(photo_list):
        if area and area not in ChecklistArea.values:
            errors.append(field_error(f"photos.{index}.area", _("没有这个检查项")))
    return errors


def _photos_process(photo_list: list[tuple[str, Any]]) -> list[tuple[str, ProcessedPhoto]]:
    processed = []
    for index, (area, upload) in enumerate(photo_list):
        try:
            processed.append((area or "", photo_process(upload)))
        except Problem as problem:
            problem.errors = [field_error(f"photos.{index}", problem.detail)]
            raise
    return processed


def inspection_photos_prepare(
    *, kitchen: Kitchen, inspector: Any, photos: Iterable[tuple[str, Any]]
) -> list[tuple[str, ProcessedPhoto]]:
    """The inspection's photos validated and re-encoded, for a caller about to open a transaction (the API's
    idempotency key) before `inspection_create`: decoding inside it would hold the database's write lock."""
    require_role(inspector, street=kitchen.street, roles=INSPECTION_ROLES)
    photo_list = list(photos)
    errors = _photo_errors(photo_list)
    if errors:
        raise Problem("validation_error", errors=errors)
    return _photos_process(photo_list)


def inspection_create(
    *,
    kitchen: Kitchen,
    inspector: Any,
    items: Mapping[str, tuple[str, str]],
    photos: Iterable[tuple[str, Any]] = (),
    summary: str = "",
) -> Inspection:
    """A food-safety supervisor (or the street's admin) records a visit: one result per checklist area (areas
    not given are recorded as "not seen"), a note per area, photos (each with its area or "") and a summary.

    Every photo is validated and stripped of metadata before anything is written; one bad photo refuses the
    whole inspection."""
    require_role(inspector, street=kitchen.street, roles=INSPECTION_ROLES)
    errors: list[dict[str, Any]] = []
    summary = _text(summary, name="summary", max_length=500, errors=errors)
    cleaned: dict[str, tuple[str, str]] = {}
    for area, value in items.items():
        if area not in ChecklistArea.values:
            errors.append(field_error(f"items.{area}", _("没有这个检查项")))
            continue
        result, note = value
        if result not in InspectionResult.values:
            errors.append(field_error(f"items.{area}", _("请选择合格、需整改或未检查")))
            continue
        cleaned[area] = (result, _text(note, name=f"items.{area}.note", max_length=300, errors=errors))
    if not any(result != InspectionResult.NOT_SEEN for result, _ in cleaned.values()) and not errors:
        errors.append(field_error("items", _("至少检查一项")))
    photo_list = list(photos)
    errors.extend(_photo_errors(photo_list))
    if errors:
        raise Problem("validation_error", errors=errors)
    processed = _photos_process(photo_list)

    saved_files: list[InspectionPhoto] = []
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(kitchen=kitchen, inspector=inspector, summary=summary)
            InspectionItem.objects.bulk_create(
                InspectionItem(
                    inspection=inspection,
                    area=area,
                    result=cleaned.get(area, (InspectionResult.NOT_SEEN, ""))[0],
                    note=cleaned.get(area, ("", ""))[1],
                )
                for area in ChecklistArea.values
            )
            for area, photo in processed:
                row = InspectionPhoto(inspection=inspection, area=area, width=photo.width, height=photo.height)
                row.image.save(f"{uuid.uuid4().hex}.{photo.ext}", ContentFile(photo.content), save=False)
                saved_files.append(row)
                row.save()
            issues = sum(1 for result, _ in cleaned.values() if result == InspectionResult.ISSUE)
            audit_log(
                actor=inspector,
                action="meals.inspection_create",
                street=kitchen.street,
                obj=inspection,
                data={"kitchen_id": kitchen.pk, "issues": issues, "photos": len(processed)},
            )
    except BaseException:
        for row in saved_files:  # the files are not part of the transaction: remove what was stored
            row.image.delete(save=False)
        raise
    return inspection


# -------------------------------------------------------------------------------------------- tastings


def tasting_score_add(
    *, dish: Dish, scorer: Any, score: int, comment: str = "", panel_date: dt.date | None = None
) -> TastingScore:
    """A panel member (food-safety supervisor, or the street's admin) scores a dish 1 to 5, once per panel day."""
    kitchen = dish.kitchen
    require_role(scorer, street=kitchen.street, roles=TASTING_ROLES)
    panel_date = panel_date or timezone.localdate()
    errors = _score_errors({"score": score})
    comment = _text(comment, name="comment", max_length=300, errors=errors)
    if panel_date > timezone.localdate():
        errors.append(field_error("panel_date", _("品评日期不能在将来")))
    if errors:
        raise Problem("validation_error", errors=errors)
    try:
        with transaction.atomic():
            return TastingScore.objects.create(
                dish=dish, scorer=scorer, panel_date=panel_date, score=score, comment=comment
            )
    except IntegrityError:
        raise Problem(
            "validation_error",
            status=409,
            detail=format_lazy(_("您已在 {date} 为「{dish}」打过分"), date=f"{panel_date:%Y-%m-%d}", dish=dish.name),
            errors=[field_error("dish", _("已打分"))],
            extra={"reason": "already_scored"},
        ) from None


# ----------------------------------------------------------------------------------------------- waste


def waste_record_set(*, kitchen: Kitchen, date: dt.date, grams: int, note: str = "", actor: User) -> WasteRecord:
    """Set the day's food-waste weight of a kitchen (kitchen operator or admin); a second entry for the same day
    replaces the first (one row per kitchen and day, written by an atomic upsert)."""
    require_role(actor, street=kitchen.street, roles=WASTE_ROLES)
    errors: list[dict[str, Any]] = []
    if isinstance(grams, bool) or not isinstance(grams, int) or not 0 <= grams <= MAX_WASTE_GRAMS:
        errors.append(field_error("grams", _("请填写 0 到 1000000 克之间的整数")))
    note = _text(note, name="note", max_length=200, errors=errors)
    if date > timezone.localdate():
        errors.append(field_error("date", _("日期不能在将来")))
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        WasteRecord.objects.bulk_create(
            [WasteRecord(kitchen=kitchen, date=date, grams=grams, note=note, recorded_by=actor)],
            update_conflicts=True,
            unique_fields=["kitchen", "date"],
            update_fields=["grams", "note", "recorded_by"],
        )
        record = WasteRecord.objects.get(kitchen=kitchen, date=date)
        audit_log(
            actor=actor,
            action="meals.waste_record_set",
            street=kitchen.street,
            obj=record,
            data={"kitchen_id": kitchen.pk, "date": date.isoformat(), "grams": grams},
        )
    return record
