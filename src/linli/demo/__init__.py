"""The sample street: a SAMPLE modelled on Wanli street (万里街道), Putuo district, Shanghai. Not official data.

`load_collection(name)` reads one of the bundled GeoJSON files; `linli.demo.loader.demo_load` builds the street.
Names, addresses, coordinates and phone numbers are illustrative; see README.md in this package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

STREET_CODE = "wanli"

STREET = {
    "code": STREET_CODE,
    "name": "万里街道",
    "name_en": "Wanli Subdistrict",
    "district": "普陀区",
    "hotline": "021-60000100",
    "center_lat": 31.265,
    "center_lng": 121.3975,
}

GRIDS_FILE = "wanli_grids.geojson"
COMPOUNDS_FILE = "wanli_compounds.geojson"
PLACES_FILE = "wanli_places.geojson"

# Residents' committees (居委会): external id, name, address, phone. Compounds name theirs in `committee`.
COMMITTEES = [
    ("wl-rc-01", "万里城第一居民委员会", "上海市普陀区真金路588弄20号", "021-60000201"),
    ("wl-rc-02", "万里城第二居民委员会", "上海市普陀区万镇路500弄12号", "021-60000202"),
    ("wl-rc-03", "万里城第三居民委员会", "上海市普陀区真金路899弄8号", "021-60000203"),
    ("wl-rc-04", "新湖明珠城居民委员会", "上海市普陀区大渡河路1888弄2号", "021-60000204"),
    ("wl-rc-05", "中骏天誉居民委员会", "上海市普陀区真华路1155弄1号", "021-60000205"),
    ("wl-rc-06", "富平居民委员会", "上海市普陀区富平路88弄5号", "021-60000206"),
    ("wl-rc-07", "枫桥湾居民委员会", "上海市普陀区枫桥路520弄1号", "021-60000207"),
]

ADMIN_PASSWORD = "linli-demo"  # noqa: S105 - the published password of the sample back office


@dataclass(frozen=True)
class DemoAccount:
    key: str
    phone: str
    display_name: str
    label_zh: str
    label_en: str
    role: str | None = None  # a linli.core.models.Role code; None for residents
    grid: str | None = None  # external id of the grid the role is tied to
    superuser: bool = False
    elder: bool = False
    # The page to open after signing in: the work it shows today (`linli demo` prints it; demo/tests check that
    # each one has something to do on it). {street} is the sample street's code.
    first_page: str = "/me/"


ACCOUNTS = [
    DemoAccount(
        "admin",
        "13800000001",
        "王主任（示例）",
        "街道管理员",
        "street admin",
        "admin",
        superuser=True,
        first_page="/staff/cases/?street={street}",
    ),
    DemoAccount(
        "station_staff",
        "13800000002",
        "李站长（示例）",
        "站点工作人员",
        "station staff",
        "station_staff",
        first_page="/staff/activities/?street={street}",
    ),
    DemoAccount(
        "grid_worker",
        "13800000003",
        "陈网格员（示例）",
        "网格员",
        "grid worker",
        "grid_worker",
        "wl-grid-u13",
        first_page="/staff/cases/?street={street}",
    ),
    DemoAccount(
        "safety_officer",
        "13800000004",
        "周专员（示例）",
        "平安专员",
        "safety officer",
        "safety_officer",
        "wl-grid-ws1",
        first_page="/staff/cases/?street={street}",
    ),
    DemoAccount(
        "kitchen_operator",
        "13800000005",
        "刘师傅（示例）",
        "厨房操作员",
        "kitchen operator",
        "kitchen_operator",
        first_page="/kitchen/production/",
    ),
    DemoAccount(
        "property_manager",
        "13800000006",
        "赵经理（示例）",
        "物业经理",
        "property manager",
        "property_manager",
        first_page="/access/",
    ),
    DemoAccount(
        "food_supervisor",
        "13800000007",
        "孙阿姨（示例）",
        "食安监督员",
        "food supervisor",
        "food_supervisor",
        first_page="/quality/",
    ),
    DemoAccount("rider", "13800000008", "张召（示例骑手）", "骑手", "rider", "rider", first_page="/rider/runs/"),
    DemoAccount("resident", "13800000009", "小林（示例居民）", "居民", "resident", first_page="/me/meals/"),
    DemoAccount(
        "elder",
        "13800000010",
        "胡阿姨（示例，78岁）",
        "老年居民",
        "elderly resident",
        elder=True,
        first_page="/me/meals/",
    ),
    DemoAccount(
        "social_worker",
        "13800000041",
        "钱社工（示例）",
        "社工",
        "social worker",
        "social_worker",
        first_page="/staff/care/day/?street={street}",
    ),
    DemoAccount(
        "care_lead",
        "13800000042",
        "孔主任（示例，关爱负责人）",
        "关爱负责人",
        "care lead",
        "care_lead",
        first_page="/staff/care/?street={street}",
    ),
    DemoAccount(
        "employment_worker",
        "13800000061",
        "沈专员（示例，就业服务站）",
        "就业服务专员",
        "employment station worker",
        "employment_worker",
        first_page="/staff/jobs/?street={street}",
    ),
    DemoAccount(
        "employment_head",
        "13800000062",
        "韩站长（示例，就业服务站）",
        "就业服务站站长",
        "employment station head",
        "employment_head",
        first_page="/staff/jobs/dashboard/?street={street}",
    ),
    DemoAccount(
        "employer",
        "13800000063",
        "杜老板（示例，用人单位）",
        "用人单位",
        "employer",
        first_page="/jobs/employer/",
    ),
    DemoAccount(
        "building_head",
        "13800000071",
        "周阿姨（示例，楼组长）",
        "楼组长",
        "building-group head",
        "building_head",
        first_page="/voice/staff/?street={street}",
    ),
]


def load_collection(name: str) -> dict[str, Any]:
    """One of the bundled GeoJSON FeatureCollections, parsed."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
