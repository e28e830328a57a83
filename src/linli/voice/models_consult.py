"""日日清约请 consultations: a committee records a problem, invites the departments and companies responsible
(each through its own signed link, no account needed), meets them face to face, records who came, the decisions
and the action items, and tracks each action to closure; overdue actions escalate to the street."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Committee, Street, User


class ConsultationSource(models.TextChoices):
    NEED = "need", _("居民需求")
    CASE = "case", _("事件")
    SURVEY = "survey", _("问卷")
    WALK_IN = "walk_in", _("来访")


class ConsultationStatus(models.TextChoices):
    INVITING = "inviting", _("邀约中")
    SCHEDULED = "scheduled", _("已约定会面")
    MET = "met", _("已会面，落实中")
    CLOSED = "closed", _("已办结")
    CANCELLED = "cancelled", _("已取消")


class Consultation(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="voice_consultations")
    title = models.CharField(_("标题 title"), max_length=120)
    problem = models.TextField(_("问题 problem"), max_length=2000)
    source = models.CharField(max_length=16, choices=ConsultationSource.choices, default=ConsultationSource.WALK_IN)
    source_ref = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.INVITING)
    meeting_at = models.DateTimeField(null=True, blank=True)
    venue = models.CharField(max_length=120, blank=True)
    booking_ref = models.CharField(max_length=40, blank=True)
    attendees = models.TextField(blank=True, max_length=1000)
    decisions = models.TextField(blank=True, max_length=4000)
    outcome = models.TextField(_("结果 outcome"), blank=True, max_length=2000)
    raised_by = models.JSONField(default=list, blank=True)  # user ids of the residents who raised the problem
    confirmed_by = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["street", "committee", "status"])]
        verbose_name = _("日日清约请 consultation")
        verbose_name_plural = _("日日清约请 consultations")

    def __str__(self) -> str:
        return self.title


class ConsultationEvent(models.Model):
    """The append-only timeline of a consultation (status moves, invitations answered, actions done)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("已邀请")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已婉拒")


def _nonce() -> str:
    return secrets.token_urlsafe(12)


class Invitation(models.Model):
    """One invited party. Its link is signed for this row and its nonce (`services.invitations`): it works for
    this party only, until it expires, and once."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="invitations")
    party = models.CharField(_("单位 party"), max_length=100)
    contact_phone = models.CharField(max_length=20, blank=True)
    nonce = models.CharField(max_length=24, default=_nonce)
    status = models.CharField(max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.SENT)
    attendee_names = models.CharField(max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "id"]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


class ActionItem(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("事项 action"), max_length=200)
    owner = models.CharField(_("责任方 owner"), max_length=100)
    due_on = models.DateField(_("期限 due"))
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    evidence = models.CharField(_("完成情况 evidence"), max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["consultation", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]
