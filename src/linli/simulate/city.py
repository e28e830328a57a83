"""The synthetic city's structure: streets (through `street_create`, so each gets its domains' defaults), committees,
grids (HQ → workstations → units), compounds, places, residents, staff, riders and their credentials, gates,
kitchens with their dishes, pricing tiers and wallets, activity venues, the affairs catalogue and desks, and the
people in care. `linli.simulate.history` then writes the days.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from linli.access.models import Gate, Partner, RiderCredential
from linli.affairs.models import Item, Resource
from linli.care.models import Person
from linli.cases.models import CaseCategory
from linli.core.geo import h3_cell
from linli.core.models import Committee, Compound, Grid, RoleAssignment, Street, User
from linli.core.services import street_create
from linli.meals.models import Dish, Kitchen, MealProfile, PricingTier, Wallet
from linli.places.models import Place, Service
from linli.simulate import DISTRICTS, STREET_CODE_PREFIX, SYNTHETIC_PREFIX, Volumes
from linli.simulate.bulk import Loader

SH = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no daylight saving time
COMMITTEES_PER_STREET = 28
UNITS_PER_WORKSTATION = 6
WORKSTATIONS = 3
COMPOUNDS_PER_STREET = 60
GATES_PER_COMPOUND = 2
KITCHENS_PER_STREET = 8
DISHES_PER_KITCHEN = 24
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰文红"
ROADS = [
    "真金路",
    "万镇路",
    "枫桥路",
    "大渡河路",
    "富平路",
    "中山北路",
    "长寿路",
    "武宁路",
    "曹杨路",
    "铜川路",
    "梅岭路",
]
DISHES = [
    "红烧肉", "清蒸鲈鱼", "番茄炒蛋", "青椒土豆丝", "麻婆豆腐", "糖醋排骨", "清炒时蔬", "冬瓜排骨汤", "肉末茄子", "红烧狮子头",
    "白切鸡", "香菇青菜", "蒸蛋羹", "咖喱鸡块", "鱼香肉丝", "宫保鸡丁", "蒜蓉西兰花", "雪菜肉丝面", "南瓜粥", "葱油拌面",
    "荠菜馄饨", "腌笃鲜", "油焖笋", "百叶结烧肉", "长者优惠套餐", "素什锦", "虾仁炒蛋", "酱鸭",
]  # fmt: skip
PLACE_MIX = [  # kind, share of a street's points (kitchens are added apart)
    ("party_service_station", 0.28), ("citizen_station", 0.12), ("meal_point", 0.16), ("medical_point", 0.1),
    ("rider_station", 0.06), ("reading_room", 0.08), ("culture_center", 0.06), ("employment_station", 0.04),
    ("remote_service_point", 0.06), ("party_service_center", 0.02), ("affairs_center", 0.02),
]  # fmt: skip


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def gate_public_id(n: int) -> str:
    """The gate wire's public id form (`g` + 12 base32 letters), numbered."""
    letters = "abcdefghijklmnopqrstuvwxyz234567"
    return "g" + "".join(letters[(n >> (5 * k)) & 31] for k in range(11, -1, -1))


def rect(lat0: float, lng0: float, lat1: float, lng1: float) -> dict:
    ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class StreetPlan:
    street: Street
    lat0: float
    lng0: float
    committees: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)  # unit grid ids
    unit_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    hq: int = 0
    compounds: list[tuple[int, float, float, int, int]] = field(default_factory=list)  # id, lat, lng, grid, committee
    gates: list[tuple[int, int, float, float]] = field(default_factory=list)  # id, compound, lat, lng
    places: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)  # kind → (id, lat, lng)
    residents: list[int] = field(default_factory=list)
    grid_workers: dict[int, int] = field(default_factory=dict)  # unit grid → user
    staff: dict[str, list[int]] = field(default_factory=dict)  # role → users
    kitchens: list[tuple[int, int, bool]] = field(default_factory=list)  # kitchen id, place id, canteen
    kitchen_serves: dict[int, list[int]] = field(default_factory=dict)  # kitchen → place ids
    dishes: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # kitchen → (dish id, name)
    eaters: list[tuple[int, int, int, int]] = field(default_factory=list)  # user, wallet, birth year, compound
    age_tiers: list[tuple[int, int, int, str]] = field(default_factory=list)  # tier id, min age, percent, label
    categories: list[tuple[int, int, int, int]] = field(default_factory=list)  # id, response, resolution, merge m
    partners: list[int] = field(default_factory=list)
    credentials: list[tuple[int, int]] = field(default_factory=list)  # rider user id, credential id
    affairs_items: list[int] = field(default_factory=list)
    affairs_resources: list[int] = field(default_factory=list)
    care_people: list[tuple[int, int]] = field(default_factory=list)  # person id, committee id
    balances: dict[int, int] = field(default_factory=dict)  # wallet → balance, as history.meals writes the ledger

    def point(self, rng: random.Random) -> tuple[float, float]:
        return self.lat0 + rng.random() * 0.02, self.lng0 + rng.random() * 0.024

    def unit_of(self, lat: float, lng: float) -> int:
        for gid, (a, b, c, d) in zip(self.units, self.unit_boxes, strict=True):
            if a <= lat < c and b <= lng < d:
                return gid
        return self.units[-1]


@dataclass
class City:
    volumes: Volumes
    seed: int
    start: dt.date  # first simulated day
    end: dt.date  # the last simulated day is the day before
    loader: Loader
    streets: list[StreetPlan] = field(default_factory=list)
    riders: list[int] = field(default_factory=list)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]


class Users:
    """Users written through one table, each with a unique synthetic phone number (+86 199 …)."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.table = city.loader.table(
            User, ["id", "password", "phone", "display_name", "birth_year", "home_street_id", "elder_mode",
                   "date_joined", "language"],
        )  # fmt: skip
        self.roles = city.loader.table(RoleAssignment, ["user_id", "street_id", "role", "grid_id"])

    def add(self, rng: random.Random, *, name: str, street: int | None, birth: int | None = None) -> int:
        uid = self.city.loader.ids(User)
        joined = dt.datetime.combine(self.city.start, dt.time(9), SH) - dt.timedelta(days=rng.randrange(30, 900))
        elder = birth is not None and birth <= self.city.end.year - 70 and rng.random() < 0.5
        self.table.add((uid, "!synthetic", f"+86199{uid:08d}", name, birth, street, elder, joined, ""))
        return uid

    def staff(self, rng: random.Random, plan: StreetPlan, role: str, label: str, grid: int | None = None) -> int:
        uid = self.add(rng, name=f"{person_name(rng)}（模拟{label}）", street=plan.street.pk)
        self.roles.add((uid, plan.street.pk, role, grid))
        plan.staff.setdefault(role, []).append(uid)
        return uid


def build(city: City) -> None:
    """Every street's structure and people; rows are queued on the loader (flushed by the caller)."""
    rng = city.rng("structure")
    v = city.volumes
    users = Users(city)
    services = list(Service.objects.filter(street__isnull=True).values_list("pk", flat=True))
    for i in range(v.streets):
        district, lat, lng = DISTRICTS[i % len(DISTRICTS)]
        n = i // len(DISTRICTS) + 1
        street = street_create(
            code=f"{STREET_CODE_PREFIX}{i % len(DISTRICTS) + 1:02d}-{n:02d}",
            name=f"{SYNTHETIC_PREFIX} {district}第{n}街道",
            name_en=f"Synthetic street {i + 1} ({district})",
            district=district,
            hotline=f"021-6{i:03d}0000",
            center_lat=lat + 0.01,
            center_lng=lng + 0.012,
            is_sample=True,
        )
        # Streets of one district sit side by side, 0.03° apart.
        plan = StreetPlan(street=street, lat0=lat + (n - 1) * 0.03, lng0=lng)
        city.streets.append(plan)
        _committees_grids_compounds(city, plan, rng)
        _places(city, plan, rng, services)
        _staff(city, plan, rng, users)
    _residents(city, rng, users)
    _riders(city, rng, users)
    for plan in city.streets:
        _kitchens(city, plan, rng, users)
        _gates(city, plan, rng)
        _affairs(city, plan, rng)
        _care(city, plan, rng)
        plan.categories = [
            (c.pk, c.response_minutes, c.resolution_minutes, c.merge_radius_m)
            for c in CaseCategory.objects.filter(street=plan.street).order_by("sort_order", "code")
        ]


def _committees_grids_compounds(city: City, plan: StreetPlan, rng: random.Random) -> None:
    loader, st = city.loader, plan.street.pk
    committees = loader.table(Committee, ["id", "street_id", "external_id", "name", "address", "phone"])
    for c in range(COMMITTEES_PER_STREET):
        cid = loader.ids(Committee)
        road = ROADS[c % len(ROADS)]
        committees.add((cid, st, f"sim-rc-{c + 1:02d}", f"模拟第{c + 1}居民委员会", f"{road}{100 + c * 7}弄", ""))
        plan.committees.append(cid)
    grids = loader.table(
        Grid, ["id", "street_id", "external_id", "name", "level", "parent_id", "geometry", "min_lat", "min_lng",
               "max_lat", "max_lng"],
    )  # fmt: skip
    lat0, lng0, lat1, lng1 = plan.lat0, plan.lng0, plan.lat0 + 0.02, plan.lng0 + 0.024
    plan.hq = loader.ids(Grid)
    grids.add(
        (plan.hq, st, "sim-grid-hq", "模拟总网格", "hq", None, rect(lat0, lng0, lat1, lng1), lat0, lng0, lat1, lng1)
    )
    width = 0.024 / WORKSTATIONS
    for w in range(WORKSTATIONS):
        wid = loader.ids(Grid)
        a, b = lng0 + w * width, lng0 + (w + 1) * width
        grids.add((wid, st, f"sim-grid-ws{w + 1}", f"模拟第{w + 1}工作站", "workstation", plan.hq,
                   rect(lat0, a, lat1, b), lat0, a, lat1, b))  # fmt: skip
        height = 0.02 / UNITS_PER_WORKSTATION
        for u in range(UNITS_PER_WORKSTATION):
            uid = loader.ids(Grid)
            y0, y1 = lat0 + u * height, lat0 + (u + 1) * height
            grids.add((uid, st, f"sim-grid-u{w + 1}{u + 1}", f"模拟网格{w + 1}-{u + 1}", "unit", wid,
                       rect(y0, a, y1, b), y0, a, y1, b))  # fmt: skip
            plan.units.append(uid)
            plan.unit_boxes.append((y0, a, y1, b))
    compounds = loader.table(
        Compound, ["id", "street_id", "external_id", "name", "address", "geometry", "lat", "lng", "grid_id",
                   "committee_id"],
    )  # fmt: skip
    for k in range(COMPOUNDS_PER_STREET):
        cid = loader.ids(Compound)
        la, ln = plan.point(rng)
        grid = plan.unit_of(la, ln)
        committee = plan.committees[k % len(plan.committees)]
        road = ROADS[k % len(ROADS)]
        compounds.add((cid, st, f"sim-cp-{k + 1:03d}", f"模拟{road}{k + 1}号小区", f"{road}{200 + k * 11}弄",
                       {"type": "Point", "coordinates": [ln, la]}, la, ln, grid, committee))  # fmt: skip
        plan.compounds.append((cid, la, ln, grid, committee))


def _places(city: City, plan: StreetPlan, rng: random.Random, services: list[int]) -> None:
    loader, st = city.loader, plan.street.pk
    places = loader.table(
        Place, ["id", "street_id", "external_id", "name", "kind", "address", "lat", "lng", "h3_cell", "phone",
                "opening_hours", "amenities", "capacity", "description"],
    )  # fmt: skip
    links = loader.table(Place.services.through, ["place_id", "service_id"])
    kinds: list[str] = []
    for kind, share in PLACE_MIX:
        kinds += [kind] * max(1, round(share * city.volumes.points_per_street))
    kinds += ["elder_canteen"] * (KITCHENS_PER_STREET - 2) + ["central_kitchen"] * 2
    labels = {"elder_canteen": "长者食堂", "central_kitchen": "中央厨房", "meal_point": "助餐点", "medical_point": "助医点",
              "rider_station": "骑手驿站", "affairs_center": "社区事务受理服务中心", "party_service_center": "党群服务中心",
              "party_service_station": "党群服务站", "citizen_station": "市民驿站", "reading_room": "书房",
              "culture_center": "文化活动中心", "employment_station": "就业服务站", "remote_service_point": "远程帮办点"}  # fmt: skip
    for j, kind in enumerate(kinds):
        pid = loader.ids(Place)
        la, ln = plan.point(rng)
        road = ROADS[j % len(ROADS)]
        hours = (
            "Mo-Su 06:30-19:00" if kind in ("elder_canteen", "central_kitchen") else "Mo-Fr 08:30-17:00; Sa 09:00-12:00"
        )
        places.add((pid, st, f"sim-pl-{j + 1:04d}", f"模拟{road}{labels[kind]}{j + 1}", kind, f"{road}{300 + j}号",
                    la, ln, h3_cell(la, ln), "", hours, ["seats"] if j % 3 else ["step_free", "seats"],
                    60 if kind in ("culture_center", "party_service_center") else None, "模拟数据 synthetic"))  # fmt: skip
        for s in rng.sample(services, min(2, len(services))):
            links.add((pid, s))
        plan.places.setdefault(kind, []).append((pid, la, ln))


def _staff(city: City, plan: StreetPlan, rng: random.Random, users: Users) -> None:
    users.staff(rng, plan, "admin", "街道管理员")
    for _ in range(3):
        users.staff(rng, plan, "station_staff", "站点工作人员")
        users.staff(rng, plan, "safety_officer", "平安专员", plan.hq)
        users.staff(rng, plan, "social_worker", "社工")
    users.staff(rng, plan, "care_lead", "关爱负责人")
    users.staff(rng, plan, "employment_worker", "就业专员")
    for unit in plan.units:
        plan.grid_workers[unit] = users.staff(rng, plan, "grid_worker", "网格员", unit)
    for _ in range(KITCHENS_PER_STREET):
        users.staff(rng, plan, "kitchen_operator", "厨房操作员")
    for _ in range(4):
        users.staff(rng, plan, "food_supervisor", "食安监督员")
    for _ in range(COMPOUNDS_PER_STREET // 6):
        users.staff(rng, plan, "property_manager", "物业经理")


def _residents(city: City, rng: random.Random, users: Users) -> None:
    """Residents spread over the streets; the first `meal_eaters` of them are elders with a meal wallet."""
    v, loader = city.volumes, city.loader
    profiles = loader.table(MealProfile, ["user_id", "street_id", "hardships", "home_delivery", "home_address",
                                          "compound_id", "verified_at"])  # fmt: skip
    wallets = loader.table(Wallet, ["id", "user_id", "street_id", "balance_fen"])
    year = city.end.year
    for k in range(v.residents):
        plan = city.streets[k % len(city.streets)]
        eater = k < v.meal_eaters
        birth = year - rng.randrange(62, 95) if eater else year - rng.randrange(18, 90)
        uid = users.add(rng, name=f"{person_name(rng)}（模拟居民）", street=plan.street.pk, birth=birth)
        plan.residents.append(uid)
        if eater:
            compound = rng.choice(plan.compounds)
            wid = loader.ids(Wallet)
            # The balance is written by history.meals once the ledger is known (`Wallet.balance_fen` = its entries).
            wallets.add((wid, uid, plan.street.pk, 0))
            home = rng.random() < 0.3
            profiles.add((uid, plan.street.pk, ["living_alone"] if rng.random() < 0.2 else [], home,
                          f"模拟小区{compound[0]}号楼" if home else "", compound[0],
                          dt.datetime.combine(city.start, dt.time(10), SH) - dt.timedelta(days=60)))  # fmt: skip
            plan.eaters.append((uid, wid, birth, compound[0]))
    city.loader.flush()


def _riders(city: City, rng: random.Random, users: Users) -> None:
    loader = city.loader
    creds = loader.table(
        RiderCredential, ["id", "user_id", "street_id", "partner_id", "real_name", "partner_rider_id", "status",
                          "verified_by", "verified_at", "expires_at", "updated_at"],
    )  # fmt: skip
    for plan in city.streets:
        plan.partners = list(Partner.objects.filter(street=plan.street).order_by("code").values_list("pk", flat=True))
    verified = dt.datetime.combine(city.start, dt.time(10), SH) - dt.timedelta(days=30)
    for r in range(city.volumes.riders):
        home = city.streets[r % len(city.streets)]
        name = person_name(rng)
        uid = users.add(rng, name=f"{name}（模拟骑手）", street=None)
        city.riders.append(uid)
        # A rider works in one street, and one in five in the next street too.
        worked = [home] + ([city.streets[(r + 1) % len(city.streets)]] if r % 5 == 0 and len(city.streets) > 1 else [])
        for plan in worked:
            users.roles.add((uid, plan.street.pk, "rider", None))
            cid = loader.ids(RiderCredential)
            partner = plan.partners[r % len(plan.partners)] if plan.partners else None
            if partner is None:
                continue
            creds.add((cid, uid, plan.street.pk, partner, name, f"R{uid}", "verified", "staff", verified,
                       verified + dt.timedelta(days=730), verified))  # fmt: skip
            plan.credentials.append((uid, cid))


def _kitchens(city: City, plan: StreetPlan, rng: random.Random, users: Users) -> None:
    loader, st = city.loader, plan.street.pk
    kitchens = loader.table(Kitchen, ["id", "street_id", "place_id", "is_elder_canteen", "home_delivery", "slots"])
    serves = loader.table(Kitchen.serves.through, ["kitchen_id", "place_id"])
    dishes = loader.table(Dish, ["id", "kitchen_id", "name", "tags", "allergens", "is_set_meal", "components"])
    cooks = [(p, True) for p in plan.places.get("elder_canteen", [])] + [
        (p, False) for p in plan.places.get("central_kitchen", [])
    ]
    points = [p[0] for p in plan.places.get("meal_point", [])]
    for j, ((pid, _la, _ln), canteen) in enumerate(cooks):
        kid = loader.ids(Kitchen)
        kitchens.add((kid, st, pid, canteen, True, ["lunch", "dinner"] if canteen else ["lunch"]))
        served = [p for i, p in enumerate(points) if i % len(cooks) == j] or points[:1]
        for p in served:
            serves.add((kid, p))
        plan.kitchens.append((kid, pid, canteen))
        plan.kitchen_serves[kid] = served
        plan.dishes[kid] = []
        for name in rng.sample(DISHES, DISHES_PER_KITCHEN):
            did = loader.ids(Dish)
            set_meal = name.endswith("套餐")
            dishes.add((did, kid, name, ["soft", "low_salt"] if rng.random() < 0.4 else [], [], set_meal,
                        "两荤一素一汤" if set_meal else ""))  # fmt: skip
            plan.dishes[kid].append((did, name))
    tiers = loader.table(PricingTier, ["id", "street_id", "kind", "name", "name_en", "min_age", "discount_type",
                                       "value", "slots"])  # fmt: skip
    for min_age, pct in ((60, 10), (70, 20), (80, 30), (90, 40)):
        tid = loader.ids(PricingTier)
        label = f"{min_age}岁以上长者优惠"
        tiers.add((tid, st, "age", label, f"Age {min_age}+", min_age, "percent", pct, []))
        plan.age_tiers.append((tid, min_age, pct, label))
    plan.age_tiers.sort(key=lambda t: -t[1])


def _gates(city: City, plan: StreetPlan, rng: random.Random) -> None:
    loader, st = city.loader, plan.street.pk
    gates = loader.table(Gate, ["id", "public_id", "street_id", "compound_id", "name", "device_id", "token_key",
                                "command_key", "transport", "created_at"])  # fmt: skip
    created = dt.datetime.combine(city.start, dt.time(8), SH) - dt.timedelta(days=90)
    for cid, la, ln, _g, _c in plan.compounds:
        for g in range(GATES_PER_COMPOUND):
            gid = loader.ids(Gate)
            gates.add((gid, gate_public_id(gid), st, cid, "北门" if g else "南门", f"sim-{gid}", rng.randbytes(32),
                       rng.randbytes(32), "mqtt", created))  # fmt: skip
            plan.gates.append((gid, cid, la + (0.0004 if g else -0.0004), ln))


def _affairs(city: City, plan: StreetPlan, rng: random.Random) -> None:
    loader, st = city.loader, plan.street.pk
    items = loader.table(Item, ["id", "street_id", "code", "name", "department", "channels", "keywords",
                                "search_text", "time_limit_days"])  # fmt: skip
    catalogue = [("居住证办理", "公安"), ("老年综合津贴", "民政"), ("医保卡补办", "医保"), ("低保申请", "民政"),
                 ("残疾人证", "残联"), ("灵活就业登记", "人社"), ("生育登记", "卫健"), ("高龄老人护理补贴", "民政")]  # fmt: skip
    for k, (name, dept) in enumerate(catalogue):
        iid = loader.ids(Item)
        items.add((iid, st, f"SIM{k + 1:03d}", name, dept, ["window"], [name[:2]], f"{name} {dept}", 5))
        plan.affairs_items.append(iid)
    resources = loader.table(Resource, ["id", "street_id", "place_id", "name", "kind"])
    centres = plan.places.get("affairs_center") or plan.places.get("party_service_center") or []
    for pid, _la, _ln in centres[:1]:
        for w in range(1, 5):
            rid = loader.ids(Resource)
            resources.add((rid, st, pid, f"{w}号窗口", "window"))
            plan.affairs_resources.append(rid)


def _care(city: City, plan: StreetPlan, rng: random.Random) -> None:
    loader, st = city.loader, plan.street.pk
    people = loader.table(Person, ["id", "street_id", "committee_id", "compound_id", "name", "groups", "building",
                                   "birth_year", "checkin_enabled", "checkin_hour", "created_at"])  # fmt: skip
    n = max(5, round(city.volumes.checkins_per_day / len(city.streets)))
    created = dt.datetime.combine(city.start, dt.time(9), SH) - dt.timedelta(days=120)
    for _ in range(n):
        pid = loader.ids(Person)
        cid, _la, _ln, _g, committee = rng.choice(plan.compounds)
        people.add((pid, st, committee, cid, f"{person_name(rng)}（模拟）", ["living_alone"], f"{rng.randrange(1, 30)}号楼",
                    city.end.year - rng.randrange(70, 95), True, 10, created))  # fmt: skip
        plan.care_people.append((pid, committee))
