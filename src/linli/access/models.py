"""Rider gate access: gates on compounds, the property managers of compounds, delivery partners, verified rider
credentials, each compound's access policy, every tap (the audit trail) and the alerts on unusual patterns.

The platform never stores a gate's device secret: only the two keys derived from it (`token_key` signs the QR
tokens, `command_key` signs open commands and the controller's events; see `gatewire.protocol`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Compound, Street


class Transport(models.TextChoices):
    MQTT = "mqtt", "MQTT"
    HTTP = "http", _("HTTP 轮询")


class Gate(models.Model):
    """A controlled entrance of a compound (a door, a barrier), driven by a controller over MQTT or HTTP."""

    public_id = models.CharField(max_length=13, unique=True)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="gates")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(_("名称 name"), max_length=60)
    device_id = models.CharField(_("设备编号 device id"), max_length=64, blank=True)
    token_key = models.BinaryField(max_length=32)
    command_key = models.BinaryField(max_length=32)
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.MQTT)
    active = models.BooleanField(default=True)
    # The display link a screen opens without signing in: a long random key, null when revoked.
    display_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["compound", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "device_id"], condition=~models.Q(device_id=""), name="gate_device_unique"
            )
        ]
        verbose_name = _("门禁 gate")
        verbose_name_plural = _("门禁 gates")

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class CompoundManager(models.Model):
    """A property manager (物业) in charge of one compound's gates, policy and access log."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_compounds")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="managers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "compound"], name="compound_manager_unique")]
        verbose_name = _("小区物业 compound manager")
        verbose_name_plural = _("小区物业 compound managers")


class Partner(models.Model):
    """A delivery platform as one street knows it (饿了么, 美团 ...). `assertion_key` (base64url, 32 bytes) signs the
    partner's assertions that a rider is theirs (HS256); empty: this partner verifies nobody by assertion."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="delivery_partners")
    code = models.SlugField(_("代码 code"), max_length=40)
    name = models.CharField(_("名称 name"), max_length=60)
    assertion_key = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["street", "code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="partner_street_code"),
            models.UniqueConstraint(fields=["street", "name"], name="partner_street_name"),
        ]
        verbose_name = _("配送平台 delivery partner")
        verbose_name_plural = _("配送平台 delivery partners")

    def __str__(self) -> str:
        return self.name


class CredentialStatus(models.TextChoices):
    VERIFIED = "verified", _("已认证")
    SUSPENDED = "suspended", _("已暂停")
    REVOKED = "revoked", _("已吊销")


class VerifiedBy(models.TextChoices):
    STAFF = "staff", _("工作人员审核")
    PARTNER = "partner", _("平台签名认证")


class RiderCredential(models.Model):
    """A rider verified by one street: real name, partner, how and until when. One per rider and street."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rider_credentials")
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="rider_credentials")
    partner = models.ForeignKey(Partner, on_delete=models.RESTRICT, related_name="credentials")
    real_name = models.CharField(_("姓名 real name"), max_length=40)
    partner_rider_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=CredentialStatus.choices, default=CredentialStatus.VERIFIED)
    verified_by = models.CharField(max_length=10, choices=VerifiedBy.choices, default=VerifiedBy.STAFF)
    verified_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    photo = models.ImageField(upload_to="access/riders/%Y/%m/", blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "street"], name="rider_credential_unique")]
        verbose_name = _("骑手认证 rider credential")
        verbose_name_plural = _("骑手认证 rider credentials")

    def __str__(self) -> str:
        return f"{self.real_name} · {self.partner_id} · {self.status}"


class AssertionNonce(models.Model):
    """A partner assertion's `jti`, kept so an assertion is accepted once."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "jti"], name="assertion_nonce_unique")]


class AccessPolicy(models.Model):
    """Who may enter a compound by tap, and when. No row: rider access on, all day, any partner of the street."""

    compound = models.OneToOneField(Compound, on_delete=models.CASCADE, related_name="access_policy")
    riders_allowed = models.BooleanField(_("允许骑手通行 rider access"), default=True)
    hours_from = models.TimeField(null=True, blank=True)  # both null: all day; from > until: across midnight
    hours_until = models.TimeField(null=True, blank=True)
    partners = models.JSONField(default=list, blank=True)  # partner codes of the street; empty: all
    other_streets = models.BooleanField(default=False)  # admit riders verified by another street
    max_per_hour = models.PositiveSmallIntegerField(null=True, blank=True)  # entries per rider per hour
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("通行策略 access policy")
        verbose_name_plural = _("通行策略 access policies")


class Decision(models.TextChoices):
    ALLOW = "allow", _("通行")
    DENY = "deny", _("拒绝")


class Tap(models.Model):
    """One tap, allowed or denied: the audit trail. `outcome` is the open command's result for allowed taps."""

    at = models.DateTimeField(default=timezone.now)
    street = models.ForeignKey(Street, null=True, on_delete=models.CASCADE, related_name="+")  # null: unknown gate
    compound = models.ForeignKey(Compound, null=True, on_delete=models.CASCADE, related_name="+")
    gate = models.ForeignKey(Gate, null=True, on_delete=models.CASCADE, related_name="taps")
    rider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    credential = models.ForeignKey(RiderCredential, null=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(max_length=5, choices=Decision.choices)
    reason = models.CharField(max_length=24, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    command_id = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    opened = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["street", "-at"], name="tap_street_at"),
            models.Index(fields=["gate", "-at"], name="tap_gate_at"),
            models.Index(fields=["rider", "-at"], name="tap_rider_at"),
        ]
        verbose_name = _("通行记录 tap")
        verbose_name_plural = _("通行记录 taps")


class AlertKind(models.TextChoices):
    RIDER_DENIALS = "rider_denials", _("骑手短时间内多次被拒")
    GATE_OFFLINE_PEAK = "gate_offline_peak", _("午高峰门禁离线")


class AccessAlert(models.Model):
    """An unusual pattern found by the periodic sweep; `key` makes one alert per subject and period."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, null=True, on_delete=models.CASCADE, related_name="+")
    gate = models.ForeignKey(Gate, null=True, on_delete=models.CASCADE, related_name="+")
    rider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    key = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("通行告警 access alert")
        verbose_name_plural = _("通行告警 access alerts")
