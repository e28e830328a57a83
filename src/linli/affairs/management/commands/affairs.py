"""`linli affairs ...`: the affairs centre's bookable resources and slot templates.

    linli affairs resource add PLACE --name NAME --kind window|remote|home [--street CODE] [--json]
    linli affairs resource list --street CODE [--json]
    linli affairs template add RESOURCE --days Mo-Fr --times 09:00-11:30,13:30-16:30 --minutes 30 --places 2
        [--items CODE,...] [--from YYYY-MM-DD] [--until YYYY-MM-DD] [--open-on-holidays] [--json]
    linli affairs slots make [--street CODE] [--days 60]
    linli affairs reminders send

PLACE is the place's id or its external id (`--street` when two streets share it); RESOURCE the resource's id.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Resource, ResourceKind
from linli.affairs.services import slots as slot_services
from linli.affairs.services.appointments import appointment_reminders_send
from linli.core.commands import json_line, problems_exit_1
from linli.core.errors import Problem, field_error
from linli.core.lenient import parse_date
from linli.core.selectors import street_get
from linli.places.models import Place


def _place(ref: str, street_code: str | None) -> Place:
    qs = Place.objects.select_related("street")
    if street_code:
        qs = qs.filter(street=street_get(code=street_code))
    found = list(qs.filter(pk=int(ref))) if ref.isdigit() else []
    found = found or list(qs.filter(external_id=ref)[:2])
    if len(found) != 1:
        detail = _("没有这个点位") if not found else _("多个街道有这个点位，请加 --street")
        raise Problem("not_found", detail=detail, errors=[field_error("place", detail)])
    return found[0]


def _resource(ref: str) -> Resource:
    resource = Resource.objects.select_related("street", "place").filter(pk=int(ref) if ref.isdigit() else 0).first()
    if resource is None:
        raise Problem("not_found", detail=_("没有这个预约资源（用编号：linli affairs resource list）"))
    return resource


def _resource_dict(r: Resource) -> dict[str, Any]:
    return {"id": r.pk, "name": r.name, "kind": r.kind, "place": r.place.external_id, "street": r.street.code}


class Command(BaseCommand):
    help = (
        "社区事务：预约资源与时段模板 Affairs: bookable resources and slot templates — "
        "linli affairs resource add PLACE --name NAME --kind window|remote|home; "
        "linli affairs template add RESOURCE --days Mo-Fr --times 09:00-11:30,13:30-16:30 --minutes 30 --places 2 "
        "[--items CODE,...]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        resource = sub.add_parser("resource", help="bookable windows, remote points, the door-to-door team")
        rsub = resource.add_subparsers(dest="action", required=True)
        add = rsub.add_parser("add", help="add a resource at a place")
        add.add_argument("place", help="place id or external id")
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True, choices=ResourceKind.values)
        add.add_argument("--street", help="street code (when the external id is not unique)")
        add.add_argument("--json", action="store_true")
        listing = rsub.add_parser("list", help="a street's resources")
        listing.add_argument("--street", required=True)
        listing.add_argument("--json", action="store_true")

        template = sub.add_parser("template", help="slot templates")
        tsub = template.add_subparsers(dest="action", required=True)
        tadd = tsub.add_parser("add", help="add a slot template to a resource (its slots are made at once)")
        tadd.add_argument("resource", help="resource id")
        tadd.add_argument("--days", required=True, help="Mo-Fr, Sa,Su, Mo,We,Fr")
        tadd.add_argument("--times", required=True, help="09:00-11:30,13:30-16:30")
        tadd.add_argument("--minutes", required=True, type=int, help="slot length")
        tadd.add_argument("--places", required=True, type=int, help="people per slot")
        tadd.add_argument("--items", default="", help="only these item codes (office workers' evening slots)")
        tadd.add_argument("--from", dest="valid_from", help="valid from YYYY-MM-DD")
        tadd.add_argument("--until", dest="valid_until", help="valid until YYYY-MM-DD")
        tadd.add_argument("--open-on-holidays", action="store_true", help="do not close on public holidays")
        tadd.add_argument("--json", action="store_true")

        slots = sub.add_parser("slots", help="slots from the templates")
        ssub = slots.add_subparsers(dest="action", required=True)
        make = ssub.add_parser("make", help="make the slots of the next days (also a nightly beat task)")
        make.add_argument("--street")
        make.add_argument("--days", type=int, default=slot_services.HORIZON_DAYS)

        reminders = sub.add_parser("reminders", help="appointment reminders")
        reminders.add_subparsers(dest="action", required=True).add_parser("send", help="send the due reminders")

    @problems_exit_1
    def handle(self, *args: Any, what: str, action: str, **options: Any) -> None:
        if what == "resource" and action == "add":
            place = _place(options["place"], options.get("street"))
            r = slot_services.resource_add(place=place, name=options["name"], kind=options["kind"])
            self._out(options, _resource_dict(r), f"已添加 added resource {r.pk}: {r.name} ({r.kind}) @ {place.name}")
        elif what == "resource" and action == "list":
            street = street_get(code=options["street"])
            rows = [_resource_dict(r) for r in Resource.objects.filter(street=street).select_related("street", "place")]
            if options.get("json"):
                self.stdout.write(json_line(rows))
            else:
                for row in rows:
                    self.stdout.write(f"{row['id']}\t{row['kind']}\t{row['name']}\t{row['place']}")
        elif what == "template" and action == "add":
            resource = _resource(options["resource"])
            t = slot_services.template_add(
                resource=resource,
                days=options["days"],
                times=options["times"],
                minutes=options["minutes"],
                places=options["places"],
                items=[c for c in options["items"].split(",") if c.strip()],
                valid_from=parse_date(options["valid_from"]) if options.get("valid_from") else None,
                valid_until=parse_date(options["valid_until"]) if options.get("valid_until") else None,
                skip_holidays=not options["open_on_holidays"],
            )
            count = t.slots.count()
            data = {"id": t.pk, "resource": resource.pk, "weekdays": t.weekdays, "times": t.times, "slots": count}
            self._out(options, data, f"已添加 added template {t.pk} to {resource.name}: {count} slots")
        elif what == "slots" and action == "make":
            target = street_get(code=options["street"]) if options.get("street") else None
            made = slot_services.slots_materialise_all(street=target, days=options["days"])
            self.stdout.write(f"已生成 {made} 个时段 / {made} slots made")
        elif what == "reminders" and action == "send":
            sent = appointment_reminders_send()
            self.stdout.write(f"已发送 {sent} 条提醒 / {sent} reminders sent")

    def _out(self, options: dict[str, Any], data: dict[str, Any], text: str) -> None:
        self.stdout.write(json_line(data) if options.get("json") else text)
