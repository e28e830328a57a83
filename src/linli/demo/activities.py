"""The sample street's activities, written as the iCalendar file a station would import.

Dates follow the day the demo is loaded (from tomorrow on, so everything is bookable), which is why this is
generated rather than a fixed file; the UIDs are stable, so re-running the demo the same day changes nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")

# (uid, title, description, category, venue external id, day offset, start "HH:MM", minutes, capacity, rrule)
EVENTS = [
    (
        "wl-demo-psy",
        "心理健康讲座：和情绪做朋友",
        "社区心理咨询师主讲，现场可预约一对一咨询。",
        "lecture",
        "wl-psc-002",
        1,
        "14:00",
        90,
        40,
        "",
    ),
    (
        "wl-demo-calligraphy",
        "书法兴趣班",
        "每周六上午，零基础可学，笔墨纸砚现场提供。",
        "culture",
        "wl-cul-001",
        2,
        "09:30",
        90,
        20,
        "FREQ=WEEKLY;COUNT=8",
    ),
    (
        "wl-demo-taichi",
        "长者太极拳",
        "适合60岁以上居民，动作舒缓，请穿运动鞋。",
        "health",
        "wl-cs-001",
        1,
        "08:30",
        60,
        30,
        "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12",
    ),
    (
        "wl-demo-pastry",
        "中式面点技能培训（第一期）",
        "国家级技能大师授课，共20课时，结业考核合格可推荐就业。",
        "skills_training",
        "wl-emp-001",
        3,
        "13:30",
        180,
        16,
        "",
    ),
    (
        "wl-demo-rider-safety",
        "骑手消防安全与“拍一拍”培训",
        "消防通道、楼道堆物、电瓶车充电隐患识别与上报。",
        "lecture",
        "wl-rider-002",
        4,
        "15:00",
        60,
        50,
        "",
    ),
    (
        "wl-demo-party",
        "主题党日：走进社区治理",
        "党员志愿者参与网格巡查与楼道清理。",
        "party_affairs",
        "wl-psc-001",
        5,
        "09:00",
        120,
        60,
        "",
    ),
    (
        "wl-demo-kids",
        "亲子手工：旧物改造",
        "带上家里的旧纸盒，和孩子一起动手。",
        "children",
        "wl-read-001",
        6,
        "10:00",
        90,
        15,
        "",
    ),
    (
        "wl-demo-market",
        "睦邻市集",
        "便民服务、磨刀修伞、义诊和二手交换。",
        "market",
        "wl-cul-002",
        7,
        "09:00",
        180,
        0,
        "",
    ),
    (
        "wl-demo-volunteer",
        "助餐点志愿者招募见面会",
        "为长者食堂配餐、送餐的志愿者，欢迎报名。",
        "volunteering",
        "wl-ec-001",
        8,
        "10:00",
        60,
        20,
        "",
    ),
]


def _fold(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def demo_activities_ics(today: dt.date | None = None) -> str:
    today = today or dt.datetime.now(SH).date()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Linli//邻里 sample street//ZH"]
    for uid, title, desc, category, place, offset, start, minutes, capacity, rrule in EVENTS:
        hh, mm = (int(x) for x in start.split(":"))
        begin = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hh, mm))
        end = begin + dt.timedelta(minutes=minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{today:%Y%m%d}T000000Z",
            f"SUMMARY:{_fold(title)}",
            f"DESCRIPTION:{_fold(desc + '（示例数据 sample）')}",
            f"DTSTART;TZID=Asia/Shanghai:{begin:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Asia/Shanghai:{end:%Y%m%dT%H%M%S}",
            f"CATEGORIES:{category}",
            f"X-LINLI-PLACE:{place}",
        ]
        if capacity:
            lines.append(f"X-LINLI-CAPACITY:{capacity}")
        if rrule:
            lines.append(f"RRULE:{rrule}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
