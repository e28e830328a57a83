"""Back office for activities. Street admins see their streets' rows only; writes go through the services
(notices, waitlist promotion and the booking state machine are never bypassed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity, ActivitySeries, Booking, BookingEvent
from linli.activities.services.activities import EDITABLE_FIELDS, activity_cancel, activity_create, activity_update
from linli.activities.services.bookings import booking_cancel
from linli.core.admin import StreetScopedAdmin, admin_street_ids
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import both_languages
from linli.core.phones import mask_phone

ACTIVITY_FIELDS = EDITABLE_FIELDS  # the back office edits what the services allow to change


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActivityAdminForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ("street", "external_id", *ACTIVITY_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        street = data.get("street") or getattr(self.instance, "street", None)
        place = data.get("place")
        if place is not None and street is not None and place.street_id != street.pk:
            self.add_error("place", "地点不属于该街道 The venue belongs to another street")
        return data


@admin.register(Activity)
class ActivityAdmin(StreetScopedAdmin):
    form = ActivityAdminForm
    list_display = ("title", "street", "place", "start", "category", "status", "capacity", "booked", "waitlisted")
    list_filter = ("street", "status", "category", "audience")
    search_fields = ("title", "external_id", "organiser", "place__name")
    date_hierarchy = "start"
    readonly_fields = ("booked", "waitlisted", "series", "created_at", "updated_at")
    fields = ("street", "external_id", *ACTIVITY_FIELDS, "booked", "waitlisted", "series", "created_at", "updated_at")
    list_select_related = ("street", "place")
    actions = ("cancel_selected",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is not None:  # the street and id of an existing activity are fixed; cancel via the action
            return (*self.readonly_fields, "street", "external_id")
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # bookings hang off it; cancel instead (everyone booked is told)

    def save_model(self, request: HttpRequest, obj: Activity, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data.get(name) for name in ACTIVITY_FIELDS if name in form.cleaned_data}
        try:
            if change:
                current = Activity.objects.get(pk=obj.pk)
                changed = {k: v for k, v in values.items() if k in form.changed_data}
                status = changed.pop("status", None)
                if status == "cancelled":
                    activity_cancel(activity=current, actor=request_user(request))
                elif status is not None:
                    changed["status"] = status
                if changed:
                    activity_update(activity=current, actor=request_user(request), **changed)
                obj.refresh_from_db()
            else:
                created = activity_create(
                    street=form.cleaned_data["street"],
                    external_id=form.cleaned_data.get("external_id") or None,
                    actor=request_user(request),
                    **values,
                )
                obj.pk = created.pk
                obj.refresh_from_db()
        except Problem as problem:
            details = "; ".join(f"{e.get('field')}: {both_languages(e.get('message'))}" for e in problem.errors)
            self.message_user(
                request,
                f"未保存 Not saved: {both_languages(problem.title)} {both_languages(problem.detail)} {details}",
                messages.ERROR,
            )

    @admin.action(description=_("取消所选活动并通知已预约者 Cancel and tell everyone booked"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        told = 0
        for activity in queryset:
            told += activity_cancel(activity=activity, actor=request_user(request))
        self.message_user(request, f"已取消 {queryset.count()} 个活动，通知 {told} 人 / {told} people told")


@admin.register(ActivitySeries)
class ActivitySeriesAdmin(StreetScopedAdmin):
    list_display = ("title", "street", "place", "rrule", "dtstart")
    list_filter = ("street",)
    search_fields = ("title", "external_id")
    readonly_fields = ("street", "place", "external_id", "title", "rrule", "dtstart", "duration_minutes")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # series come from the calendar import or the staff pages

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(StreetScopedAdmin):
    """Read-mostly: bookings change only through the state machine (the cancel action here)."""

    street_path = "activity__street"
    list_display = ("code", "activity", "person", "status", "source", "created_at", "waitlisted_at")
    list_filter = ("status", "source", "activity__street")
    search_fields = ("code", "activity__title")
    list_select_related = ("activity", "user")
    fields = (
        "code",
        "activity",
        "person",
        "status",
        "source",
        "created_at",
        "waitlisted_at",
        "confirmed_at",
        "cancelled_at",
        "checked_in_at",
        "reminded_day_before_at",
        "reminded_two_hours_at",
    )
    readonly_fields = fields
    inlines = (BookingEventInline,)
    actions = ("cancel_selected",)

    @admin.display(description=_("预约人 person"))
    def person(self, obj: Booking) -> str:
        return f"{obj.user.display_name} {mask_phone(obj.user.phone)}".strip()

    def _obj_ok(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True

        return obj.activity.street_id in admin_street_ids(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # actions yes, field edits no

    @admin.action(description=_("取消所选预约（候补者自动递补）Cancel (the waitlist moves up)"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        done, refused = 0, 0
        for booking in queryset.select_related("activity", "activity__street", "activity__place"):
            try:
                booking_cancel(booking=booking, actor=request.user, reason="admin")
                done += 1
            except Problem:
                refused += 1
        level = messages.WARNING if refused else messages.SUCCESS
        self.message_user(
            request, f"已取消 {done} 个，{refused} 个无法取消 / {done} cancelled, {refused} refused", level
        )
