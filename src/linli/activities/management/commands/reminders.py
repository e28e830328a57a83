"""`linli reminders send [--now ISO]`: send the activity reminders that are due (cron-style, embedded mode)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from linli.activities.services.bookings import booking_reminders_send


class Command(BaseCommand):
    help = "发送活动提醒（前一天、开始前两小时）Send activity reminders that are due"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="send the reminders that are due now")
        send.add_argument("--now", help="pretend it is this ISO 8601 time (Shanghai if no offset)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options.get("now"):
            now = parse_datetime(options["now"])
            if now is None:
                raise CommandError(f"--now: not an ISO 8601 date-time: {options['now']!r}")
            if timezone.is_naive(now):
                now = timezone.make_aware(now, timezone.get_default_timezone())
        sent = booking_reminders_send(now=now)
        self.stdout.write(f"已发送 {sent} 条提醒 / {sent} reminders sent")
