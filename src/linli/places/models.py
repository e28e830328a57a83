"""Service points (党群服务阵地 and the rest), the service catalogue and amenities."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street


class PlaceKind(models.TextChoices):
    PARTY_SERVICE_CENTER = "party_service_center", _("党群服务中心")
    PARTY_SERVICE_STATION = "party_service_station", _("党群服务站")
    CITIZEN_STATION = "citizen_station", _("市民驿站")
    AFFAIRS_CENTER = "affairs_center", _("社区事务受理服务中心")
    MEAL_POINT = "meal_point", _("助餐点")
    COMMUNITY_CANTEEN = "community_canteen", _("社区食堂")
    ELDER_CANTEEN = "elder_canteen", _("长者食堂")
    CENTRAL_KITCHEN = "central_kitchen", _("中央厨房")
    EMPLOYMENT_STATION = "employment_station", _("就业服务站")
    REMOTE_SERVICE_POINT = "remote_service_point", _("远程帮办点")
    RIDER_STATION = "rider_station", _("骑手驿站")
    MEDICAL_POINT = "medical_point", _("助医点")
    READING_ROOM = "reading_room", _("书房")
    CULTURE_CENTER = "culture_center", _("文化活动中心")


# ---- Place-kind groups: the one definition every domain uses (map colours, needs, meals, the assistant).

# Where a resident sits down to eat or collects a meal.
EATING_KINDS: frozenset[str] = frozenset({PlaceKind.MEAL_POINT, PlaceKind.COMMUNITY_CANTEEN, PlaceKind.ELDER_CANTEEN})
# Where meals are cooked: a kitchen's place (a canteen also serves its own dining room).
KITCHEN_KINDS: frozenset[str] = frozenset(
    {PlaceKind.CENTRAL_KITCHEN, PlaceKind.COMMUNITY_CANTEEN, PlaceKind.ELDER_CANTEEN}
)
# Canteens: eaten at and cooked in.
CANTEEN_KINDS: frozenset[str] = EATING_KINDS & KITCHEN_KINDS
# Every meal place, eating or cooking (the map's "meal" colour group).
MEAL_KINDS: frozenset[str] = EATING_KINDS | KITCHEN_KINDS

# Colour group of each kind (CSS class `kind--<group>`), shared by list dots and map markers.
KIND_GROUP: dict[str, str] = {
    PlaceKind.PARTY_SERVICE_CENTER: "party",
    PlaceKind.PARTY_SERVICE_STATION: "party",
    PlaceKind.CITIZEN_STATION: "party",
    PlaceKind.AFFAIRS_CENTER: "affairs",
    PlaceKind.REMOTE_SERVICE_POINT: "affairs",
    **dict.fromkeys(MEAL_KINDS, "meal"),
    PlaceKind.EMPLOYMENT_STATION: "work",
    PlaceKind.RIDER_STATION: "rider",
    PlaceKind.MEDICAL_POINT: "medical",
    PlaceKind.READING_ROOM: "culture",
    PlaceKind.CULTURE_CENTER: "culture",
}


class Amenity(models.TextChoices):
    STEP_FREE = "step_free", _("无障碍通行")
    SEATS = "seats", _("休息座椅")
    WIFI = "wifi", _("无线网络")
    EBIKE_CHARGING = "ebike_charging", _("电瓶车充电")
    PARKING = "parking", _("停车")


class Service(models.Model):
    """An entry of the service catalogue. `street` empty: the default catalogue every street shares."""

    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(max_length=40)
    name_zh = models.CharField(max_length=50)
    name_en = models.CharField(max_length=80)
    category = models.SlugField(max_length=40)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="service_street_code_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(street__isnull=True), name="service_default_code_unique"
            ),
        ]
        verbose_name = _("服务项目 service")
        verbose_name_plural = _("服务目录 service catalogue")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


class Place(models.Model):
    """A service point. Coordinates are WGS-84; `h3_cell` (resolution 9) indexes candidate search."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="places")
    external_id = models.CharField(_("外部编号 external id"), max_length=64)
    name = models.CharField(_("名称 name"), max_length=120)
    kind = models.CharField(_("类型 kind"), max_length=40, choices=PlaceKind.choices)
    address = models.CharField(_("地址 address"), max_length=200)
    lat = models.FloatField(_("纬度 latitude (WGS-84)"))
    lng = models.FloatField(_("经度 longitude (WGS-84)"))
    h3_cell = models.CharField(max_length=16, db_index=True, editable=False)
    phone = models.CharField(_("电话 phone"), max_length=40, blank=True)
    opening_hours = models.CharField(_("开放时间 opening hours (OSM syntax)"), max_length=255, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="places")
    amenities = models.JSONField(_("设施 amenities"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("容量 capacity"), null=True, blank=True)
    description = models.TextField(_("简介 description"), blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["street", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "external_id"], name="place_street_ext_unique"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180), name="place_coords_valid"
            ),
        ]
        indexes = [models.Index(fields=["street", "kind"])]
        verbose_name = _("服务点位 service point")
        verbose_name_plural = _("服务点位 service points")

    def __str__(self) -> str:
        return self.name
