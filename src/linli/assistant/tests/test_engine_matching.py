"""Name matching: normalize, aliases, pinyin, typo tolerance, the per-street lexicon cache."""

from __future__ import annotations

import pytest

from linli.assistant.engine.matching import Entity, Lexicon, find, normalize, place_aliases, road_of, syllables


def test_normalize():
    assert normalize("  请问，万里党群中心ＡＢＣ几点开门啊？ ") == "万里党群中心abc几点开门"
    assert normalize("怎么预约？") == "怎么预约"  # 么 of 怎么 stays


def test_place_aliases():
    aliases = place_aliases("万里街道党群服务中心", "万里街道")
    assert {"党群服务中心", "万里党群中心", "党群中心", "万里街道党群服务中心"} <= aliases
    assert "骑手食堂" in place_aliases("万有引力骑手食堂", "万里街道")
    assert "骑手驿站" not in place_aliases("万里城骑手驿站", "万里街道")  # a kind, not one place
    assert "真金路站" in place_aliases("万里街道市民驿站（真金路站）", "万里街道")
    assert road_of("上海市普陀区真金路588弄20号") == "真金路"


@pytest.fixture
def lex() -> Lexicon:
    lex = Lexicon(street_id=1, version=())
    lex.add(Entity("place", 1, "万里兰溪食堂"), *place_aliases("万里兰溪食堂", "万里街道"))
    lex.add(Entity("place", 2, "万里街道党群服务中心"), *place_aliases("万里街道党群服务中心", "万里街道"))
    lex.add(Entity("place", 3, "万里城长者食堂"), *place_aliases("万里城长者食堂", "万里街道"))
    lex.add(Entity("activity", "书法兴趣班", "书法兴趣班"), "书法兴趣班", "书法")
    return lex


def keys(hits):
    return [(h.entity.kind, h.entity.key) for h in hits]


def test_exact_and_shortened(lex):
    assert keys(find("万里党群中心有活动吗", lex))[0] == ("place", 2)
    assert keys(find("兰溪食堂几点开门", lex))[0] == ("place", 1)


def test_pinyin_homophones_and_typed_pinyin(lex):
    hit = find("兰西食堂今天吃啥", lex)[0]
    assert (hit.entity.key, hit.how) == (1, "pinyin")
    assert syllables("shu fa ke") == "shu fa ke" and syllables("书法课") == "shu fa ke"


def test_typos(lex):
    hit = find("万里街道党群股务中心在哪", lex)[0]
    assert hit.entity.key == 2 and hit.how == "fuzzy"


def test_a_kind_word_does_not_name_a_place(lex):
    assert ("place", 3) not in keys(find("附近有没有长者食堂", lex))
    assert find("今天天气怎么样", lex) == []
