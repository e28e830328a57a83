"""Open311 constants and the service definitions (attributes) per category code: the one place they live."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from linli.cases.models import CaseStatus

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Sortable; bump when SERVICE_ATTRIBUTES (the service definitions) change.
CHANGESET = "2026-11-30T00:00:00+08:00"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000  # GET requests answers at most this many (spec: "first 1000 requests")
WINDOW = dt.timedelta(days=90)  # default window, and the longest start_date..end_date span
MAX_DESCRIPTION = 4000  # spec: free form text limited to 4,000 characters
CLOSED_STATES = {CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED}


# ----------------------------------------------------------------------------------- service definitions


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition (spec: GET Service Definition)."""

    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    description: str
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list datatypes
    variable: bool = True


@dataclass(frozen=True)
class ServiceExtra:
    """What the spec's service list wants beyond a category row: a group, keywords and attributes."""

    group: str = "隐患 hazards"
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()


_OTHER = ("other", "其他 other")

# The one place where service definitions live, by category code. A category missing here has no attributes
# (`metadata` false) and the default group. Attributes are never required: a report needs only a place, a
# category and (for most) a description, so a client that ignores service definitions still works.
SERVICE_ATTRIBUTES: dict[str, ServiceExtra] = {
    "fire_passage": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("消防通道", "堵塞", "fire lane", "blocked"),
        attributes=(
            Attribute(
                code="blocked_by",
                datatype="singlevaluelist",
                description="通道被什么堵住？What is blocking the passage?",
                values=(("debris", "杂物 debris"), ("vehicle", "车辆 vehicle"), _OTHER),
            ),
        ),
    ),
    "corridor_clutter": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("楼道堆物", "杂物", "stairwell", "clutter"),
        attributes=(
            Attribute(
                code="floor",
                datatype="number",
                description="在第几层？On which floor?",
                datatype_description="楼层数字，地下室填 -1 / a floor number, -1 for the basement",
            ),
            Attribute(
                code="items",
                datatype="multivaluelist",
                description="堆放了什么？What is piled up? (可多选 choose any)",
                values=(
                    ("boxes", "纸箱杂物 boxes and junk"),
                    ("furniture", "家具 furniture"),
                    ("flammables", "易燃物 flammables"),
                    _OTHER,
                ),
            ),
        ),
    ),
    "ebike_indoor_charging": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("电动车进楼", "飞线充电", "电瓶车", "e-bike", "charging"),
        attributes=(
            Attribute(
                code="location_kind",
                datatype="singlevaluelist",
                description="车或充电线在哪里？Where is the e-bike or the cable?",
                values=(
                    ("corridor", "楼道、门厅 corridor or lobby"),
                    ("flying_wire", "飞线（从窗口拉线）cable from a window"),
                    ("indoors", "室内 inside a flat"),
                    _OTHER,
                ),
            ),
        ),
    ),
    "abandoned_vehicle": ServiceExtra(
        group="市容环境 street scene",
        keywords=("僵尸车", "废弃车辆", "abandoned", "vehicle"),
        attributes=(
            Attribute(
                code="vehicle_kind",
                datatype="singlevaluelist",
                description="是什么车？What kind of vehicle?",
                values=(("car", "汽车 car"), ("ebike", "电动车 e-bike"), ("bicycle", "自行车 bicycle"), _OTHER),
            ),
        ),
    ),
    "damaged_facility": ServiceExtra(
        group="市容环境 street scene",
        keywords=("路灯", "井盖", "护栏", "健身器材", "streetlight", "manhole"),
        attributes=(
            Attribute(
                code="facility",
                datatype="singlevaluelist",
                description="哪种设施？Which facility?",
                values=(
                    ("streetlight", "路灯 streetlight"),
                    ("manhole", "井盖 manhole cover"),
                    ("railing", "护栏 railing"),
                    ("fitness", "健身器材 fitness equipment"),
                    _OTHER,
                ),
            ),
        ),
    ),
}


def service_extra(code: str) -> ServiceExtra:
    return SERVICE_ATTRIBUTES.get(code, ServiceExtra())
