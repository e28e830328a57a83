"""Volunteers, citizen stations and the service menu: profiles, teams, shifts and sign-ups, the time bank's
double-entry ledger, service items and their claims. Tables and invariants only; workflows live in services/."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street
from linli.places.models import Place

SKILLS = (
    ("reception", _("接待引导")),
    ("teaching", _("授课")),
    ("catering", _("助餐服务")),
    ("haircut", _("理发")),
    ("repair", _("家电维修")),
    ("health", _("健康咨询")),
    ("legal", _("法律咨询")),
    ("calligraphy", _("书法")),
    ("language", _("外语")),
    ("it", _("智能手机辅导")),
)
SKILL_CODES = frozenset(code for code, _label in SKILLS)


def _new_key() -> bytes:
    return secrets.token_bytes(32)


class Station(models.Model):
    """A citizen station (市民驿站 / 党群服务站): where shifts happen and the service menu is published."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="volunteer_stations")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("名称 name"), max_length=120)
    address = models.CharField(_("地址 address"), max_length=200, blank=True)
    code_key = models.BinaryField(default=_new_key, editable=False)  # signs the rotating check-in code
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "name"]
        verbose_name = _("市民驿站 citizen station")
        verbose_name_plural = _("市民驿站 citizen stations")

    def __str__(self) -> str:
        return self.name


class TeamKind(models.TextChoices):
    COMPANY = "company", _("企业")
    SCHOOL = "school", _("学校")
    PARTY_BRANCH = "party_branch", _("党支部")
    HOTEL = "hotel", _("酒店")
    OLD_BRAND = "old_brand", _("老字号")
    COMMUNITY = "community", _("社区团队")


class Team(models.Model):
    """A volunteer team or an enterprise that takes orders from the service menu. Verified by station staff;
    a company's unified social credit code (统一社会信用代码) passes its checksum."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="volunteer_teams")
    name = models.CharField(_("名称 name"), max_length=120)
    kind = models.CharField(_("类型 kind"), max_length=16, choices=TeamKind.choices)
    credit_code = models.CharField(_("统一社会信用代码 credit code"), max_length=18, blank=True)
    contact_name = models.CharField(max_length=50, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="volunteer_teams_managed", blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="vol_team_name_unique")]
        verbose_name = _("志愿团队/企业 team")
        verbose_name_plural = _("志愿团队/企业 teams")

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A resident's volunteer profile in one street. Private to that street's station staff and the person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profiles")
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="volunteers")
    name = models.CharField(_("姓名 name"), max_length=50)
    skills = models.JSONField(default=list, blank=True)  # codes from SKILLS
    tags = models.JSONField(default=list, blank=True)  # free tags
    languages = models.JSONField(default=list, blank=True)
    availability = models.JSONField(default=dict, blank=True)  # {"mo": ["am", "pm"], ...}
    stations = models.ManyToManyField(Station, related_name="volunteers", blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    emergency_name = models.CharField(max_length=50, blank=True)
    emergency_phone = models.CharField(max_length=20, blank=True)
    consent_at = models.DateTimeField()
    real_name_verified_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "street"], name="vol_volunteer_unique")]
        verbose_name = _("志愿者 volunteer")
        verbose_name_plural = _("志愿者 volunteers")

    def __str__(self) -> str:
        return self.name


class ShiftKind(models.TextChoices):
    OPENING = "opening", _("开门值守")
    DINING = "dining", _("助餐堂食区")
    TEACHING = "teaching", _("授课")
    DUTY_MANAGER = "duty_manager", _("周末值班经理")
    OTHER = "other", _("其他")


class Shift(models.Model):
    """One shift at a station. `taken` counts live sign-ups and never passes `places` (a conditional UPDATE)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="shifts")
    kind = models.CharField(_("类型 kind"), max_length=16, choices=ShiftKind.choices, default=ShiftKind.OTHER)
    title = models.CharField(_("标题 title"), max_length=120)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    places = models.PositiveIntegerField(_("人数 places"))
    taken = models.PositiveIntegerField(default=0, editable=False)
    skills = models.JSONField(default=list, blank=True)  # every one is needed
    series = models.CharField(max_length=64, blank=True, db_index=True)  # the RRULE batch it came from
    rrule = models.CharField(max_length=300, blank=True)
    drop_deadline_hours = models.PositiveSmallIntegerField(default=12)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=models.F("places")), name="vol_shift_not_over"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="vol_shift_ends_after_start"),
        ]
        verbose_name = _("班次 shift")
        verbose_name_plural = _("班次 shifts")

    def __str__(self) -> str:
        return f"{self.title} {self.start:%Y-%m-%d %H:%M}"


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    DROPPED = "dropped", _("已退出")
    SWAPPED = "swapped", _("已换班")
    CHECKED_IN = "checked_in", _("已签到")
    CHECKED_OUT = "checked_out", _("已签退")
    VERIFIED = "verified", _("时长已核定")
    NO_SHOW = "no_show", _("未到")


LIVE_SIGNUP = (SignupStatus.SIGNED_UP, SignupStatus.CHECKED_IN, SignupStatus.CHECKED_OUT, SignupStatus.VERIFIED)


class Signup(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="signups")
    status = models.CharField(max_length=16, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP)
    created_at = models.DateTimeField(default=timezone.now)
    dropped_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveIntegerField(default=0)  # verified minutes

    class Meta:
        ordering = ["shift__start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"], condition=Q(status__in=[s.value for s in LIVE_SIGNUP]),
                name="vol_signup_live_unique",
            ),
        ]  # fmt: skip
        verbose_name = _("报名 sign-up")
        verbose_name_plural = _("报名 sign-ups")


class SignupConfirmation(models.Model):
    """A resident served during a shift (at the canteen's dining area, at the desk) confirms the volunteer was
    there, by the QR code the volunteer shows; station staff see the count when they verify the hours."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signup", "user"], name="vol_confirmation_once")]


class SwapStatus(models.TextChoices):
    PENDING = "pending", _("等待对方确认")
    ACCEPTED = "accepted", _("对方已接班")
    DECLINED = "declined", _("对方没有接班")


class SwapRequest(models.Model):
    """A volunteer asks a fellow volunteer to take over their place; the place moves only when they accept
    (before the shift's drop deadline). One pending request per sign-up."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="swap_requests")
    to = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="swap_requests_received")
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["signup"], condition=Q(status="pending"), name="vol_swap_one_pending"),
        ]


class SignupEvent(models.Model):
    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class AccountKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿者")
    TEAM = "team", _("团队")
    STATION = "station", _("驿站")


class Account(models.Model):
    """A time-bank account (minutes). A station's account issues the hours it verifies and goes negative; a
    volunteer's or team's never goes below zero. `balance` is the sum of its entries (checked by the tests)."""

    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    volunteer = models.OneToOneField(Volunteer, null=True, blank=True, on_delete=models.CASCADE, related_name="account")
    team = models.OneToOneField(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="account")
    station = models.OneToOneField(Station, null=True, blank=True, on_delete=models.CASCADE, related_name="account")
    balance = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind="station") | Q(balance__gte=0), name="vol_account_not_negative"),
        ]


class TransferKind(models.TextChoices):
    SHIFT = "shift", _("值班时长")
    CLASS = "class", _("授课时长")
    SERVICE = "service", _("服务菜单")
    EXCHANGE = "exchange", _("时间银行互助")
    ADJUST = "adjust", _("调整")


class Transfer(models.Model):
    """One movement of minutes: its entries sum to zero. `ref` makes a credit happen once (e.g. "signup:12")."""

    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=64, unique=True, null=True, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)


class Entry(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    minutes = models.IntegerField()  # + credit, - debit

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(minutes=0), name="vol_entry_not_zero")]


class OfferKind(models.TextChoices):
    OFFER = "offer", _("我能提供")
    REQUEST = "request", _("我需要")


class Offer(models.Model):
    """A time-bank offer or request between volunteers (TimeOverflow's offers and inquiries)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="offers")
    kind = models.CharField(max_length=8, choices=OfferKind.choices)
    title = models.CharField(max_length=120)
    minutes = models.PositiveIntegerField(default=60)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)


class CourseStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    APPROVED = "approved", _("已通过")
    DECLINED = "declined", _("未通过")


class Course(models.Model):
    """A class a volunteer teacher proposes; approved, it becomes activities (sessions, booking, waitlist)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="courses")
    teacher = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="courses")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    first_start = models.DateTimeField()
    minutes = models.PositiveIntegerField(default=90)
    sessions = models.PositiveSmallIntegerField(default=4)
    capacity = models.PositiveIntegerField(default=20)
    status = models.CharField(max_length=12, choices=CourseStatus.choices, default=CourseStatus.PROPOSED)
    approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    activity_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "pk"]


class ItemStatus(models.TextChoices):
    OPEN = "open", _("接单中")
    CLOSED = "closed", _("已截止")


class ServiceItem(models.Model):
    """An item of a station's service menu (服务菜单): what is needed and for how many residents. `claimed`
    counts the people the live claims commit and never passes `people_needed`."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="service_items")
    title = models.CharField(_("服务 title"), max_length=120)
    description = models.TextField(blank=True)
    skills = models.JSONField(default=list, blank=True)
    date = models.DateField()
    people_needed = models.PositiveIntegerField(default=1)
    claimed = models.PositiveIntegerField(default=0, editable=False)
    capacity = models.PositiveIntegerField(default=30)  # residents it can serve
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(claimed__lte=models.F("people_needed")), name="vol_item_not_over"),
        ]

    @property
    def coverage(self) -> str:
        """Sahana's commitment status: none / partial / complete."""
        if self.claimed <= 0:
            return "none"
        return "complete" if self.claimed >= self.people_needed else "partial"


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("已接单")
    DELIVERED = "delivered", _("已上报")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("未通过")


LIVE_CLAIM = (ClaimStatus.CLAIMED, ClaimStatus.DELIVERED, ClaimStatus.CONFIRMED)


class Claim(models.Model):
    """A team's, an enterprise's or a volunteer's order taken from the menu (接单)."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="claims")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    volunteer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    people = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED)
    served = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)  # hours reported, per person summed
    report = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(volunteer__isnull=False), name="vol_claim_has_claimant"
            ),
        ]


class ClaimPhoto(models.Model):
    """A photo of a claim's delivery, uploaded with the report: checked and re-encoded without metadata
    (linli.core.photos). Shown to the claimant and the street's station staff only."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="volunteers/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]


class ClaimEvent(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class Rating(models.Model):
    """A resident who took part rates a claim's delivery (and so confirms it happened)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "user"], name="vol_rating_once"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="vol_rating_stars"),
        ]
