"""The occupation taxonomy: the major groups of 中华人民共和国职业分类大典 (2022) and the common occupations the
stations place people in, each with ESCO-style essential and optional skills. Codes follow the 大典's numbering
(major group - middle group - small group - detail), shortened where the station needs no more."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from linli.core.i18n import Text

MAJOR_GROUPS: dict[str, Text] = {
    "1": _("党的机关、国家机关、群众团体和社会组织、企事业单位负责人"),
    "2": _("专业技术人员"),
    "3": _("办事人员和有关人员"),
    "4": _("社会生产服务和生活服务人员"),
    "5": _("农、林、牧、渔业生产及辅助人员"),
    "6": _("生产制造及有关人员"),
    "7": _("军队人员"),
    "8": _("不便分类的其他从业人员"),
}

SKILLS: dict[str, Text] = {
    "food_hygiene": _("食品卫生"),
    "chinese_pastry": _("会做中式面点"),
    "vegetable_prep": _("择菜切配"),
    "dishwashing": _("洗碗保洁"),
    "cooking": _("烹饪"),
    "cleaning": _("保洁"),
    "elder_care": _("照护老人"),
    "childcare": _("照看儿童"),
    "cashier": _("收银"),
    "customer_service": _("接待顾客"),
    "shelf_stocking": _("理货上架"),
    "smartphone": _("会用智能手机"),
    "office_software": _("会用办公软件"),
    "data_entry": _("录入资料"),
    "driving_c1": _("C1驾照"),
    "e_bike": _("会骑电动车"),
    "coffee": _("咖啡制作"),
    "sewing": _("缝纫"),
    "security_patrol": _("巡逻值守"),
    "first_aid": _("急救常识"),
    "handicraft": _("手工编织"),
    "packing": _("分拣包装"),
}


@dataclass(frozen=True)
class Occupation:
    code: str
    name: Text
    essential: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def major(self) -> str:
        return self.code.split("-")[0]


OCCUPATIONS: dict[str, Occupation] = {
    o.code: o
    for o in (
        Occupation("4-03-02-02", _("中式面点师"), ("chinese_pastry", "food_hygiene"), ("cooking",)),
        Occupation("4-03-02-09", _("厨房帮工"), ("vegetable_prep", "food_hygiene"), ("dishwashing", "chinese_pastry")),
        Occupation("4-03-02-01", _("中式烹调师"), ("cooking", "food_hygiene"), ("vegetable_prep",)),
        Occupation("4-03-01-03", _("咖啡师"), ("coffee", "customer_service"), ("cashier", "food_hygiene")),
        Occupation("4-09-08-01", _("保洁员"), ("cleaning",), ("dishwashing",)),
        Occupation("4-10-01-05", _("养老护理员"), ("elder_care",), ("first_aid", "cooking")),
        Occupation("4-10-01-02", _("育婴员"), ("childcare",), ("first_aid", "cooking")),
        Occupation("4-01-02-03", _("收银员"), ("cashier", "customer_service"), ("smartphone",)),
        Occupation("4-01-02-01", _("营业员"), ("customer_service", "shelf_stocking"), ("cashier", "smartphone")),
        Occupation("4-02-07-01", _("快递员"), ("e_bike", "smartphone"), ("packing",)),
        Occupation("4-02-06-03", _("仓储理货员"), ("packing", "shelf_stocking"), ("data_entry",)),
        Occupation("3-01-02-01", _("行政办事员"), ("office_software", "data_entry"), ("customer_service",)),
        Occupation("4-07-05-01", _("保安员"), ("security_patrol",), ("first_aid",)),
        Occupation("6-05-01-02", _("缝纫工"), ("sewing",), ("handicraft",)),
        Occupation("8-00-00-01", _("手工制作（灵活就业）"), ("handicraft",), ("sewing", "smartphone")),
        Occupation("4-02-02-01", _("网约车驾驶员"), ("driving_c1", "smartphone"), ()),
    )
}


def occupation_get(code: str) -> Occupation | None:
    return OCCUPATIONS.get(code)


def skill_label(code: str) -> Text:
    return SKILLS.get(code, code)
