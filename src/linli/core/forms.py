"""Forms for the sign-in and account pages (parsing only; the services decide)."""

from __future__ import annotations

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


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("称呼"), max_length=50, required=False)
    language = forms.ChoiceField(label=_("语言"), choices=[("", _("跟随浏览器")), *settings.LANGUAGES], required=False)
