"""Meals pages: street staff. The street's meals report with server-side SVG charts — sales per kitchen and
day, subsidies paid per tier, ratings and waste per kitchen — and the same report as CSV (UTF-8 with BOM, one
block per section, so Excel shows the Chinese correctly).

Street admins and station staff of the street only; a user with several streets picks one (`?street=`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from linli.core import charts
from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import local_name
from linli.core.pages import problem_message
from linli.core.services import audit_log
from linli.core.spreadsheets import CsvWriter
from linli.meals.selectors import menus as menu_selectors
from linli.meals.selectors import quality as selectors


def _parse_date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Problem(
            "validation_error",
            errors=[{"field": name, "message": _("日期格式应为 YYYY-MM-DD")}],
        ) from None


def _street_or_deny(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    if not request.user.is_authenticated:
        return None, [], HttpResponseRedirect(f"/login/?next={quote(request.get_full_path())}")
    ids = core_selectors.user_street_ids(request.user, roles=selectors.REPORT_ROLES)
    streets = list(core_selectors.street_list().filter(id__in=ids))
    code = request.GET.get("street")
    chosen = next((s for s in streets if s.code == code), None) if code else (streets[0] if streets else None)
    if chosen is None:
        return None, streets, render(request, "meals/quality/forbidden.html", {"problem": None}, status=403)
    return chosen, streets, None


def _report_for(request: HttpRequest, street: Any) -> dict[str, Any]:
    date_from = _parse_date(request.GET.get("from"), "from")
    date_to = _parse_date(request.GET.get("to"), "to")
    start, end = selectors.report_range(date_from, date_to)
    return selectors.street_report(street=street, date_from=start, date_to=end)


def report_charts(report: dict[str, Any]) -> dict[str, str]:
    """The report's charts as SVG strings (escaped text, accessible titles), in the request's language."""
    day_labels = [f"{d['date']:%m-%d}" for d in report["sales_by_day"]]
    per_kitchen_day: dict[int, dict[dt.date, int]] = {}
    for row in report["sales"]:
        per_kitchen_day.setdefault(row["kitchen_id"], {})[row["date"]] = row["orders"]
    kitchen_series = [
        (k["name"], [per_kitchen_day.get(k["id"], {}).get(d["date"], 0) for d in report["sales_by_day"]])
        for k in report["kitchens"]
    ] or [(_("订单数"), [d["orders"] for d in report["sales_by_day"]])]
    rated = [r for r in report["ratings"] if r["count"]]
    paid, subsidy = _("实收"), _("补贴")
    yuan_unit = pgettext("chart unit", "元")
    return {
        "orders_by_day": charts.line_chart(
            title=_("每日订单数（按厨房）"),
            desc=_("%(from)s 至 %(to)s 各厨房每天的订单数") % {"from": report["from"], "to": report["to"]},
            labels=day_labels,
            series=kitchen_series,
            unit=pgettext("chart unit", "单"),
        ),
        "sales_by_kitchen": charts.bar_chart(
            title=_("各厨房销售额（元）"),
            desc=_("实收金额与补贴金额，单位元"),
            labels=[k["kitchen"] for k in report["sales_by_kitchen"]],
            series=[
                (paid, [k["total_fen"] for k in report["sales_by_kitchen"]]),
                (subsidy, [k["discount_fen"] for k in report["sales_by_kitchen"]]),
            ],
            fmt=charts.yuan,
            unit=yuan_unit,
        ),
        "subsidies": charts.bar_chart(
            title=_("各档补贴金额（元）"),
            desc=_("按价格档统计的优惠补贴金额，单位元"),
            labels=[str(local_name(s, "label")) for s in report["subsidies"]],
            series=[(subsidy, [s["amount_fen"] for s in report["subsidies"]])],
            fmt=charts.yuan,
            unit=yuan_unit,
        ),
        "ratings": charts.bar_chart(
            title=_("各厨房居民评分"),
            desc=_("口味、分量、价格的平均分（1-5）"),
            labels=[r["kitchen"] for r in rated],
            series=[
                (_("口味"), [r["taste"] for r in rated]),
                (_("分量"), [r["portion"] for r in rated]),
                (_("价格"), [r["price"] for r in rated]),
            ],
            y_max=5,
            unit=pgettext("chart unit", "分"),
        ),
        "waste": charts.bar_chart(
            title=_("各厨房厨余重量（千克）"),
            desc=_("报表期间记录的厨余总重量，单位千克"),
            labels=[w["kitchen"] for w in report["waste"]],
            series=[(_("厨余"), [round(w["grams"] / 1000, 1) for w in report["waste"]])],
            unit=pgettext("chart unit", "千克"),
        ),
    }


@require_GET
def street_report(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street_or_deny(request)
    if denied:
        return denied
    ctx: dict[str, Any] = {"street": street, "streets": streets, "problem": None, "report": None, "charts": {}}
    try:
        report = _report_for(request, street)
    except Problem as problem:
        ctx["problem"] = problem_message(problem)
        ctx["form"] = {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
        return render(request, "meals/staff/report.html", ctx, status=problem.http_status)
    query = {"street": street.code, "from": report["from"].isoformat(), "to": report["to"].isoformat()}
    editor_streets = core_selectors.user_street_ids(request_user(request), roles=menu_selectors.EDITOR_ROLES)
    ctx.update(
        late_kitchens=menu_selectors.kitchens_not_week_ahead(street=street),
        kitchen_count=menu_selectors.kitchen_list(street=street).count(),
        can_edit_menus=street.pk in editor_streets,
        report=report,
        charts=report_charts(report),
        form={"from": query["from"], "to": query["to"]},
        csv_url=f"{reverse('meals:staff_report_csv')}?{urlencode(query)}",
        sales_rows=[
            {
                **r,
                "list_yuan": charts.yuan(r["list_fen"]),
                "discount_yuan": charts.yuan(r["discount_fen"]),
                "total_yuan": charts.yuan(r["total_fen"]),
            }
            for r in report["sales"]
        ],
        subsidy_rows=[{**s, "yuan": charts.yuan(s["amount_fen"])} for s in report["subsidies"]],
        totals_yuan={
            "total": charts.yuan(report["totals"]["total_fen"]),
            "subsidies": charts.yuan(report["totals"]["subsidies_fen"]),
            "waste_kg": f"{report['totals']['waste_grams'] / 1000:,.1f}",
        },
    )
    return render(request, "meals/staff/report.html", ctx)


def report_csv(report: dict[str, Any]) -> bytes:
    w = CsvWriter()

    def block(title: str, header: list[str], rows: list[list[Any]]) -> None:
        w.row([title])
        w.row(header)
        w.rows(rows)
        w.row([])

    w.row([f"{report['street_name']} 助餐报表 Meals report", f"{report['from']}", f"{report['to']}"])
    w.row([])
    t = report["totals"]
    block(
        "合计 Totals",
        ["订单数 orders", "原价（分）list fen", "补贴（分）discount fen", "实收（分）paid fen", "厨余（克）waste g"],
        [[t["orders"], t["list_fen"], t["discount_fen"], t["total_fen"], t["waste_grams"]]],
    )
    block(
        "每日销售（按厨房） Sales per kitchen and day",
        [
            "日期 date",
            "厨房 kitchen",
            "订单数 orders",
            "原价（分）list fen",
            "补贴（分）discount fen",
            "实收（分）paid fen",
        ],
        [
            [r["date"].isoformat(), r["kitchen"], r["orders"], r["list_fen"], r["discount_fen"], r["total_fen"]]
            for r in report["sales"]
        ],
    )
    block(
        "补贴（按价格档） Subsidies per tier",
        ["价格档 tier", "订单数 orders", "补贴（分）amount fen"],
        [[s["label"], s["orders"], s["amount_fen"]] for s in report["subsidies"]],
    )
    block(
        "居民评分 Ratings",
        ["厨房 kitchen", "评价数 count", "口味 taste", "分量 portion", "价格 price"],
        [[r["kitchen"], r["count"], r["taste"], r["portion"], r["price"]] for r in report["ratings"]],
    )
    block(
        "厨余 Food waste",
        ["厨房 kitchen", "记录天数 days", "总重量（克）grams", "日均（克）avg grams"],
        [[r["kitchen"], r["days"], r["grams"], r["avg_grams"]] for r in report["waste"]],
    )
    return w.bytes()


@require_GET
def street_report_csv(request: HttpRequest) -> HttpResponse:
    street, _streets, denied = _street_or_deny(request)
    if denied:
        return denied
    try:
        report = _report_for(request, street)
    except Problem as problem:
        return HttpResponse(str(problem.detail or problem.title), status=problem.http_status)
    audit_log(
        actor=request.user,  # type: ignore[arg-type]
        action="meals.street_report_export",
        street=street,
        data={"from": report["from"].isoformat(), "to": report["to"].isoformat()},
    )
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    filename = f"meals-report-{street.code}-{report['from']}-{report['to']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("staff/meals/", street_report, name="staff_report"),
    path("staff/meals/report.csv", street_report_csv, name="staff_report_csv"),
]
