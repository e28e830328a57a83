"""Care that comes to the door (issue 17): the register of special groups, emergency and help calls with the
committees' duty rota, daily welfare check-ins and the missed check-in ladder, the 8-hour door-to-door channel
(上门特办), follow-up tasks. Each workflow's status moves through its transition table in `services/*_states.py`
(`linli.core.transitions`), and each keeps an append-only timeline.

Personal data (PIPL): an entry is held only with a recorded consent; phones and ID numbers are masked wherever
they are listed or exported; every staff view of an entry writes an audit row (`services.register`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Committee, Compound, Street, User


class Group(models.TextChoices):
    LIVING_ALONE = "living_alone", _("独居")
    ELDERLY_80 = "elderly_80", _("80岁以上老人")
    DISABLED = "disabled", _("残疾人")
    SERIOUSLY_ILL = "seriously_ill", _("重病患者")
    PREGNANT = "pregnant", _("孕产妇")
    LOW_INCOME = "low_income", _("低保")


class Share(models.TextChoices):
    """What the consent lets the committee share, and with whom."""

    RESPONDERS = "responders", _("紧急时向值班人员显示地址、联系人和健康备注")
    FAMILY = "family", _("紧急时通知家属")
    DOCTOR = "doctor", _("紧急时通知家庭医生")
    VOLUNTEERS = "volunteers", _("志愿者探访时可见姓名和地址")


class Person(models.Model):
    """One entry of a committee's register of special groups."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="care_people")
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_entries")
    name = models.CharField(_("姓名 name"), max_length=50)
    phone = models.CharField(_("手机号 phone"), max_length=20, blank=True)
    id_number = models.CharField(_("身份证号 ID number"), max_length=18, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    groups = models.JSONField(_("类别 groups"), default=list)
    building = models.CharField(_("楼号室号 building and flat"), max_length=60, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    health_notes = models.TextField(_("健康备注 health notes"), blank=True, max_length=2000)
    checkin_enabled = models.BooleanField(_("每日报平安 daily check-in"), default=False)
    checkin_hour = models.PositiveSmallIntegerField(_("报平安截止时间 check-in by (hour)"), default=10)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["committee", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(checkin_hour__lte=23), name="care_person_checkin_hour"),
        ]
        indexes = [models.Index(fields=["street", "committee", "active"])]
        verbose_name = _("关爱对象 registered person")
        verbose_name_plural = _("关爱名册 register of special groups")

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        compound = self.compound.name if self.compound_id and self.compound else ""
        return " ".join(p for p in (compound, self.building) if p)


class Consent(models.Model):
    """Who agreed, when, to what being held and shared. The latest row is the one in force."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("同意人 given by"), max_length=50)
    relation = models.CharField(_("与本人关系 relation"), max_length=20, default="本人")
    given_at = models.DateTimeField(default=timezone.now)
    shares = models.JSONField(default=list)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]


class ContactKind(models.TextChoices):
    FAMILY = "family", _("家属")
    NEIGHBOUR = "neighbour", _("邻居")
    DOCTOR = "doctor", _("家庭医生")


class Contact(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    name = models.CharField(max_length=50)
    relation = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=20)

    class Meta:
        ordering = ["person", "kind", "id"]


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已更正")
    DECLINED = "declined", _("未更正")


class Correction(models.Model):
    """The resident (or family) asks the committee to correct what is held."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="corrections")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(max_length=1000)
    status = models.CharField(max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.CharField(max_length=500, blank=True)


class CallDevice(models.Model):
    """A one-key call device (一键通) in a registered person's home. Only the token's SHA-256 digest is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=60, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class DutyShift(models.Model):
    """A weekly duty slot of a committee's rota: `user` answers calls on `weekday` from `start` to `end` (an end
    at or before the start runs past midnight)."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="care_shifts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_shifts")
    weekday = models.PositiveSmallIntegerField()  # Monday 0
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["committee", "weekday", "start", "id"]
        constraints = [models.CheckConstraint(condition=Q(weekday__lte=6), name="care_shift_weekday")]


# ------------------------------------------------------------------------------------------------ calls


class CallKind(models.TextChoices):
    EMERGENCY = "emergency", _("紧急呼叫")
    HELP = "help", _("求助")
    CHAT = "chat", _("聊天")


class CallSource(models.TextChoices):
    BUTTON = "button", _("手机一键呼叫")
    DEVICE = "device", _("呼叫设备")
    HOTLINE = "hotline", _("热线登记")


class CallStatus(models.TextChoices):
    NEW = "new", _("待响应")
    ESCALATED = "escalated", _("已升级")
    ACKNOWLEDGED = "acknowledged", _("已响应")
    ON_THE_WAY = "on_the_way", _("在路上")
    ON_SITE = "on_site", _("已到场")
    CLOSED = "closed", _("已结束")


class CallAction(models.TextChoices):
    CALLED_120 = "called_120", _("已拨打120")
    FAMILY_TOLD = "family_told", _("已通知家属")
    DOCTOR_TOLD = "doctor_told", _("已通知家庭医生")


class Call(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="care_calls")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    kind = models.CharField(max_length=16, choices=CallKind.choices)
    source = models.CharField(max_length=16, choices=CallSource.choices)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.NEW)
    caller_phone = models.CharField(max_length=20, blank=True)
    address_given = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_the_way_at = models.DateTimeField(null=True, blank=True)
    on_site_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    actions = models.JSONField(default=list)
    outcome = models.CharField(max_length=500, blank=True)
    notified = models.JSONField(default=list)  # user ids the call was pushed to
    push_failed = models.BooleanField(default=False)
    late_steps = models.JSONField(default=list)  # clocks missed: "ack", "on_the_way", "on_site" (each once)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["street", "status"])]


class CallEvent(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


# ---------------------------------------------------------------------------------------- welfare checks


class CheckInSource(models.TextChoices):
    TAP = "tap", _("我很好")
    DEVICE = "device", _("设备心跳")
    VISIT = "visit", _("上门探访")
    CALL = "call", _("电话确认")


class CheckIn(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=16, choices=CheckInSource.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]


class AlertStatus(models.TextChoices):
    REMINDED = "reminded", _("已短信提醒")
    STAFF_CALL = "staff_call", _("待居委电话")
    DOOR_KNOCK = "door_knock", _("待上门敲门")
    FAMILY_TOLD = "family_told", _("已通知家属和医生")
    RESOLVED = "resolved", _("已确认平安")


class Alert(models.Model):
    """A missed daily check-in, one per person and day, climbing the ladder until someone resolves it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="alerts")
    day = models.DateField()
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.REMINDED)
    created_at = models.DateTimeField(default=timezone.now)
    step_at = models.DateTimeField(default=timezone.now)  # when the current step started (its timer)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="care_alert_person_day")]


class AlertEvent(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


# ------------------------------------------------------------------------------------- the 8-hour channel


class VisitStatus(models.TextChoices):
    OPEN = "open", _("待上门")
    ON_SITE = "on_site", _("上门中")
    COMPLETED = "completed", _("已办结")
    FOLLOW_UP = "follow_up", _("需跟进")
    CANCELLED = "cancelled", _("已取消")


class VisitRequest(models.Model):
    """A door-to-door request (上门特办) of a registered person: 8 hours from request to visit."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="care_visits")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="visits")
    what = models.CharField(_("事项 what"), max_length=300)
    item_ref = models.CharField(max_length=80, blank=True)  # an affairs catalogue item, through care.hooks
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=VisitStatus.choices, default=VisitStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_text = models.TextField(blank=True, max_length=2000)
    signature = models.FileField(upload_to="care/signatures/%Y/%m/", blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["street", "status", "due_at"])]


class VisitPhoto(models.Model):
    visit = models.ForeignKey(VisitRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="care/visits/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)


class VisitEvent(models.Model):
    visit = models.ForeignKey(VisitRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


# ------------------------------------------------------------------------------------------- follow-ups


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待回访")
    DONE = "done", _("已回访")
    CANCELLED = "cancelled", _("已取消")


class FollowUp(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="followups")
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups")
    visit = models.ForeignKey(VisitRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups")
    label = models.CharField(max_length=20)  # "24h", "3d", "2w"
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]


class FollowUpEvent(models.Model):
    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


class CarePolicy(models.Model):
    """A street's care clocks (per-street defaults, `linli street defaults`): the telecare-style targets by
    default — acknowledged within 60 s, someone on the way within 5 min, on site within 30 min — and the 8-hour
    channel's reminder and deadline."""

    street = models.OneToOneField(Street, on_delete=models.CASCADE, related_name="care_policy")
    ack_seconds = models.PositiveIntegerField(_("响应时限（秒） acknowledge within (s)"), default=60)
    on_the_way_minutes = models.PositiveIntegerField(_("出发时限（分钟） on the way within (min)"), default=5)
    on_site_minutes = models.PositiveIntegerField(_("到场时限（分钟） on site within (min)"), default=30)
    visit_hours = models.PositiveIntegerField(_("上门特办时限（小时） door-to-door within (h)"), default=8)
    visit_reminder_hours = models.PositiveIntegerField(_("上门特办提醒（小时） reminder after (h)"), default=6)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ack_seconds__gte=10), name="care_policy_ack_min"),
            models.CheckConstraint(
                condition=Q(visit_reminder_hours__lt=models.F("visit_hours")), name="care_policy_visit"
            ),
        ]
        verbose_name = _("关爱时限 care clocks")
        verbose_name_plural = _("关爱时限 care clocks")
