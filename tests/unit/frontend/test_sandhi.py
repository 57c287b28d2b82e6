"""3-3 tone sandhi over the prosodic structure: cyclic, from the word out to the prosodic phrase."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend import sandhi
from sambert_lambda.frontend.pinyin import Word
from sambert_lambda.frontend.pipeline import OpenFrontend


@pytest.fixture(scope="module")
def fe() -> OpenFrontend:
    return OpenFrontend()


def _zh(text: str, pinyin: str, pos: str = "n") -> Word:
    return Word(text, pos, "zh", pinyin.split())


def _surface(fe: OpenFrontend, text: str) -> list[str]:
    return [p for w in fe.analyze(text)["words"] for p in w["pinyin"]]


@pytest.mark.parametrize(("text", "want"), [
    ("展览馆", ["zhan2", "lan2", "guan3"]),  # [[展览]馆]: left-branching, both change
    ("纸老虎", ["zhi3", "lao2", "hu3"]),  # [纸[老虎]]: 老虎 first, then 纸 sees lao2
    ("小老虎", ["xiao3", "lao2", "hu3"]),
    ("我很好", ["wo2", "hen2", "hao3"]),  # 我 #1 很好: a monosyllabic prosodic word is one foot with the next
    ("岂有此理", ["qi2", "you3", "ci2", "li3"]),  # 2+2
    ("你好", ["ni2", "hao3"]),
])
def test_textbook_cases_read_by_their_structure(fe, text, want):
    assert _surface(fe, text) == want


def test_buy_good_wine_depends_on_the_structure():
    # 买 [好酒] 'buy good wine': 好酒 first (hao2 jiu3), then 买 stays before hao2
    buy, good_wine = _zh("买", "mai3", "v"), _zh("好酒", "hao3 jiu3")
    sandhi.third_tone_phrase([[buy], [good_wine]])
    assert buy.pinyin + good_wine.pinyin == ["mai3", "hao2", "jiu3"]
    # [买好] 酒 'finished buying the wine': left to right, both change
    bought, wine = _zh("买好", "mai3 hao3", "v"), _zh("酒", "jiu3")
    sandhi.third_tone_phrase([[bought], [wine]])
    assert bought.pinyin + wine.pinyin == ["mai2", "hao2", "jiu3"]


def test_inside_a_prosodic_word_the_inner_word_goes_first_but_a_lone_monosyllable_sees_the_next_word_whole():
    small, tiger = _zh("小", "xiao3", "a"), _zh("老虎", "lao3 hu3")
    sandhi.third_tone_phrase([[small, tiger]])  # one prosodic word 小老虎
    assert small.pinyin + tiger.pinyin == ["xiao3", "lao2", "hu3"]
    i, very_good = _zh("我", "wo3", "r"), [_zh("很", "hen3", "d"), _zh("好", "hao3", "a")]
    sandhi.third_tone_phrase([[i], very_good])  # 我 #1 很好
    assert i.pinyin + very_good[0].pinyin + very_good[1].pinyin == ["wo2", "hen2", "hao3"]
    name, bought = _zh("老李", "lao3 li3", "nr"), _zh("买好", "mai3 hao3", "v")
    sandhi.third_tone_phrase([[name], [bought]])  # 老李 #1 买好: 买好 first, then 李 sees mai2
    assert name.pinyin + bought.pinyin == ["lao2", "li3", "mai2", "hao3"]


def test_a_run_of_monosyllabic_prosodic_words_changes_all_but_the_last():
    words = [_zh("我", "wo3", "r"), _zh("想", "xiang3", "v"), _zh("买", "mai3", "v")]
    sandhi.third_tone_phrase([[w] for w in words])
    assert [w.pinyin[0] for w in words] == ["wo2", "xiang2", "mai3"]


def test_sandhi_crosses_a_prosodic_word_boundary_inside_the_phrase(fe):
    words = {w["text"]: w for w in fe.analyze("我马上就来。")["words"]}
    assert words["我"]["break"] == 1 and words["我"]["pinyin"] == ["wo2"]
    assert words["我"]["lexical"] == ["wo3"]


def test_no_sandhi_across_punctuation_a_phrase_break_or_english(fe):
    assert _surface(fe, "我，很好")[0] == "wo3"
    words = [_zh("老李", "lao3 li3", "nr"), Word("，", "x", "punct"), _zh("好", "hao3", "a")]
    sandhi.third_tone_phrase([words])
    assert words[0].pinyin == ["lao2", "li3"]
    left, english, right = _zh("买", "mai3", "v"), Word("iPhone", "eng", "en"), _zh("好", "hao3", "a")
    sandhi.third_tone_phrase([[left], [english], [right]])
    assert left.pinyin == ["mai3"]
    # the pipeline hands each prosodic phrase (up to a break >= #2) over separately
    a, b = _zh("水果", "shui3 guo3"), _zh("好吃", "hao3 chi1", "a")
    sandhi.third_tone_phrase([[a]])
    sandhi.third_tone_phrase([[b]])
    assert a.pinyin == ["shui2", "guo3"] and b.pinyin == ["hao3", "chi1"]


def test_a_neutral_tone_ends_a_run_of_third_tones():
    chair, good = _zh("椅子", "yi3 zi5"), _zh("好", "hao3", "a")
    sandhi.third_tone_phrase([[chair], [good]])
    assert chair.pinyin == ["yi3", "zi5"]


def test_numbers_change_left_to_right(fe):
    assert _surface(fe, "五百米") == ["wu2", "bai2", "mi3"]


def test_yi_in_a_date_is_the_digit(fe):
    assert _surface(fe, "今天是1月1日")[-4:] == ["yi1", "yue4", "yi1", "ri4"]
    assert _surface(fe, "一个月")[0] == "yi2" and _surface(fe, "一日三餐")[0] == "yi2"


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他走进去了。", "去", ["qu5"]),  # 走进 + 去: 来/去 after a directional verb
    ("他从外面跑出去。", "跑出去", ["pao3", "chu1", "qu5"]),
    ("继续说下去。", "下去", ["xia4", "qu5"]),
    ("他跑过来了。", "跑过来", ["pao3", "guo4", "lai5"]),
])
def test_a_directional_complement_ends_light(fe, text, word, want):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == want


def test_the_past_keeps_its_full_tone(fe):
    words = {w["text"]: w["pinyin"] for w in fe.analyze("过去的事情不要再提了。")["words"]}
    assert words["过去"] == ["guo4", "qu4"]


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他漂漂亮亮的。", "漂漂亮亮", ["piao4", "piao4", "liang4", "liang4"]),  # the readings of 漂亮, not 漂 piao1
    ("他高高兴兴地走了。", "高高兴兴", ["gao1", "gao1", "xing4", "xing4"]),
    ("明明白白地告诉你。", "明明白白", ["ming2", "ming2", "bai2", "bai2"]),  # the full tone of 明白 bai5
])
def test_aabb_reduplication_takes_the_readings_of_the_base_word(fe, text, word, want):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == want


@pytest.mark.parametrize(("text", "word"), [("他高高兴兴地走了。", "地"), ("他悄悄地走了。", "悄悄地")])
def test_di_after_a_reduplicated_adverb_is_the_light_particle(fe, text, word):
    words = {w["text"]: w for w in fe.analyze(text)["words"]}
    assert words[word]["pinyin"][-1] == "de5"
    assert "地走了" not in words  # the segmenter's 地走了 is split after the particle


@pytest.mark.parametrize(("text", "word", "want"), [
    ("统一思想。", "统一", ["tong3", "yi1"]),  # word-final 一 keeps yi1 before any tone
    ("星期一去。", "星期一", ["xing1", "qi1", "yi1"]),
    ("万一下雨呢。", "万一", ["wan4", "yi1"]),
    ("同一个世界。", "同一个", ["tong2", "yi2", "ge4"]),  # 同一 + 个: the numeral of the measure word
    ("一个一个地来。", "一个一个", ["yi2", "ge4", "yi2", "ge4"]),  # not the yi5 of 看一看
    ("看一看。", "看一看", ["kan4", "yi5", "kan4"]),
    ("中国队以三比一战胜了对手。", "三比一", ["san1", "bi3", "yi1"]),  # a score, one unit
    ("1e10", "一乘十", ["yi1", "cheng2", "shi2"]),  # a number in arithmetic
    ("三乘以一是三。", "一", ["yi1"]),
    ("再加一点盐。", "加一点", ["jia1", "yi4", "dian3"]),  # no arithmetic without a number before the operator
    ("博物馆每周一闭馆。", "一", ["yi1"]),  # 每周 + 一: Monday
    ("每周一次。", "一次", ["yi2", "ci4"]),  # 每周 + 一次: once a week
])
def test_yi_reads_by_its_place_in_the_word(fe, text, word, want):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == want


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他舍不得走。", "舍不得", ["she3", "bu5", "de5"]),
    ("怪不得他不来。", "怪不得", ["guai4", "bu5", "de5"]),
    ("不得不去。", "不得不", ["bu4", "de2", "bu2"]),  # 得 'may' between two negations stays full
])
def test_the_de_of_a_bu_de_complement_is_light(fe, text, word, want):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == want


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他的运气很好。", "运气", ["yun4", "qi5"]),
    ("房间很宽敞。", "宽敞", ["kuan1", "chang5"]),
    ("他是我的外甥。", "外甥", ["wai4", "sheng5"]),
    ("小猫躲在沙发底下。", "底下", ["di3", "xia5"]),
])
def test_listed_words_have_their_light_second_syllable(fe, text, word, want):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == want


@pytest.mark.parametrize(("text", "want"), [
    ("让我瞧瞧。", ["qiao2", "qiao5"]),  # any verb tagged as a verb, not only a listed one
    ("你揉揉眼睛。", ["rou2", "rou5"]),  # the segmenter cut the pair into two verbs
    ("我们去逛逛吧。", ["guang4", "guang5"]),
])
def test_a_reduplicated_monosyllabic_verb_has_a_light_second_syllable(fe, text, want):
    got = _surface(fe, text)
    i = next(k for k in range(len(got) - 1) if got[k][:-1] == got[k + 1][:-1])
    assert got[i:i + 2] == want


@pytest.mark.parametrize(("text", "pair"), [
    ("到处处处都是人。", "处处"), ("他往往不来。", "往往"), ("他常常来。", "常常"), ("他们用了整整三年。", "整整"),
])
def test_a_reduplicated_adverb_keeps_its_full_tones(fe, text, pair):
    word = next(w for w in fe.analyze(text)["words"] if w["text"] == pair)
    assert not any(p.endswith("5") for p in word["pinyin"])


@pytest.mark.parametrize(("text", "word", "want"), [
    ("我去姑姑家。", "姑姑家", ["gu1", "gu5", "jia1"]),  # a reduplicated kinship noun inside a longer noun
    ("爷爷奶奶都来了。", "奶奶", ["nai3", "nai5"]),
    ("别哼哼了。", "哼哼", ["heng1", "heng5"]),  # the verb 'groan'
    ("玫瑰很美。", "玫瑰", ["mei2", "gui5"]),
    ("算盘响了。", "算盘", ["suan4", "pan5"]),
    ("他是特务。", "特务", ["te4", "wu5"]),
])
def test_more_light_syllables_of_the_standard_dictionary(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他总想巴结领导。", "巴结", ["ba1", "jie5"]),
    ("我喝了一杯薄荷茶。", "薄荷", ["bo4", "he5"]),
    ("这个价钱太贵了。", "价钱", ["jia4", "qian5"]),
    ("他伺候老人很多年。", "伺候", ["ci4", "hou5"]),
    ("他说话很讲究。", "讲究", ["jiang3", "jiu5"]),
    ("大爷您好。", "大爷", ["da4", "ye5"]),
    ("她是我的孙女。", "孙女", ["sun1", "nv5"]),
    ("早晨的空气很好。", "早晨", ["zao3", "chen5"]),
    ("他吃到了甜头。", "甜头", ["tian2", "tou5"]),
    ("葫芦里卖的什么药。", "葫芦", ["hu2", "lu5"]),
    ("这个时辰他该到了。", "时辰", ["shi2", "chen5"]),
    ("你别埋怨他了。", "埋怨", ["man2", "yuan5"]),  # also the syllable: man2, not the 'bury' reading mai2
])
def test_lexically_light_words_of_one_sense(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


def test_complain_is_man2_also_in_the_lexical_reading(fe):
    got = next(w for w in fe.analyze("你别埋怨他了。")["words"] if w["text"] == "埋怨")
    assert got["lexical"] == ["man2", "yuan4"]


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他是一位银行家。", "银行家", ["yin2", "hang2", "jia1"]),
    ("淋巴结肿大了。", "淋巴结", ["lin2", "ba1", "jie2"]),
])
def test_a_light_word_inside_a_longer_word_of_another_structure_keeps_its_tone(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


@pytest.mark.parametrize(("text", "want"), [
    ("他们研究研究再说。", ["yan2", "jiu5", "yan2", "jiu5"]),  # ABAB of a disyllabic verb: B light twice
    ("我们讨论讨论。", ["tao3", "lun5", "tao3", "lun5"]),
    ("大家活动活动身体。", ["huo2", "dong5", "huo2", "dong5"]),
])
def test_a_reduplicated_disyllabic_verb_has_light_second_and_fourth_syllables(fe, text, want):
    got = _surface(fe, text)
    i = next(k for k in range(len(got) - 3) if got[k] == got[k + 2] and got[k + 1][:-1] == got[k + 3][:-1])
    assert got[i:i + 4] == want


def test_a_repeated_pronoun_keeps_its_tones(fe):
    assert _surface(fe, "哪里哪里。") == ["na2", "li3", "na2", "li3"]


def test_reduplicated_insect_names_are_light(fe):
    assert _surface(fe, "蝈蝈在叫。")[:2] == ["guo1", "guo5"]


def test_a_chain_of_monosyllabic_adverbs_sees_the_next_third_tone_across_a_prosodic_word_boundary():
    i, also_very, want_buy = [_zh("我", "wo3", "r")], [_zh("也", "ye3", "d"), _zh("很", "hen3", "d")], \
        [_zh("想", "xiang3", "v"), _zh("买", "mai3", "v")]
    sandhi.third_tone_phrase([i, also_very, want_buy])  # 我 #1 也很 #1 想买
    assert [p for pw in (i, also_very, want_buy) for w in pw for p in w.pinyin] == ["wo2", "ye2", "hen2", "xiang2",
                                                                                    "mai3"]


def test_a_pronoun_closing_a_prosodic_word_waits_for_the_word_it_is_in():
    give_me, tell = [_zh("给", "gei3", "p"), _zh("我", "wo3", "r")], [_zh("讲讲", "jiang3 jiang5", "v")]
    sandhi.third_tone_phrase([give_me, tell])  # 给我 #1 讲讲: 给我 first (gei2 wo3), then 我 sees jiang3
    assert give_me[0].pinyin + give_me[1].pinyin == ["gei2", "wo2"]


def test_no_sandhi_carries_from_a_conjunction_across_the_boundary_after_it():
    gov, yu, firm = [_zh("政府", "zheng4 fu3")], [_zh("与", "yu3", "c")], [_zh("企业", "qi3 ye4")]
    sandhi.third_tone_phrase([gov, yu, firm])  # 政府 #1 与 #1 企业
    assert yu[0].pinyin == ["yu3"]
    head, yu2, workers = [_zh("厂长", "chang3 zhang3")], [_zh("与", "yu3", "p")], [_zh("工人", "gong1 ren2")]
    sandhi.third_tone_phrase([head, yu2, workers])  # 厂长 #1 与: the word before still changes
    assert head[0].pinyin == ["chang2", "zhang2"]


def test_a_preposition_standing_alone_does_not_lean_on_the_next_word():
    ba, watch = [_zh("把", "ba3", "p")], [_zh("手表", "shou3 biao3")]
    sandhi.third_tone_phrase([ba, watch])  # 把 #1 手表: 手表 first (shou2 biao3), 把 sees shou2
    assert ba[0].pinyin == ["ba3"]


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他是个老实人。", "老实人", ["lao3", "shi5", "ren2"]),  # a listed word heading a 3-character noun
    ("爷爷每天都去公园散散步。", "散散步", ["san4", "san5", "bu4"]),  # a listed verb in AAB, tagged as a noun
    ("他住在乡下。", "乡下", ["xiang1", "xia5"]),
    ("小姐，您好。", "小姐", ["xiao3", "jie5"]),  # a light syllable ends the run: no sandhi before it
    ("除了他都来了。", "除了", ["chu2", "le5"]),
])
def test_more_required_light_words(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他是一名大学生。", "大学生", ["da4", "xue2", "sheng1"]),  # 学生 is light only as a whole word
    ("太阳出来了。", "太阳", ["tai4", "yang2"]),  # optionally light in the dictionary: read full
    ("你说的有道理。", "道理", ["dao4", "li3"]),
])
def test_optionally_light_words_keep_their_full_tone(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


def test_the_student_alone_is_light(fe):
    got = next(w for w in fe.analyze("学生们来了。")["words"] if w["text"].startswith("学生"))
    assert got["pinyin"][:2] == ["xue2", "sheng5"]


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他获得了一等奖。", "一等奖", ["yi1", "deng2", "jiang3"]),  # 'first'
    ("他住在一楼。", "一楼", ["yi1", "lou2"]),
])
def test_yi_as_first(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


def test_yi_ending_tongyi_inside_a_longer_word(fe):
    # jieba's 统一行动 is one word (cut into 统一 + 行动 only when prosodic words are formed)
    assert _surface(fe, "我们要统一思想，统一行动。")[-4:] == ["tong3", "yi1", "xing2", "dong4"]


def test_the_de_of_a_verb_de_word_before_an_adjective_is_the_light_particle(fe):
    words = {w["text"]: w for w in fe.analyze("他的耳朵冻得通红。")["words"]}
    assert words["冻得"]["pinyin"] == ["dong4", "de5"]
    words = {w["text"]: w for w in fe.analyze("他获得了冠军。")["words"]}
    assert words["获得"]["pinyin"] == ["huo4", "de2"]  # a dictionary word keeps 'obtain'


def test_lou_after_a_segmenter_error(fe):
    got = [p for w in fe.analyze("他在晚会上露了一手。")["words"] for p in w["pinyin"]]
    assert got[5] == "lou4"


@pytest.mark.parametrize(("text", "word"), [("父子关系很好。", "父子"), ("他是家中的长子。", "长子")])
def test_zi_meaning_son_keeps_its_full_tone(fe, text, word):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"][-1] == "zi3"


@pytest.mark.parametrize(("text", "word", "want"), [
    ("他钻进被窝儿里。", "被窝儿", ["bei4", "wor5"]),  # jieba's 被窝 + 儿 joined; erhua of a listed light word
    ("门口儿站着人。", "门口儿", ["men2", "kour3"]),
])
def test_a_lone_erhua_suffix_joins_the_word_before(fe, text, word, want):
    got = next(w for w in fe.analyze(text)["words"] if w["text"] == word)
    assert got["pinyin"] == want


def test_a_lone_er_after_a_name_or_in_a_word_of_its_own_keeps_its_syllable(fe):
    assert next(w for w in fe.analyze("我的女儿很好。")["words"] if w["text"] == "女儿")["pinyin"] == ["nv3", "er2"]
    from sambert_lambda.frontend.pinyin import _repair

    assert _repair([("张三", "nr"), ("儿", "n")]) == [("张三", "nr"), ("儿", "n")]
    assert _repair([("孤", "a"), ("儿", "n")]) == [("孤", "a"), ("儿", "n")]  # 孤儿 is not erhua


@pytest.mark.parametrize(("text", "want"), [
    ("一是要加强管理，二是要提高效率。", "yi1"),  # the first item of a list
    ("坐一号线。", "yi1"),  # 'number one'
    ("一下子就明白了。", "yi2"),
])
def test_yi_of_a_list_item_or_a_number_name(fe, text, want):
    assert _surface(fe, text)[text.index("一")] == want


def test_yixiazi_ends_light(fe):
    assert _surface(fe, "一下子就明白了。")[:3] == ["yi2", "xia4", "zi5"]
