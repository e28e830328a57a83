"""The links a person needs, by what they are: every signed-in person's own pages, then each role's work pages
per street (the "我的" page lists them; the header links to it). One table, so a new domain adds its pages here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from linli.core.models import Role, Street
from linli.core.selectors import user_role_list


@dataclass(frozen=True)
class Link:
    label: Any
    url: str
    key: str


def _street_url(name: str, street: Street) -> str:
    return reverse(name, args=[street.code])


# role -> [(key, label, url name, takes the street code as an argument, adds ?street=)]
ROLE_LINKS: dict[str, list[tuple[str, Any, str, bool, bool]]] = {
    Role.ADMIN: [
        ("activities", _("活动管理"), "activities:staff_list", False, True),
        ("cases", _("事件处置"), "cases:console", False, True),
        ("meals-report", _("助餐报表"), "meals:staff_report", False, True),
        ("menus", _("菜单编排"), "meals:kitchen_menus", False, False),
        ("counter", _("钱包充值"), "meals:counter", False, True),
        ("assistant-review", _("问一问审核"), "assistant:review_queue", False, True),
        ("access", _("门禁管理"), "access:home", False, False),
        ("access-riders", _("骑手认证"), "access:riders", False, True),
        ("access-audit", _("通行记录"), "access:audit", False, False),
        ("admin", _("管理后台"), "admin:index", False, False),
    ],
    Role.STATION_STAFF: [
        ("activities", _("活动管理"), "activities:staff_list", False, True),
        ("counter", _("钱包充值"), "meals:counter", False, True),
        ("collect", _("取餐核销"), "meals:kitchen_collect", False, False),
        ("access-riders", _("骑手认证"), "access:riders", False, True),
        ("assistant-review", _("问一问审核"), "assistant:review_queue", False, True),
    ],
    Role.GRID_WORKER: [("cases", _("事件处置"), "cases:console", False, True)],
    Role.SAFETY_OFFICER: [
        ("cases", _("事件处置"), "cases:console", False, True),
        ("access-audit", _("通行记录"), "access:audit", False, False),
    ],
    Role.KITCHEN_OPERATOR: [
        ("menus", _("菜单编排"), "meals:kitchen_menus", False, False),
        ("production", _("生产单"), "meals:kitchen_production", False, False),
        ("runs", _("配送批次"), "meals:kitchen_runs", False, False),
        ("kitchen-quality", _("质量与浪费"), "meals:quality_kitchen", False, False),
        ("kitchen-settings", _("厨房设置"), "meals:kitchen_settings", False, False),
    ],
    Role.FOOD_SUPERVISOR: [("quality", _("食安检查与试吃"), "meals:quality_home", False, False)],
    Role.RIDER: [
        ("rider-runs", _("我的配送"), "meals:rider_runs", False, False),
        ("report", _("随手拍"), "cases:report", True, False),
        ("sentinels", _("哨兵积分榜"), "cases:sentinels", True, False),
        ("gate-pass", _("扫码开门"), "access:tap", False, False),
    ],
    Role.PROPERTY_MANAGER: [
        ("access", _("门禁管理"), "access:home", False, False),
        ("access-audit", _("通行记录"), "access:audit", False, False),
    ],
}


def personal_links() -> list[Link]:
    return [
        Link(_("我的预约"), reverse("activities:my_bookings"), "my-bookings"),
        Link(_("我的订餐"), reverse("meals:resident_orders"), "my-meals"),
        Link(_("我的上报"), reverse("cases:my_reports"), "my-reports"),
    ]


def role_links(user: Any) -> list[dict[str, Any]]:
    """[{street, role, links: [Link]}] for each role the user holds (a street's duplicate pages listed once)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for assignment in user_role_list(user):
        links = []
        for key, label, name, with_code, with_query in ROLE_LINKS.get(assignment.role, []):
            if (assignment.street_id, key) in seen:
                continue
            seen.add((assignment.street_id, key))
            url = _street_url(name, assignment.street) if with_code else reverse(name)
            if with_query:
                url += f"?street={assignment.street.code}"
            links.append(Link(label, url, key))
        out.append({"street": assignment.street, "role": assignment.get_role_display(), "links": links})
    return out


def report_street(user: Any) -> Street | None:
    """The street whose "随手拍" page a person opens: where they hold a role, else their home street, else the only
    street of the deployment."""
    for assignment in user_role_list(user):
        return assignment.street
    if getattr(user, "home_street_id", None):
        return user.home_street
    streets = list(Street.objects.order_by("code")[:2])
    return streets[0] if len(streets) == 1 else None
