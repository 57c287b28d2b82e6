"""Polyphones, surface tones (sandhi, neutral tones, erhua), prosody breaks and the analyze contract."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.pipeline import OpenFrontend
from tests.support.frontend import sentence_pinyin


def syllables(fe: OpenFrontend, text: str) -> dict[str, list[str]]:
    """word text -> pinyin, for the analyzed sentence."""
    return {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}


@pytest.mark.parametrize(("text", "index", "expected"), [
    ("我在银行上班", 3, "hang2"),
    ("他每天行走很远", 3, "xing2"),
    ("孩子长大了", 2, "zhang3"),
    ("这条路的长度是十米", 4, "chang2"),
    ("我吃了饭", 2, "le5"),
    ("这件事我了解", 4, "liao2"),  # liao3 before jie3: 3-3 sandhi
    ("他还没来", 1, "hai2"),
    ("他把钱还给了我", 3, "huan2"),
    ("我们都是学生", 2, "dou1"),
    ("首都北京很美", 1, "du1"),
    ("他跑得很快", 2, "de5"),
    ("他得到了奖励", 1, "de2"),
    ("他慢慢地走", 3, "de5"),
    ("重要的事情", 0, "zhong4"),
    ("重新开始", 0, "chong2"),
    ("他觉得很累", 1, "jue2"),
    ("他睡了一觉", 4, "jiao4"),
    ("音乐很好听", 1, "yue4"),
    ("快乐的一天", 1, "le4"),
])
def test_polyphones(fe, text, index, expected):
    assert sentence_pinyin(fe, text)[index] == expected


def test_neutral_tones(fe):
    assert syllables(fe, "我的朋友来了")["朋友"] == ["peng2", "you5"]
    assert syllables(fe, "桌子上有书")["桌子"] == ["zhuo1", "zi5"]
    assert syllables(fe, "我们走吧")["我们"] == ["wo3", "men5"]
    assert syllables(fe, "我们走吧")["吧"] == ["ba5"]
    assert syllables(fe, "你好吗")["吗"] == ["ma5"]
    assert syllables(fe, "妈妈回家了")["妈妈"] == ["ma1", "ma5"]
    assert sentence_pinyin(fe, "孔子是老师")[:2] == ["kong2", "zi3"]  # 子 keeps tone 3, so 孔 undergoes 3-3 sandhi


def test_yi_sandhi(fe):
    assert sentence_pinyin(fe, "一个人")[0] == "yi2"  # before tone 4
    assert sentence_pinyin(fe, "一天")[0] == "yi4"  # before tone 1
    assert sentence_pinyin(fe, "第一名")[1] == "yi1"  # ordinal
    assert sentence_pinyin(fe, "十一")[1] == "yi1"  # number
    assert sentence_pinyin(fe, "看一看")[1] == "yi5"  # reduplicated verb
    assert sentence_pinyin(fe, "一百个")[0] == "yi4" and sentence_pinyin(fe, "一万人")[0] == "yi2"  # before units
    assert sentence_pinyin(fe, "一九九零年")[0] == "yi1"  # digit by digit


def test_bu_sandhi(fe):
    assert sentence_pinyin(fe, "不要")[0] == "bu2"
    assert sentence_pinyin(fe, "不好")[0] == "bu4"
    assert sentence_pinyin(fe, "是不是")[1] == "bu5"


def test_third_tone_sandhi(fe):
    assert sentence_pinyin(fe, "你好") == ["ni2", "hao3"]
    assert sentence_pinyin(fe, "展览馆") == ["zhan2", "lan2", "guan3"]
    assert sentence_pinyin(fe, "很远的路")[:2] == ["hen2", "yuan3"]
    # no sandhi across a #3 boundary
    assert sentence_pinyin(fe, "我，很好")[0] == "wo3"


def test_erhua(fe):
    assert syllables(fe, "我们去玩儿")["玩儿"] == ["wanr2"]
    assert syllables(fe, "她是我女儿")["女儿"] == ["nv3", "er2"]
    words = fe.analyze("一会儿见")["words"]
    assert words[0]["text"] == "一会儿" and words[0]["pinyin"] == ["yi2", "huir4"]


def test_v_spelling(fe):
    p = sentence_pinyin(fe, "绿色的女孩学习")
    assert p[0] == "lv4" and p[3] == "nv3" and p[5] == "xue2"


def test_prosody_breaks(fe):
    words = fe.analyze("北京今天天气怎么样")["words"]
    assert [(w["text"], w["break"]) for w in words] == [("北京", 1), ("今天", 1), ("天气", 1), ("怎么样", 4)]
    words = fe.analyze("上午九点三十分举行，请准时参加。")["words"]
    brk = {w["text"]: w["break"] for w in words}
    assert brk["三十分"] == 2  # subject/predicate boundary after a long time phrase
    assert brk["上午"] == 1 and brk["举行"] == 3 and brk["参加"] == 4
    # particles join the previous prosodic word: no break between 的 and what precedes it
    words = fe.analyze("很远的路")["words"]
    assert all(w["break"] == 0 for w in words[:-1]) and words[-1]["break"] == 4


def test_idiom_stays_whole_compound_splits(fe):
    words = fe.analyze("他一心一意地工作")["words"]
    assert any(w["text"] == "一心一意" for w in words)


def test_analyze_contract(fe):
    r = fe.analyze("1990年，他用iPhone打电话。")
    assert r["input"] == "1990年，他用iPhone打电话。"
    assert "".join(w["text"] for w in r["words"]) == r["normalized"]
    for w in r["words"]:
        hans = [c for c in w["text"] if "\u4e00" <= c <= "\u9fff"]
        assert len(w["pinyin"]) in (len(hans), len(hans) - 1)
        assert 0 <= w["break"] <= 4
    assert next(w for w in r["words"] if w["text"] == "iPhone")["pinyin"] == []
    assert next(w for w in r["words"] if w["text"] == "，")["pinyin"] == []
    assert r["words"][-2]["break"] == 4 or r["words"][-1]["break"] == 4


@pytest.mark.parametrize("text", ["", "   ", "😀🎉", "……！！", "\x00\x07"])
def test_analyze_nothing_speakable(fe, text):
    r = fe.analyze(text)
    assert r["words"] == [] and r["reason"]


def test_english_arpabet(fe):
    line = fe.symbol_lines("打开app")[0]
    toks = [t[1:-1].split("$") for t in line.split()]
    assert [(t[0], t[1]) for t in toks if t[0] in ("ae", "p")] == [("ae", "tone1"), ("p", "tone1")]
    # an unknown acronym is spelled letter by letter: C C T V
    line = fe.symbol_lines("CCTV新闻")[0]
    phones = [t[1:-1].split("$")[0] for t in line.split()]
    assert phones[:8] == ["s", "iy", "s", "iy", "t", "iy", "v", "iy"]


def test_subject_noun_phrase_gets_phrase_break(fe):
    # a purely nominal subject followed by the predicate: #2; function words chain forward only up to 3 syllables
    words = fe.analyze("卡尔普陪外孙玩滑梯。")["words"]
    assert [(w["text"], w["break"]) for w in words if w["pinyin"]] == [
        ("卡尔普", 2), ("陪", 0), ("外孙", 1), ("玩", 0), ("滑梯", 4)]
    assert words[0]["pinyin"] == ["ka2", "er2", "pu3"]
    brk = {w["text"]: w["break"] for w in fe.analyze("别再拥抱我。")["words"]}
    assert brk["再"] >= 1 and brk["拥抱"] == 0 and brk["我"] == 4


def test_bu_in_potential_complement_and_adverb_grouping(fe):
    assert sentence_pinyin(fe, "对不起")[1] == "bu5"
    words = fe.analyze("我不知道。")["words"]
    assert [(w["text"], w["break"]) for w in words if w["pinyin"]] == [("我", 1), ("不", 0), ("知道", 4)]
    assert words[-2]["pinyin"] == ["zhi1", "dao5"]


@pytest.mark.parametrize(("text", "want"), [
    ("光速约为三乘十的八次方米每秒。", "wei2"),  # the copula 'be' after 约, 原, 均, 分别 ...
    ("这里原为一片荒地。", "wei2"),
    ("他被贬为淮阴侯。", "wei2"),  # after a verb of naming or changing
    ("我们要为人民服务。", "wei4"),  # the preposition 'for'
    ("大家都为他高兴。", "wei4"),
    ("他为三个孩子做饭。", "wei4"),
    ("他为人质朴。", "wei2"),  # 为人 'be as a person'
    ("为人父母不容易。", "wei2"),
    ("他为人民服务。", "wei4"),
])
def test_wei_as_copula_or_preposition(fe, text, want):
    words = fe.analyze(text)["words"]
    assert next(w for w in words if w["text"] == "为")["pinyin"] == [want]


@pytest.mark.parametrize(("text", "word", "want"), [
    ("今天的温差很大。", "温差", ["wen1", "cha1"]),  # 差 'difference' in a noun
    ("这里的落差有两百米。", "落差", ["luo4", "cha1"]),
    ("贸易逆差扩大了。", "逆差", ["ni4", "cha1"]),
    ("两者相差很多。", "相差", ["xiang1", "cha4"]),  # the verb 'differ by' keeps cha4
])
def test_cha_in_nouns_of_difference(fe, text, word, want):
    words = fe.analyze(text)["words"]
    assert next(w for w in words if w["text"] == word)["lexical"] == want


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他为人质朴。", "质朴", ["zhi4", "pu3"]),  # 朴 'plain', not the surname piao2
    ("这座建筑很古朴。", "古朴", ["gu3", "pu3"]),
    ("你好好琢磨一下。", "琢磨", ["zuo2", "mo2"]),  # 'ponder' (surface zuo2 mo5)
    ("他只得申请破产。", "只得", ["zhi3", "de2"]),  # 'have no choice but', not the modal dei3
    ("这道题有两种解法。", "解法", ["jie3", "fa3"]),
    ("你帮我查查这个词。", "查查", ["cha2", "cha2"]),
    ("他的文风很素朴。", "素朴", ["su4", "pu3"]),
])
def test_corrected_phrase_readings(fe, text, word, want):
    words = fe.analyze(text)["words"]
    assert next(w for w in words if w["text"] == word)["lexical"] == want


@pytest.mark.parametrize("text", ["这事还得您帮衬。", "最后还得大家一起努力。", "这还得他同意才行。"])
def test_dei_must_with_the_subject_of_the_verb_between(fe, text):
    words = fe.analyze(text)["words"]
    assert next(w for w in words if w["text"] == "得")["lexical"] == ["dei3"]


def test_de_obtain_before_le_stays_de2(fe):
    words = fe.analyze("他还得了第一名。")["words"]
    assert next(w for w in words if w["text"] == "得")["lexical"] == ["de2"]


@pytest.mark.parametrize(("text", "want"), [
    ("他来自广东等地。", "di4"),  # no verb follows: the noun 'place'
    ("发现了三个主要地：北京和上海。", "di4"),
    ("渐渐地，天黑了。", "de5"),  # the adverbial particle, also before a comma
    ("突然地，他哭了。", "de5"),
    ("他高兴地说：你好。", "de5"),
])
def test_di_before_punctuation_after_a_nominal_word_is_the_noun(fe, text, want):
    words = fe.analyze(text)["words"]
    assert next(w for w in words if w["text"] == "地")["pinyin"] == [want]


def test_row_a_boat_keeps_its_dictionary_reading(fe):
    words = fe.analyze("主要来自划船，用来搬运。")["words"]
    assert next(w for w in words if w["text"] == "划船")["lexical"] == ["hua2", "chuan2"]
