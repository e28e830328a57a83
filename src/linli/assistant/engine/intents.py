"""Understanding a question: the date, the names it mentions, what the resident needs, and the intent.

Rule-based on purpose: every decision is a keyword or a name from the street's own data, so a wrong answer can be
traced to one table row here and fixed (or overridden by staff synonyms and curated answers in the app).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from linli.assistant.engine import dates
from linli.assistant.engine.matching import Hit, Lexicon, compact, find, normalize, syllables
from linli.places.models import CANTEEN_KINDS, EATING_KINDS

INTENTS = ("activities", "nearest_place", "opening_hours", "meals", "how_to", "contact", "unknown")


@dataclass(frozen=True)
class NeedSpec:
    code: str
    label_zh: str
    label_en: str
    kinds: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    amenities: frozenset[str] = frozenset()

    def matches(self, place: dict[str, Any]) -> bool:
        return (
            place.get("kind") in self.kinds
            or not self.services.isdisjoint(place.get("services") or ())
            or not self.amenities.isdisjoint(place.get("amenities") or ())
        )


def _need(code: str, zh: str, en: str, kinds=(), services=(), amenities=()) -> NeedSpec:
    return NeedSpec(code, zh, en, frozenset(kinds), frozenset(services), frozenset(amenities))


# (words, need) in priority order: the first need whose word appears wins.
NEEDS: list[tuple[tuple[str, ...], NeedSpec]] = [
    (
        ("电瓶车", "电动车", "电驴", "电单车", "充电桩", "电瓶", "电车充电", "换电"),
        _need("ebike_charging", "电瓶车充电", "e-bike charging", amenities=("ebike_charging",)),
    ),
    (
        ("手机充电", "充电宝", "手机没电"),
        _need("phone_charging", "手机充电", "phone charging", services=("phone_charging",)),
    ),
    (
        ("充电", "充个电"),
        _need("charging", "充电", "charging", services=("phone_charging",), amenities=("ebike_charging",)),
    ),
    (("助餐点", "助餐站"), _need("meal_point", "助餐点", "meal point", kinds=("meal_point",))),
    (
        ("长者食堂", "老年食堂", "老人食堂", "老年人食堂", "长者饭堂"),
        _need("elder_canteen", "长者食堂", "elder canteen", kinds=("elder_canteen",)),
    ),
    (("社区食堂", "食堂", "饭堂"), _need("canteen", "食堂", "canteen", kinds=CANTEEN_KINDS)),
    (
        ("吃饭", "吃午饭", "吃中饭", "吃晚饭", "用餐", "就餐", "助餐", "吃口饭", "吃顿饭", "老人饭", "吃的地方"),
        _need("meal", "吃饭的地方", "place to eat", kinds=EATING_KINDS, services=("meal",)),
    ),
    (("中央厨房",), _need("central_kitchen", "中央厨房", "central kitchen", kinds=("central_kitchen",))),
    (("远程帮办",), _need("remote", "远程帮办点", "remote service point", kinds=("remote_service_point",))),
    (
        ("事务受理", "受理中心"),
        _need("affairs_center", "社区事务受理服务中心", "community affairs centre", kinds=("affairs_center",)),
    ),
    (
        ("办事", "办证", "社保", "医保", "居住证", "户口", "开证明", "帮办", "办理"),
        _need(
            "affairs",
            "办事的地方",
            "place for affairs",
            kinds=("affairs_center", "remote_service_point"),
            services=("affairs",),
        ),
    ),
    (
        (
            "看病",
            "看医生",
            "医院",
            "助医",
            "医生",
            "量血压",
            "测血压",
            "配药",
            "诊所",
            "医务",
            "卫生站",
            "量个血压",
            "血压",
        ),
        _need("medical", "助医服务点", "medical help point", kinds=("medical_point",), services=("medical",)),
    ),
    (
        ("找工作", "就业", "招聘", "零工", "工作机会", "找活", "打零工", "求职"),
        _need("employment", "就业服务", "employment service", kinds=("employment_station",), services=("employment",)),
    ),
    (("厕所", "洗手间", "卫生间", "如厕", "茅房", "上个厕所"), _need("toilet", "厕所", "toilet", services=("toilet",))),
    (
        ("喝水", "饮水", "热水", "开水", "倒水", "接水"),
        _need("water", "饮水点", "drinking water", services=("drinking_water",)),
    ),
    (
        ("骑手驿站", "骑手之家", "小哥驿站"),
        _need("rider_station", "骑手驿站", "rider station", kinds=("rider_station",)),
    ),
    (
        ("歇脚", "休息", "歇一歇", "坐一坐", "歇歇", "坐坐"),
        _need("rest", "歇脚的地方", "place to rest", services=("rider_rest", "drinking_water", "toilet")),
    ),
    (
        ("书房", "看书", "阅读", "图书", "读书", "借书"),
        _need("reading", "书房", "reading room", kinds=("reading_room",), services=("reading",)),
    ),
    (
        ("党群服务中心", "党群中心"),
        _need("psc", "党群服务中心", "party-mass service centre", kinds=("party_service_center",)),
    ),
    (
        ("党群服务站", "党群站", "服务站"),
        _need("pss", "党群服务站", "party-mass service station", kinds=("party_service_station",)),
    ),
    (("市民驿站", "驿站"), _need("citizen", "市民驿站", "citizen station", kinds=("citizen_station",))),
    (
        ("文化活动中心", "文化中心", "活动中心"),
        _need("culture", "文化活动中心", "culture centre", kinds=("culture_center",)),
    ),
    (("法律", "律师", "法援", "打官司"), _need("legal", "法律援助", "legal aid", services=("legal_aid",))),
    (("心理咨询", "心理辅导"), _need("counselling", "心理咨询", "counselling", services=("counselling",))),
    (("养老顾问", "养老"), _need("elder_care", "养老顾问", "elder-care advice", services=("elder_care",))),
    (("wifi", "无线网", "上网", "wi-fi"), _need("wifi", "无线网络", "Wi-Fi", amenities=("wifi",))),
    (("停车", "车位"), _need("parking", "停车", "parking", amenities=("parking",))),
    (("无障碍", "轮椅"), _need("step_free", "无障碍通行", "step-free access", amenities=("step_free",))),
]

CATEGORY_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("讲座", "讲课", "讲堂", "报告会", "科普"), "lecture"),
    (("培训", "技能"), "skills_training"),
    (("党日", "党建", "党课", "党员"), "party_affairs"),
    (("亲子", "儿童", "孩子", "小孩", "娃", "小朋友"), "children"),
    (("市集", "集市", "赶集", "摆摊"), "market"),
    (("志愿", "义工"), "volunteering"),
    (("运动", "健身", "锻炼", "体育"), "sports"),
    (("健康", "养生", "保健"), "health"),
    (("文化", "文艺", "书画", "唱歌", "跳舞"), "culture"),
]

W_CONTACT = ("电话", "号码", "热线", "联系方式", "联系", "打给", "座机", "咨询电话", "客服")
W_REPORT = (
    "隐患", "堵塞", "堵住", "堵了", "被堵", "堆物", "堆放", "消防通道", "飞线", "私拉电线", "拍一拍", "上报",
    "举报", "报修", "坏了", "堆了", "乱堆", "反映", "楼道里", "漏水", "投诉", "反映问题", "安全问题", "着火", "冒烟", "井盖", "路灯不亮",
)  # fmt: skip
W_CANCEL = (
    "取消", "退订", "退掉", "不去了", "去不了", "退餐", "退单", "撤销", "不想去了", "来不了", "不要了", "怎么退",
    "退钱", "退款", "能退", "退吗", "可以退", "退了",
)  # fmt: skip
W_BOOK = (
    "预约", "报名", "约一个", "预订", "登记参加", "占个位", "怎么约", "抢名额", "怎么参加", "如何参加", "怎样参加",
    "咋参加",
)  # fmt: skip
W_ORDER = (
    "点餐", "订餐", "订饭", "点饭", "下单", "点菜", "送餐", "外卖", "订午饭", "订一份", "点一份", "点个", "叫餐",
    "送到家", "送饭", "送上门",
)  # fmt: skip
_SUBJECT_RE = re.compile(r"([\u4e00-\u9fff]{2,5}?)(?:课|班|兴趣班|培训班|讲座|比赛|演出)")
_SUBJECT_LEAD = re.compile(r"^(?:有没有|有没|没有|有|想学|想上|想|学|报名|参加|上|的|个)+")
_NOT_SUBJECTS = {
    "什么",
    "哪些",
    "有没",
    "没有",
    "有啥",
    "啥样",
    "这个",
    "那个",
    "哪个",
    "有个",
    "兴趣",
    "培训",
    "上课",
    "报名",
    "一节",
    "几节",
}
_CLASS_RE = re.compile(r"(?<![上下末加值早晚夜航])班(?!车|机|子)")
_ORDER_RE = re.compile(r"[订点叫].{0,8}?[饭餐]")
W_HOW = (
    "怎么",
    "如何",
    "怎样",
    "咋",
    "在哪里",
    "在哪",
    "哪里",
    "步骤",
    "流程",
    "方法",
    "教教",
    "教我",
    "能不能",
    "可以",
)
W_HOURS_STRONG = (
    "开门", "关门", "营业", "开放", "上班", "下班", "开着", "关着", "开不开", "放假", "休息吗", "还开",
    "开吗", "几点开", "几点关", "开到几点", "关了", "闭馆", "开馆", "歇业", "有人吗", "有人在",
)  # fmt: skip
W_HOURS_WEAK = ("几点", "时间", "几时", "多久", "哪天", "哪几天", "什么时候开")
W_INFO = (
    "比例", "多少", "政策", "标准", "怎么申请", "条件", "什么时候发", "能报", "报销", "补办", "怎么办理", "材料",
    "手续", "流程", "疫苗",
)  # fmt: skip
W_MEAL: tuple[str, ...] = (
    "菜", "菜单", "吃什么", "伙食", "饭菜", "套餐", "多少钱", "价格", "价钱", "几块", "贵不贵", "贵吗", "便宜",
    "打折", "折扣", "优惠", "补贴", "早饭", "午饭", "晚饭", "早餐", "午餐", "晚餐", "中饭", "荤", "素", "几折",
    "有啥吃", "吃啥", "饭", "粥", "汤", "面", "包子", "馄饨", "鱼", "肉", "蛋", "吃",
)  # fmt: skip
# Food words: "有没有鱼吃" asks for the dishes whose name holds one.
FOOD = (
    "鱼",
    "虾",
    "排骨",
    "小排",
    "肉",
    "蛋",
    "汤",
    "粥",
    "面",
    "馄饨",
    "包子",
    "饼",
    "鸡",
    "鸭",
    "豆腐",
    "茄子",
    "青菜",
)
W_MEAL = W_MEAL + FOOD
W_MENU_STRONG = (
    "菜", "吃什么", "吃啥", "有啥吃", "多少钱", "价格", "价钱", "几块", "贵", "便宜", "打折", "折扣", "优惠", "补贴",
    "几折", "套餐", "伙食",
)  # fmt: skip
W_NEAR = (
    "附近", "最近的", "就近", "离我", "哪里", "哪儿", "哪边", "在哪", "什么地方", "怎么走", "怎么去", "咋走",
    "导航", "地址", "位置", "近一点", "最近", "周边", "边上", "旁边", "去哪",
)  # fmt: skip
W_ACTIVITY = (
    "活动", "课", "讲座", "培训", "兴趣班", "培训班", "学习班", "市集", "集市", "党日", "沙龙", "比赛", "演出", "亲子", "手工",
    "好玩", "玩的", "热闹", "参加", "学习", "节目",
)  # fmt: skip
SLOT_WORDS = [
    (("早饭", "早餐", "早点", "早上吃"), "breakfast"),
    (("午饭", "中饭", "午餐", "中午"), "lunch"),
    (("晚饭", "晚餐", "夜饭", "晚上吃"), "dinner"),
]


@dataclass
class Parsed:
    question: str
    text: str  # compact, synonyms applied
    rest: str  # text without the date words
    when: dates.When | None
    hits: list[Hit] = field(default_factory=list)
    need: NeedSpec | None = None
    categories: list[str] = field(default_factory=list)
    title_words: list[str] = field(default_factory=list)
    topic: str | None = None  # how_to: "book" | "cancel" | "order" | "cancel_order" | "report"
    slot: str | None = None
    unknown_road: str | None = None
    subject: str | None = None  # "钢琴" of "有没有钢琴课" when no activity, category or title word matched
    intent: str = "unknown"
    confidence: float = 0.0

    def entities(self, kind: str) -> list[Any]:
        return [h.entity for h in self.hits if h.entity.kind == kind]

    def has(self, words: tuple[str, ...]) -> bool:
        return any(w in self.rest for w in words)


_ROAD_ANY = re.compile(r"([\u4e00-\u9fff]{2,4}?路)")


# Shanghainese (and a few colloquial) words the elder residents use, said in standard Chinese.
DIALECT = {
    "今朝": "今天", "明朝": "明天", "后日": "后天", "啥辰光": "什么时候", "啥时光": "什么时候", "夜里向": "晚上",
    "夜快": "傍晚", "上半天": "上午", "上半日": "上午", "下半天": "下午", "下半日": "下午", "铜钿": "钱",
    "阿拉": "我们", "屋里厢": "家里", "晓得": "知道", "啥地方": "什么地方", "哪能": "怎么", "中饭": "午饭",
    "夜饭": "晚饭", "礼拜日": "礼拜天",
}  # fmt: skip
_FA_QUESTION = re.compile(r"伐(?=\s|$)")  # the Shanghainese question particle: 开伐 = 开吗
# Words that look like a need or a menu but are not in Linli's data ("菜市场" is no canteen).
_NOT_OURS = ("菜市场", "菜场", "买菜", "卖菜", "菜价")


def parse(question: str, lex: Lexicon, *, now: dt.datetime, synonyms: dict[str, str] | None = None) -> Parsed:
    text = compact(_FA_QUESTION.sub("吗", normalize(question)))
    for src, dst in DIALECT.items():
        text = text.replace(src, dst)
    for src, dst in (synonyms or {}).items():
        if src and compact(src):
            text = text.replace(compact(src), compact(dst))
    when = dates.resolve(text, now)
    rest = text
    if when is not None:
        chars = list(text)
        for s, e in when.spans:
            for i in range(s, min(e, len(chars))):
                chars[i] = " "
        rest = "".join(chars)
    # "最近的" is "nearest", not "recently".
    if when is not None and when.label == "最近" and "最近的" in text:
        when, rest = None, text
    for word in _NOT_OURS:
        rest = rest.replace(word, "#" * len(word))
    p = Parsed(question=question, text=text, rest=rest, when=when)
    p.hits = find(rest.replace(" ", "|"), lex)
    p.need = next((need for words, need in NEEDS if any(w in rest for w in words)), None)
    p.categories = [c for words, c in CATEGORY_WORDS if any(w in rest for w in words)]
    # Activity title words are looked for outside the names of places ("长者" of 万里城长者食堂 is no activity).
    free = list(compact(rest))
    for h in p.hits:
        if h.entity.kind in ("place", "compound", "road", "committee", "dish"):
            free[h.start : h.end] = ["|"] * (h.end - h.start)
    free_text = "".join(free)
    free_py = f" {syllables(free_text.replace('|', ' '))} "
    if re.search(r"[a-z]", text):
        free_py += f" {syllables(normalize(question))} "  # typed pinyin keeps its spaces
    p.title_words = sorted(
        {w for w in lex.words if w in free_text or (len(w) >= 2 and f" {syllables(w)} " in free_py)},
        key=len,
        reverse=True,
    )
    m = _SUBJECT_RE.search(free_text)
    subject = _SUBJECT_LEAD.sub("", m.group(1)) if m else ""
    if len(subject) >= 2 and not p.title_words and not p.categories and subject not in _NOT_SUBJECTS:
        titles = [e.name for e in lex.entities if e.kind == "activity"]
        if any(subject in t for t in titles):
            p.title_words = [subject]  # "太极班": part of the title 长者太极拳
        else:
            p.subject = subject
    p.slot = next((slot for words, slot in SLOT_WORDS if any(w in text for w in words)), None)
    if p.slot is None and when is not None and when.part:
        p.slot = {"morning": "breakfast", "noon": "lunch", "evening": "dinner"}.get(when.part)
    for m in _ROAD_ANY.finditer(rest):
        road = m.group(1)
        for cut in range(len(road) - 2):  # "离长寿路" → "长寿路"
            cand = road[cut:]
            if cand in lex.roads:
                break
        else:
            if not any(h.entity.kind in ("place", "compound") and h.start <= m.start() < h.end for h in p.hits):
                p.unknown_road = road[1:] if road.startswith(("离", "在", "到", "去")) else road
    classify(p)
    return p


def classify(p: Parsed) -> None:  # noqa: C901 - the precedence reads top to bottom
    places, dishes = p.entities("place"), p.entities("dish")
    activities = p.entities("activity")
    # A hobby word alone ("你会唱歌吗") is not a question about activities; with a date, place or "有没有" it is.
    asks = p.when is not None or bool(places) or p.has(("有没有", "有什么", "有啥", "哪里", "什么时候", "哪天"))
    classes = bool(_CLASS_RE.search(p.rest))  # 书画班, 兴趣班; not 上班, 末班车
    has_activity_terms = bool(activities or p.title_words or p.has(W_ACTIVITY) or classes or (p.categories and asks))
    near = p.has(W_NEAR) and not (p.when is not None and p.when.label == "最近" and "最近的" not in p.text)
    menu_strong = p.has(W_MENU_STRONG) or bool(dishes)

    if p.has(W_CONTACT) and not p.has(("手机充电",)):
        p.intent, p.confidence = "contact", 0.9
        return
    if p.has(W_REPORT):
        p.intent, p.topic, p.confidence = "how_to", "report", 0.9
        return
    if p.has(W_CANCEL):
        ordering = p.has(W_ORDER) or p.has(("餐", "饭", "订单"))
        p.intent, p.topic, p.confidence = "how_to", "cancel_order" if ordering else "cancel", 0.85
        return
    how = p.has(W_HOW)
    if (p.has(W_ORDER) or (how and _ORDER_RE.search(p.rest))) and (how or not dishes):
        p.intent, p.topic, p.confidence = "how_to", "order", 0.8
        return
    if p.has(W_BOOK) and p.has(("饭", "餐", "食堂", "菜")):
        p.intent, p.topic, p.confidence = "how_to", "order", 0.8
        return
    if p.has(W_BOOK) and (how or not (activities or p.title_words)):
        p.intent, p.topic, p.confidence = "how_to", "book", 0.8
        return
    if p.has(W_HOURS_STRONG) and not (has_activity_terms and not places and not p.need):
        p.intent, p.confidence = "opening_hours", 0.85
        return
    if p.slot and (places or dishes) and p.has(("有啥", "有什么", "吃什么", "吃啥", "菜", "有没有")):
        p.intent, p.confidence = "meals", 0.8
        return
    if menu_strong and not (near and not p.has(("菜", "吃什么", "吃啥", "多少钱", "价格", "优惠", "打折"))):
        p.intent, p.confidence = "meals", 0.85
        return
    if p.has(W_HOURS_WEAK) and (places or p.need) and not has_activity_terms:
        p.intent, p.confidence = "opening_hours", 0.7
        return
    if near and (p.need or places or p.entities("road") or p.entities("compound") or p.unknown_road):
        p.intent, p.confidence = "nearest_place", 0.85
        return
    if has_activity_terms:
        p.intent, p.confidence = "activities", 0.8 if (activities or p.title_words or p.categories) else 0.65
        return
    if p.has(W_MEAL) and (places or p.when is not None or p.need):
        p.intent, p.confidence = "meals", 0.6
        return
    if p.need is not None and not p.has(W_INFO) and _short_need(p):
        p.intent, p.confidence = "nearest_place", 0.7
        return
    if places:
        p.intent, p.confidence = "nearest_place", 0.55
        return
    if p.when is not None and p.has(("有什么", "有啥", "干什么", "安排", "可以去")):
        p.intent, p.confidence = "activities", 0.5
        return
    p.intent, p.confidence = "unknown", 0.0


def _short_need(p: Parsed) -> bool:
    """A need said alone ("电瓶车充电", "想找个厕所"): little besides the need word; a long sentence around a need
    word ("社区医院能打疫苗吗") asks something else."""
    rest = p.rest.replace(" ", "")
    for words, need in NEEDS:
        if need is p.need:
            for w in words:
                rest = rest.replace(w, "")
    for filler in ("我想", "想", "我要", "要", "找", "个", "一下", "有没有", "吗", "哪", "的", "可以", "能"):
        rest = rest.replace(filler, "")
    return len(rest) <= 4
