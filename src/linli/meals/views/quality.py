"""Meals pages: quality. The resident's rating of an order; the food-safety supervisor's pages (pick a
kitchen, inspect it with the checklist and the phone's camera, score new dishes); the kitchen's quality
dashboard (averages and trends, inspections with photos, the daily waste form and chart); inspection photos,
served only to the kitchen street's staff.

Thin views: parse, call the quality selectors/services, render. A `Problem` becomes a friendly message on the
page with the problem's HTTP status, never a 500. No inline JavaScript: every form works without scripts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import charts
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message
from linli.core.selectors import user_has_role
from linli.meals.models import ChecklistArea, InspectionResult, Rating
from linli.meals.selectors import quality as selectors
from linli.meals.services import quality as services

CRITERIA = (("taste", gettext_lazy("口味")), ("portion", gettext_lazy("分量")), ("price", gettext_lazy("价格")))
SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {
    1: gettext_lazy("很差"),
    2: gettext_lazy("较差"),
    3: gettext_lazy("一般"),
    4: gettext_lazy("满意"),
    5: gettext_lazy("很满意"),
}


def _forbidden(request: HttpRequest, problem: Problem | None = None) -> HttpResponse:
    ctx = {"problem": problem_message(problem) if problem else None}
    return render(request, "meals/quality/forbidden.html", ctx, status=403)


def _kitchen_or_deny(request: HttpRequest, kitchen_id: int, roles: Any) -> tuple[Any, HttpResponse | None]:
    if not request.user.is_authenticated:
        return None, login_redirect(request)
    try:
        return selectors.kitchen_get_for_user(kitchen_id=kitchen_id, user=request.user, roles=roles), None
    except Problem as problem:
        if problem.code == "not_found":
            raise Http404(str(kitchen_id)) from problem
        return None, _forbidden(request, problem)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------- resident: rate


@require_http_methods(["GET", "POST"])
def rate_order(request: HttpRequest, order_id: int) -> HttpResponse:
    """Big 1-5 buttons for taste, portion and price, a comment, one submit; then a thank-you."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    try:
        order = selectors.order_get_for_rating(order_id=order_id, user=request.user)
    except Problem as exc:
        raise Http404(str(order_id)) from exc
    existing = Rating.objects.filter(order=order).first()
    ctx: dict[str, Any] = {
        "order": order,
        "kitchen_name": order.kitchen.place.name,
        "rating": existing,
        "criteria": CRITERIA,
        "scores": SCORES,
        "score_words": SCORE_WORDS,
        "chosen": {},
        "comment": "",
        "problem": None,
        "field_errors": {},
        "thanks": request.GET.get("thanks") == "1" and existing is not None,
        "rateable": order.status in services.RATEABLE_STATUSES,
    }
    if request.method == "POST" and existing is None:
        chosen = {name: _int_or_none(request.POST.get(name)) for name, _label in CRITERIA}
        comment = request.POST.get("comment", "")
        ctx.update(chosen=chosen, comment=comment)
        try:
            services.rating_create(
                order=order,
                user=request.user,
                taste=chosen["taste"],  # type: ignore[arg-type]
                portion=chosen["portion"],  # type: ignore[arg-type]
                price=chosen["price"],  # type: ignore[arg-type]
                comment=comment,
            )
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            ctx["field_errors"] = {str(e.get("field")): e.get("message") for e in problem.errors}
            ctx["rating"] = Rating.objects.filter(order=order).first()
            return render(request, "meals/quality/rate.html", ctx, status=problem.http_status)
        return HttpResponseRedirect(reverse("meals:quality_rate", args=[order.pk]) + "?thanks=1")
    return render(request, "meals/quality/rate.html", ctx)


# ---------------------------------------------------------------------------------- supervisor pages


@require_GET
def supervisor_home(request: HttpRequest) -> HttpResponse:
    """Pick a kitchen of one's street(s) to inspect or to score its new dishes."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    kitchens = list(selectors.kitchens_for_user(user=request.user, roles=selectors.SUPERVISOR_ROLES))
    if not kitchens:
        return _forbidden(request)
    last = {row["kitchen_id"]: row for row in selectors.last_inspections(kitchen_ids=[k.pk for k in kitchens])}
    rows = [{"kitchen": k, "last": last.get(k.pk)} for k in kitchens]
    ctx = {"rows": rows, "done": request.GET.get("done", ""), "street": kitchens[0].street}
    return render(request, "meals/quality/home.html", ctx)


def _inspect_areas(data: Any = None) -> list[dict[str, Any]]:
    data = data or {}
    return [
        {
            "value": value,
            "label": label,
            "result": data.get(f"result_{value}", ""),
            "note": data.get(f"note_{value}", ""),
        }
        for value, label in ChecklistArea.choices
    ]


@require_http_methods(["GET", "POST"])
def inspect_kitchen(request: HttpRequest, kitchen_id: int) -> HttpResponse:
    """The checklist (pass / issue / not seen + note per area) with a camera input per area and a summary."""
    kitchen, denied = _kitchen_or_deny(request, kitchen_id, services.INSPECTION_ROLES)
    if denied:
        return denied
    ctx: dict[str, Any] = {
        "kitchen": kitchen,
        "street": kitchen.street,
        "areas": _inspect_areas(request.POST if request.method == "POST" else None),
        "results": InspectionResult.choices,
        "summary": request.POST.get("summary", ""),
        "problem": None,
        "field_errors": {},
    }
    if request.method == "POST":
        try:
            items, photos, summary = services.inspection_form_parse(request.POST, request.FILES)
            services.inspection_create(
                kitchen=kitchen, inspector=request.user, items=items, photos=photos, summary=summary
            )
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            ctx["field_errors"] = {str(e.get("field")): e.get("message") for e in problem.errors}
            return render(request, "meals/quality/inspect.html", ctx, status=problem.http_status)
        return HttpResponseRedirect(reverse("meals:quality_home") + "?done=inspected")
    return render(request, "meals/quality/inspect.html", ctx)


@require_http_methods(["GET", "POST"])
def tasting(request: HttpRequest, kitchen_id: int) -> HttpResponse:
    """Score the kitchen's dishes (new dishes first) 1-5 with a comment; today's panel by default."""
    kitchen, denied = _kitchen_or_deny(request, kitchen_id, selectors.SUPERVISOR_ROLES)
    if denied:
        return denied
    problem = None
    status = 200
    scored_dish = None
    if request.method == "POST":
        dish_id = _int_or_none(request.POST.get("dish"))
        dish = selectors.dishes_for_tasting(kitchen=kitchen).filter(pk=dish_id).first() if dish_id else None
        try:
            if dish is None:
                raise Problem("not_found", detail=_("没有这道菜"))
            services.tasting_score_add(
                dish=dish,
                scorer=request.user,
                score=_int_or_none(request.POST.get("score")),  # type: ignore[arg-type]
                comment=request.POST.get("comment", ""),
            )
            return HttpResponseRedirect(reverse("meals:quality_tasting", args=[kitchen.pk]) + f"?scored={dish.pk}")
        except Problem as exc:
            problem, status, scored_dish = problem_message(exc), exc.http_status, (dish.pk if dish else None)
    today = timezone.localdate()
    mine = set(selectors.tasting_scored_today(kitchen=kitchen, scorer=request.user, panel_date=today))
    averages = {row["dish_id"]: row for row in selectors.tasting_averages(kitchen=kitchen)}
    dishes = [
        {"dish": d, "scored": d.pk in mine, "avg": averages.get(d.pk)}
        for d in selectors.dishes_for_tasting(kitchen=kitchen)
    ]
    ctx = {
        "kitchen": kitchen,
        "street": kitchen.street,
        "dishes": dishes,
        "scores": SCORES,
        "score_words": SCORE_WORDS,
        "problem": problem,
        "problem_dish": scored_dish,
        "just_scored": _int_or_none(request.GET.get("scored")),
        "today": today,
    }
    return render(request, "meals/quality/tasting.html", ctx, status=status)


# ---------------------------------------------------------------------------------- kitchen dashboard


@require_http_methods(["GET", "POST"])
def kitchen_dashboard(request: HttpRequest) -> HttpResponse:
    """A kitchen's quality: rating averages and weekly trend, inspections with photos, tasting averages, the
    waste form (kitchen operators and admins) and the last 30 days of waste as a chart."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    kitchens = list(selectors.kitchens_for_user(user=request.user))
    if not kitchens:
        return _forbidden(request)
    wanted = _int_or_none(request.GET.get("kitchen") or request.POST.get("kitchen"))
    kitchen = next((k for k in kitchens if k.pk == wanted), None)
    if wanted is not None and kitchen is None:
        return _forbidden(request)
    kitchen = kitchen or kitchens[0]
    problem = None
    status = 200
    today = timezone.localdate()
    form = {"date": today.isoformat(), "grams": "", "note": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            day = _parse_date(form["date"])
            grams = _int_or_none(form["grams"])
            services.waste_record_set(
                kitchen=kitchen,
                date=day,
                grams=grams,  # type: ignore[arg-type]
                note=form["note"],
                actor=request.user,
            )
            return HttpResponseRedirect(f"{reverse('meals:quality_kitchen')}?kitchen={kitchen.pk}&saved=waste")
        except Problem as exc:
            problem, status = problem_message(exc), exc.http_status
    quality = selectors.kitchen_quality(kitchen=kitchen)
    can_record_waste = _has_role(request.user, kitchen, services.WASTE_ROLES)
    ctx = {
        "kitchen": kitchen,
        "kitchens": kitchens,
        "street": kitchen.street,
        "q": quality,
        "trend_chart": _trend_chart(quality["ratings_weekly"]),
        "waste_chart": _waste_chart(quality["waste"]),
        "form": form,
        "problem": problem,
        "saved": request.GET.get("saved") == "waste",
        "can_record_waste": can_record_waste,
        "today": today,
    }
    return render(request, "meals/quality/kitchen.html", ctx, status=status)


def _has_role(user: Any, kitchen: Any, roles: Any) -> bool:
    return user_has_role(user, street=kitchen.street, roles=roles)


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Problem(
            "validation_error",
            errors=[{"field": "date", "message": _("日期格式应为 YYYY-MM-DD")}],
        ) from None


def _trend_chart(weekly: list[dict[str, Any]]) -> str:
    labels = [f"{w['week_start']:%m-%d}" for w in weekly]
    return charts.line_chart(
        title=_("每周评分趋势"),
        desc=_("口味、分量、价格的每周平均分（1-5）"),
        labels=labels,
        series=[
            (_("口味"), [w["taste"] for w in weekly]),
            (_("分量"), [w["portion"] for w in weekly]),
            (_("价格"), [w["price"] for w in weekly]),
        ],
        y_max=5,
        unit=pgettext("chart unit", "分"),
    )


def _waste_chart(series: list[dict[str, Any]]) -> str:
    return charts.bar_chart(
        title=_("每日厨余重量"),
        desc=_("近 30 天每天的厨余重量（克），未记录的日期为空"),
        labels=[f"{d['date']:%m-%d}" for d in series],
        series=[(_("厨余"), [d["grams"] for d in series])],
        unit=pgettext("chart unit", "克"),
    )


@require_GET
def inspection_photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """An inspection photo, for staff of the kitchen's street only (never a public media URL)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    try:
        photo = selectors.photo_get_for_user(photo_id=photo_id, user=request.user)
    except Problem as problem:
        if problem.code == "not_found":
            raise Http404(str(photo_id)) from problem
        return _forbidden(request, problem)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(str(photo_id)) from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("me/meals/orders/<int:order_id>/rate/", rate_order, name="quality_rate"),
    path("quality/", supervisor_home, name="quality_home"),
    path("quality/kitchens/<int:kitchen_id>/inspect/", inspect_kitchen, name="quality_inspect"),
    path("quality/kitchens/<int:kitchen_id>/tasting/", tasting, name="quality_tasting"),
    path("quality/photos/<int:photo_id>/", inspection_photo, name="quality_photo"),
    path("kitchen/quality/", kitchen_dashboard, name="quality_kitchen"),
]
