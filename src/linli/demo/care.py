"""The sample street's care (issue 17): a committee's register of 30 SAMPLE people (elders living alone, 80+,
disabled, seriously ill, a pregnant woman, low-income families) with consent and contacts, a duty rota, a week of
check-ins with missed ones on the ladder, calls in every state, an open 8-hour request and follow-ups due. The
sample elder account (胡阿姨) is on the register, so her care page has the one-key call button.

Everything goes through the regular services. `care_demo_load(street)` makes the data only when the street has no
register yet (a second run changes nothing); `care_demo_reset(street)` removes the street's care rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from linli.care.models import Alert, Call, CheckIn, DutyShift, FollowUp, Person, VisitRequest
from linli.care.services import calls, checks, followups, register, rota, visits
from linli.core.models import Committee, Compound, Role, RoleAssignment, Street, User
from linli.core.services import role_assign, user_get_or_create

COMMITTEE = "wl-rc-01"
BACKUP_COMMITTEE = "wl-rc-02"
# Extra responders of the committee besides the demo social worker: (phone, name).
RESPONDERS = [("13800000043", "周社工（示例）"), ("13800000044", "吴社工（示例）")]
BACKUP = ("13800000045", "郑社工（示例）")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GROUPS = [
    ["living_alone", "elderly_80"], ["living_alone"], ["elderly_80"], ["disabled"], ["seriously_ill"],
    ["low_income"], ["elderly_80", "disabled"], ["living_alone", "seriously_ill"], ["pregnant"], ["low_income", "living_alone"],
]  # fmt: skip
NOTES = ["高血压，按时服药", "骨质疏松，行动不便", "糖尿病", "轮椅出行", "术后康复中", "", "听力较弱，请大声说话", ""]


@dataclass
class CareDemo:
    counts: dict[str, int] = field(default_factory=dict)


def care_demo_reset(street: Street) -> None:
    FollowUp.objects.filter(person__street=street).delete()
    VisitRequest.objects.filter(street=street).delete()
    Call.objects.filter(street=street).delete()
    Alert.objects.filter(person__street=street).delete()
    CheckIn.objects.filter(person__street=street).delete()
    Person.objects.filter(street=street).delete()
    DutyShift.objects.filter(committee__street=street).delete()


def _staff(street: Street, phone: str, name: str, role: str = Role.SOCIAL_WORKER) -> User:
    user = user_get_or_create(phone=phone, display_name=name)
    if not RoleAssignment.objects.filter(user=user, street=street, role=role).exists():
        role_assign(user=user, street=street, role=role)
    return user


def care_demo_load(street: Street, *, accounts: dict[str, User]) -> CareDemo:
    """`accounts`: the demo accounts by key (social_worker, care_lead, elder)."""
    result = CareDemo()
    if Person.objects.filter(street=street).exists():
        result.counts = {"people": Person.objects.filter(street=street).count(), "created": 0}
        return result
    rng = random.Random(17)
    now = timezone.now()
    committee = Committee.objects.get(street=street, external_id=COMMITTEE)
    backup_committee = Committee.objects.get(street=street, external_id=BACKUP_COMMITTEE)
    compounds = list(Compound.objects.filter(street=street, committee=committee)) or list(
        Compound.objects.filter(street=street)[:3]
    )
    lead = accounts["care_lead"]
    worker = accounts["social_worker"]
    team = [worker] + [_staff(street, p, n) for p, n in RESPONDERS]
    backup = _staff(street, *BACKUP)
    with transaction.atomic():
        # The rota: the committee's three social workers around the clock, the backup committee's one too.
        for day in range(7):
            for user in team:
                rota.shift_add(actor=lead, committee=committee, user=user, weekday=day, start=time(0), end=time(0))
            rota.shift_add(actor=lead, committee=backup_committee, user=backup, weekday=day, start=time(0), end=time(0))
        people: list[Person] = []
        elder = accounts["elder"]
        for i in range(30):
            compound = compounds[i % len(compounds)]
            is_elder = i == 0
            name = "胡阿姨" if is_elder else f"{SURNAMES[i]}{'阿婆' if i % 2 else '老伯'}"
            person = register.person_register(
                actor=worker, committee=committee, compound=compound, building=f"{i % 12 + 1}号楼 {rng.randint(1, 6)}0{rng.randint(1, 4)}室",
                name=name, groups=GROUPS[i % len(GROUPS)], consent_by=name if i % 3 else f"{name}的子女",
                consent_relation="本人" if i % 3 else "子女", phone=f"1390000{i:04d}", birth_year=1935 + i % 15,
                health_notes=NOTES[i % len(NOTES)], user=elder if is_elder else None,
                checkin_hour=(9 + i % 3) if i < 20 else None,
                contacts=[
                    # 胡阿姨 (the elder's account) is the family contact of her husband, entry 2: she sees his entry
                    # on /care/family/ (the family's view).
                    {"kind": "family", "name": "胡阿姨", "relation": "老伴", "phone": elder.phone} if i == 2 else
                    {"kind": "family", "name": f"{name[0]}先生", "relation": "儿子", "phone": f"1370000{i:04d}"},
                    {"kind": "doctor", "name": "真如社区卫生服务中心 丁医生", "phone": "13600001111"},
                ] + ([{"kind": "neighbour", "name": "隔壁李阿姨", "phone": f"1360000{i:04d}"}] if i % 4 == 0 else []),
            )  # fmt: skip
            people.append(person)
        _device, _raw = register.device_create(actor=worker, person=people[1], name="一键通 示例设备")

        # A week of check-ins: most days a tap or a heartbeat before the chosen hour; a few missed days climbed the
        # ladder and were resolved by a visit.
        for back in range(7, 0, -1):
            that_day = timezone.localtime(now - timedelta(days=back))
            for n, person in enumerate(people[:20]):
                at = that_day.replace(hour=person.checkin_hour - 1, minute=rng.randint(0, 59), second=0, microsecond=0)
                if (n + back) % 9 == 0:  # missed: the ladder ran, a visit resolved it
                    due = at.replace(hour=person.checkin_hour, minute=1)
                    checks.alerts_sweep(now=due)
                    checks.alerts_sweep(now=due + timedelta(minutes=31))
                    checks.checkin_record(person=person, source="visit", by=worker, now=due + timedelta(minutes=50))
                    continue
                checks.checkin_record(person=person, source="device" if n % 4 == 1 else "tap",
                                      by=None if n % 4 == 1 else person.user, now=at)  # fmt: skip
        # Today: most have checked in; one missed check-in is on the ladder now (a staff call due).
        today = timezone.localtime(now)
        for person in people[2:12]:
            checks.checkin_record(person=person, source="tap", now=today.replace(hour=7, minute=30))
        stuck = people[12]
        if today.hour >= stuck.checkin_hour + 1:
            checks.alerts_sweep(now=today)

        # Calls in every state, most of the week's emergencies acknowledged within a minute.
        def call(person: Person, kind: str, ago_min: float, ack_s: float | None, steps: str, outcome: str = "") -> Call:
            t0 = now - timedelta(minutes=ago_min)
            c = calls.call_create(kind=kind, source="button", person=person, actor=person.user, now=t0)
            if ack_s is None:
                return c
            if ack_s > 60:
                calls.calls_sweep(now=t0 + timedelta(seconds=61))
                c.refresh_from_db()
            calls.call_acknowledge(call=c, actor=worker, now=t0 + timedelta(seconds=ack_s))
            if "w" in steps:
                calls.call_on_the_way(call=c, actor=worker, now=t0 + timedelta(minutes=2))
            if "a" in steps:
                calls.call_arrive(call=c, actor=worker, now=t0 + timedelta(minutes=rng.randint(8, 25)))
                calls.call_actions_add(call=c, actor=worker, actions=["family_told"])
            if "c" in steps:
                calls.call_close(
                    call=c, actor=worker, outcome=outcome or "已处置，老人情况稳定", now=t0 + timedelta(minutes=50)
                )
            return c

        for k, days_ago in enumerate((6, 5, 4, 3, 2)):
            call(people[3 + k], "emergency", days_ago * 1440 + 600, 25 + k * 9, "wac", "拨打120送医，家属已到医院")
        call(people[8], "help", 2 * 1440, 40, "c", "电话中已解决：帮忙预约了家庭医生")
        call(people[9], "emergency", 1440 + 200, 95, "wac", "摔倒后扶起，无大碍")  # acknowledged late
        call(people[10], "help", 180, 30, "wa")  # on site, still open
        call(people[11], "emergency", 25, 20, "w")  # on the way
        call(people[13], "chat", 12, 15, "")  # acknowledged
        call(people[14], "emergency", 4, 200, "")  # escalated, then acknowledged by the lead's team
        call(people[15], "help", 3, None, "")  # escalated: nobody acknowledged within 60 s
        calls.calls_sweep(now=now)
        call(people[16], "emergency", 0.2, None, "")  # new: on every responder's console now

        # The 8-hour channel: one open (due this afternoon), one done with follow-up, one on time last week.
        visits.visit_request_create(person=people[17], what="长护险申请（卧床，需上门评估材料）", requested_by=worker,
                                    now=now - timedelta(hours=3))  # fmt: skip
        done = visits.visit_request_create(person=people[18], what="养老金卡挂失补办", requested_by=people[18].user,
                                           now=now - timedelta(days=2))  # fmt: skip
        visits.visit_record(visit=done, actor=worker, done_text="已在床边办理挂失，新卡寄送到家", follow_up=True,
                            now=now - timedelta(days=2) + timedelta(hours=3))  # fmt: skip
        old = visits.visit_request_create(person=people[19], what="残疾评定预约改期", requested_by=worker,
                                          now=now - timedelta(days=5))  # fmt: skip
        visits.visit_record(visit=old, actor=worker, done_text="已改期到下月", follow_up=False,
                            now=now - timedelta(days=5) + timedelta(hours=4))  # fmt: skip
        # Follow-ups: those of the week's emergencies (some done, some overdue), one due tomorrow.
        for f in FollowUp.objects.filter(person__street=street, due_at__lt=now - timedelta(days=1)).order_by("due_at")[
            :4
        ]:
            followups.followup_done(followup=f, actor=worker, note="电话回访，恢复良好", now=f.due_at)
        followups.followups_sweep(now=now)
        followups.followups_schedule(person=people[20], start=now - timedelta(hours=2), assignee=worker)
    result.counts = {
        "people": len(people),
        "shifts": DutyShift.objects.filter(committee__street=street).count(),
        "checkins": CheckIn.objects.filter(person__street=street).count(),
        "calls": Call.objects.filter(street=street).count(),
        "visits": VisitRequest.objects.filter(street=street).count(),
        "followups": FollowUp.objects.filter(person__street=street).count(),
    }
    return result
