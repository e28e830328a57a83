"""Forms for the sign-in and account pages (parsing only; the services decide)."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}),
    )


class CodeForm(PhoneForm):
    code = forms.RegexField(
        label=_("验证码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("请输入6位数字验证码")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6", "pattern": "[0-9]{6}"}
        ),
    )


# "1948", or a date of birth ("1948-05-03", "1948/5/3", "1948年5月3日"): only the year is kept (PIPL).
_BIRTH = re.compile(r"^\s*(\d{4})\s*(?:(?:[-/.年]\s*\d{1,2}\s*(?:[-/.月]\s*\d{1,2}\s*日?)?\s*月?)|年)?\s*$")


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("称呼"), max_length=50, required=False)
    birth_year = forms.CharField(
        label=_("出生年份（或出生日期）"),
        required=False,
        max_length=20,
        help_text=_("只保存年份。60岁以上可预约长者活动、享受长者价。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "bday-year", "placeholder": "1948"}),
    )
    language = forms.ChoiceField(label=_("语言"), choices=[("", _("跟随浏览器")), *settings.LANGUAGES], required=False)

    def clean_birth_year(self) -> int | None:
        raw = (self.cleaned_data.get("birth_year") or "").strip()
        if not raw:
            return None
        match = _BIRTH.match(raw)
        if match is None:
            raise forms.ValidationError(_("请填写4位出生年份，如 1948"), code="invalid")
        return int(match.group(1))
