"""Meals pages: a kitchen's settings. Which meal points and venues it serves, its order cut-off times, home
delivery and the meals it cooks (what "menus at least a week ahead" is checked against). Until now these could
only be changed in the Django admin.

Kitchen operators and admins of the kitchen's street only (others: 403). The form always posts the whole state;
`services.menus.kitchen_update` checks it (same street, at least one meal) and audit-logs the change with the
values before and after; the page lists the latest changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem, field_error
from linli.core.pages import problem_message
from linli.meals.models import Kitchen, Slot
from linli.meals.selectors import menus as selectors
from linli.meals.services import menus as services
from linli.meals.views.menus import _forbidden, _guard
from linli.places.models import Place, PlaceKind

CUTOFF_FIELDS = ("breakfast_cutoff", "lunch_cutoff", "dinner_cutoff")
FIELD_LABELS = {
    "serves": gettext_lazy("配送地点"),
    "breakfast_cutoff": gettext_lazy("早餐截单"),
    "lunch_cutoff": gettext_lazy("午餐截单"),
    "dinner_cutoff": gettext_lazy("晚餐截单"),
    "home_delivery": gettext_lazy("送餐上门"),
    "slots": gettext_lazy("供应餐次"),
}


def settings_url(kitchen: Kitchen) -> str:
    return f"{reverse('meals:kitchen_settings')}?kitchen={kitchen.pk}"


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)[:5]


def _parse(post: Any) -> dict[str, Any]:
    """The form as `kitchen_update` arguments; every bad field is reported at once."""
    errors: list[dict[str, Any]] = []
    ids: list[int] = []
    for raw in post.getlist("serves"):
        if not str(raw).isdigit():
            errors.append(field_error("serves", _("配送地点无效")))
            break
        ids.append(int(raw))
    places = list(Place.objects.filter(pk__in=ids))
    if len(places) != len(set(ids)):
        errors.append(field_error("serves", _("有的配送地点不存在")))
    times: dict[str, dt.time] = {}
    for name in CUTOFF_FIELDS:
        text = (post.get(name) or "").strip()
        try:
            times[name] = dt.time.fromisoformat(text)
        except ValueError:
            errors.append(field_error(name, _("截单时间格式应为 时:分，例如 09:30"), value=text))
    if errors:
        raise Problem("validation_error", errors=errors)
    return {
        "serves": places,
        **times,
        "home_delivery": post.get("home_delivery") == "on",
        "slots": [s for s in post.getlist("slots") if s],
    }


def _context(kitchen: Kitchen, kitchens: list[Kitchen], form: Any = None) -> dict[str, Any]:
    served = set(kitchen.serves.values_list("pk", flat=True))
    if form is not None:  # show what was posted after a refusal, not the stored state
        served = {int(v) for v in form.getlist("serves") if str(v).isdigit()}
    groups: dict[str, dict[str, Any]] = {}
    for place in selectors.serve_candidates(kitchen=kitchen):
        label = PlaceKind(place.kind).label if place.kind in PlaceKind.values else place.kind
        group = groups.setdefault(place.kind, {"kind": place.kind, "label": label, "places": []})
        group["places"].append({"place": place, "checked": place.pk in served})
    slots = set(form.getlist("slots")) if form is not None else set(kitchen.slots or [])
    values = {name: _hhmm(getattr(kitchen, name)) for name in CUTOFF_FIELDS}
    if form is not None:
        values = {name: form.get(name, "") for name in CUTOFF_FIELDS}
    changes = []
    for row in selectors.kitchen_changes(kitchen=kitchen):
        fields = row.data.get("fields", []) if isinstance(row.data, dict) else []
        changes.append(
            {
                "at": row.at,
                "actor": (row.actor.display_name or _("工作人员")) if row.actor else _("系统"),
                "fields": [str(FIELD_LABELS[f]) for f in fields if f in FIELD_LABELS],
            }
        )
    return {
        "kitchen": kitchen,
        "kitchens": kitchens,
        "groups": list(groups.values()),
        "served_count": len(served),
        "slot_choices": [(s.value, s.label, s.value in slots) for s in Slot],
        "values": values,
        "home_delivery": (form.get("home_delivery") == "on") if form is not None else kitchen.home_delivery,
        "changes": changes,
        "week_url": f"{reverse('meals:kitchen_menus')}?kitchen={kitchen.pk}",
        "problem": None,
        "problem_errors": [],
        "notice": "",
    }


@require_http_methods(["GET", "POST"])
def kitchen_settings(request: HttpRequest) -> HttpResponse:
    """See and change a kitchen's served places, cut-off times, home delivery and meals cooked."""

    def page() -> HttpResponse:
        kitchens = list(selectors.kitchens_for_editor(request_user(request)))
        if not kitchens:
            return _forbidden(request)
        wanted = (request.POST.get("kitchen") or request.GET.get("kitchen") or "").strip()
        kitchen = next((k for k in kitchens if str(k.pk) == wanted), None)
        if wanted and kitchen is None:  # 404 for no such kitchen, 403 for another street's
            selectors.kitchen_get_for_editor(
                kitchen_id=int(wanted) if wanted.isdigit() else 0, user=request_user(request)
            )
        kitchen = kitchen or kitchens[0]
        if request.method == "POST":
            try:
                services.kitchen_update(kitchen=kitchen, actor=request_user(request), **_parse(request.POST))
            except Problem as problem:
                ctx = _context(kitchen, kitchens, form=request.POST)
                ctx["problem"] = problem_message(problem)
                ctx["problem_errors"] = problem.errors
                return render(request, "meals/menus/settings.html", ctx, status=problem.http_status)
            return HttpResponseRedirect(settings_url(kitchen) + "&done=saved")
        ctx = _context(kitchen, kitchens)
        ctx["notice"] = request.GET.get("done", "")
        return render(request, "meals/menus/settings.html", ctx)

    return _guard(request, page)


urlpatterns: list[URLPattern] = [
    path("kitchen/settings/", kitchen_settings, name="kitchen_settings"),
]
