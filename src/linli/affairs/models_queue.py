"""Affairs' window queue (counters, staff skills, tickets, the hall's calls) and remote video windows (sessions and
the street's recording policy): migration 0002. Imported at the end of `linli.affairs.models`, which re-exports
every name, so Django registers these with the app and callers import them from `linli.affairs.models`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (  # the rest of the app's models, defined before this module is imported
    Appointment,
    Item,
    Resource,
    private_storage,
)
from linli.core.models import Street
from linli.places.models import Place

# ------------------------------------------------------------------------------------------------------------------
# The window queue (issue 16 item 4), remote video windows (item 5); metrics (item 6) read these. Migration 0002.


class Counter(models.Model):
    """A service window of an affairs centre ("3号窗口"). Any window serves any item (全岗通): what the queue
    offers a window follows the skills of the clerk signed in at it (`StaffSkill`), not the window."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_counters")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="affair_counters")
    number = models.PositiveSmallIntegerField(_("窗口号 number"))
    name = models.CharField(_("名称 name"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用 active"), default=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="affair_counters"
    )
    clerk_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["place", "number"]
        constraints = [
            models.UniqueConstraint(fields=["place", "number"], name="affairs_counter_place_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="affairs_counter_number_positive"),
        ]
        verbose_name = _("服务窗口 service window")
        verbose_name_plural = _("服务窗口 service windows")

    def __str__(self) -> str:
        return self.name or str(format_lazy(_("{n}号窗口"), n=self.number))


class StaffSkill(models.Model):
    """An item a clerk can handle. A clerk with no skill recorded is offered every item (a new clerk learns on
    the job beside a colleague; the centre head narrows it down on the skills page)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_skills")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affair_skills")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="skills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["street", "user", "item"]
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="affairs_skill_user_item_unique")]
        verbose_name = _("窗口技能 staff skill")
        verbose_name_plural = _("窗口技能 staff skills")


class TicketKind(models.TextChoices):
    APPOINTMENT = "A", _("预约")
    WALK_IN = "W", _("现场取号")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVED = "served", _("已办结")
    INCOMPLETE = "incomplete", _("材料不全")
    REFERRED = "referred", _("已转办")
    MISSED = "missed", _("过号")
    CANCELLED = "cancelled", _("已取消")


TICKET_FINISHED = (TicketStatus.SERVED, TicketStatus.INCOMPLETE, TicketStatus.REFERRED)


class TicketSequence(models.Model):
    """The last number given per centre, day and kind: A001, A002 ... and W001 ... each morning."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=1, choices=TicketKind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "day", "kind"], name="affairs_ticketseq_unique"),
        ]


class QueueTicket(models.Model):
    """A place in a centre's queue for one day: `A012` for an appointment checked in, `W034` for a walk-in."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_tickets")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="affair_tickets")
    day = models.DateField()
    kind = models.CharField(max_length=1, choices=TicketKind.choices)
    seq = models.PositiveIntegerField()
    number = models.CharField(max_length=8)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="affair_tickets"
    )
    token = models.CharField(max_length=24, unique=True)  # the ticket's page on the phone: /affairs/t/<token>/
    status = models.CharField(max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    checked_in_at = models.DateTimeField(default=timezone.now)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calls = models.PositiveSmallIntegerField(default=0)
    missing = models.JSONField(_("缺少的材料 missing materials"), default=list, blank=True)
    referred_to = models.CharField(_("转办至 referred to"), max_length=120, blank=True)
    note = models.CharField(_("备注 note"), max_length=300, blank=True)
    prereviewed = models.BooleanField(default=False)  # an approved pre-review came with it (metrics: trips saved)

    class Meta:
        ordering = ["place", "day", "checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["place", "day", "kind", "seq"], name="affairs_ticket_number_unique"),
            models.CheckConstraint(condition=Q(kind__in=["A", "W"]), name="affairs_ticket_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["place", "day", "status"]),
            models.Index(fields=["street", "day"]),
        ]
        verbose_name = _("排队号 queue ticket")
        verbose_name_plural = _("排队号 queue tickets")

    def __str__(self) -> str:
        return f"{self.number} · {self.day}"


class QueueTicketEvent(models.Model):
    """Append-only timeline of a ticket (checked in, called, recalled, served ...)."""

    ticket = models.ForeignKey(QueueTicket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class HallCall(models.Model):
    """One call of a number to a window, as the hall screen showed and announced it (recalls too)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(QueueTicket, on_delete=models.CASCADE, related_name="hall_calls")
    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="+")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    recall = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["place", "at"])]


class RemoteSessionStatus(models.TextChoices):
    WAITING = "waiting", _("等待接通")
    ACTIVE = "active", _("通话中")
    ENDED = "ended", _("已结束")
    CANCELLED = "cancelled", _("未接通")


class RemoteSession(models.Model):
    """A video call between a remote point and a centre window (远程帮办): who, when, how long. Media flows
    peer to peer (WebRTC); the server relays only the signalling and keeps this log."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="affair_remote_sessions")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="remote_sessions")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="remote_sessions"
    )
    room = models.CharField(max_length=24, unique=True)
    status = models.CharField(max_length=10, choices=RemoteSessionStatus.choices, default=RemoteSessionStatus.WAITING)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)  # media flowing (reported by the clerk's browser)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=40, blank=True)
    recording = models.BooleanField(default=False)  # the street had recording on (both sides were told)
    # The clerk's browser records the resident's side when `recording`, uploading it in chunks as the call goes
    # (services.remote.remote_recording_append); private storage, served only to the street's administrators.
    recording_file = models.FileField(storage=private_storage, upload_to="affairs/recordings/%Y/%m/", blank=True)
    recording_bytes = models.PositiveBigIntegerField(default=0)
    # Set when the recording's file was deleted past the street's retention (services.remote.remote_recordings_purge);
    # the session and its timeline stay.
    recording_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["street", "status", "created_at"])]
        verbose_name = _("远程帮办记录 remote session")
        verbose_name_plural = _("远程帮办记录 remote sessions")


class RemoteSessionEvent(models.Model):
    """Append-only timeline of a remote session."""

    session = models.ForeignKey(RemoteSession, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


RECORDING_RETENTION_DEFAULT_DAYS = 30
RECORDING_RETENTION_MAX_DAYS = 365


class RemotePolicy(models.Model):
    """A street's remote-window rules: recording stays off unless the street turns it on; when on, both screens
    say so before and during the call."""

    street = models.OneToOneField(Street, on_delete=models.CASCADE, related_name="affairs_remote_policy")
    recording_enabled = models.BooleanField(_("录音录像 record calls"), default=False)
    recording_notice = models.CharField(
        _("录制提示 recording notice"), max_length=200, blank=True, default="本次通话将被录音录像，仅用于业务核查。"
    )
    # PIPL minimisation: a recording is kept only as long as a check of the affair may need it, then deleted.
    recording_retention_days = models.PositiveSmallIntegerField(
        _("录像保存天数 keep recordings (days)"), default=RECORDING_RETENTION_DEFAULT_DAYS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    recording_retention_days__gte=1, recording_retention_days__lte=RECORDING_RETENTION_MAX_DAYS
                ),
                name="affairs_remotepolicy_retention_range",
            ),
        ]
        verbose_name = _("远程帮办规则 remote policy")
        verbose_name_plural = _("远程帮办规则 remote policies")
