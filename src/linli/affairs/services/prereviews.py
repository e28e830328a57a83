"""Online pre-review (原件预审): the resident uploads one file per material, staff review each (accept, needs
correction with a reason, reject), the resident corrects only what was flagged, and an approved pre-review makes
the appointment the one and only trip (or, where the item allows, entrusted handling with no trip).

Statuses move only through `prereview_states.MACHINE` (table and timeline). Files are checked by content
(`services.files.file_check`) *before* the transaction that stores them, kept outside MEDIA_ROOT, and deleted
`Policy.file_retention_days` after the pre-review is closed (`prereview_files_purge`). A review not done by
`review_due_at` escalates to the centre's head (`prereviews_escalate`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (
    FileReview,
    Item,
    Material,
    PreReview,
    PreReviewEvent,
    PreReviewFile,
    PreReviewStatus,
)
from linli.affairs.services.defaults import policy_for
from linli.affairs.services.files import CheckedFile, file_check
from linli.affairs.services.prereview_states import CLOSED, MACHINE
from linli.core import selectors as core_selectors
from linli.core.errors import Problem, field_error
from linli.core.models import Role, User
from linli.core.notifications import notify_user
from linli.core.services import audit_log

S = PreReviewStatus
REVIEWER_ROLES = (Role.STATION_STAFF, Role.ADMIN)
HEAD_ROLES = (Role.ADMIN,)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _code() -> str:
    return "P" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


def materials_of(item: Item) -> list[Material]:
    """The materials a pre-review of `item` asks for (not those only kept for older files)."""
    return [m for m in item.materials.order_by("position", "id") if m.position < 1000]


def files_check(uploads: Mapping[int, Any]) -> dict[int, CheckedFile]:
    """Check every upload (material id → file) by content, outside any transaction; all errors at once."""
    checked: dict[int, CheckedFile] = {}
    errors = []
    for material_id, upload in uploads.items():
        try:
            checked[material_id] = file_check(upload)
        except Problem as exc:
            errors.append(field_error(f"material_{material_id}", exc.detail, type=str(exc.extra.get("reason", ""))))
    if errors:
        raise Problem("file_invalid", detail=errors[0]["message"], errors=errors)
    return checked


def _store(prereview: PreReview, material: Material, checked: CheckedFile, now: datetime) -> PreReviewFile:
    row = PreReviewFile(
        prereview=prereview,
        material=material,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        width=checked.width,
        height=checked.height,
        uploaded_at=now,
    )
    name = f"{prereview.code}-{material.pk}-{secrets.token_hex(6)}.{checked.ext}"
    row.file.save(name, ContentFile(checked.content), save=False)
    row.save()
    return row


def _event(
    prereview: PreReview, *, actor: User | None, from_status: str, to_status: str, note: str, now: datetime
) -> None:
    PreReviewEvent.objects.create(
        prereview=prereview, actor=actor, from_status=from_status, to_status=to_status, note=note[:500], at=now
    )


def _due(item: Item, now: datetime) -> datetime:
    return now + timedelta(hours=item.review_hours or 24)


def prereview_submit(
    *,
    item: Item,
    user: User,
    files: Mapping[int, Any],
    entrusted: bool = False,
    now: datetime | None = None,
) -> PreReview:
    """A new pre-review of `item` by `user` with one file per material (material id → upload or CheckedFile).
    `prereview_not_allowed` when the item has no online pre-review; `validation_error` naming each material
    without a file; `file_invalid` for a file that is not a photo or a clean PDF."""
    now = now or timezone.now()
    if not item.prereview or not item.is_active:
        raise Problem("prereview_not_allowed", detail=format_lazy(_("「{name}」不支持网上预审"), name=item.name))
    if entrusted and not item.entrusted:
        raise Problem(
            "validation_error",
            detail=_("该事项不能委托代办"),
            errors=[field_error("entrusted", _("该事项不能委托代办"))],
        )
    materials = materials_of(item)
    by_id = {m.pk: m for m in materials}
    unknown = [k for k in files if k not in by_id]
    missing = [m for m in materials if m.pk not in files]
    errors = [field_error(f"material_{m.pk}", format_lazy(_("请上传「{name}」"), name=m.name)) for m in missing]
    errors += [field_error(f"material_{k}", _("不是这个事项的材料")) for k in unknown]
    if errors:
        raise Problem("validation_error", detail=_("材料不齐"), errors=errors)
    checked = files_check(files)
    with transaction.atomic():
        prereview = PreReview.objects.create(
            street_id=item.street_id,
            item=item,
            user=user,
            code=_code(),
            status=S.SUBMITTED,
            entrusted=entrusted,
            created_at=now,
            submitted_at=now,
            review_due_at=_due(item, now),
        )
        for material in materials:
            _store(prereview, material, checked[material.pk], now)
        _event(prereview, actor=user, from_status="", to_status=S.SUBMITTED, note="", now=now)
    return prereview


def _require_reviewer(user: User, prereview: PreReview) -> None:
    core_selectors.require_role(user, street=prereview.street, roles=REVIEWER_ROLES)


def prereview_review(
    *,
    prereview: PreReview,
    reviewer: User,
    decisions: Mapping[int, tuple[str, str]],
    now: datetime | None = None,
) -> PreReview:
    """Staff review the pending files: file id → (accepted | needs_correction | rejected, reason). A reason is
    required for anything but accepted. When every current file is decided the pre-review moves: all accepted →
    approved; any rejected → rejected; else → needs_correction (the resident corrects the flagged ones)."""
    now = now or timezone.now()
    _require_reviewer(reviewer, prereview)
    MACHINE.check(prereview, S.APPROVED)  # only a submitted pre-review is reviewed
    current = {f.pk: f for f in prereview.files.filter(superseded_at__isnull=True).select_related("material")}
    errors = []
    for file_id, (review, reason) in decisions.items():
        if file_id not in current:
            errors.append(field_error(f"file_{file_id}", _("不是这份预审的材料")))
        elif review not in (FileReview.ACCEPTED, FileReview.NEEDS_CORRECTION, FileReview.REJECTED):
            errors.append(field_error(f"file_{file_id}", _("请选择通过、需补正或不通过")))
        elif review != FileReview.ACCEPTED and not (reason or "").strip():
            errors.append(field_error(f"file_{file_id}", _("需补正或不通过时请写明原因")))
    pending_after = [f for f in current.values() if f.review == FileReview.PENDING and f.pk not in decisions]
    for f in pending_after:
        errors.append(field_error(f"file_{f.pk}", format_lazy(_("请审核「{name}」"), name=f.material.name)))
    if errors:
        raise Problem("validation_error", detail=_("请审核每一份材料"), errors=errors)
    with transaction.atomic():
        for file_id, (review, reason) in decisions.items():
            PreReviewFile.objects.filter(pk=file_id).update(
                review=review,
                reason=(reason or "").strip()[:300] if review != FileReview.ACCEPTED else "",
                reviewed_by=reviewer,
                reviewed_at=now,
            )
        reviews = set(prereview.files.filter(superseded_at__isnull=True).values_list("review", flat=True))
        if FileReview.REJECTED in reviews:
            to = S.REJECTED
        elif FileReview.NEEDS_CORRECTION in reviews:
            to = S.NEEDS_CORRECTION
        else:
            to = S.APPROVED
        flagged = [current[i].material.name for i, (r, _reason) in decisions.items() if r != FileReview.ACCEPTED]
        MACHINE.move(prereview, to, actor=reviewer, now=now, note="、".join(flagged), fields={"reviewed_at": now})
        audit_log(
            actor=reviewer,
            action="affairs.prereview_review",
            street=prereview.street,
            obj=prereview,
            data={"to": to, "files": {str(k): v[0] for k, v in decisions.items()}},
        )
        _notify_outcome(prereview, to)
    return prereview


def _notify_outcome(prereview: PreReview, to: str) -> None:
    name = prereview.item.name
    if to == S.APPROVED:
        zh = f"您的「{name}」材料预审已通过（{prereview.code}），请预约时段带原件来办理，只需跑一趟。"
        en = f"Your documents for '{name}' passed the pre-review ({prereview.code}). Book a slot and bring the originals."
    elif to == S.NEEDS_CORRECTION:
        zh = f"您的「{name}」材料预审需要补正（{prereview.code}），请在“我的办事”里重新上传标出的材料。"
        en = f"Your pre-review for '{name}' ({prereview.code}) needs corrections: upload the flagged documents again."
    else:
        zh = f"很抱歉，您的「{name}」材料预审未通过（{prereview.code}），原因见“我的办事”。"
        en = f"Sorry, your pre-review for '{name}' ({prereview.code}) was not approved; see 'My affairs' for why."
    notify_user(user=prereview.user, message_zh=zh, message_en=en)


def prereview_correct(
    *, prereview: PreReview, user: User, files: Mapping[int, Any], now: datetime | None = None
) -> PreReview:
    """The resident uploads again the materials flagged "needs correction", and only those (material id →
    file); the pre-review goes back to the reviewers with a new deadline."""
    now = now or timezone.now()
    if prereview.user_id != user.pk:
        raise Problem("permission_denied")
    MACHINE.check(prereview, S.SUBMITTED)
    flagged = {
        f.material_id: f
        for f in prereview.files.filter(superseded_at__isnull=True, review=FileReview.NEEDS_CORRECTION).select_related(
            "material"
        )
    }
    errors = [
        field_error(f"material_{mid}", format_lazy(_("请重新上传「{name}」"), name=f.material.name))
        for mid, f in flagged.items()
        if mid not in files
    ]
    errors += [field_error(f"material_{mid}", _("这份材料不需要补正")) for mid in files if mid not in flagged]
    if errors:
        raise Problem("validation_error", detail=_("只需重新上传标出需补正的材料"), errors=errors)
    checked = files_check(files)
    with transaction.atomic():
        for mid, old in flagged.items():
            PreReviewFile.objects.filter(pk=old.pk).update(superseded_at=now)
            _store(prereview, old.material, checked[mid], now)
        MACHINE.move(
            prereview,
            S.SUBMITTED,
            actor=user,
            now=now,
            note=_("已补正").__str__(),
            fields={"review_due_at": _due(prereview.item, now), "escalated_at": None},
        )
    return prereview


def prereview_withdraw(*, prereview: PreReview, user: User, now: datetime | None = None) -> PreReview:
    if prereview.user_id != user.pk:
        raise Problem("permission_denied")
    return MACHINE.move(prereview, S.WITHDRAWN, actor=user, now=now)


def prereview_complete(
    *, prereview: PreReview, actor: User | None, note: str = "", now: datetime | None = None
) -> PreReview:
    """The affair was handled (at the window, or entrusted): the pre-review is closed; its files are deleted
    after the retention period. The window queue calls this when the clerk records "served"."""
    return MACHINE.move(prereview, S.COMPLETED, actor=actor, now=now, note=note)


def prereviews_escalate(*, now: datetime | None = None) -> int:
    """Pre-reviews still waiting for review after their deadline: tell the centre's head (the street's admins),
    once, and note it on the timeline. Returns how many escalated."""
    now = now or timezone.now()
    due = PreReview.objects.filter(status=S.SUBMITTED, review_due_at__lt=now, escalated_at__isnull=True).select_related(
        "item", "street"
    )
    n = 0
    for prereview in due.iterator(chunk_size=200):
        with transaction.atomic():
            claimed = PreReview.objects.filter(pk=prereview.pk, status=S.SUBMITTED, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            _event(
                prereview,
                actor=None,
                from_status=S.SUBMITTED,
                to_status=S.SUBMITTED,
                note="超时未审，已上报中心负责人 overdue: escalated to the centre's head",
                now=now,
            )
            heads = User.objects.filter(
                roles__street_id=prereview.street_id, roles__role__in=HEAD_ROLES, is_active=True
            ).distinct()
            for head in heads:
                notify_user(
                    user=head,
                    message_zh=f"预审 {prereview.code}「{prereview.item.name}」已超过审核时限，请尽快安排审核。",
                    message_en=f"Pre-review {prereview.code} ('{prereview.item.name}') is overdue: please have it reviewed.",
                )
        n += 1
    return n


def prereview_files_purge(*, now: datetime | None = None) -> int:
    """Delete the files of pre-reviews closed longer ago than their street's retention (90 days by default).
    The rows stay (the timeline and the reviews' outcome), the files and their names go."""
    now = now or timezone.now()
    n = 0
    closed = PreReview.objects.filter(status__in=CLOSED, files_deleted_at__isnull=True, closed_at__isnull=False)
    for prereview in closed.select_related("street").iterator(chunk_size=200):
        keep = policy_for(prereview.street_id).file_retention_days
        if prereview.closed_at is None or prereview.closed_at > now - timedelta(days=keep):
            continue
        for row in PreReviewFile.objects.filter(prereview=prereview).exclude(file=""):
            row.file.delete(save=False)
            PreReviewFile.objects.filter(pk=row.pk).update(file="")
        PreReview.objects.filter(pk=prereview.pk).update(files_deleted_at=now)
        n += 1
    return n


def prereview_file_read(*, row: PreReviewFile, user: User) -> PreReviewFile:
    """A file as its owner or a reviewer of the street may read it; staff reads are audited."""
    prereview = row.prereview
    if prereview.user_id == user.pk:
        return row
    if not core_selectors.user_has_role(user, street=prereview.street, roles=REVIEWER_ROLES):
        raise Problem("permission_denied")
    audit_log(
        actor=user,
        action="affairs.prereview_file_read",
        street=prereview.street,
        obj=row,
        data={"prereview": prereview.code},
    )
    return row
