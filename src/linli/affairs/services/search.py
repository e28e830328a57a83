"""Finding an affair by the words residents use ("补办社保卡", "长护险", "身份证丢了", "shebaoka").

An item's `search_text` holds its name, keywords and department, their jieba words and their pinyin (full and
initials). A question is widened by the street's synonyms (`Synonym`: staff add them; the street defaults give
the common ones: 社保卡 → 社会保障卡, 补办 → 补领, 长护险 → 长期护理保险, ...), cut into words by jieba without the
question's filler ("怎么办", "要带什么"), and every item is scored: a word in the name counts most, then in the
keywords, then anywhere in the search text; pinyin typed in Latin letters matches the pinyin; shared pairs of
characters catch the rest ("社保" in "社会保障" does not, the synonym does).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(30)

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# What residents add around an affair's name when they ask about it.
FILLER = (
    "怎么办理",
    "怎么办",
    "如何办理",
    "如何办",
    "怎样办",
    "要带什么材料",
    "要带什么",
    "需要带什么",
    "需要什么材料",
    "带什么",
    "需要哪些材料",
    "哪些材料",
    "什么材料",
    "要什么",
    "在哪里办",
    "在哪办",
    "去哪里办",
    "去哪办",
    "哪里办",
    "请问",
    "我想",
    "我要",
    "想要",
    "一下",
    "可以",
    "吗",
    "呢",
    "啊",
    "吧",
    "了",
    "的",
    "我",
    "？",
    "?",
)
STOP_WORDS = frozenset({"办", "要", "想", "去", "在", "和", "与", "及", "给", "帮", "请", "带", "什么", "怎么", "如何"})

# The common residents' words the street defaults give every street (staff add more on the catalogue page).
DEFAULT_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("社保卡", "社会保障卡"),
    ("医保卡", "社会保障卡"),
    ("补办", "补领"),
    ("补卡", "补领"),
    ("丢了", "补领"),
    ("丢失", "补领"),
    ("掉了", "补领"),
    ("遗失", "补领"),
    ("换卡", "换领"),
    ("长护险", "长期护理保险"),
    ("长护", "长期护理保险"),
    ("护理险", "长期护理保险"),
    ("老年津贴", "老年综合津贴"),
    ("养老金", "养老保险"),
    ("退休金", "养老保险"),
    ("残疾证", "残疾人证"),
    ("残疾人证件", "残疾人证"),
    ("低保", "最低生活保障"),
    ("居住证明", "居住证"),
    ("暂住证", "居住证"),
    ("生孩子", "生育"),
    ("生娃", "生育"),
    ("失业金", "失业保险金"),
    ("敬老卡", "老年人综合津贴卡"),
    ("老年卡", "老年人综合津贴卡"),
    ("身份证", "居民身份证"),
    ("独生子女", "独生子女父母奖励"),
    ("廉租房", "廉租住房"),
    ("公租房", "公共租赁住房"),
    ("助餐", "老年助餐"),
)

_SPACE = re.compile(r"[\s\u3000,，。.;；:：!！、/|()（）\[\]【】\"'“”‘’]+")
_LATIN = re.compile(r"^[a-z ]+$")


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            tok = jieba.Tokenizer()
            tok.initialize()
            _tokenizer = tok
        return _tokenizer


def norm(text: str) -> str:
    """NFKC, lower case, punctuation and spaces removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "").lower())


def words(text: str) -> list[str]:
    """jieba's search-mode words of `text`, filler and single characters dropped (unless that is all there is)."""
    text = norm(text)
    if not text:
        return []
    cut = [w for w in tokenizer().cut_for_search(text) if w.strip()]
    kept = [w for w in cut if len(w) >= 2 and w not in STOP_WORDS]
    return list(dict.fromkeys(kept or [w for w in cut if w not in STOP_WORDS]))


def pinyin(text: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials) of `text`."""
    syllables = [s for s in lazy_pinyin(norm(text), style=Style.NORMAL, errors="ignore") if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def item_search_text(item: Any) -> str:
    """The search text kept on an item: its words, their jieba words and pinyin."""
    keywords = " ".join(item.keywords or [])
    base = f"{item.name} {keywords} {item.department}"
    full, initials = pinyin(f"{item.name}{''.join(item.keywords or [])}")
    parts = [norm(item.name), norm(keywords), norm(item.department), " ".join(words(base)), full, initials]
    return " ".join(p for p in parts if p)


def strip_filler(question: str) -> str:
    text = norm(question)
    for f in FILLER:
        text = text.replace(f, " ")
    return " ".join(text.split())


def expand(question: str, synonyms: Iterable[tuple[str, str]]) -> list[str]:
    """The question without filler, then each synonym's meaning for a term it contains."""
    text = strip_filler(question)
    if not text:
        return []
    squashed = text.replace(" ", "")
    out = [squashed]
    for term, means in synonyms:
        t = norm(term)
        if t and t in squashed:
            out.append(norm(means))
            squashed_rest = squashed.replace(t, " ")
            out.append(squashed_rest.replace(" ", ""))
    return [o for o in dict.fromkeys(out) if o]


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class Candidate:
    """What the scorer needs of an item."""

    id: int
    code: str
    name: str
    keywords: str
    search_text: str


def score(candidate: Candidate, phrases: Sequence[str], query_words: Sequence[str], latin: str) -> float:
    name = norm(candidate.name)
    keywords = norm(candidate.keywords)
    total = 0.0
    for phrase in phrases:
        if len(phrase) >= 2 and (phrase in name or phrase == name):
            total += 10
        elif len(phrase) >= 2 and phrase in keywords:
            total += 6
    for w in query_words:
        if w in name:
            total += 5 if len(w) >= 2 else 1
        elif w in keywords:
            total += 3 if len(w) >= 2 else 0.5
        elif len(w) >= 2 and w in candidate.search_text:
            total += 1
    if latin and len(latin) >= 2 and latin in candidate.search_text:
        total += 6
    if total == 0 and phrases:
        shared = _pairs(phrases[0]) & (_pairs(name) | _pairs(keywords))
        total += 0.5 * len(shared)
    if phrases and query_words and total:
        # A query that mentions only part of a long name ("证明") ranks below one naming it fully.
        total += min(len(phrases[0]), len(name)) / max(len(name), 1)
    return total


def rank(
    candidates: Iterable[Candidate], question: str, synonyms: Iterable[tuple[str, str]], *, limit: int = 50
) -> list[tuple[Candidate, float]]:
    """The candidates that match `question`, best first (ties by code)."""
    synonyms = list(synonyms)
    phrases = expand(question, synonyms)
    if not phrases:
        return []
    query_words: list[str] = []
    for phrase in phrases:
        query_words.extend(words(phrase))
    query_words = list(dict.fromkeys(query_words))
    latin = phrases[0] if _LATIN.match(phrases[0]) else ""
    scored = [(c, score(c, phrases, query_words, latin)) for c in candidates]
    hits = [(c, s) for c, s in scored if s >= 1]
    hits.sort(key=lambda cs: (-cs[1], cs[0].code))
    return hits[:limit]
