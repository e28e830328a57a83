"""Texts of the notices about appointments (booked, cancelled by staff, reminders, suspension), zh-Hans and
English; sent with `linli.core.notifications.notify_user` (after commit)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from linli.core.notifications import notify_user

__all__ = ["booked_message", "cancelled_message", "notify_user", "reminder_message", "suspended_message"]


def when_text(value: Any) -> str:
    local = timezone.localtime(value)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def when_text_en(value: Any) -> str:
    return f"{timezone.localtime(value):%d %b %H:%M}"


def booked_message(appointment: Any, slot: Any, item: Any) -> tuple[str, str]:
    place = slot.resource.place.name
    return (
        f"您已预约「{item.name}」：{when_text(slot.start)}，{place}（{slot.resource.name}），预约码 {appointment.code}。"
        f"请带齐原件准时到达，如不能来请提前取消。",
        f"Booked '{item.name}': {when_text_en(slot.start)} at {place} ({slot.resource.name}), code "
        f"{appointment.code}. Bring the originals; cancel in advance if you cannot come.",
    )


def cancelled_message(appointment: Any, reason: str = "") -> tuple[str, str]:
    extra = f"说明：{reason}" if reason else ""
    return (
        f"您 {when_text(appointment.start)} 办理「{appointment.item.name}」的预约已由工作人员取消。{extra}",
        f"Your appointment for '{appointment.item.name}' at {when_text_en(appointment.start)} was cancelled by "
        f"staff. {reason}".strip(),
    )


def reminder_message(appointment: Any, *, kind: str) -> tuple[str, str]:
    lead_zh = "明天" if kind == "day_before" else "两小时后"
    lead_en = "tomorrow" if kind == "day_before" else "in two hours"
    place = appointment.resource.place.name
    return (
        f"提醒：您{lead_zh}（{when_text(appointment.start)}）在{place}办理「{appointment.item.name}」，"
        f"预约码 {appointment.code}，请带齐原件。",
        f"Reminder: '{appointment.item.name}' {lead_en} ({when_text_en(appointment.start)}) at {place}, code "
        f"{appointment.code}. Bring the originals.",
    )


def suspended_message(suspension: Any, count: int) -> tuple[str, str]:
    until = timezone.localtime(suspension.ends_at)
    return (
        f"您近期有 {count} 次预约未到，网上预约暂停至 {until.month}月{until.day}日。如需办理请致电社区事务受理服务中心。",
        f"After {count} missed appointments, online booking is suspended until {until:%d %b}. Call the affairs "
        f"centre to book.",
    )
