"""The needs survey's form (staff and the resident share it) and the job form (staff and employers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.models import Compound, Street
from linli.jobs.models import Benefit, Constraint, Education, HoursKind, Shift, Station, TravelMode
from linli.jobs.services.seekers import SeekerValues
from linli.jobs.taxonomy import OCCUPATIONS, SKILLS

Checks = forms.CheckboxSelectMultiple


def occupation_choices() -> list[tuple[str, Any]]:
    return [(code, o.name) for code, o in OCCUPATIONS.items()]


class SeekerForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    compound = forms.ModelChoiceField(label=_("居住小区"), queryset=Compound.objects.none())
    station = forms.ModelChoiceField(label=_("就业服务站"), queryset=Station.objects.none(), required=False)
    occupations = forms.MultipleChoiceField(label=_("想做的职业"), choices=occupation_choices, widget=Checks,
                                            required=False)  # fmt: skip
    skills = forms.MultipleChoiceField(label=_("会的技能"), choices=list(SKILLS.items()), widget=Checks,
                                       required=False)  # fmt: skip
    experience_years = forms.IntegerField(label=_("工作年限"), min_value=0, max_value=70, initial=0)
    education = forms.ChoiceField(label=_("学历"), choices=Education.choices, initial=Education.JUNIOR)
    hours = forms.MultipleChoiceField(label=_("想要的工时"), choices=HoursKind.choices, widget=Checks, required=False)
    shifts = forms.MultipleChoiceField(label=_("能上班的时段"), choices=Shift.choices, widget=Checks, required=False)
    max_minutes = forms.IntegerField(label=_("最远路程（分钟）"), min_value=1, max_value=120, initial=15)
    travel_mode = forms.ChoiceField(label=_("出行方式"), choices=TravelMode.choices, initial=TravelMode.WALK)
    constraints = forms.MultipleChoiceField(label=_("限制"), choices=Constraint.choices, widget=Checks,
                                            required=False)  # fmt: skip
    accommodations = forms.CharField(label=_("需要的便利"), max_length=300, required=False)
    health_notes = forms.CharField(label=_("健康情况"), max_length=300, required=False)
    benefits = forms.MultipleChoiceField(label=_("保障情况"), choices=Benefit.choices, widget=Checks, required=False)
    consent = forms.BooleanField(label=_("本人同意就业服务站保存以上信息，用于推荐岗位"), required=True)

    def __init__(self, *args: Any, street: Street, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = Compound.objects.filter(street=street).order_by("name")  # type: ignore[attr-defined]
        self.fields["station"].queryset = Station.objects.filter(street=street)  # type: ignore[attr-defined]

    def values(self) -> SeekerValues:
        d = self.cleaned_data
        return SeekerValues(
            name=d["name"], consent=d["consent"], phone=d["phone"], compound_id=d["compound"].pk,
            station_id=d["station"].pk if d.get("station") else None, occupations=d["occupations"],
            skills=d["skills"], experience_years=d["experience_years"], education=d["education"], hours=d["hours"],
            shifts=d["shifts"], max_minutes=d["max_minutes"], travel_mode=d["travel_mode"],
            constraints=d["constraints"], accommodations=d["accommodations"], health_notes=d["health_notes"],
            benefits=d["benefits"],
        )  # fmt: skip
