"""Tenancy (streets, committees, grids, compounds), people, roles, tokens, SMS codes and the audit log."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.phones import mask_phone, normalize_phone


class Street(models.Model):
    """A subdistrict (街道): the tenant every other row belongs to."""

    code = models.SlugField(_("代码 code"), max_length=40, unique=True)
    name = models.CharField(_("名称 name"), max_length=100)
    name_en = models.CharField(_("英文名 English name"), max_length=100, blank=True)
    district = models.CharField(_("区 district"), max_length=100, blank=True)
    city = models.CharField(_("市 city"), max_length=50, default="上海市")
    hotline = models.CharField(_("服务热线 hotline"), max_length=40, blank=True)
    center_lat = models.FloatField(_("中心纬度 centre latitude"), null=True, blank=True)
    center_lng = models.FloatField(_("中心经度 centre longitude"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据 sample data"), default=False)
    booking_limit = models.PositiveSmallIntegerField(
        _("每人未开始活动预约上限 simultaneous future bookings per person"), default=5
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("街道 street")
        verbose_name_plural = _("街道 streets")

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    """A residents' committee (居委会)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="committees")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["street", "external_id"]
        constraints = [models.UniqueConstraint(fields=["street", "external_id"], name="committee_ext_unique")]
        verbose_name = _("居委 residents' committee")
        verbose_name_plural = _("居委 residents' committees")

    def __str__(self) -> str:
        return self.name


class GridLevel(models.TextChoices):
    HQ = "hq", _("总网格 HQ")
    WORKSTATION = "workstation", _("工作站 workstation")
    UNIT = "unit", _("单元 unit")


GRID_LEVEL_DEPTH = {GridLevel.HQ: 0, GridLevel.WORKSTATION: 1, GridLevel.UNIT: 2}


class Grid(models.Model):
    """A governance grid (网格): HQ → workstation → unit ("一总三站多单元"), a GeoJSON (Multi)Polygon."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="grids")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    level = models.CharField(max_length=16, choices=GridLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geometry = models.JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS-84")
    min_lat = models.FloatField()
    min_lng = models.FloatField()
    max_lat = models.FloatField()
    max_lng = models.FloatField()

    class Meta:
        ordering = ["street", "level", "external_id"]
        constraints = [models.UniqueConstraint(fields=["street", "external_id"], name="grid_ext_unique")]
        verbose_name = _("网格 grid")
        verbose_name_plural = _("网格 grids")

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """A residential compound (小区)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="compounds")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200, blank=True)
    geometry = models.JSONField(help_text="GeoJSON Point or Polygon, WGS-84")
    lat = models.FloatField()
    lng = models.FloatField()
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="compounds")
    committee = models.ForeignKey(Committee, null=True, blank=True, on_delete=models.SET_NULL, related_name="compounds")

    class Meta:
        ordering = ["street", "external_id"]
        constraints = [models.UniqueConstraint(fields=["street", "external_id"], name="compound_ext_unique")]
        verbose_name = _("小区 compound")
        verbose_name_plural = _("小区 compounds")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: object) -> User:
        user = self.model(phone=normalize_phone(phone), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by a mainland mobile number in E.164 form (+86...)."""

    phone = models.CharField(_("手机号 phone"), max_length=20, unique=True)
    display_name = models.CharField(_("称呼 display name"), max_length=50, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the back office (Django admin).")
    elder_mode = models.BooleanField(_("长辈模式 elder mode"), default=False)
    language = models.CharField(max_length=10, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("出生年份 birth year"), null=True, blank=True, help_text="only the year: enough for elder tiers (PIPL)"
    )
    home_street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.SET_NULL, related_name="residents")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []  # noqa: RUF012

    class Meta:
        verbose_name = _("用户 user")
        verbose_name_plural = _("用户 users")

    def __str__(self) -> str:
        return self.display_name or mask_phone(self.phone)


class Role(models.TextChoices):
    ADMIN = "admin", _("街道管理员 street administrator")
    STATION_STAFF = "station_staff", _("站点工作人员 station staff")
    GRID_WORKER = "grid_worker", _("网格员 grid worker")
    SAFETY_OFFICER = "safety_officer", _("平安专员 safety officer")
    KITCHEN_OPERATOR = "kitchen_operator", _("厨房操作员 kitchen operator")
    PROPERTY_MANAGER = "property_manager", _("物业 property manager")
    FOOD_SUPERVISOR = "food_supervisor", _("食安监督员 food-safety supervisor")
    RIDER = "rider", _("骑手 rider")
    SOCIAL_WORKER = "social_worker", _("社工 social worker")
    CARE_LEAD = "care_lead", _("关爱负责人 care lead")
    EMPLOYMENT_WORKER = "employment_worker", _("就业服务专员 employment station worker")
    EMPLOYMENT_HEAD = "employment_head", _("就业服务站站长 employment station head")
    BUILDING_HEAD = "building_head", _("楼组长 building-group head")


STAFF_ROLES = frozenset(r for r in Role if r != Role.RIDER)


class RoleAssignment(models.Model):
    """A role held by a person in one street. Riders too hold a street-scoped role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="workers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "street", "role"], name="role_assignment_unique")]
        verbose_name = _("角色 role")
        verbose_name_plural = _("角色 roles")

    def __str__(self) -> str:
        return f"{self.user} · {self.street.code} · {self.role}"


class ApiToken(models.Model):
    """A bearer token for devices, scripts and tests. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌 API token")
        verbose_name_plural = _("接口令牌 API tokens")


class SmsCode(models.Model):
    """A one-time sign-in code. Only a salted digest is stored."""

    phone = models.CharField(max_length=20, db_index=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)


class AuditLog(models.Model):
    """Append-only record of who did what to which object (writes and views of sensitive data)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("审计日志 audit log")
        verbose_name_plural = _("审计日志 audit log")


class IdempotencyKey(models.Model):
    """The stored answer to a create request a phone may retry (`Idempotency-Key` header).

    The first request with a key runs and stores its status and body; a retry with the same key, user and
    scope gets the stored answer and creates nothing (the unique constraint decides a race). A request with the
    same key but another body is refused (`idempotency_key_reused`), not answered with the first one's answer.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=128)
    # What the first request asked (linli.core.idempotency.request_fingerprint): a retry must ask the same.
    request_hash = models.CharField(max_length=64, default="", blank=True)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique")]


# The holiday table lives in its own module; imported here so Django registers it with the core app.
from linli.core.holidays.models import Holiday, HolidayKind, HolidayYear  # noqa: E402, F401
