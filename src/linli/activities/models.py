"""Activities at venues, recurring series, bookings with a waitlist, check-in, and the booking timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street
from linli.places.models import Place


class Category(models.TextChoices):
    LECTURE = "lecture", _("讲座")
    CULTURE = "culture", _("文化")
    HEALTH = "health", _("健康")
    PARTY_AFFAIRS = "party_affairs", _("党建")
    SKILLS_TRAINING = "skills_training", _("技能培训")
    VOLUNTEERING = "volunteering", _("志愿服务")
    CHILDREN = "children", _("亲子儿童")
    MARKET = "market", _("市集")
    SPORTS = "sports", _("运动")
    OTHER = "other", _("其他")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("所有人")
    ELDERLY = "elderly", _("老年人（60岁以上）")
    CHILDREN = "children", _("儿童及家长")
    RIDERS = "riders", _("骑手")
    OFFICE_WORKERS = "office_workers", _("白领")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class ActivitySeries(models.Model):
    """A recurring activity (RRULE, RFC 5545); each occurrence is an Activity with its own capacity."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="activity_series")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="activity_series")
    external_id = models.CharField(max_length=255)  # the iCalendar UID
    title = models.CharField(max_length=200)
    rrule = models.CharField(max_length=500)
    dtstart = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "external_id"], name="series_street_ext_unique")]
        verbose_name = _("系列活动 activity series")
        verbose_name_plural = _("系列活动 activity series")

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """One activity (or one occurrence of a series) at a venue.

    `booked` and `waitlisted` are counters kept by the booking services with conditional UPDATEs
    (`... WHERE booked < capacity`), which is what makes overbooking impossible under concurrency.
    `capacity` empty means unlimited seats.
    """

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="activities")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="activities")
    series = models.ForeignKey(
        ActivitySeries, null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    external_id = models.CharField(_("外部编号 external id"), max_length=255)
    title = models.CharField(_("标题 title"), max_length=200)
    description = models.TextField(_("简介 description"), blank=True)
    category = models.CharField(_("类别 category"), max_length=32, choices=Category.choices, default=Category.OTHER)
    audience = models.CharField(_("对象 audience"), max_length=32, choices=Audience.choices, default=Audience.EVERYONE)
    # Free words beyond the category (iCalendar CATEGORIES the platform has no category for: "书法", "重阳节").
    tags = models.JSONField(_("标签 tags"), default=list, blank=True)
    organiser = models.CharField(_("主办 organiser"), max_length=200, blank=True)
    start = models.DateTimeField(_("开始 start"), db_index=True)
    end = models.DateTimeField(_("结束 end"))
    capacity = models.PositiveIntegerField(_("名额 capacity"), null=True, blank=True, help_text="empty: unlimited")
    waitlist_capacity = models.PositiveIntegerField(_("候补名额 waitlist places"), default=10)
    booked = models.PositiveIntegerField(default=0, editable=False)
    waitlisted = models.PositiveIntegerField(default=0, editable=False)
    booking_opens_at = models.DateTimeField(_("开放预约 booking opens"), null=True, blank=True)
    booking_closes_at = models.DateTimeField(_("截止预约 booking closes"), null=True, blank=True)
    cancel_deadline = models.DateTimeField(_("取消截止 cancellation deadline"), null=True, blank=True)
    status = models.CharField(
        _("状态 status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["street", "external_id"], name="activity_street_ext_unique"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="activity_end_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(booked__lte=models.F("capacity")), name="activity_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(waitlisted__lte=models.F("waitlist_capacity")), name="activity_waitlist_within_capacity"
            ),
        ]
        indexes = [models.Index(fields=["street", "status", "start"]), models.Index(fields=["place", "start"])]
        verbose_name = _("活动 activity")
        verbose_name_plural = _("活动 activities")

    def __str__(self) -> str:
        return self.title


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已预约")
    WAITLISTED = "waitlisted", _("候补中")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    NO_SHOW = "no_show", _("未到")


ACTIVE_BOOKING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.CHECKED_IN)


class BookingSource(models.TextChoices):
    APP = "app", _("线上预约")
    WALK_IN = "walk_in", _("现场登记")
    STAFF = "staff", _("工作人员代约")


class Booking(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="bookings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=16, choices=BookingStatus.choices)
    source = models.CharField(max_length=16, choices=BookingSource.choices, default=BookingSource.APP)
    code = models.CharField(max_length=12, unique=True, help_text="short check-in code (typed at the desk)")
    created_at = models.DateTimeField(default=timezone.now)
    # The waitlist is served in this order (set when the booking joins the waitlist).
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True)
    reminded_two_hours_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One live booking per person and activity, enforced by the database (no check-then-act race).
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(status__in=["confirmed", "waitlisted", "checked_in"]),
                name="booking_one_live_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["activity", "status", "waitlisted_at"]),
            models.Index(fields=["user", "status"]),
        ]
        verbose_name = _("预约 booking")
        verbose_name_plural = _("预约 bookings")

    def __str__(self) -> str:
        return f"{self.code} · {self.activity_id}"


class BookingEvent(models.Model):
    """Append-only timeline of a booking: who moved it from which status to which, when, and why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
