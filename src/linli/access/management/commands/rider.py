"""`linli rider verify PHONE --partner NAME [--name 姓名] [--days N] [--street CODE]`, `linli rider suspend PHONE`,
`linli rider revoke PHONE`, `linli rider reinstate PHONE`, `linli rider list --street CODE` and
`linli rider partner-key NAME --street CODE` (a new assertion key for a delivery partner, printed once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext_lazy as _

from linli.access.selectors import credential_list_for_street
from linli.access.services import riders as rider_services
from linli.core.commands import json_line, problems_exit_1
from linli.core.errors import Problem
from linli.core.models import Role, RoleAssignment, Street
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.selectors import street_get


def _street_for(phone: str, code: str | None) -> Street:
    """The street given, else the rider's only rider street, else the deployment's only street."""
    if code:
        return street_get(code=code)
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    ids = set(
        RoleAssignment.objects.filter(user__phone=normalized, role=Role.RIDER).values_list("street_id", flat=True)
    )
    streets = list(Street.objects.filter(id__in=ids)) if ids else list(Street.objects.all()[:2])
    if len(streets) != 1:
        raise Problem("validation_error", detail=_("请用 --street 指明街道"))
    return streets[0]


class Command(BaseCommand):
    help = "骑手认证：认证、暂停、吊销、恢复 / Verify, suspend, revoke and reinstate riders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="认证骑手 verify a rider")
        verify.add_argument("phone")
        verify.add_argument("--partner", required=True, help="配送平台 e.g. 饿了么, 美团")
        verify.add_argument(
            "--name", default="", help="真实姓名 real name (needed for a new rider; a renewal keeps the known name)"
        )
        verify.add_argument("--days", type=int, default=rider_services.DEFAULT_DAYS)
        verify.add_argument("--street")
        verify.add_argument("--json", action="store_true")
        for name in ("suspend", "revoke", "reinstate"):
            p = sub.add_parser(name)
            p.add_argument("phone")
            p.add_argument("--street", help="only this street's credential (default: every street's)")
        lst = sub.add_parser("list")
        lst.add_argument("--street", required=True)
        key = sub.add_parser("partner-key", help="配送平台签名密钥 a partner's assertion key")
        key.add_argument("partner")
        key.add_argument("--street", required=True)
        key.add_argument("--json", action="store_true", help="print {partner, name, street, key} as JSON")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "verify":
            street = _street_for(opts["phone"], opts["street"])
            try:
                c = rider_services.rider_verify(
                    street=street,
                    phone=opts["phone"],
                    partner=opts["partner"],
                    real_name=opts["name"],
                    days=opts["days"],
                    actor=None,
                )
            except Problem as p:
                if not opts["name"] and any(e.get("field") == "name" for e in p.errors):
                    p.detail = _("新骑手请用 --name 填写真实姓名")
                raise
            if opts["json"]:
                data = {"id": c.pk, "phone": mask_phone(c.user.phone), "real_name": c.real_name}
                data.update(partner=c.partner.code, street=street.code, status=c.status, expires=c.expires_at)
                self.stdout.write(json_line(data))
                return
            self.stdout.write(
                f"{mask_phone(c.user.phone)}\t{c.real_name}\t{c.partner.name}\t{street.code}\t{c.status}\t"
                f"expires {c.expires_at:%Y-%m-%d}"
            )
        elif action in ("suspend", "revoke", "reinstate"):
            only = street_get(code=opts["street"]) if opts["street"] else None
            credentials = rider_services.credentials_by_phone(phone=opts["phone"], street=only)
            if not credentials:
                raise Problem("not_found", detail=_("该手机号没有骑手认证"))
            move = {
                "suspend": rider_services.rider_suspend,
                "revoke": rider_services.rider_revoke,
                "reinstate": rider_services.rider_reinstate,
            }[action]
            for c in credentials:
                move(credential=c, actor=None)
                self.stdout.write(f"{mask_phone(c.user.phone)}\t{c.street.code}\t{c.status}")
        elif action == "partner-key":
            street = street_get(code=opts["street"])
            partner, _created = rider_services.partner_get_or_create(street=street, name=opts["partner"])
            key = rider_services.partner_key_new(partner=partner)
            if opts["json"]:
                data = {"partner": partner.code, "name": partner.name, "street": street.code, "key": key}
                self.stdout.write(json_line(data))
                return
            self.stdout.write(f"partner: {partner.code}\t{partner.name}\t{street.code}")
            self.stdout.write(f"key:     {key}")
        else:
            for c in credential_list_for_street(street_get(code=opts["street"])):
                self.stdout.write(
                    f"{mask_phone(c.user.phone)}\t{c.real_name}\t{c.partner.name}\t{c.status}\t{c.expires_at:%Y-%m-%d}"
                )
