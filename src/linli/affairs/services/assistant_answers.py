"""问一问 answers "X 怎么办 / 要带什么" from the item catalogue (registered into `linli.assistant.hooks`).

The answer names the item, what to bring (each material, how many, original or copy), how it can be handled,
the time limit and the fee, with a card whose actions are "book" (预约办理) and, where the item allows it,
"prereview" (网上预审). Nothing is invented: every word comes from the item's row.
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from linli.affairs import selectors
from linli.affairs.models import Channel, Item, MaterialForm
from linli.assistant.hooks import Action, Card, EngineAnswer
from linli.core.i18n import choice_label
from linli.core.models import Street

# Words that make a question one about handling an affair.
ASKING = re.compile(
    r"怎么办|如何办|怎样办|要带|带什么|什么材料|哪些材料|材料|办理|补办|补领|申请|申领|手续|丢了|遗失|预审|办事"
)


def fee_text(fen: int) -> str:
    if not fen:
        return _("免费")
    whole, rest = divmod(fen, 100)
    return _("%(yuan)s 元") % {"yuan": f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")}


def materials_text(item: Item) -> str:
    lines = []
    for n, m in enumerate([m for m in item.materials.all() if m.position < 1000], start=1):
        form = _("原件") if m.form == MaterialForm.ORIGINAL else _("复印件")
        lines.append(
            _("%(n)s. %(name)s（%(form)s %(count)s 份）") % {"n": n, "name": m.name, "form": form, "count": m.count}
        )
    return "\n".join(lines)


def item_card(item: Item) -> Card:
    url = reverse("affairs:item_detail", args=[item.pk])
    actions = [Action("book", _("预约办理"), reverse("affairs:book", args=[item.pk]))]
    if item.prereview:
        actions.append(Action("prereview", _("网上预审"), reverse("affairs:prereview_new", args=[item.pk])))
    return Card("affair", item.pk, item.name, item.department, url, tuple(actions))


def affair_card_exists(card_id: int | str) -> bool:
    """Whether an "affair" card's item exists (the assistant's evaluation checks every card)."""
    return Item.objects.filter(pk=card_id).exists()


def affairs_answer(*, question: str, street: Street, lang: str, now: dt.datetime) -> EngineAnswer | None:
    found = selectors.item_best_match(street=street, q=question)
    if found is None:
        return None
    item, score = found
    asking = bool(ASKING.search(question))
    if score >= 10 and asking:
        confidence = 0.92
    elif score >= 5 and asking:
        confidence = 0.85
    elif score >= 10:
        # Names an affair without asking how to handle it ("老年人打太极的活动有吗" shares words with 老年综合津贴):
        # answered only when the engine has no reading of the question at all.
        confidence = 0.3
    else:
        return None
    with override(lang):
        channels = "、".join(str(choice_label(Channel, c)) for c in item.channels or [])
        parts = [
            _("「%(name)s」需要带：") % {"name": item.name},
            materials_text(item) or _("（未列出材料，请咨询窗口）"),
        ]
        parts.append(_("办理方式：%(channels)s。") % {"channels": channels})
        if item.time_limit_days:
            parts.append(
                _("办结时限：%(days)s 个工作日；收费：%(fee)s。")
                % {"days": item.time_limit_days, "fee": fee_text(item.fee_fen)}
            )
        else:
            parts.append(_("收费：%(fee)s。") % {"fee": fee_text(item.fee_fen)})
        if item.prereview:
            parts.append(_("可以先在网上预审材料，通过后只需跑一趟。"))
        if item.entrusted:
            parts.append(_("也可以委托社区代办。"))
        text = "\n".join(parts)
        card = item_card(item)
    return EngineAnswer(
        "affairs", text, (card,), confidence, {"item": item.pk, "item_code": item.code, "score": round(score, 1)}
    )
