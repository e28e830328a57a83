"""Community meals: kitchens and whom they serve, menus, pricing tiers, wallets, orders, delivery runs,
ratings, inspections, tasting panels and food waste.

Money is integer fen (分). Counters that must never overshoot (`MenuItem.sold`, `Wallet.balance_fen`) are
changed only by conditional UPDATEs in the services and are backed by CHECK constraints here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity
from linli.core.models import Compound, Street
from linli.places.models import Place

# ------------------------------------------------------------------------------------------ kitchens


def default_kitchen_slots() -> list[str]:
    """The meals a kitchen cooks unless told otherwise: lunch (助餐 is mostly lunch)."""
    return ["lunch"]


class Kitchen(models.Model):
    """A central kitchen (中央厨房) or a canteen (社区食堂 / 长者食堂): a service point that cooks.

    `serves` are the meal points (助餐点) and activity venues its meals go to; a canteen also serves itself
    (its own dining room) without being listed. Cut-offs are local times: lunch and dinner orders close at the
    given time on the day, breakfast at the given time on the day before. `slots` are the meals it cooks: menus
    for them are due at least a week ahead (`selectors.menus.week_ahead`).
    """

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="kitchens")
    place = models.OneToOneField(Place, on_delete=models.CASCADE, related_name="kitchen")
    serves = models.ManyToManyField(Place, blank=True, related_name="served_by")
    is_elder_canteen = models.BooleanField(
        _("长者食堂 elder canteen"), default=False, help_text="Shanghai's elder-canteen menu rules apply"
    )
    breakfast_cutoff = models.TimeField(_("早餐截单（前一天）breakfast cut-off (day before)"), default="20:00")
    lunch_cutoff = models.TimeField(_("午餐截单 lunch cut-off"), default="09:30")
    dinner_cutoff = models.TimeField(_("晚餐截单 dinner cut-off"), default="15:00")
    home_delivery = models.BooleanField(_("送餐上门 home delivery"), default=True)
    # The slots it publishes menus for: what "menus at least a week ahead" is checked against.
    slots = models.JSONField(
        _("供应餐次 meals cooked"), default=default_kitchen_slots, blank=True, help_text="breakfast, lunch, dinner"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["street", "place__name"]
        verbose_name = _("厨房 kitchen")
        verbose_name_plural = _("厨房 kitchens")

    def __str__(self) -> str:
        return self.place.name


class Slot(models.TextChoices):
    BREAKFAST = "breakfast", _("早餐")
    LUNCH = "lunch", _("午餐")
    DINNER = "dinner", _("晚餐")


class DishTag(models.TextChoices):
    SOFT = "soft", _("软烂")
    LOW_SALT = "low_salt", _("少盐")
    LOW_SUGAR = "low_sugar", _("少糖")
    LOW_OIL = "low_oil", _("少油")
    VEGETARIAN = "vegetarian", _("素")
    SPICY = "spicy", _("辣")
    HALAL = "halal", _("清真")


class Allergen(models.TextChoices):
    """The major allergens of GB 7718-2025 (prepackaged food labelling), as canteens declare them."""

    GLUTEN = "gluten", _("含麸质谷物")
    CRUSTACEAN = "crustacean", _("甲壳类")
    FISH = "fish", _("鱼类")
    EGG = "egg", _("蛋类")
    PEANUT = "peanut", _("花生")
    SOY = "soy", _("大豆")
    MILK = "milk", _("乳")
    TREE_NUT = "tree_nut", _("坚果")
    SESAME = "sesame", _("芝麻")


class Dish(models.Model):
    """A kitchen's dish, independent of any day's menu (ratings and tasting panels attach here)."""

    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="dishes")
    name = models.CharField(_("菜名 dish"), max_length=100)
    description = models.CharField(_("说明 description"), max_length=300, blank=True)
    tags = models.JSONField(_("标签 tags"), default=list, blank=True)
    allergens = models.JSONField(_("过敏原 allergens"), default=list, blank=True)
    is_set_meal = models.BooleanField(_("套餐 set meal"), default=False)
    components = models.CharField(_("套餐内容 what a set meal holds"), max_length=300, blank=True)
    is_new = models.BooleanField(_("新菜 new dish (for tasting panels)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kitchen", "name"]
        constraints = [models.UniqueConstraint(fields=["kitchen", "name"], name="dish_kitchen_name_unique")]
        verbose_name = _("菜品 dish")
        verbose_name_plural = _("菜品 dishes")

    def __str__(self) -> str:
        return self.name


class MenuStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    LOCKED = "locked", _("已截单")  # cut-off passed: orders are locked, the production list stands


class Menu(models.Model):
    """One kitchen's menu for one date and slot. Orders close at `cutoff_at`."""

    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="menus")
    date = models.DateField(_("日期 date"))
    slot = models.CharField(_("餐次 slot"), max_length=16, choices=Slot.choices)
    status = models.CharField(max_length=16, choices=MenuStatus.choices, default=MenuStatus.DRAFT)
    cutoff_at = models.DateTimeField(_("截单时间 order cut-off"))
    published_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("备注 note"), max_length=300, blank=True)

    class Meta:
        ordering = ["date", "slot", "kitchen"]
        constraints = [models.UniqueConstraint(fields=["kitchen", "date", "slot"], name="menu_kitchen_date_slot")]
        indexes = [models.Index(fields=["status", "cutoff_at"])]
        verbose_name = _("菜单 menu")
        verbose_name_plural = _("菜单 menus")

    def __str__(self) -> str:
        return f"{self.kitchen} {self.date} {self.slot}"


class MenuItem(models.Model):
    """A dish on a menu with its prices and daily limit. `sold` counts portions (a half portion counts one
    portion of the limit) and is only changed by conditional UPDATEs: it can never pass `daily_limit`."""

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="items")
    dish = models.ForeignKey(Dish, on_delete=models.PROTECT, related_name="menu_items")
    price_fen = models.PositiveIntegerField(_("价格（分）price (fen)"))
    half_price_fen = models.PositiveIntegerField(_("半份价格（分）half-portion price (fen)"), null=True, blank=True)
    daily_limit = models.PositiveIntegerField(
        _("每日限量 daily limit"), null=True, blank=True, help_text="empty: no limit"
    )
    sold = models.PositiveIntegerField(default=0, editable=False)
    is_elder_discount_set = models.BooleanField(_("长者优惠套餐 discounted elder set meal"), default=False)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["menu", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "dish"], name="menu_item_dish_unique"),
            models.CheckConstraint(
                condition=Q(daily_limit__isnull=True) | Q(sold__lte=F("daily_limit")), name="menu_item_not_oversold"
            ),
        ]
        verbose_name = _("菜单菜品 menu item")
        verbose_name_plural = _("菜单菜品 menu items")

    def __str__(self) -> str:
        return f"{self.dish} · {self.price_fen}"

    @property
    def remaining(self) -> int | None:
        return None if self.daily_limit is None else max(0, self.daily_limit - self.sold)


# ------------------------------------------------------------------------------------ pricing, wallet


class TierKind(models.TextChoices):
    AGE = "age", _("年龄段 age tier")
    HARDSHIP = "hardship", _("困难补贴 hardship subsidy")


class Hardship(models.TextChoices):
    DIBAO = "dibao", _("低保")
    LOW_INCOME = "low_income", _("低收入")
    LIVING_ALONE = "living_alone", _("独居")
    DISABLED = "disabled", _("残疾")
    PURE_ELDERLY = "pure_elderly", _("纯老家庭")


class DiscountType(models.TextChoices):
    PERCENT = "percent", _("按比例 percentage")
    FIXED = "fixed", _("固定金额 fixed fen")


class PricingTier(models.Model):
    """A discount per street: an elder tier by age (the highest tier the resident's age reaches applies) or a
    hardship subsidy (each one the resident holds applies, after the age tier). Either a percentage of the list
    price or a fixed amount in fen per order; a discount never takes the total below zero."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="pricing_tiers")
    kind = models.CharField(max_length=16, choices=TierKind.choices)
    name = models.CharField(_("名称 name"), max_length=60)
    name_en = models.CharField(_("英文名 English name"), max_length=80, blank=True)
    min_age = models.PositiveSmallIntegerField(_("起始年龄 from age"), null=True, blank=True)
    hardship = models.CharField(max_length=20, choices=Hardship.choices, blank=True)
    discount_type = models.CharField(max_length=10, choices=DiscountType.choices)
    value = models.PositiveIntegerField(help_text="percent (0-100) or fen")
    slots = models.JSONField(default=list, blank=True, help_text="slots it applies to; empty: all")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["street", "kind", "min_age", "hardship"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(discount_type="percent") | Q(value__lte=100), name="tier_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=(Q(kind="age") & Q(min_age__isnull=False)) | (Q(kind="hardship") & ~Q(hardship="")),
                name="tier_kind_has_its_key",
            ),
        ]
        verbose_name = _("价格档 pricing tier")
        verbose_name_plural = _("价格档 pricing tiers")

    def __str__(self) -> str:
        return self.name


class MealProfile(models.Model):
    """What pricing and home delivery need to know about a resident, set by staff after checking papers.

    Hardship flags are special-category personal information (PIPL): only street admins and station staff see
    them, and each staff view is audit-logged."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meal_profile")
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="meal_profiles")
    hardships = models.JSONField(default=list, blank=True)
    home_delivery = models.BooleanField(_("可送餐上门 may order home delivery"), default=False)
    home_address = models.CharField(_("送餐地址 delivery address"), max_length=200, blank=True)
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("助餐档案 meal profile")
        verbose_name_plural = _("助餐档案 meal profiles")


class Wallet(models.Model):
    """A resident's meal wallet in one street: a street funds its own subsidies and counters, so money loaded at
    a street's counter is spent on that street's meals and its staff see only that wallet. `balance_fen` changes
    only by conditional UPDATE with a ledger entry in the same transaction, so it always equals the sum of the
    entries and never goes below zero."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallets")
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    balance_fen = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="wallet_not_negative"),
            models.UniqueConstraint(fields=["user", "street"], name="wallet_one_per_street"),
        ]
        verbose_name = _("钱包 wallet")
        verbose_name_plural = _("钱包 wallets")


class EntryKind(models.TextChoices):
    TOPUP = "topup", _("充值")
    CHARGE = "charge", _("扣款")
    REFUND = "refund", _("退款")


class WalletEntry(models.Model):
    """Append-only ledger line: never edited, never deleted. `amount_fen` is signed (charges negative)."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    amount_fen = models.BigIntegerField()
    balance_after_fen = models.BigIntegerField()
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.PROTECT, related_name="wallet_entries")
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="charge") & Q(amount_fen__lt=0)) | (~Q(kind="charge") & Q(amount_fen__gt=0)),
                name="wallet_entry_sign",
            ),
            models.CheckConstraint(condition=Q(balance_after_fen__gte=0), name="wallet_entry_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["wallet", "at"])]
        verbose_name = _("钱包流水 wallet entry")
        verbose_name_plural = _("钱包流水 wallet entries")


# ---------------------------------------------------------------------------------------------- orders


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("已下单")
    LOCKED = "locked", _("已截单")
    IN_PRODUCTION = "in_production", _("制作中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("配送中")
    DELIVERED = "delivered", _("已送达")
    COLLECTED = "collected", _("已取餐")
    CANCELLED = "cancelled", _("已取消")
    REFUNDED = "refunded", _("已退款")


class DestinationType(models.TextChoices):
    PLACE = "place", _("助餐点")
    ACTIVITY = "activity", _("活动场地")
    HOME = "home", _("送餐上门")


class Order(models.Model):
    """A resident's meal order for one menu (kitchen, date, slot), delivered to one destination."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="meal_orders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meal_orders")
    menu = models.ForeignKey(Menu, on_delete=models.PROTECT, related_name="orders")
    kitchen = models.ForeignKey(Kitchen, on_delete=models.PROTECT, related_name="orders")
    date = models.DateField()
    slot = models.CharField(max_length=16, choices=Slot.choices)
    destination_type = models.CharField(max_length=16, choices=DestinationType.choices)
    # For "place" and "activity" the place the meal goes to (the activity's venue); for "home" empty.
    destination_place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="meal_orders"
    )
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="meal_orders")
    home_address = models.CharField(max_length=200, blank=True)
    home_lat = models.FloatField(null=True, blank=True)
    home_lng = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    list_fen = models.PositiveIntegerField()
    discount_fen = models.PositiveIntegerField(default=0)
    total_fen = models.PositiveIntegerField()
    pickup_code = models.CharField(max_length=8, help_text="told at the meal point; unique per menu")
    run_stop = models.ForeignKey(
        "DeliveryStop", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "pickup_code"], name="order_pickup_code_unique_per_menu"),
            models.CheckConstraint(
                condition=Q(total_fen=F("list_fen") - F("discount_fen")), name="order_total_adds_up"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "date"]),
            models.Index(fields=["menu", "status"]),
            models.Index(fields=["street", "date"]),
        ]
        verbose_name = _("订餐 meal order")
        verbose_name_plural = _("订餐 meal orders")

    def __str__(self) -> str:
        return f"#{self.pk} {self.date} {self.slot}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    menu_item = models.ForeignKey(MenuItem, on_delete=models.PROTECT, related_name="order_lines")
    dish_name = models.CharField(max_length=100)
    quantity = models.PositiveSmallIntegerField()
    half = models.BooleanField(default=False)
    unit_price_fen = models.PositiveIntegerField()
    line_fen = models.PositiveIntegerField()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_fen=F("unit_price_fen") * F("quantity")), name="order_line_adds_up"
            ),
        ]


class OrderDiscount(models.Model):
    """One line of the bill's discounts (the tier that gave it, frozen at order time)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    tier = models.ForeignKey(PricingTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(max_length=60)
    amount_fen = models.PositiveIntegerField()

    class Meta:
        ordering = ["order", "id"]


class OrderEvent(models.Model):
    """Append-only timeline of an order: who moved it from which status to which, when, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


# -------------------------------------------------------------------------------------------- delivery


class RunStatus(models.TextChoices):
    PLANNED = "planned", _("待取餐")
    PICKED_UP = "picked_up", _("配送中")
    DONE = "done", _("已完成")


class DeliveryRun(models.Model):
    """A rider's round from a kitchen for one menu's date and slot: stops in order."""

    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="runs")
    date = models.DateField()
    slot = models.CharField(max_length=16, choices=Slot.choices)
    name = models.CharField(max_length=60, blank=True)
    rider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="meal_runs"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PLANNED)
    distance_m = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "slot", "id"]
        verbose_name = _("配送批次 delivery run")
        verbose_name_plural = _("配送批次 delivery runs")


class DeliveryStop(models.Model):
    """One stop of a run: a meal point or venue (`place`), or a home address; orders point at their stop."""

    run = models.ForeignKey(DeliveryRun, on_delete=models.CASCADE, related_name="stops")
    seq = models.PositiveSmallIntegerField()
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=200)
    lat = models.FloatField()
    lng = models.FloatField()
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_to = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="stop_run_seq_unique")]


# --------------------------------------------------------------------------------------------- quality


class Rating(models.Model):
    """A resident's rating of a collected order (1-5 each)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="rating")
    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="ratings")
    taste = models.PositiveSmallIntegerField()
    portion = models.PositiveSmallIntegerField()
    price = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(taste__gte=1, taste__lte=5, portion__gte=1, portion__lte=5, price__gte=1, price__lte=5),
                name="rating_scores_1_to_5",
            )
        ]


class ChecklistArea(models.TextChoices):
    WASHING = "washing", _("清洗区")
    SAMPLE_RETENTION = "sample_retention", _("留样")
    PASTRY = "pastry", _("面点间")
    WOK = "wok", _("炉灶区")
    HYGIENE = "hygiene", _("个人卫生")
    STORAGE = "storage", _("仓储")


class InspectionResult(models.TextChoices):
    PASS = "pass", _("合格")
    ISSUE = "issue", _("需整改")
    NOT_SEEN = "not_seen", _("未检查")


class Inspection(models.Model):
    """A food-safety supervisor's visit to a kitchen with the checklist."""

    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="inspections")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at"]


class InspectionItem(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="items")
    area = models.CharField(max_length=20, choices=ChecklistArea.choices)
    result = models.CharField(max_length=10, choices=InspectionResult.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "area"], name="inspection_area_unique")]


class InspectionPhoto(models.Model):
    """A photo taken during an inspection: validated, re-encoded, metadata stripped (core.photos)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    area = models.CharField(max_length=20, choices=ChecklistArea.choices, blank=True)
    image = models.FileField(upload_to="inspections/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)


class TastingScore(models.Model):
    """One panel member's score for a dish at a tasting panel (新菜品评)."""

    dish = models.ForeignKey(Dish, on_delete=models.CASCADE, related_name="tasting_scores")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    panel_date = models.DateField()
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-panel_date", "dish"]
        constraints = [
            models.UniqueConstraint(fields=["dish", "scorer", "panel_date"], name="tasting_one_per_scorer"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="tasting_score_1_to_5"),
        ]


class WasteRecord(models.Model):
    """The day's food-waste weight of a kitchen (grams)."""

    kitchen = models.ForeignKey(Kitchen, on_delete=models.CASCADE, related_name="waste_records")
    date = models.DateField()
    grams = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["kitchen", "date"], name="waste_one_per_kitchen_day")]
