"""Hazard reports and the cases they become: categories with SLAs, merging, routing to grids, the work-order
life cycle with its timeline, photos, sentinel points for riders, and Open311 client keys.

A *report* is what one person sent (a rider's photo of a blocked fire passage); a *case* is the problem in the
street that staff handle. Reports of the same problem close by in place and time merge into one case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Grid, Street


class CaseCategory(models.Model):
    """A kind of problem a street handles, with its service levels, merge rule and who receives it.

    `roles` are the roles told of a new case besides the grid worker(s) of its grid (e.g. `safety_officer`).
    `urgent` categories are also sent by SMS. `points` are the sentinel points a verified report earns."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="case_categories")
    code = models.SlugField(_("代码 code"), max_length=40)
    name_zh = models.CharField(_("名称 name"), max_length=60)
    name_en = models.CharField(_("英文名 English name"), max_length=80, blank=True)
    description = models.CharField(_("说明 description"), max_length=300, blank=True)
    response_minutes = models.PositiveIntegerField(_("响应时限（分钟）response target (minutes)"), default=60)
    resolution_minutes = models.PositiveIntegerField(_("办结时限（分钟）resolution target (minutes)"), default=1440)
    merge_radius_m = models.PositiveIntegerField(_("合并半径（米）merge radius (m)"), default=50)
    merge_window_hours = models.PositiveIntegerField(_("合并时间窗（小时）merge window (hours)"), default=24)
    roles = models.JSONField(_("接收角色 receiving roles"), default=list, blank=True)
    urgent = models.BooleanField(_("紧急（短信通知）urgent (SMS)"), default=False)
    points = models.PositiveSmallIntegerField(_("哨兵积分 sentinel points"), default=10)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["street", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="case_category_street_code")]
        verbose_name = _("事件类别 case category")
        verbose_name_plural = _("事件类别 case categories")

    def __str__(self) -> str:
        return self.name_zh


class CaseStatus(models.TextChoices):
    NEW = "new", _("新建")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    IN_PROGRESS = "in_progress", _("处置中")
    RESOLVED = "resolved", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("已驳回")
    MERGED = "merged", _("已合并")  # absorbed into another case by staff; follows that case


class Queue(models.TextChoices):
    GRID = "grid", _("网格")
    HQ = "hq", _("街道指挥部")


class Case(models.Model):
    """A problem at a place, handled by the grid that holds the point (or the street HQ's queue)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="cases")
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    queue = models.CharField(max_length=8, choices=Queue.choices, default=Queue.GRID)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed")
    reports_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="the 75 % SLA reminder was sent")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="escalated to the street HQ at breach")
    resolution_note = models.TextField(blank=True)
    closing_note = models.TextField(blank=True)
    reject_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "status", "category"]),
            models.Index(fields=["street", "grid", "status"]),
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["category", "status", "created_at"]),
        ]
        verbose_name = _("事件 case")
        verbose_name_plural = _("事件 cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"


class Open311Client(models.Model):
    """An Open311 GeoReport v2 client (a partner app, the 12345 hotline's bridge) with its API key.
    Only the key's SHA-256 digest is stored; staff see the key once, when it is issued."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="open311_clients")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["street", "name"]
        verbose_name = _("Open311 客户端 Open311 client")
        verbose_name_plural = _("Open311 客户端 Open311 clients")

    def __str__(self) -> str:
        return self.name


class ReportSource(models.TextChoices):
    APP = "app", _("邻里")
    OPEN311 = "open311", _("Open311")
    STAFF = "staff", _("工作人员")


class Report(models.Model):
    """One person's report. It belongs to the case it created or merged into (`case`)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="reports")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazard_reports"
    )
    source = models.CharField(max_length=10, choices=ReportSource.choices, default=ReportSource.APP)
    open311_client = models.ForeignKey(
        Open311Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    token = models.CharField(max_length=36, unique=True, help_text="Open311 token (tokens/{id})")
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    # Open311 contact fields (stored minimally; phone masked wherever listed).
    contact_name = models.CharField(max_length=100, blank=True)
    contact_email = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reporter", "created_at"])]
        verbose_name = _("上报 report")
        verbose_name_plural = _("上报 reports")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("上报照片")
    AFTER = "after", _("处置后照片")


class CasePhoto(models.Model):
    """A photo of a report (before) or of the resolution (after): validated, re-encoded, metadata stripped
    (linli.core.photos)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    image = models.FileField(upload_to="cases/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class CaseEvent(models.Model):
    """Append-only timeline of a case: transitions, merges and splits, reminders and escalations."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(
        max_length=20, default="transition"
    )  # transition|report|merge|split|remind|escalate|assign
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class SentinelPoints(models.Model):
    """Points a rider earned for a verified report ("mobile sentinel"); one entry per report."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sentinel_points")
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="points")
    points = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="sentinel_points_positive")]
