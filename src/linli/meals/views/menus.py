"""Meals pages: the kitchen's menu editor (week plan, items, CSV upload, rule check, publish).

Only kitchen operators and admins of the kitchen's street get in (others: 403). Thin: parse, call
selectors/services, render; every `Problem` is shown on the page with its status code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem, field_error
from linli.core.i18n import in_language
from linli.core.pages import login_redirect, problem_message
from linli.meals.models import Allergen, DishTag, Kitchen, Menu, Slot
from linli.meals.selectors import menus as selectors
from linli.meals.services import menus as services
from linli.meals.services.menus import csv_import as menus_csv
from linli.meals.templatetags.linli_meals import yuan

WEEK_DAYS = 7


# ------------------------------------------------------------------------------------------- helpers


def parse_yuan(value: str | None, field: str, *, required: bool) -> int | None:
    """Yuan as typed ("12", "12.5", "12.50", "￥12") → integer fen, exactly (Decimal, at most 2 decimals)."""
    text = (value or "").strip().replace("￥", "").replace("¥", "").replace("元", "").replace("，", ".").strip()
    if not text:
        if required:
            raise Problem("validation_error", errors=[field_error(field, _("请填写价格（元）"))])
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > 1000:
        raise Problem(
            "validation_error",
            errors=[
                field_error(
                    field,
                    format_lazy(_("价格 {text} 无效：请填写元，最多两位小数，例如 12.5"), text=repr(text)),
                )
            ],
        )
    return int(amount * 100)


def _limit(value: str | None) -> int | str | None:
    text = (value or "").strip()
    return text or None


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "meals/menus/forbidden.html", {}, status=403)


def _guard(request: HttpRequest, fn: Any) -> HttpResponse:
    """Run `fn()`; map sign-in, 404 and 403 problems to pages."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    try:
        return fn()
    except Problem as problem:
        if problem.code == "not_found":
            raise Http404(in_language(problem.detail, "en")) from problem
        if problem.code in ("permission_denied", "not_authenticated"):
            return _forbidden(request)
        raise


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _menu_url(kitchen_id: int, date: dt.date, slot: str) -> str:
    return reverse("meals:kitchen_menu", args=[kitchen_id, date.isoformat(), slot])


def _settings_url(kitchen: Kitchen) -> str:
    return f"{reverse('meals:kitchen_settings')}?kitchen={kitchen.pk}"


def _slots() -> list[tuple[str, str]]:
    return [(s.value, str(s.label)) for s in Slot]


# ---------------------------------------------------------------------------------------------- week


@require_GET
def kitchen_menus(request: HttpRequest) -> HttpResponse:
    """The week ahead of one kitchen: 7 days × slots with each menu's state and the rules a day fails."""

    def page() -> HttpResponse:
        kitchens = list(selectors.kitchens_for_editor(request_user(request)))
        if not kitchens:
            return _forbidden(request)
        wanted = request.GET.get("kitchen", "")
        kitchen = next((k for k in kitchens if str(k.pk) == wanted), None)
        if wanted and kitchen is None:
            selectors.kitchen_get_for_editor(
                kitchen_id=int(wanted) if wanted.isdigit() else 0, user=request_user(request)
            )
        kitchen = kitchen or kitchens[0]
        today = timezone.localdate()
        start = _parse_date(request.GET.get("start")) or today
        if abs((start - today).days) > services.MAX_DAYS_AHEAD:
            start = today
        menus = {(m.date, m.slot): m for m in selectors.menus_for_kitchen(kitchen=kitchen, start=start, days=WEEK_DAYS)}
        # Menus are published at least a week ahead: which meals of the next 7 days have none published yet?
        ahead = selectors.week_ahead(kitchens=[kitchen], today=today)[kitchen.pk]
        due = {(m["date"], m["slot"]) for m in ahead["missing"]}
        now = timezone.now()
        days = []
        for n in range(WEEK_DAYS):
            day = start + dt.timedelta(days=n)
            failures = services.menu_rules_check(kitchen=kitchen, date=day)
            cells = []
            for slot, label in _slots():
                menu = menus.get((day, slot))
                cutoff = menu.cutoff_at if menu else services.menu_cutoff_default(kitchen=kitchen, date=day, slot=slot)
                frozen = menu is not None and services.menu_is_frozen(menu, now)
                if menu is None:
                    state = "closed" if cutoff <= now else "empty"
                else:
                    state = "locked" if frozen else menu.status
                cells.append(
                    {
                        "slot": slot,
                        "label": label,
                        "menu": menu,
                        "state": state,
                        "items": len(menu.items.all()) if menu else 0,
                        "cutoff": timezone.localtime(cutoff),
                        "url": _menu_url(kitchen.pk, day, slot),
                        "failures": [f for f in failures if f["slot"] == slot],
                        "due": (day, slot) in due,  # cooked here, within the week ahead, not published yet
                        "cooked": slot in ahead["slots"],
                    }
                )
            days.append({"date": day, "cells": cells, "day_failures": [f for f in failures if f["slot"] is None]})
        ctx = {
            "kitchen": kitchen,
            "kitchens": kitchens,
            "ahead": ahead,
            "settings_url": _settings_url(kitchen),
            "days": days,
            "start": start,
            "prev": (start - dt.timedelta(days=WEEK_DAYS)).isoformat(),
            "next": (start + dt.timedelta(days=WEEK_DAYS)).isoformat(),
            "today": today,
        }
        return render(request, "meals/menus/week.html", ctx)

    return _guard(request, page)


# ---------------------------------------------------------------------------------------------- menu


def _menu_context(kitchen: Kitchen, day: dt.date, slot: str, user: Any) -> dict[str, Any]:
    menu = Menu.objects.filter(kitchen=kitchen, date=day, slot=slot).first()
    if menu is not None:
        menu = selectors.menu_get_for_editor(menu_id=menu.pk, user=user)
    frozen = menu is not None and services.menu_is_frozen(menu)
    items = list(menu.items.all()) if menu else []
    for item in items:
        item.price_yuan = yuan(item.price_fen)  # type: ignore[attr-defined]
        item.half_price_yuan = yuan(item.half_price_fen)  # type: ignore[attr-defined]
        item.tag_labels = [str(DishTag(t).label) for t in item.dish.tags if t in DishTag.values]  # type: ignore[attr-defined]
        item.allergen_labels = [  # type: ignore[attr-defined]
            str(Allergen(a).label) for a in item.dish.allergens if a in Allergen.values
        ]
    cutoff = menu.cutoff_at if menu else services.menu_cutoff_default(kitchen=kitchen, date=day, slot=slot)
    return {
        "kitchen": kitchen,
        "day": day,
        "slot": slot,
        "slot_label": Slot(slot).label,
        "menu": menu,
        "items": items,
        "frozen": frozen or (menu is None and cutoff <= timezone.now()),
        "cutoff": timezone.localtime(cutoff),
        "failures": services.menu_rules_check(menu=menu) if menu else [],
        "day_failures": services.menu_rules_check(kitchen=kitchen, date=day),
        "tag_choices": DishTag.choices,
        "allergen_choices": Allergen.choices,
        "week_url": f"{reverse('meals:kitchen_menus')}?kitchen={kitchen.pk}&start={day.isoformat()}",
        "ahead": selectors.week_ahead(kitchens=[kitchen])[kitchen.pk],
        "settings_url": _settings_url(kitchen),
        "problem": None,
        "notice": "",
        "form": {},
    }


def _item_data(post: Any) -> dict[str, Any]:
    """The item form: prices typed in yuan, converted to fen exactly."""
    tags = [t for t in post.getlist("tags") if t]
    allergens = [a for a in post.getlist("allergens") if a]
    kind = post.get("kind", "dish")
    return {
        "dish": (post.get("dish") or "").strip(),
        "price_fen": parse_yuan(post.get("price_yuan"), "price_fen", required=True),
        "half_price_fen": parse_yuan(post.get("half_price_yuan"), "half_price_fen", required=False),
        "daily_limit": _limit(post.get("daily_limit")),
        "tags": tags,
        "allergens": allergens,
        "is_set_meal": kind in ("set", "elder_set"),
        "is_elder_discount_set": kind == "elder_set",
    }


@require_http_methods(["GET", "POST"])
def kitchen_menu(request: HttpRequest, kitchen_id: int, day: str, slot: str) -> HttpResponse:
    """One kitchen's menu for a day and slot: its dishes, the add form, rule failures, publish."""
    date = _parse_date(day)
    if date is None or slot not in Slot.values or abs((date - timezone.localdate()).days) > services.MAX_DAYS_AHEAD:
        raise Http404(day)

    def page() -> HttpResponse:
        kitchen = selectors.kitchen_get_for_editor(kitchen_id=kitchen_id, user=request_user(request))
        ctx = _menu_context(kitchen, date, slot, request.user)
        ctx["notice"] = request.GET.get("done", "")
        if request.method == "POST":
            ctx["form"] = request.POST
            try:
                data = _item_data(request.POST)
                if ctx["menu"] is None:
                    services.menu_create(
                        kitchen=kitchen, date=date, slot=slot, items=[data], actor=request_user(request)
                    )
                else:
                    services.menu_item_add(menu=ctx["menu"], actor=request_user(request), **data)
            except Problem as problem:
                ctx.update(_menu_context(kitchen, date, slot, request.user))
                ctx["form"] = request.POST
                ctx["problem"] = problem_message(problem)
                ctx["problem_errors"] = problem.errors
                return render(request, "meals/menus/menu.html", ctx, status=problem.http_status)
            return HttpResponseRedirect(_menu_url(kitchen.pk, date, slot) + "?done=added")
        return render(request, "meals/menus/menu.html", ctx)

    return _guard(request, page)


def _after_item_problem(request: HttpRequest, item: Any, problem: Problem) -> HttpResponse:
    menu = item.menu
    ctx = _menu_context(menu.kitchen, menu.date, menu.slot, request.user)
    ctx["problem"] = problem_message(problem)
    ctx["problem_errors"] = problem.errors
    return render(request, "meals/menus/menu.html", ctx, status=problem.http_status)


@require_POST
def kitchen_menu_item(request: HttpRequest, item_id: int) -> HttpResponse:
    """Change an item's prices (yuan) and daily limit."""

    def act() -> HttpResponse:
        item = selectors.menu_item_get_for_editor(item_id=item_id, user=request_user(request))
        try:
            services.menu_item_update(
                item=item,
                actor=request_user(request),
                price_fen=parse_yuan(request.POST.get("price_yuan"), "price_fen", required=True),
                half_price_fen=parse_yuan(request.POST.get("half_price_yuan"), "half_price_fen", required=False),
                daily_limit=_limit(request.POST.get("daily_limit")),
            )
        except Problem as problem:
            return _after_item_problem(request, item, problem)
        return HttpResponseRedirect(_menu_url(item.menu.kitchen_id, item.menu.date, item.menu.slot) + "?done=saved")

    return _guard(request, act)


@require_POST
def kitchen_menu_item_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    def act() -> HttpResponse:
        item = selectors.menu_item_get_for_editor(item_id=item_id, user=request_user(request))
        try:
            services.menu_item_remove(item=item, actor=request_user(request))
        except Problem as problem:
            return _after_item_problem(request, item, problem)
        return HttpResponseRedirect(_menu_url(item.menu.kitchen_id, item.menu.date, item.menu.slot) + "?done=removed")

    return _guard(request, act)


def _menu_action(request: HttpRequest, menu_id: int, action: str) -> HttpResponse:
    def act() -> HttpResponse:
        menu = selectors.menu_get_for_editor(menu_id=menu_id, user=request_user(request))
        try:
            if action == "publish":
                services.menu_publish(menu=menu, actor=request_user(request))
            else:
                services.menu_unpublish(menu=menu, actor=request_user(request))
        except Problem as problem:
            ctx = _menu_context(menu.kitchen, menu.date, menu.slot, request.user)
            ctx["problem"] = problem_message(problem)
            ctx["problem_errors"] = problem.errors
            return render(request, "meals/menus/menu.html", ctx, status=problem.http_status)
        done = "published" if action == "publish" else "unpublished"
        return HttpResponseRedirect(_menu_url(menu.kitchen_id, menu.date, menu.slot) + f"?done={done}")

    return _guard(request, act)


@require_POST
def kitchen_menu_publish(request: HttpRequest, menu_id: int) -> HttpResponse:
    return _menu_action(request, menu_id, "publish")


@require_POST
def kitchen_menu_unpublish(request: HttpRequest, menu_id: int) -> HttpResponse:
    return _menu_action(request, menu_id, "unpublish")


# -------------------------------------------------------------------------------------------- import

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def decode_upload(raw: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without Excel's BOM), else GB18030 (older Excel on Chinese Windows), as
    every import reads files (`linli.core.lenient.decode_text`)."""
    from linli.core.lenient import decode_text

    try:
        return decode_text(raw)[0]
    except UnicodeDecodeError:
        raise Problem(
            "csv_invalid",
            errors=[
                {
                    "field": "file",
                    "message": _("文件编码无法识别，请另存为 CSV UTF-8"),
                }
            ],
        ) from None


@require_http_methods(["GET", "POST"])
def kitchen_menus_import(request: HttpRequest) -> HttpResponse:
    """Upload the menu spreadsheet (CSV): the same file and the same report as `linli import menus`."""

    def page() -> HttpResponse:
        ids = core_selectors.user_street_ids(request_user(request), roles=selectors.EDITOR_ROLES)
        streets = list(core_selectors.street_list().filter(id__in=ids))
        if not streets:
            return _forbidden(request)
        code = request.POST.get("street") or request.GET.get("street")
        street = next((s for s in streets if s.code == code), None)
        if code and street is None:
            return _forbidden(request)
        street = street or streets[0]
        ctx: dict[str, Any] = {
            "street": street,
            "streets": streets,
            "help": menus_csv.csv_help(),
            "columns": ",".join(menus_csv.CSV_COLUMNS),
            "result": None,
            "problem": None,
            "errors": [],
            "kitchen": request.GET.get("kitchen", ""),
        }
        if request.method == "POST":
            upload = request.FILES.get("file")
            try:
                if upload is None:
                    raise Problem(
                        "csv_invalid",
                        errors=[{"field": "file", "message": _("请选择 CSV 文件")}],
                    )
                if upload.size and upload.size > MAX_UPLOAD_BYTES:
                    raise Problem(
                        "csv_invalid",
                        errors=[{"field": "file", "message": _("文件超过 2 MB")}],
                    )
                text = decode_upload(upload.read())
                ctx["result"] = services.menus_import(street=street, text=text, actor=request_user(request))
            except Problem as problem:
                ctx["problem"] = problem_message(problem)
                ctx["errors"] = problem.errors
                return render(request, "meals/menus/import.html", ctx, status=problem.http_status)
        return render(request, "meals/menus/import.html", ctx)

    return _guard(request, page)


urlpatterns: list[URLPattern] = [
    path("kitchen/menus/", kitchen_menus, name="kitchen_menus"),
    path("kitchen/menus/import/", kitchen_menus_import, name="kitchen_menus_import"),
    path("kitchen/menus/<int:kitchen_id>/<str:day>/<str:slot>/", kitchen_menu, name="kitchen_menu"),
    path("kitchen/menus/items/<int:item_id>/", kitchen_menu_item, name="kitchen_menu_item"),
    path("kitchen/menus/items/<int:item_id>/remove/", kitchen_menu_item_remove, name="kitchen_menu_item_remove"),
    path("kitchen/menus/m/<int:menu_id>/publish/", kitchen_menu_publish, name="kitchen_menu_publish"),
    path("kitchen/menus/m/<int:menu_id>/unpublish/", kitchen_menu_unpublish, name="kitchen_menu_unpublish"),
]
