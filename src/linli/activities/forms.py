"""Forms for the activity pages (parsing only; the services decide and raise a Problem when they refuse)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Audience, Category
from linli.core.phones import InvalidPhone, normalize_phone
from linli.places import selectors as place_selectors


class LocalDateTimeInput(forms.DateTimeInput):
    """`<input type="datetime-local">`: the phone's own date and time picker; values in the business zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def place_choices(street: Any) -> list[tuple[int, str]]:
    return [(p.pk, p.name) for p in place_selectors.place_list(street=street)]


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=200)
    place = forms.TypedChoiceField(label=_("场地"), coerce=int)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)
    audience = forms.ChoiceField(label=_("面向"), choices=Audience.choices, initial=Audience.EVERYONE)
    start = forms.DateTimeField(label=_("开始时间"), widget=LocalDateTimeInput())
    end = forms.DateTimeField(label=_("结束时间"), widget=LocalDateTimeInput())
    capacity = forms.IntegerField(
        label=_("名额"), min_value=1, max_value=100000, required=False, help_text=_("留空表示不限名额")
    )
    waitlist_capacity = forms.IntegerField(label=_("候补名额"), min_value=0, max_value=10000, initial=10)
    organiser = forms.CharField(label=_("主办方"), max_length=200, required=False)
    description = forms.CharField(label=_("活动介绍"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    booking_opens_at = forms.DateTimeField(
        label=_("开始预约时间"), widget=LocalDateTimeInput(), required=False, help_text=_("留空表示发布后即可预约")
    )
    booking_closes_at = forms.DateTimeField(
        label=_("截止预约时间"), widget=LocalDateTimeInput(), required=False, help_text=_("留空表示活动开始前都可预约")
    )
    cancel_deadline = forms.DateTimeField(
        label=_("取消截止时间"), widget=LocalDateTimeInput(), required=False, help_text=_("留空表示活动开始前都可取消")
    )
    publish = forms.BooleanField(label=_("立即发布（居民可以看到并预约）"), required=False)

    def __init__(self, *args: Any, places: list[tuple[int, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["place"]).choices = places
        if editing:
            del self.fields["publish"]

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns self.cleaned_data (typed Optional in the stubs)
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("结束时间必须晚于开始时间"))
        closes = data.get("booking_closes_at")
        opens = data.get("booking_opens_at")
        if opens and closes and closes <= opens:
            self.add_error("booking_closes_at", _("截止预约时间必须晚于开始预约时间"))
        return data


class CancelActivityForm(forms.Form):
    message = forms.CharField(
        label=_("告诉已预约居民的话"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="",
        help_text=_("会通过短信发给所有已预约和候补的居民，例如取消原因和改期安排。"),
    )


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("签到码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "enterkeyhint": "go"}
        ),
    )
    payload = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput())

    def clean_code(self) -> str:
        return "".join(self.cleaned_data.get("code", "").split()).upper()

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns self.cleaned_data (typed Optional in the stubs)
        data = self.cleaned_data
        if not data.get("code") and not data.get("payload"):
            self.add_error("code", _("请输入签到码，或扫描居民的二维码"))
        return data


class WalkInForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    display_name = forms.CharField(label=_("称呼"), max_length=50, required=False)

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(_("手机号格式不正确")) from exc
