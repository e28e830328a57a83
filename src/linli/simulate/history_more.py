"""The synthetic city's days in jobs, voice and volunteers (issue 21 item 1), written like `history`: each domain
from its own random stream, counters equal to their rows. Per street and day, roughly: a few job postings and
about fourteen applications moving through the pipeline; a handful of needs; a survey every ~15 days answered by
~3 % of the street's residents (its `Tally` counters recounted with `tallies_rebuild` after the load); a few
volunteer shifts with their sign-ups, the hours of those who came verified into the time bank (every account's
balance = the sum of its entries, each transfer's entries sum to zero).
"""

from __future__ import annotations

import datetime as dt
import uuid

from linli.jobs.models import Application, ApplicationEvent, Employer, Job, Seeker
from linli.jobs.models import Station as JobStation
from linli.simulate import HOURS_MORNING_EVENING, HOURS_OFFICE
from linli.simulate.city import City
from linli.simulate.history import MIN, Progress, day_start, now_of, split, times
from linli.voice.models import Answer, Need, Question, Response, Survey
from linli.voice.services.tallies import tallies_rebuild
from linli.volunteers.models import Account, Entry, Shift, Signup, SignupEvent, Transfer, Volunteer
from linli.volunteers.models import Station as VolStation

# ------------------------------------------------------------------------------------------------------ jobs

JOB_TITLES = [("保洁员", "cleaner", ["cleaning"]), ("社区食堂帮厨", "kitchen_helper", ["food_prep"]),
              ("快递分拣员", "sorter", ["sorting"]), ("超市理货员", "shelf_stacker", ["retail"]),
              ("养老护理员", "care_worker", ["elder_care"]), ("保安", "security_guard", ["security"]),
              ("收银员", "cashier", ["cashier"]), ("绿化工", "gardener", ["gardening"])]  # fmt: skip
PIPELINE = ["contacted", "interview", "offer", "hired"]


def jobs(city: City, progress: Progress) -> None:
    rng = city.rng("jobs")
    loader, now = city.loader, now_of(city)
    stations = loader.table(JobStation, ["id", "street_id", "name", "lat", "lng"])
    employers = loader.table(Employer, ["id", "street_id", "name", "credit_code", "sector", "lat", "lng",
                                        "verified_at", "created_at"])  # fmt: skip
    seekers = loader.table(Seeker, ["id", "street_id", "station_id", "user_id", "compound_id", "name", "birth_year",
                                    "occupations", "consent_at", "registered_at"])  # fmt: skip
    job_t = loader.table(Job, ["id", "street_id", "employer_id", "external_id", "title", "occupation",
                               "skills_essential", "lat", "lng", "hours_kind", "pay_min_fen", "pay_max_fen", "openings",
                               "valid_through", "status", "created_by_id", "created_at"])  # fmt: skip
    apps = loader.table(Application, ["id", "street_id", "seeker_id", "job_id", "status", "refusal_reason", "score",
                                      "created_by_id", "created_at", "moved_at", "contacted_at", "interview_at",
                                      "offer_at", "hired_at", "refused_at"])  # fmt: skip
    events = loader.table(ApplicationEvent, ["application_id", "at", "actor_id", "from_status", "to_status"])
    v = city.volumes
    apps_street = split(v.applications_per_day, len(city.streets))
    posts_street = split(v.job_posts_per_day, len(city.streets))
    start = day_start(city.start)
    for s, plan in enumerate(city.streets):
        worker = (plan.staff.get("employment_worker") or plan.staff["admin"])[0]
        station = loader.ids(JobStation)
        la, ln = plan.point(rng)
        stations.add((station, plan.street.pk, "模拟就业服务站", la, ln))
        emps = []
        for k in range(12):
            eid = loader.ids(Employer)
            la, ln = plan.point(rng)
            code = f"91310{plan.street.pk:05d}{k:07d}X"[:18]
            employers.add((eid, plan.street.pk, f"模拟用人单位{k + 1}", code, "服务业", la, ln, start, start))
            emps.append((eid, la, ln))
        people: list[int] = []
        pool = rng.sample(plan.residents, max(10, len(plan.residents) // 50))
        for uid in pool:
            sid = loader.ids(Seeker)
            seekers.add((sid, plan.street.pk, station, uid, plan.compounds[rng.randrange(len(plan.compounds))][0],
                         "模拟求职者", rng.randint(1965, 2000), [rng.choice(JOB_TITLES)[1]], start, start))  # fmt: skip
            people.append(sid)
        open_jobs: list[tuple[int, dt.date]] = []
        applied: set[tuple[int, int]] = set()
        placed: set[int] = set()
        for day in city.days():
            for at in times(rng, day, HOURS_OFFICE, posts_street[s]):
                jid = loader.ids(Job)
                eid, la, ln = emps[rng.randrange(len(emps))]
                title, occupation, skills = rng.choice(JOB_TITLES)
                until = day + dt.timedelta(days=rng.choice((14, 30, 60)))
                pay = rng.randrange(40, 80) * 10_000
                job_t.add((jid, plan.street.pk, eid, f"sim-{jid}", title, occupation, skills, la, ln,
                           rng.choice(("full_time", "part_time", "flexible")), pay, pay + 100_000,
                           rng.randint(1, 3), until, "open" if until >= city.end else "closed", worker, at))  # fmt: skip
                open_jobs.append((jid, until))
            open_jobs = [j for j in open_jobs if j[1] >= day]
            if not open_jobs:
                continue
            for at in times(rng, day, HOURS_OFFICE, apps_street[s]):
                sid, (jid, _until) = rng.choice(people), rng.choice(open_jobs)
                if (sid, jid) in applied:
                    continue
                applied.add((sid, jid))
                aid = loader.ids(Application)
                first = rng.choice(("suggested", "applied"))
                events.add((aid, at, worker, "", first))
                stamps: dict[str, dt.datetime] = {}
                status, t, refused = first, at, None
                for step in PIPELINE:
                    t = t + dt.timedelta(hours=rng.randrange(4, 96))
                    if t >= now:
                        break
                    if rng.random() < 0.3 or (step == "hired" and sid in placed):
                        refused = t
                        break
                    stamps[step] = t
                if refused is not None:
                    events.add((aid, refused, worker, status if not stamps else list(stamps)[-1], "refused"))
                prev = first
                for step, t2 in stamps.items():
                    events.add((aid, t2, worker, prev, step))
                    prev = step
                status = "refused" if refused else prev
                if status == "hired":
                    placed.add(sid)
                moved = refused or max([at, *stamps.values()])
                apps.add((aid, plan.street.pk, sid, jid, status, "hours" if refused else "", round(rng.random(), 3),
                          worker, at, moved, stamps.get("contacted"), stamps.get("interview"), stamps.get("offer"),
                          stamps.get("hired"), refused))  # fmt: skip
        progress(f"jobs street {plan.street.code}")


# ----------------------------------------------------------------------------------------------------- voice

SURVEY_QUESTIONS = [("single", "您最希望社区增加哪项服务？", ["助餐", "助浴", "文体活动", "家政"]),
                    ("multiple", "您常去哪些社区场所？", ["党群服务站", "市民驿站", "社区食堂", "卫生站"]),
                    ("rating", "您对本社区服务的满意度", [])]  # fmt: skip
NEEDS = ["希望小区增加休息座椅", "楼道灯坏了希望修理", "想学用智能手机挂号", "希望增加助浴服务", "电动车充电桩不够",
         "希望开设老年书法班", "小区门口路面积水"]  # fmt: skip
SURVEY_EVERY_DAYS = 15
SURVEY_OPEN_DAYS = 14
SURVEY_ANSWER_SHARE = 0.03


def voice(city: City, progress: Progress) -> None:
    rng = city.rng("voice")
    loader, now = city.loader, now_of(city)
    surveys = loader.table(Survey, ["id", "street_id", "title", "link_token", "opens_at", "closes_at", "created_by_id",
                                    "created_at"])  # fmt: skip
    questions = loader.table(Question, ["id", "survey_id", "position", "kind", "text", "options", "min_value",
                                        "max_value"])  # fmt: skip
    responses = loader.table(Response, ["id", "survey_id", "client_id", "user_id", "channel", "committee_id",
                                        "compound_id", "entered_by_id", "consent", "created_at"])  # fmt: skip
    answers = loader.table(Answer, ["response_id", "question_id", "option", "number"])
    needs = loader.table(Need, ["street_id", "committee_id", "text", "source", "raised_by_id", "status", "answer",
                                "created_at", "answered_at"])  # fmt: skip
    made: list[int] = []
    needs_street = split(city.volumes.needs_per_day, len(city.streets))
    for s, plan in enumerate(city.streets):
        admin = plan.staff["admin"][0]
        door = (plan.staff.get("social_worker") or plan.staff["admin"])[0]
        committee_of = {c[0]: c[4] for c in plan.compounds}
        for i, day in enumerate(city.days()):
            for at in times(rng, day, HOURS_MORNING_EVENING, needs_street[s]):
                compound = plan.compounds[rng.randrange(len(plan.compounds))][0]
                answered = at + dt.timedelta(days=rng.randrange(1, 5))
                done = answered < now and rng.random() < 0.6
                needs.add((plan.street.pk, committee_of[compound], rng.choice(NEEDS), "form",
                           rng.choice(plan.residents), "answered" if done else "open", "已转相关部门处理" if done else "",
                           at, answered if done else None))  # fmt: skip
            if (i + s) % SURVEY_EVERY_DAYS:
                continue
            opens = day_start(day) + dt.timedelta(hours=9)
            closes = opens + dt.timedelta(days=SURVEY_OPEN_DAYS)
            sid = loader.ids(Survey)
            made.append(sid)
            surveys.add((sid, plan.street.pk, f"模拟居民需求问卷 {day:%Y-%m-%d}", uuid.UUID(int=rng.getrandbits(128),
                         version=4), opens, closes, admin, opens - dt.timedelta(days=1)))  # fmt: skip
            qs = []
            for pos, (kind, text, options) in enumerate(SURVEY_QUESTIONS):
                qid = loader.ids(Question)
                rating = kind == "rating"
                questions.add((qid, sid, pos, kind, text, options, 1 if rating else None, 5 if rating else None))
                qs.append((qid, kind, len(options)))
            until = min(closes, now)
            span = int((until - opens).total_seconds())
            if span <= 0:
                continue
            # Most answers come in the first three days after the notice goes out.
            span = min(span, 3 * 86400)
            share = SURVEY_ANSWER_SHARE * span / (3 * 86400)
            for uid in rng.sample(plan.residents, round(len(plan.residents) * share)):
                rid = loader.ids(Response)
                compound = plan.compounds[rng.randrange(len(plan.compounds))][0]
                at = opens + dt.timedelta(seconds=rng.randrange(span))
                on_door = rng.random() < 0.15
                responses.add((rid, sid, uuid.UUID(int=rng.getrandbits(128), version=4), None if on_door else uid,
                               "door" if on_door else "online", committee_of[compound], compound,
                               door if on_door else None, True, at))  # fmt: skip
                for qid, kind, n in qs:
                    if kind == "single":
                        answers.add((rid, qid, rng.randrange(n), None))
                    elif kind == "multiple":
                        for o in sorted(rng.sample(range(n), rng.randint(1, 2))):
                            answers.add((rid, qid, o, None))
                    elif rng.random() < 0.9:  # the rating is not required
                        answers.add((rid, qid, None, float(rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 5, 9, 6))[0])))
        progress(f"voice street {plan.street.code}")
    loader.flush()
    # The counters the services keep with each response: recounted from the rows, as the services' rebuild does.
    for survey in Survey.objects.using(loader.using).filter(pk__in=made):
        tallies_rebuild(survey)


# ------------------------------------------------------------------------------------------------ volunteers

SHIFT_KINDS = [("opening", "驿站开门值守", 9, 180), ("dining", "助餐堂食区服务", 11, 120),
               ("teaching", "智能手机课堂助教", 14, 90), ("other", "环境清洁志愿服务", 15, 120)]  # fmt: skip


def volunteers(city: City, progress: Progress) -> None:
    rng = city.rng("volunteers")
    loader, now = city.loader, now_of(city)
    stations = loader.table(VolStation, ["id", "street_id", "place_id", "name", "created_at"])
    vols = loader.table(Volunteer, ["id", "user_id", "street_id", "name", "skills", "consent_at", "created_at"])
    accounts = loader.table(Account, ["id", "kind", "street_id", "volunteer_id", "station_id", "balance"])
    shifts = loader.table(Shift, ["id", "station_id", "kind", "title", "start", "end", "places", "taken",
                                  "created_at"])  # fmt: skip
    signups = loader.table(Signup, ["id", "shift_id", "volunteer_id", "status", "created_at", "dropped_at",
                                    "checked_in_at", "checked_out_at", "verified_at", "minutes"])  # fmt: skip
    events = loader.table(SignupEvent, ["signup_id", "at", "actor_id", "from_status", "to_status"])
    transfers = loader.table(Transfer, ["id", "kind", "street_id", "ref", "memo", "actor_id", "at"])
    entries = loader.table(Entry, ["transfer_id", "account_id", "minutes"])
    start = day_start(city.start) - dt.timedelta(days=30)
    shifts_street = split(city.volumes.shifts_per_day, len(city.streets))
    signups_street = split(city.volumes.signups_per_day, len(city.streets))
    for s, plan in enumerate(city.streets):
        staff = (plan.staff.get("station_staff") or plan.staff["admin"])[0]
        found = (plan.places.get("citizen_station") or plan.places.get("party_service_station") or [])[:3]
        sites: list[tuple[int, float, float] | None] = [*found] or [None]
        st_ids: list[tuple[int, int]] = []  # station, its account
        balance: dict[int, int] = {}
        for k, site in enumerate(sites):
            vid = loader.ids(VolStation)
            stations.add((vid, plan.street.pk, site[0] if site else None, f"模拟市民驿站{k + 1}", start))
            st_ids.append((vid, loader.ids(Account)))
        people: list[tuple[int, int]] = []  # volunteer, its account
        for uid in rng.sample(plan.residents, max(10, len(plan.residents) // 40)):
            vid = loader.ids(Volunteer)
            vols.add((vid, uid, plan.street.pk, "模拟志愿者", [rng.choice(("reception", "catering", "it"))], start,
                      start))  # fmt: skip
            people.append((vid, loader.ids(Account)))
        per_shift = max(1, round(signups_street[s] / max(1, shifts_street[s])))
        for day in [*city.days(), *(city.end + dt.timedelta(days=i) for i in range(7))]:
            for n in range(shifts_street[s]):
                shid = loader.ids(Shift)
                kind, title, hour, minutes = SHIFT_KINDS[(n + day.toordinal()) % len(SHIFT_KINDS)]
                station, st_account = st_ids[n % len(st_ids)]
                begin = day_start(day) + dt.timedelta(hours=hour)
                finish = begin + dt.timedelta(minutes=minutes)
                places = per_shift + 1
                taken = 0
                for vid, account in rng.sample(people, min(len(people), rng.randint(max(1, per_shift - 2), places))):
                    created = begin - dt.timedelta(hours=rng.randrange(12, 24 * 6))
                    if created >= now:
                        continue
                    gid = loader.ids(Signup)
                    events.add((gid, created, None, "", "signed_up"))
                    r = rng.random()
                    if r < 0.08:
                        dropped = min(created + dt.timedelta(hours=2), now - MIN)
                        signups.add((gid, shid, vid, "dropped", created, dropped, None, None, None, 0))
                        events.add((gid, dropped, None, "signed_up", "dropped"))
                        continue
                    taken += 1
                    if finish + dt.timedelta(hours=2) > now:
                        signups.add((gid, shid, vid, "signed_up", created, None, None, None, None, 0))
                    elif r < 0.14:
                        signups.add((gid, shid, vid, "no_show", created, None, None, None, None, 0))
                        events.add((gid, finish + dt.timedelta(minutes=30), staff, "signed_up", "no_show"))
                        taken -= 1  # a no-show gives its place back
                    else:
                        came = begin - dt.timedelta(minutes=rng.randrange(0, 10))
                        left = finish + dt.timedelta(minutes=rng.randrange(0, 15))
                        ok = left + dt.timedelta(hours=1)
                        signups.add((gid, shid, vid, "verified", created, None, came, left, ok, minutes))
                        for a, b, t in (("signed_up", "checked_in", came), ("checked_in", "checked_out", left),
                                        ("checked_out", "verified", ok)):  # fmt: skip
                            events.add((gid, t, None if b != "verified" else staff, a, b))
                        tid = loader.ids(Transfer)
                        transfers.add((tid, "shift", plan.street.pk, f"signup:{gid}", title, staff, ok))
                        entries.add((tid, st_account, -minutes))
                        entries.add((tid, account, minutes))
                        balance[st_account] = balance.get(st_account, 0) - minutes
                        balance[account] = balance.get(account, 0) + minutes
                shifts.add((shid, station, kind, title, begin, finish, places, taken, begin - dt.timedelta(days=7)))
        for station, account in st_ids:
            accounts.add((account, "station", plan.street.pk, None, station, balance.get(account, 0)))
        for vid, account in people:
            accounts.add((account, "volunteer", plan.street.pk, vid, None, balance.get(account, 0)))
        progress(f"volunteers street {plan.street.code}")
