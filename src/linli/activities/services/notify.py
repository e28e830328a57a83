"""Texts of the notices about activities and bookings (promoted from the waitlist, changed, cancelled, reminders),
zh-Hans and English; sent with `linli.core.notifications.notify_user`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from linli.core.notifications import notify_user

__all__ = ["notify_user", "promoted_message", "changed_message", "cancelled_message", "reminder_message"]


def when_text(dt: Any) -> str:
    """'11月23日 14:00' in the business zone."""
    local = timezone.localtime(dt)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def when_text_en(dt: Any) -> str:
    local = timezone.localtime(dt)
    return f"{local:%d %b %H:%M}"


def promoted_message(activity: Any) -> tuple[str, str]:
    return (
        f"您候补的活动「{activity.title}」（{when_text(activity.start)}，{activity.place.name}）已有空位，"
        f"现已为您确认预约。如不能参加请及时取消。",
        f"A seat opened up: your waitlisted booking for '{activity.title}' ({when_text_en(activity.start)}, "
        f"{activity.place.name}) is now confirmed. Please cancel if you cannot come.",
    )


def changed_message(activity: Any, changes: list[str]) -> tuple[str, str]:
    what_zh = "、".join({"start": "开始时间", "end": "结束时间", "place": "地点"}[c] for c in changes)
    what_en = ", ".join({"start": "start time", "end": "end time", "place": "venue"}[c] for c in changes)
    return (
        f"您预约的活动「{activity.title}」{what_zh}有变：现为 {when_text(activity.start)}"
        f"–{timezone.localtime(activity.end):%H:%M}，地点 {activity.place.name}（{activity.place.address}）。",
        f"'{activity.title}' has changed ({what_en}): now {when_text_en(activity.start)}"
        f"–{timezone.localtime(activity.end):%H:%M} at {activity.place.name} ({activity.place.address}).",
    )


def cancelled_message(activity: Any, message: str = "") -> tuple[str, str]:
    extra = f"说明：{message}" if message else ""
    extra_en = f" Note: {message}" if message else ""
    return (
        f"很抱歉，活动「{activity.title}」（{when_text(activity.start)}，{activity.place.name}）已取消，"
        f"您的预约已自动取消。{extra}",
        f"Sorry, '{activity.title}' ({when_text_en(activity.start)}, {activity.place.name}) has been cancelled "
        f"and so has your booking.{extra_en}",
    )


def reminder_message(activity: Any, booking: Any, *, kind: str) -> tuple[str, str]:
    lead_zh = "明天" if kind == "day_before" else "两小时后"
    lead_en = "tomorrow" if kind == "day_before" else "in two hours"
    return (
        f"提醒：您预约的活动「{activity.title}」将于{lead_zh}（{when_text(activity.start)}）在"
        f"{activity.place.name}（{activity.place.address}）开始，签到码 {booking.code}。不能参加请提前取消。",
        f"Reminder: '{activity.title}' starts {lead_en} ({when_text_en(activity.start)}) at {activity.place.name} "
        f"({activity.place.address}). Check-in code {booking.code}. Please cancel if you cannot come.",
    )
