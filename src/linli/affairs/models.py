"""Community affairs in one window (全岗通): the item catalogue, online pre-review, bookable resources with slot
templates, slots and appointments, and the per-street no-show rule.

Slots are materialised rows (`Slot`) generated from the templates, the exceptions and the holiday table
(`services.slots.slots_materialise`). `Slot.booked` is a counter kept by the booking service with one
conditional UPDATE (`... SET booked = booked + 1 WHERE id = %s AND booked < places AND NOT closed`), and the
check constraint `booked <= places` backs it: a slot is never overbooked, whatever the concurrency.

The window queue (tickets, calls), remote video sessions and metrics live in later migrations of this app
(0002+), built on the appointment's `checked_in` / `completed` statuses (see services/appointment_states.py).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street
from linli.places.models import Place


class PrivateStorage(FileSystemStorage):
    """Files outside MEDIA_ROOT, under `LINLI_PRIVATE_ROOT` (default `var/private`), read at each use (tests move
    it). Nothing serves this folder: only the permission-checked view reads it."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(getattr(settings, "LINLI_PRIVATE_ROOT", "") or settings.VAR_DIR / "private")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def private_storage() -> FileSystemStorage:
    """Pre-review files live outside MEDIA_ROOT: they are served only through the permission-checked view
    (`affairs:prereview_file`), never by a static file server."""
    return PrivateStorage()


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口办理")
    SELF_SERVICE = "self_service", _("自助办理")
    ASSISTED = "assisted", _("帮你办")
    REMOTE = "remote", _("远程帮办")
    HOME = "home", _("上门办理")


class Item(models.Model):
    """One affair of a street's catalogue (OpenCPS' service, HSDS' service record): who may apply, what to bring,
    how and where it is handled, how long it takes and what it costs."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_items")
    code = models.CharField(_("事项编码 code"), max_length=40)
    name = models.CharField(_("事项名称 name"), max_length=120)
    department = models.CharField(_("主管部门 department"), max_length=120, blank=True)
    legal_basis = models.TextField(_("办理依据 legal basis"), blank=True)
    eligibility = models.TextField(_("办理对象 who is eligible"), blank=True)
    description = models.TextField(_("办理说明 description"), blank=True)
    channels = models.JSONField(_("办理渠道 channels"), default=list, blank=True)
    prereview = models.BooleanField(_("可网上预审 online pre-review allowed"), default=False)
    entrusted = models.BooleanField(_("可委托代办 entrusted handling allowed"), default=False)
    time_limit_days = models.PositiveSmallIntegerField(_("办结时限（工作日） time limit (working days)"), default=0)
    fee_fen = models.PositiveIntegerField(_("收费（分） fee (fen)"), default=0)
    keywords = models.JSONField(_("关键词 keywords"), default=list, blank=True)
    # Booking window (RDV Service Public: minimum and maximum booking delay per reason).
    min_notice_minutes = models.PositiveIntegerField(_("最少提前（分钟） minimum notice (minutes)"), default=60)
    max_days_ahead = models.PositiveSmallIntegerField(_("最多提前（天） maximum days ahead"), default=30)
    # How long staff have to review a pre-review of this item before it escalates to the centre's head.
    review_hours = models.PositiveSmallIntegerField(_("预审时限（小时） pre-review deadline (hours)"), default=24)
    # Picked for office workers (白领): bookable in evening and weekend slots a street opens for them.
    office_hours = models.BooleanField(_("白领延时/周末可约 evening and weekend slots"), default=False)
    is_active = models.BooleanField(_("启用 active"), default=True)
    # Search text built from name, keywords, jieba words and pinyin (services.search.item_search_text).
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["street", "code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="affairs_item_street_code_unique"),
        ]
        indexes = [models.Index(fields=["street", "is_active"])]
        verbose_name = _("事项 affair item")
        verbose_name_plural = _("事项目录 affair catalogue")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")


class Material(models.Model):
    """One document an item asks for: name, how many, original or copy, an example photo."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("材料名称 name"), max_length=120)
    count = models.PositiveSmallIntegerField(_("份数 count"), default=1)
    form = models.CharField(_("原件/复印件 original or copy"), max_length=10, choices=MaterialForm.choices)
    example_photo = models.FileField(_("示例图片 example photo"), upload_to="affairs/examples/", blank=True)
    note = models.CharField(_("说明 note"), max_length=200, blank=True)

    class Meta:
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="affairs_material_item_name_unique"),
            models.CheckConstraint(condition=Q(count__gte=1), name="affairs_material_count_positive"),
        ]
        verbose_name = _("材料 material")
        verbose_name_plural = _("材料 materials")

    def __str__(self) -> str:
        return self.name


class Synonym(models.Model):
    """Residents' words for an affair, added by staff: "身份证丢了" → "身份证补领"."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_synonyms")
    term = models.CharField(_("居民说法 residents' words"), max_length=60)
    means = models.CharField(_("对应说法 means"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["street", "term"]
        constraints = [
            models.UniqueConstraint(fields=["street", "term", "means"], name="affairs_synonym_unique"),
        ]
        verbose_name = _("事项同义词 affair synonym")
        verbose_name_plural = _("事项同义词 affair synonyms")

    def __str__(self) -> str:
        return f"{self.term} → {self.means}"


class PreReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待预审")
    NEEDS_CORRECTION = "needs_correction", _("需补正")
    APPROVED = "approved", _("预审通过")
    REJECTED = "rejected", _("预审不通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    COMPLETED = "completed", _("已办结")


class PreReview(models.Model):
    """A resident's documents for an item, reviewed online before the one trip (原件预审)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_prereviews")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="prereviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="affair_prereviews")
    code = models.CharField(max_length=12, unique=True)
    status = models.CharField(max_length=20, choices=PreReviewStatus.choices, default=PreReviewStatus.SUBMITTED)
    entrusted = models.BooleanField(_("委托代办 entrusted"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(default=timezone.now)
    review_due_at = models.DateTimeField(db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # rejected, withdrawn or completed
    files_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "status", "review_due_at"]),
            models.Index(fields=["user", "status"]),
        ]
        verbose_name = _("原件预审 pre-review")
        verbose_name_plural = _("原件预审 pre-reviews")

    def __str__(self) -> str:
        return f"{self.code} · {self.item_id}"


class FileReview(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("通过")
    NEEDS_CORRECTION = "needs_correction", _("需补正")
    REJECTED = "rejected", _("不通过")


class PreReviewFile(models.Model):
    """One uploaded file for one material of a pre-review, and its review. A corrected file replaces the flagged
    one (`superseded_at` set on the old row): one current file per material."""

    prereview = models.ForeignKey(PreReview, on_delete=models.CASCADE, related_name="files")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=private_storage, upload_to="affairs/prereviews/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    review = models.CharField(max_length=20, choices=FileReview.choices, default=FileReview.PENDING)
    reason = models.CharField(_("原因 reason"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["prereview", "material__position", "uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prereview", "material"],
                condition=Q(superseded_at__isnull=True),
                name="affairs_prereviewfile_one_current",
            )
        ]
        verbose_name = _("预审材料 pre-review file")
        verbose_name_plural = _("预审材料 pre-review files")


class PreReviewEvent(models.Model):
    """Append-only timeline of a pre-review."""

    prereview = models.ForeignKey(PreReview, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class ResourceKind(models.TextChoices):
    WINDOW = "window", _("窗口")
    REMOTE = "remote", _("远程帮办点")
    HOME = "home", _("上门服务")


# The item channel a resource of each kind serves (an item without it is `not_eligible_channel` there).
KIND_CHANNEL: dict[str, str] = {
    ResourceKind.WINDOW: Channel.WINDOW,
    ResourceKind.REMOTE: Channel.REMOTE,
    ResourceKind.HOME: Channel.HOME,
}


class Resource(models.Model):
    """Something bookable: a window of the affairs centre, a remote service point, the door-to-door team."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_resources")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="affair_resources")
    name = models.CharField(_("名称 name"), max_length=80)
    kind = models.CharField(_("类型 kind"), max_length=10, choices=ResourceKind.choices)
    is_active = models.BooleanField(_("启用 active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["street", "place", "name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="affairs_resource_place_name_unique"),
        ]
        verbose_name = _("预约资源 bookable resource")
        verbose_name_plural = _("预约资源 bookable resources")

    def __str__(self) -> str:
        return self.name


class SlotTemplate(models.Model):
    """Opening pattern of a resource: the weekdays, the time ranges cut into slots of `minutes`, `places`
    people per slot (Publik Chrono's desks). `items` empty: every item; set: only those (evening and weekend
    slots for office workers). Holidays of the holiday table close the template's days; adjusted working days
    (调休) open them with the template of the weekday they replace when `follow_workdays`."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="templates")
    weekdays = models.JSONField(_("星期 weekdays (0=Mon)"), default=list)
    times = models.JSONField(_("时段 times"), default=list, help_text='[["09:00", "11:30"], ["13:30", "16:30"]]')
    minutes = models.PositiveSmallIntegerField(_("每段分钟 slot length (minutes)"))
    places = models.PositiveSmallIntegerField(_("每段名额 places per slot"))
    items = models.ManyToManyField(Item, blank=True, related_name="slot_templates")
    restricted = models.BooleanField(default=False, editable=False)  # items is not empty (kept by the service)
    valid_from = models.DateField(_("生效日期 valid from"), null=True, blank=True)
    valid_until = models.DateField(_("截止日期 valid until"), null=True, blank=True)
    skip_holidays = models.BooleanField(_("节假日不开放 closed on holidays"), default=True)
    follow_workdays = models.BooleanField(_("调休日开放 open on adjusted working days"), default=True)
    is_active = models.BooleanField(_("启用 active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=5), name="affairs_template_minutes_min"),
            models.CheckConstraint(condition=Q(places__gte=1), name="affairs_template_places_min"),
        ]
        verbose_name = _("时段模板 slot template")
        verbose_name_plural = _("时段模板 slot templates")

    def __str__(self) -> str:
        return f"{self.resource} · {self.weekdays} {self.times}"


class SlotException(models.Model):
    """A resource closed for a while (training, a power cut): its slots in that range are closed. Imported from
    iCalendar too (`external_id` is the UID)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateTimeField(_("开始 start"))
    end = models.DateTimeField(_("结束 end"))
    reason = models.CharField(_("原因 reason"), max_length=200, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="affairs_exception_end_after_start"),
        ]
        verbose_name = _("例外关闭 exception")
        verbose_name_plural = _("例外关闭 exceptions")


class Slot(models.Model):
    """One bookable time of a resource, materialised from its template. `booked` never exceeds `places`."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    template = models.ForeignKey(SlotTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()
    places = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["start", "resource_id"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "start"], name="affairs_slot_resource_start_unique"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("places")), name="affairs_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="affairs_slot_end_after_start"),
        ]
        indexes = [models.Index(fields=["start", "resource"])]
        verbose_name = _("时段 slot")
        verbose_name_plural = _("时段 slots")

    def __str__(self) -> str:
        return f"{self.resource_id} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return 0 if self.closed else max(self.places - self.booked, 0)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    COMPLETED = "completed", _("已办结")
    NO_SHOW = "no_show", _("未到")


LIVE_APPOINTMENT_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


class AppointmentSource(models.TextChoices):
    APP = "app", _("线上预约")
    STAFF = "staff", _("工作人员代约")


class Appointment(models.Model):
    """A resident's booking of one slot for one item. `code` is shown as a QR code and typed at the desk."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_appointments")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="appointments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="affair_appointments")
    prereview = models.ForeignKey(
        PreReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    code = models.CharField(max_length=12, unique=True)
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    source = models.CharField(max_length=10, choices=AppointmentSource.choices, default=AppointmentSource.APP)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateTimeField(db_index=True)  # the slot's, kept here for reminders and lists
    end = models.DateTimeField()
    note = models.CharField(_("备注 note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True)
    reminded_two_hours_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            # One live appointment per person and item (a reschedule moves it, it does not add one).
            models.UniqueConstraint(
                fields=["user", "item"],
                condition=Q(status="booked"),
                name="affairs_appointment_one_live_per_item",
            )
        ]
        indexes = [
            models.Index(fields=["street", "status", "start"]),
            models.Index(fields=["user", "status"]),
            models.Index(fields=["slot", "status"]),
        ]
        verbose_name = _("办事预约 appointment")
        verbose_name_plural = _("办事预约 appointments")

    def __str__(self) -> str:
        return f"{self.code} · {self.item_id}"


class AppointmentEvent(models.Model):
    """Append-only timeline of an appointment (booked, rescheduled, cancelled, checked in, ...)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Policy(models.Model):
    """A street's affairs rules: the no-show rule (default 3 no-shows in 90 days suspend online booking for 30
    days), the cancel/reschedule cut-off, reminders, file retention. Created by the street defaults."""

    street = models.OneToOneField(Street, on_delete=models.CASCADE, related_name="affairs_policy")
    no_show_limit = models.PositiveSmallIntegerField(_("爽约次数 no-shows that suspend"), default=3)
    no_show_window_days = models.PositiveSmallIntegerField(_("统计天数 counted over (days)"), default=90)
    suspension_days = models.PositiveSmallIntegerField(_("暂停天数 suspension (days)"), default=30)
    cancel_cutoff_minutes = models.PositiveIntegerField(_("取消/改约截止（分钟） cancel cut-off (minutes)"), default=60)
    no_show_after_minutes = models.PositiveIntegerField(_("超时未到（分钟） no-show after (minutes)"), default=30)
    file_retention_days = models.PositiveSmallIntegerField(_("材料保存天数 files kept (days)"), default=90)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事项规则 affairs policy")
        verbose_name_plural = _("事项规则 affairs policies")

    def __str__(self) -> str:
        return str(self.street)


class Suspension(models.Model):
    """Online booking suspended for a person in a street (the no-show rule); staff may lift it."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_suspensions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affair_suspensions")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["street", "user", "ends_at"])]
        verbose_name = _("预约暂停 booking suspension")
        verbose_name_plural = _("预约暂停 booking suspensions")


# The window queue and the remote windows are in models_queue.py (imported last: it uses the models above).
from linli.affairs.models_queue import (  # noqa: E402, F401 - re-exported: Django registers them with the app
    TICKET_FINISHED,
    Counter,
    HallCall,
    QueueTicket,
    QueueTicketEvent,
    RemotePolicy,
    RemoteSession,
    RemoteSessionEvent,
    RemoteSessionStatus,
    StaffSkill,
    TicketKind,
    TicketSequence,
    TicketStatus,
)
