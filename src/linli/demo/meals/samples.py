"""The history's sample values: how many days, the seed, the extra residents and what they say."""

from __future__ import annotations

# ----------------------------------------------------------------------------------------------- history
# Three weeks of past lunches, so the street report and the kitchen quality pages have something to chart.
# Deterministic: a seeded random generator, the days counted back from `today`. Skipped when the street already
# has past orders or waste records (a second run the same day or later creates nothing).

HISTORY_DAYS = 21
HISTORY_SEED = 20261130
EXTRA_PHONE_PREFIX = "+8613900"
EXTRA_NAME_SUFFIX = "（示例）"
# Extra sample residents per kitchen (their "usual" kitchen): enough for ~20-60 lunches a day each.
EXTRA_RESIDENTS = {"wl-ck-001": 70, "wl-cc-001": 38, "wl-cc-002": 36, "wl-ec-001": 50, "wl-ec-002": 42}
NEW_DISHES = ("油面筋塞肉", "糖醋小排")  # flagged new (tasting panels) in the central kitchen and one canteen
NEW_DISH_KITCHENS = ("wl-ck-001", "wl-cc-001")
GOOD_COMMENTS = [
    "味道不错，很下饭。",
    "菜烧得很软，老人吃正好。",
    "分量足，价格实惠。",
    "清淡不油腻，蛮好。",
    "狮子头好吃，明天还订。",
    "鱼很新鲜，刺也挑干净了。",
    "送得准时，饭还是热的。",
    "阿姨态度好，谢谢。",
    "少盐的做法很好，适合我们。",
    "",
    "",
    "",
]
SO_SO_COMMENTS = ["还可以，就是有点淡。", "青菜炒得有点老。", "米饭稍微硬了点。", "汤有点凉了。", ""]
BAD_COMMENTS = ["今天的菜太咸了。", "送晚了半个多小时，饭都凉了。", "分量比上次少。", "茄子太油了。"]
INSPECTION_AREAS = ["washing", "sample_retention", "pastry", "wok", "hygiene", "storage"]
ISSUE_NOTES = {
    "washing": "消毒柜温度记录缺两天，已当场提醒补记。",
    "sample_retention": "留样标签时间未写全，要求整改。",
    "storage": "生熟食品未完全分架存放，需整改。",
    "hygiene": "一名帮厨未戴帽子，已当场纠正。",
}
TASTING_COMMENTS = ["口味适中，老人接受度高。", "偏甜，建议少放糖。", "软硬合适，可以上架。", "分量可以再足一点。", ""]
