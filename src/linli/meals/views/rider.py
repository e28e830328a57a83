"""Meals pages: rider. Today's runs with big buttons: 已取餐 (picked up at the kitchen) and 已送达 per stop,
with one-tap navigation links (Amap, Baidu, geo:) to each stop. Works without JavaScript (plain forms)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Role
from linli.core.pages import problem_message
from linli.meals.models import DeliveryRun, DeliveryStop
from linli.meals.services import delivery
from linli.meals.views.kitchen import forbidden, login_redirect


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
def rider_runs(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request.user
    if not core_selectors.user_street_ids(user, roles=[Role.RIDER]):
        return forbidden(request, _("这个页面只对骑手开放。"))
    today = timezone.localdate()
    problem = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pick_up":
                run = (
                    DeliveryRun.objects.select_related("kitchen__street")
                    .filter(pk=_int(request.POST.get("run")) or 0, rider=user)
                    .first()
                )
                if run is None:
                    raise Problem("not_found")
                delivery.run_pick_up(run=run, actor=user)
            elif action == "hand_over":
                stop = (
                    DeliveryStop.objects.select_related("run__kitchen__street")
                    .filter(pk=_int(request.POST.get("stop")) or 0, run__rider=user)
                    .first()
                )
                if stop is None:
                    raise Problem("not_found")
                delivery.stop_hand_over(stop=stop, actor=user, to_name=request.POST.get("to_name", ""))
            else:
                raise Problem("validation_error")
            return HttpResponseRedirect(reverse("meals:rider_runs"))  # POST/redirect/GET: a reload repeats nothing
        except Problem as exc:
            problem = problem_message(exc)
            status = exc.http_status
    runs = DeliveryRun.objects.filter(rider=user, date=today).select_related("kitchen__place", "rider")
    ctx = {
        "runs": [delivery.run_to_dict(r, with_orders=True) for r in runs.prefetch_related(delivery.RUN_STOPS)],
        "today": today,
        "problem": problem,
    }
    return render(request, "meals/rider/runs.html", ctx, status=status)


urlpatterns = [path("rider/runs/", rider_runs, name="rider_runs")]
