"""Name matching against a street's own vocabulary: places, roads, compounds, activities and dishes.

`lexicon(street)` builds (once per process and street, rebuilt when the street's data changes: the key is the
count and latest change of each source table) the list of names with their aliases ("万里街道党群服务中心" is
also "党群服务中心", "万里党群中心", ...), their pinyin, and adds every name to jieba's dictionary so the
question segments along the street's own words. `find(text, lexicon)` returns the entities mentioned, longest and
most exact first, by three passes: exact alias substrings, pinyin (homophone typos like 兰西食堂 and typed
pinyin like "shu fa ke"), then rapidfuzz partial ratio for other typos.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import jieba
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

jieba.setLogLevel(30)  # no "Building prefix dict" lines in every process' log

_JIEBA_LOCK = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

_PUNCT = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~·…—“”‘’、]+")
_PARTICLES = ("请问", "你好", "您好", "麻烦你", "麻烦", "呀", "啊", "呢", "吧", "哦", "噢", "啦", "哈")
_ROAD = re.compile(r"([\u4e00-\u9fff]{1,5}?(?:路|街|弄|巷|大道))")
_ADDRESS_PREFIX = re.compile(r"^(?:上海市)?(?:[\u4e00-\u9fff]{1,4}区)?")


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), lower-case, punctuation and polite particles stripped."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _PUNCT.sub(" ", text)
    for p in _PARTICLES:
        text = text.replace(p, "")
    return re.sub(r"\s+", " ", text).strip()


def compact(text: str) -> str:
    """`normalize` without any spaces (Chinese matching ignores them)."""
    return normalize(text).replace(" ", "")


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    with _JIEBA_LOCK:
        if _tokenizer is None:
            tok = jieba.Tokenizer()
            tok.initialize()
            _tokenizer = tok
        return _tokenizer


def segment(text: str) -> list[str]:
    return [w for w in tokenizer().lcut(text) if w.strip()]


def pinyin_of(text: str) -> str:
    """Pinyin without tones, syllables run together, latin letters and digits kept: '兰溪食堂2' → 'lanxishitang2'."""
    out = []
    for syl in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        out.append(syl)
    return re.sub(r"[^a-z0-9]", "", "".join(out).lower())


def _split_words(chunk: str) -> list[str]:
    return chunk.split()


def syllables(text: str) -> str:
    """Pinyin syllables separated by spaces, typed latin words kept: '书法 课' → 'shu fa ke', 'shu fa ke' → same."""
    out: list[str] = []
    # `errors` may return a list (pypinyin documents it; its type hints say str): typed words stay words.
    for piece in lazy_pinyin(text, style=Style.NORMAL, errors=_split_words):  # type: ignore[arg-type]
        piece = piece.strip().lower()
        if piece and piece.isascii() and piece.isalnum():
            out.append(piece)
    return " ".join(out)


@dataclass(frozen=True)
class Entity:
    kind: str  # "place" | "road" | "compound" | "activity" | "dish" | "committee"
    key: Any  # Place id, road name, Compound id, activity title, dish name, Committee id
    name: str
    lat: float | None = None
    lng: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Hit:
    entity: Entity
    alias: str
    score: float  # 100 exact, 95 pinyin, fuzzy ratio otherwise
    start: int
    end: int
    how: str  # "exact" | "pinyin" | "fuzzy"


@dataclass
class Lexicon:
    street_id: int
    version: tuple[Any, ...]
    entities: list[Entity] = field(default_factory=list)
    # alias → entities (an alias may name several, e.g. "党群服务站")
    aliases: dict[str, list[Entity]] = field(default_factory=dict)
    pinyin: dict[str, list[str]] = field(default_factory=dict)  # pinyin of an alias → aliases
    roads: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)  # title words of activities ("书法", "太极拳")

    def add(self, entity: Entity, *names: str) -> None:
        self.entities.append(entity)
        for name in {compact(n) for n in names if n}:
            if len(name) < 2:
                continue
            bucket = self.aliases.setdefault(name, [])
            if entity not in bucket:
                bucket.append(entity)
            py = pinyin_of(name)
            if len(py) >= 4:
                self.pinyin.setdefault(py, [])
                if name not in self.pinyin[py]:
                    self.pinyin[py].append(name)


# ------------------------------------------------------------------------------------------ aliases

_PLACE_DROPS = ("上海市", "普陀区", "街道", "社区", "服务", "居民区", "新业态新就业群体")


def _street_prefixes(street_name: str) -> list[str]:
    base = street_name.removesuffix("街道").removesuffix("镇")
    return [street_name, base + "街道", base] if base else [street_name]


def place_aliases(name: str, street_name: str) -> set[str]:
    """Ways residents shorten a place's name: without the street prefix, '服务', '社区', '街道'."""
    names = {name}
    for prefix in _street_prefixes(street_name):
        if name.startswith(prefix) and len(name) - len(prefix) >= 2:
            names.add(name[len(prefix) :])
    more = set()
    for n in names:
        variants = {n}
        for drop in _PLACE_DROPS:
            variants |= {v.replace(drop, "") for v in variants}
        more |= {v for v in variants if len(v) >= 3}
    names |= more
    # "（真金路站）" → also "真金路站" and the name without the bracket.
    for n in list(names):
        m = re.match(r"^(.*?)[（(](.+?)[）)]$", n)
        if m:
            names.add(m.group(1))
            names.add(m.group(1) + m.group(2))
            names.add(m.group(2))
    for n in list(names):
        names |= tail_aliases(n)
    return {n for n in names if len(n) >= 3}


# Kind words: a name that is only these (e.g. "骑手驿站") names a kind, not one place.
GENERIC = (
    "党群服务中心", "党群服务站", "社区事务受理服务中心", "事务受理中心", "文化活动中心", "就业服务站", "远程帮办点",
    "长者食堂", "社区食堂", "骑手驿站", "市民驿站", "中央厨房", "助餐点", "助医点", "居民委员会", "居委会", "书房",
    "食堂", "驿站", "服务中心", "服务站", "中心", "居委",
)  # fmt: skip
_KIND_SUFFIXES = ("食堂", "驿站", "书房", "助餐点", "助医点", "服务站", "帮办点")


def core_of(alias: str) -> str:
    """What is left of a name without its kind words: '兰溪食堂' → '兰溪', '骑手驿站' → ''."""
    for g in GENERIC:
        alias = alias.replace(g, "")
    return alias


def tail_aliases(name: str) -> set[str]:
    """'万有引力骑手食堂' → '骑手食堂': the last two characters before a kind suffix, when they are not generic."""
    out = set()
    for suffix in _KIND_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            tail = name[-(len(suffix) + 2) :]
            if core_of(tail):
                out.add(tail)
    return out


def road_of(address: str) -> str | None:
    rest = _ADDRESS_PREFIX.sub("", address or "")
    m = _ROAD.search(rest)
    return m.group(1) if m else None


# ------------------------------------------------------------------------------------------ finding


def find(text: str, lex: Lexicon, *, kinds: tuple[str, ...] | None = None, fuzzy: bool = True) -> list[Hit]:
    """Entities mentioned in `text` (compact form), best first; overlapping weaker hits are dropped."""
    text = compact(text)
    hits: list[Hit] = []
    for alias, ents in lex.aliases.items():
        start = text.find(alias)
        if start < 0:
            continue
        for e in ents:
            if kinds is None or e.kind in kinds:
                hits.append(Hit(e, alias, 100.0, start, start + len(alias), "exact"))
    hits.extend(_pinyin_hits(text, lex, kinds))
    if fuzzy:
        hits.extend(_fuzzy_hits(text, lex, kinds, hits))
    return _best(hits)


def _pinyin_hits(text: str, lex: Lexicon, kinds: tuple[str, ...] | None) -> list[Hit]:
    # Map each pinyin character offset back to the text position it came from.
    pieces: list[str] = []
    owner: list[int] = []
    for i, ch in enumerate(text):
        syl = pinyin_of(ch) if ("\u4e00" <= ch <= "\u9fff") else re.sub(r"[^a-z0-9]", "", ch)
        pieces.append(syl)
        owner.extend([i] * len(syl))
    full = "".join(pieces)
    out: list[Hit] = []
    if len(full) < 4:
        return out
    for py, aliases in lex.pinyin.items():
        start = full.find(py)
        if start < 0:
            continue
        s, e = owner[start], owner[start + len(py) - 1] + 1
        if (start > 0 and owner[start - 1] == s) or (start + len(py) < len(owner) and owner[start + len(py)] == e - 1):
            continue  # cuts through a character's syllable
        for alias in aliases:
            for ent in lex.aliases[alias]:
                if kinds is None or ent.kind in kinds:
                    out.append(Hit(ent, alias, 95.0, s, e, "pinyin"))
    return out


FUZZY_MIN = 80.0


def _fuzzy_hits(text: str, lex: Lexicon, kinds: tuple[str, ...] | None, found: list[Hit]) -> list[Hit]:
    """Typos that are not homophones: a partial ratio ≥ 80 for aliases of 4+ characters over the text."""
    out: list[Hit] = []
    covered = {(h.entity.kind, h.entity.key) for h in found}
    for alias, ents in lex.aliases.items():
        if len(alias) < 4:
            continue
        wanted = [e for e in ents if (kinds is None or e.kind in kinds) and (e.kind, e.key) not in covered]
        if not wanted:
            continue
        res = fuzz.partial_ratio_alignment(alias, text, score_cutoff=FUZZY_MIN)
        if res is None:
            continue
        # The matched window must be about the alias' length (no credit for a few shared characters) and hold
        # most of what tells this place from others of its kind ("长者食堂" is not "万里城长者食堂").
        if res.dest_end - res.dest_start < len(alias) - 1:
            continue
        window = text[res.dest_start : res.dest_end]
        core = set(core_of(alias))
        if core and sum(ch in window for ch in core) * 2 < len(core) + 1:
            continue
        for e in wanted:
            out.append(Hit(e, alias, float(res.score) - 5.0, res.dest_start, res.dest_end, "fuzzy"))
    return out


def _best(hits: list[Hit]) -> list[Hit]:
    """Longest and most exact first; a hit inside a better one's span is dropped unless it is equally good."""
    hits.sort(key=lambda h: (-h.score, -(h.end - h.start), h.start, str(h.entity.key)))
    kept: list[Hit] = []
    seen: set[tuple[str, Any]] = set()
    for h in hits:
        ident = (h.entity.kind, h.entity.key)
        if ident in seen:
            continue
        inside = any(
            k.start <= h.start and h.end <= k.end and (k.end - k.start > h.end - h.start or k.score > h.score)
            for k in kept
        )
        if inside:
            continue
        kept.append(h)
        seen.add(ident)
    return kept
