"""Residents' voice on the sample street (issue 19's demo): SAMPLE data, not official.

- A closed survey, "党群服务中心打开围墙，您想怎么用？（示例）" (after Wanli's 100+ questionnaires, seed 003), with
  300 answers: 180 online from the sample residents, 120 entered at the door by the building-group head with
  the household's consent; its results are public and say what was done with them.
- The open survey on the canteen's dinners (one answer per household) the building-group head takes door to door.
- Households per committee (the response rate's denominator).
- A needs board of 40 needs from the standing form, the assistant, walk-ins and cases: open, tagged, merged,
  turned into consultations, answered.
- Three 日日清约请 consultations: one closed with its actions done, one met with an overdue action, one just invited.
  They go through the services (dated in the past with their `now`), so the timelines and the public "what we
  did" pages are the real ones.

The 300 answers are written in bulk (two INSERTs), checked by the same rules as a real response would be: the
demo is rebuilt by many tests. `voice_demo_load(street)` makes the data when the street has no survey yet.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from linli.core.models import Committee, Compound, Street, User
from linli.voice.models import (
    Answer,
    Channel,
    CommitteeHouseholds,
    Consultation,
    Need,
    NeedSource,
    Response,
    Survey,
)
from linli.voice.services import consultations as cs
from linli.voice.services import invitations, needs
from linli.voice.services.answers import answers_check
from linli.voice.services.surveys import survey_create
from linli.voice.services.tallies import tallies_rebuild

TITLE = "社区食堂加开晚餐，您需要吗？（示例）"
CLOSED_TITLE = "党群服务中心打开围墙，您想怎么用？（示例）"
ONLINE, DOOR = 180, 120
HOUSEHOLDS = (1860, 2240, 1420, 2680, 1980, 1150, 1530)  # per committee, in COMMITTEES order (sample figures)
RESIDENT_PHONES = "+86139000"  # the meals demo's sample residents

TEXTS = [
    "希望晚上也能开放自习室，孩子放学可以来写作业",
    "骑手休息点要有充电和热水",
    "周末想有书法和太极的课程",
    "围墙拆了以后请注意老人安全，晚上灯要亮",
    "希望有共享厨房，周末可以一起包馄饨",
    "上班族中午想找个地方休息一下",
    "希望增加健康检测，量血压方便一点",
    "小朋友需要室内活动的地方，下雨天也能玩",
    "停车太难了，开放以后不要占用人行道",
    "希望能有法律咨询，每周固定时间",
]
NEEDS = [
    ("小区非机动车没地方停，电瓶车在楼道里充电很危险", ["安全", "停车"]),
    ("物业公司报修总是拖，楼道灯坏了一个月没人修", ["物业"]),
    ("希望老年助餐点周末也开", ["助餐"]),
    ("3号楼想加装电梯，楼里意见不统一，需要居委协调", ["加梯"]),
    ("绿化带有人种菜，味道大", ["环境"]),
    ("小区门口早高峰堵车，希望错峰", ["交通"]),
    ("想要一个孩子放学后写作业的地方", ["托育"]),
    ("骑手在小区里找不到楼号，希望有门牌指引图", ["骑手", "指引"]),
    ("垃圾厢房周围有异味，清运时间能不能调整", ["环境", "垃圾"]),
    ("独居老人希望有人定期上门看看", ["养老"]),
    ("健身器材坏了两件", ["设施"]),
    ("地下车库漏水", ["物业", "设施"]),
    ("希望开一个智能手机使用培训班", ["课程"]),
    ("晚上广场舞音乐太吵", ["噪音"]),
    ("小区里的快递柜太少", ["设施"]),
    ("希望能办理社保卡的地方离家近一点", ["办事"]),
    ("楼道里堆放杂物，消防通道不畅", ["安全"]),
    ("想要一个共享工具箱，修东西方便", ["邻里"]),
    ("希望社区医生每周来一次量血压", ["健康"]),
    ("宠物粪便没人清理", ["环境"]),
]


def voice_demo_reset(street: Street) -> None:
    Consultation.objects.filter(street=street).delete()  # committee is PROTECT: before the street cascades
    Need.objects.filter(street=street).delete()
    Survey.objects.filter(street=street).delete()
    CommitteeHouseholds.objects.filter(committee__street=street).delete()


def voice_demo_load(street: Street, *, actor: User | None = None, building_head: User | None = None,
                    now: datetime | None = None) -> dict[str, int]:  # fmt: skip
    """The street's voice demo, once: when the street already has a survey, nothing is made."""
    if Survey.objects.filter(street=street).exists():
        return {"surveys": 0}
    now = now or timezone.now()
    rng = random.Random(19)
    committees = list(Committee.objects.filter(street=street).order_by("external_id"))
    CommitteeHouseholds.objects.bulk_create(
        [CommitteeHouseholds(committee=c, households=HOUSEHOLDS[i % len(HOUSEHOLDS)]) for i, c in enumerate(committees)]
    )
    compounds = [c for c in Compound.objects.filter(street=street).order_by("external_id") if c.committee_id]
    _open_survey(street, actor, now)
    answered = _closed_survey(street, actor, building_head, compounds, rng, now)
    made = _needs(street, committees, rng, now)
    consulted = _consultations(street, committees, actor, now)
    return {"surveys": 2, "responses": answered, "needs": made, "consultations": consulted}


def _open_survey(street: Street, actor: User | None, now: datetime) -> Survey:
    return survey_create(
        street=street,
        title=TITLE,
        intro="长者食堂想在工作日加开晚餐（17:00–18:30），请告诉我们您是否需要、想吃什么。（示例问卷）",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=30),
        one_answer="household",
        actor=actor,
        questions=[
            {"kind": "single", "text": "您家需要社区食堂的晚餐吗？", "options": ["需要", "偶尔需要", "不需要"],
             "required": True},
            {"kind": "multiple", "text": "您希望晚餐有哪些？", "options": ["软烂菜", "半份菜", "面食", "送餐上门"],
             "condition": {"question": 0, "op": "not_equals", "value": 2}},
            {"kind": "rating", "text": "您对现在的午餐满意吗？", "min_value": 1, "max_value": 5},
            {"kind": "long_text", "text": "还有什么想对食堂说的？"},
        ],
    )  # fmt: skip


def _closed_survey(street: Street, actor: User | None, head: User | None, compounds: list[Compound],
                   rng: random.Random, now: datetime) -> int:  # fmt: skip
    opened, closed = now - timedelta(days=45), now - timedelta(days=12)
    survey = survey_create(
        street=street,
        title=CLOSED_TITLE,
        intro="党群服务中心准备打开围墙、延长开放时间。请居民、上班族和骑手告诉我们想怎么用这些空间。（示例问卷）",
        opens_at=opened,
        closes_at=closed,
        actor=actor,
        result_summary="300 份回答中，近六成希望晚上开放。9 月起服务中心工作日开放到 21:00，"
        "二楼改为自习室和骑手驿站，共享厨房每周末开放（示例）。",
        questions=[
            {"section": "关于您", "kind": "single", "text": "您是？", "options": ["居民", "上班族", "骑手"],
             "required": True},
            {"section": "关于您", "kind": "number", "text": "您家有几口人？", "min_value": 1, "max_value": 12},
            {"section": "开放时间和空间", "kind": "single", "text": "您希望服务中心晚上开放吗？",
             "options": ["希望开到 21:00", "开到 19:00 就够", "不需要"], "required": True},
            {"section": "开放时间和空间", "kind": "multiple", "text": "晚上您想用哪些空间？",
             "options": ["自习室", "骑手驿站", "共享厨房", "健身房", "书画室"], "max_choices": 3,
             "condition": {"question": 2, "op": "not_equals", "value": 2}},
            {"section": "开放时间和空间", "kind": "ranking", "text": "请按重要程度排序",
             "options": ["安全", "安静", "干净", "方便"]},
            {"section": "评价", "kind": "rating", "text": "您对现在的服务中心满意吗？", "required": True},
            {"section": "评价", "kind": "long_text", "text": "还有什么建议？"},
        ],
    )  # fmt: skip
    questions = list(survey.questions.all())
    q = {i: question.pk for i, question in enumerate(questions)}
    residents = list(User.objects.filter(phone__startswith=RESIDENT_PHONES).order_by("phone")[:ONLINE])
    span = (closed - opened).total_seconds()
    responses: list[Response] = []
    raw_answers: list[dict[str, object]] = []
    for i in range(ONLINE + DOOR):
        door = i >= ONLINE
        compound = compounds[rng.randrange(len(compounds))] if compounds else None
        who = rng.choices([0, 1, 2], weights=[7, 2, 1])[0] if not door else 0
        evening = rng.choices([0, 1, 2], weights=[6, 3, 1] if who else [5, 3, 2])[0]
        answers: dict[str, object] = {str(q[0]): who, str(q[2]): evening,
                                      str(q[5]): rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 5, 8, 4])[0]}  # fmt: skip
        if who == 0:
            answers[str(q[1])] = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
        if evening != 2:
            spaces = [0, 1, 2, 3, 4]
            weights = {0: [5, 1, 4, 3, 3], 1: [3, 2, 1, 2, 1], 2: [1, 9, 1, 1, 1]}[who]
            picked: list[int] = []
            for _n in range(rng.randint(1, 3)):
                choice = rng.choices(spaces, weights=weights)[0]
                if choice not in picked:
                    picked.append(choice)
            answers[str(q[3])] = picked
        if rng.random() < 0.6:
            order = [0, 1, 2, 3]
            rng.shuffle(order)
            answers[str(q[4])] = order
        if rng.random() < 0.25:
            answers[str(q[6])] = rng.choice(TEXTS)
        raw_answers.append(answers)
        at = opened + timedelta(seconds=rng.uniform(0, span))
        user = None if door or i >= len(residents) else residents[i]
        flat = f"{rng.randint(1, 30)}-{rng.randint(1, 18)}{rng.randint(1, 4):02d}"
        responses.append(Response(
            survey=survey, client_id=uuid.UUID(int=rng.getrandbits(128), version=4), user=user,
            channel=Channel.DOOR if door else Channel.ONLINE, compound=compound,
            committee_id=compound.committee_id if compound else None,
            household=f"{compound.pk if compound else 0}:{flat}" if door else "",
            entered_by=head if door else None, consent=True, created_at=at,
        ))  # fmt: skip
    seen: set[str] = set()
    for r in responses:  # one door answer per household
        while r.household and r.household in seen:
            r.household += "-1"
        seen.add(r.household)
    Response.objects.bulk_create(responses)
    rows = []
    for response, answers in zip(responses, raw_answers, strict=True):
        for v in answers_check(questions, answers):  # the demo's answers obey the survey's own rules
            rows.append(Answer(response=response, question_id=v.question.pk, option=v.option, number=v.number,
                               text=v.text))  # fmt: skip
    Answer.objects.bulk_create(rows, batch_size=2000)
    tallies_rebuild(survey)  # the results' counters, for answers written in bulk
    return len(responses)


def _needs(street: Street, committees: list[Committee], rng: random.Random, now: datetime) -> int:
    sources = [NeedSource.FORM] * 5 + [NeedSource.WALK_IN] * 2 + [NeedSource.ASSISTANT, NeedSource.SURVEY]
    rows = []
    for i in range(40):
        text, tags = NEEDS[i % len(NEEDS)]
        committee = committees[i % len(committees)] if committees else None
        days = 2 + (i * 37) % 60
        rows.append(Need(street=street, committee=committee, text=text if i < len(NEEDS) else f"{text}（又一位居民反映）",
                         source=sources[i % len(sources)], tags=tags if i % 3 else [],
                         created_at=now - timedelta(days=days, hours=rng.randint(0, 10))))  # fmt: skip
    made = Need.objects.bulk_create(rows)
    # The second report of each of the first five needs is a duplicate merged into the first.
    for first, dup in zip(made[:5], made[len(NEEDS) : len(NEEDS) + 5], strict=True):
        needs.needs_merge(into=first, others=[dup])
    # Four needs were answered by an activity or a project, three more are in hand.
    for n, kind in zip(made[10:17], ["activity", "project", "activity", "case", "activity", "project", "case"],
                       strict=True):  # fmt: skip
        needs.need_action(need=n, kind=kind, ref="")
    for n in made[10:14]:
        needs.need_answer(need=n, answer="已安排，详见社区公告（示例）", now=n.created_at + timedelta(days=9))
    return len(made)


def _consultations(street: Street, committees: list[Committee], actor: User | None, now: datetime) -> int:
    if not committees:
        return 0
    made = list(Need.objects.filter(street=street).order_by("id")[:4])
    # 1. Closed: the property company that never fixed anything is replaced (seed 001).
    t0 = now - timedelta(days=40)
    c1 = cs.consultation_create(committee=committees[0], title="楼道灯和报修拖延：物业服务整改（示例）",
                                problem=made[1].text, need=made[1], actor=actor, now=t0)  # fmt: skip
    for party, names, day in (("万里物业服务有限公司（示例）", "项目经理 赵某（示例）", 1),
                              ("街道房管办（示例）", "王科长（示例）", 2)):  # fmt: skip
        inv, _old = invitations.invite(consultation=c1, party=party, actor=actor, now=t0 + timedelta(hours=2))
        token = invitations.invitation_token(inv)  # a link of today: the one sent then has expired since
        invitations.invitation_answer(token=token, accept=True, attendee_names=names, now=t0 + timedelta(days=day))
    cs.consultation_schedule(consultation=c1, meeting_at=t0 + timedelta(days=5), venue="万里城第一居委会议室",
                             actor=actor, now=t0 + timedelta(days=2))  # fmt: skip
    cs.consultation_meeting(
        consultation=c1, attendees="居民代表 5 人，物业项目经理，房管办王科长，居委书记（示例）",
        decisions="物业一周内修好全部楼道灯；报修 48 小时内响应；一个月后业委会评议，不达标则启动更换物业程序。",
        actions=[{"title": "修好全部楼道灯", "owner": "万里物业服务有限公司（示例）", "due_on": (t0 + timedelta(days=12)).date()},
                 {"title": "公示报修电话和 48 小时响应承诺", "owner": "万里物业服务有限公司（示例）",
                  "due_on": (t0 + timedelta(days=10)).date()},
                 {"title": "业委会评议物业服务", "owner": "万里城第一居委（示例）", "due_on": (t0 + timedelta(days=35)).date()}],
        actor=actor, now=t0 + timedelta(days=5))  # fmt: skip
    for item, day, evidence in zip(c1.actions.order_by("due_on", "id"), (8, 10, 33), (
            "报修电话和承诺已在各楼道公示（照片见居委公告栏）", "32 盏楼道灯全部修复，居民代表验收", "评议通过，物业留用观察三个月"),
            strict=True):  # fmt: skip
        cs.action_done(action=item, evidence=evidence, actor=actor, now=t0 + timedelta(days=day))
    cs.consultation_close(consultation=c1, outcome="楼道灯全部修好，报修 48 小时内响应，业委会评议通过（示例）。",
                          actor=actor, now=t0 + timedelta(days=34))  # fmt: skip
    # 2. Met, in progress: the e-bike garage, one action overdue (it escalates to the street).
    t1 = now - timedelta(days=20)
    c2 = cs.consultation_create(committee=committees[1 % len(committees)], title="建设非机动车充电车棚（示例）",
                                problem=made[0].text, need=made[0], actor=actor, now=t1)  # fmt: skip
    for party, names in (("街道平安办（示例）", "周专员（示例）"), ("万里城第二居委（示例）", "李书记（示例）")):
        inv, _old = invitations.invite(consultation=c2, party=party, actor=actor, now=t1 + timedelta(hours=1))
        token = invitations.invitation_token(inv)
        invitations.invitation_answer(token=token, accept=True, attendee_names=names, now=t1 + timedelta(days=1))
    cs.consultation_schedule(consultation=c2, meeting_at=t1 + timedelta(days=3), venue="万里街道党群服务中心 201 室",
                             actor=actor, now=t1 + timedelta(days=1))  # fmt: skip
    cs.consultation_meeting(
        consultation=c2, attendees="居民代表 8 人，平安办周专员，居委李书记（示例）",
        decisions="在 5 号楼东侧空地建 40 个充电位的车棚；先征求一楼住户意见。",
        actions=[{"title": "征求 5 号楼一楼住户意见", "owner": "万里城第二居委（示例）", "due_on": (t1 + timedelta(days=7)).date()},
                 {"title": "车棚选址方案和报价", "owner": "街道平安办（示例）", "due_on": (now - timedelta(days=4)).date()},
                 {"title": "车棚施工", "owner": "街道平安办（示例）", "due_on": (now + timedelta(days=40)).date()}],
        actor=actor, now=t1 + timedelta(days=3))  # fmt: skip
    first = c2.actions.order_by("due_on", "id").first()
    if first is not None:
        cs.action_done(
            action=first, evidence="一楼 6 户均同意，签字表存居委（示例）", actor=actor, now=t1 + timedelta(days=6)
        )
    # 3. Just invited: a lift for building 3.
    t2 = now - timedelta(days=1)
    c3 = cs.consultation_create(committee=committees[2 % len(committees)], title="3 号楼加装电梯协调（示例）",
                                problem=made[3].text, need=made[3], actor=actor, now=t2)  # fmt: skip
    for party in ("区加装电梯办公室（示例）", "电梯设计施工单位（示例）"):
        invitations.invite(consultation=c3, party=party, actor=actor, now=t2 + timedelta(hours=3))
    return 3


__all__ = ["CLOSED_TITLE", "TITLE", "voice_demo_load", "voice_demo_reset"]
