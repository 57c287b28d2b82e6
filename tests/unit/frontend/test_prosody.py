"""Prosodic phrasing: punctuation by kind and length, long unpunctuated stretches, clitics; light syllables."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.pipeline import OpenFrontend


@pytest.fixture(scope="module")
def fe() -> OpenFrontend:
    return OpenFrontend()


def breaks(fe: OpenFrontend, text: str) -> dict[str, int]:
    return {w["text"]: w["break"] for w in fe.analyze(text)["words"] if w["pinyin"]}


def test_enumeration_comma_between_short_items_is_a_word_break(fe):
    b = breaks(fe, "苹果、香蕉、橘子都是水果。")
    assert b["苹果"] == 1 and b["香蕉"] == 1


def test_a_comma_after_a_long_clause_is_an_intonational_break_after_a_short_one_a_phrase_break(fe):
    assert breaks(fe, "喂，是小王吗？")["喂"] == 2
    assert breaks(fe, "比赛结束后，双方球员互相握手致意。")["后"] == 3


def test_a_long_unpunctuated_sentence_gets_an_intonational_break_at_a_strong_boundary(fe):
    words = fe.analyze("国家统计局今天发布的数据显示全国规模以上工业企业利润同比增长百分之五。")["words"]
    b = {w["text"]: w["break"] for w in words}
    assert b["显示"] == 3
    assert [w["break"] for w in words].count(3) == 1
    short = fe.analyze("这项政策将于下个月正式实施。")["words"]
    assert max(w["break"] for w in short[:-2]) < 3


def test_a_monosyllabic_function_word_leans_only_on_a_monosyllabic_host(fe):
    assert breaks(fe, "成绩很差")["很"] == 0  # 很 + 差: one prosodic word
    assert breaks(fe, "记者从交通运输部获悉")["从"] == 1  # 从 #1 交通
    assert breaks(fe, "我马上就来")["我"] == 1  # a subject pronoun before a disyllable stands alone


@pytest.mark.parametrize(("text", "unit"), [
    ("全国共有34个省级行政区。", "三十四个"),
    ("本次航班预计晚点40分钟。", "四十分钟"),
    ("全程共计12.8公里。", "十二点八公里"),
    ("他跑了3.5公里。", "三点五公里"),
    ("这次考试他得了98分。", "九十八分"),
])
def test_a_number_with_its_measure_word_or_unit_is_one_prosodic_word(fe, text, unit):
    words = fe.analyze(text)["words"]
    assert unit in [w["text"] for w in words]


def test_a_particle_leans_on_a_long_number(fe):
    words = fe.analyze("电池还剩15%的电量。")["words"]
    k = [w["text"] for w in words].index("百分之十五")
    assert words[k]["break"] == 0 and words[k + 1]["text"] == "的" and words[k + 1]["break"] == 1


def test_a_monosyllabic_subject_pronoun_stands_alone_but_never_ends_a_phrase(fe):
    assert breaks(fe, "我想买两斤苹果。")["我"] == 1  # 我 #1 想买, not 我想
    assert breaks(fe, "这道题我想了半天。")["我"] == 1  # no #2 after the lone pronoun
    assert breaks(fe, "我们帮我拿一下。")["帮"] == 0  # an object pronoun still joins its verb
    assert breaks(fe, "我是北京人。")["我"] == 0  # 我是: the copula joins


def test_a_demonstrative_joins_its_noun_and_imperative_bie_stands_alone(fe):
    assert breaks(fe, "该公司去年营收很高。")["该"] == 0
    assert breaks(fe, "这瓶水五百毫升。").get("这瓶") == 0
    assert breaks(fe, "你别担心。")["别"] == 1  # 别 #1 担心 (negation 不 leans on its verb: 不知道)


def test_a_one_syllable_head_that_works_as_a_suffix_joins_its_noun(fe):
    assert breaks(fe, "我是北京人。")["北京"] == 0  # 北京人


def test_an_ordinal_phrase_is_not_split_like_a_compound(fe):
    assert "第三季度" in breaks(fe, "第三季度的利润下降了。")


@pytest.mark.parametrize(("text", "word", "expected"), [
    ("你看看这件衣服", "看看", ["kan4", "kan5"]),
    ("你问问老师吧", "问问", ["wen4", "wen5"]),
    ("今天晚上见", "晚上", ["wan3", "shang5"]),
    ("我觉得不错", "觉得", ["jue2", "de5"]),
    ("天天向上", "天天", ["tian1", "tian1"]),
    ("他躲在被窝里", "被窝", ["bei4", "wo5"]),
    ("签了劳动合同", "合同", ["he2", "tong5"]),
    ("早上的露水很重", "露水", ["lu4", "shui5"]),
    ("自由自在", "自由自在", ["zi4", "you2", "zi4", "zai4"]),  # 自在 is light only on its own
])
def test_light_syllables(fe, text, word, expected):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word] == expected


@pytest.mark.parametrize(("text", "index", "expected"), [
    ("他为什么没来", 4, "mei2"),
    ("为老人送去米面", 0, "wei4"),
    ("咱们再干吧", 3, "gan4"),
    ("我还得多练习", 2, "dei3"),
    ("性格", 0, "xing4"),
    ("学生", 0, "xue2"),
])
def test_full_tones_stay_full(fe, text, index, expected):
    syls = [p for w in fe.analyze(text)["words"] for p in w["pinyin"]]
    assert syls[index] == expected


@pytest.mark.parametrize(("text", "reading"), [
    ("给大家露一手。", "lou4"), ("他露馅了。", "lou4"), ("他不愿露脸。", "lou4"),
    ("问题暴露出来了。", "lu4"), ("他崭露头角。", "lu4"), ("早上的露水很重。", "lu4"),
])
def test_lou_is_the_colloquial_reading_only_in_its_words(fe, text, reading):
    syls = [p for w in fe.analyze(text)["words"] for p in w["pinyin"]]
    chars = [c for w in fe.analyze(text)["words"] if w["pinyin"] for c in w["text"]]
    assert syls[chars.index("露")] == reading


def test_shei_is_the_spoken_reading(fe):
    words = {w["text"]: w for w in fe.analyze("你是谁？")["words"]}
    assert words["谁"]["pinyin"] == ["shei2"]


def test_a_fronted_time_adverbial_is_a_phrase_before_a_noun_subject(fe):
    b = breaks(fe, "明天上午北京市区有小雨。")
    assert b["上午"] == 2 and b["明天"] == 1
    assert breaks(fe, "未来三天南方地区将有强降雨。")["三天"] == 2
    assert breaks(fe, "今天天气很好。")["天气"] < 2  # 今天天气 is the subject itself, no adverbial before it


def test_a_fixed_phrase_split_in_two_starts_the_predicate_after_a_subject(fe):
    b = breaks(fe, "新能源汽车销量持续上升。")
    assert b["销量"] == 2 and b["持续"] == 1  # jieba's 持续上升/l: its piece 持续 is verbal


@pytest.mark.parametrize(("text", "before"), [
    ("他昨天晚上一直在家里看书但是今天早上又出去了。", "看书"),
    ("这个方案的成本太高所以大家都不同意。", "高"),
    ("我们先去北京看望父母然后再去上海。", "父母"),
])
def test_a_clause_conjunction_after_a_long_clause_opens_an_intonational_phrase(fe, text, before):
    words = fe.analyze(text)["words"]
    assert {w["text"]: w["break"] for w in words}[before] == 3
    assert [w["break"] for w in words].count(3) == 1


def test_a_conjunction_after_a_short_subject_is_no_intonational_break(fe):
    assert max(breaks(fe, "他因为生病没有来上课。").values()) == 4
    assert sorted(breaks(fe, "他因为生病没有来上课。").values())[-2] < 3


@pytest.mark.parametrize(("text", "word"), [("比赛在晚上八点开始。", "八点"), ("你们先走吧，我一会儿就到。", "一会儿"),
                                            ("列车于六月十八日发车。", "十八日")])
def test_a_phrase_of_one_or_two_syllables_joins_its_neighbour(fe, text, word):
    b = breaks(fe, text)
    assert b[word] == 1
    assert max(b.values()) == 4


def test_a_short_phrase_before_punctuation_keeps_its_break(fe):
    b = breaks(fe, "上午九点三十分举行，请准时参加。")
    assert b["三十分"] == 2 and b["举行"] == 3
    assert breaks(fe, "博物馆每周一闭馆，其余时间免费开放。")["时间"] == 2  # both phrases have four syllables


@pytest.mark.parametrize(("text", "pieces"), [
    ("马克思主义哲学", ["马克思", "主义", "哲学"]),
    ("联合国教科文组织", ["联合国", "教科文", "组织"]),
    ("中华人民共和国", ["中华", "人民", "共和国"]),
])
def test_a_long_word_splits_into_the_common_words_that_tile_it(fe, text, pieces):
    words = [w for w in fe.analyze(text)["words"] if w["pinyin"]]
    assert [w["text"] for w in words] == pieces
    assert [w["break"] for w in words][:-1] == [1] * (len(pieces) - 1)


@pytest.mark.parametrize(("text", "verb"), [
    ("请打开蓝牙，连接你的耳机。", "连接"),  # a possessive pronoun belongs to the noun after it
    ("我找不到我的手机了。", "不到"),
    ("你好，请问你是哪里人？", "请问"),  # the subject of a clause object
    ("这是我应该做的。", "是"),
])
def test_a_pronoun_that_is_not_the_verbs_object_does_not_join_it(fe, text, verb):
    assert breaks(fe, text)[verb] == 1


@pytest.mark.parametrize(("text", "pronoun"), [
    ("我想请你吃饭。", "你"),  # after a pivot verb the pronoun is its object
    ("别再拥抱我。", "我"),
    ("他告诉我明天放假。", "我"),
])
def test_an_object_pronoun_joins_its_verb(fe, text, pronoun):
    words = [w for w in fe.analyze(text)["words"] if w["pinyin"]]
    k = next(i for i, w in enumerate(words) if w["text"] == pronoun)
    assert words[k - 1]["break"] == 0


@pytest.mark.parametrize(("text", "rest"), [
    ("别着急，慢慢说。", "着急"),  # jieba's entries 别着急, 别生气: the imperative adverb and its verb
    ("我不是故意的，你别生气。", "生气"),
    ("别客气，这是我应该做的。", "客气"),  # 别 tagged as a pronoun is still the adverb
])
def test_the_imperative_bie_is_a_prosodic_word_before_a_disyllabic_verb(fe, text, rest):
    words = [w for w in fe.analyze(text)["words"] if w["pinyin"]]
    k = next(i for i, w in enumerate(words) if w["text"] == rest)
    assert words[k - 1]["text"] == "别" and words[k - 1]["break"] == 1
    assert words[k - 1]["pinyin"] == ["bie2"]


def test_the_imperative_bie_still_leans_on_a_monosyllable(fe):
    assert breaks(fe, "别再拥抱我。")["别"] == 0


def test_a_demonstrative_determines_a_one_syllable_noun_the_tagger_calls_a_numeral(fe):
    words = fe.analyze("老板说这个月的奖金会晚几天发。")["words"]
    b = {w["text"]: w["break"] for w in words}
    assert b["这个"] == 0 and b["说"] >= 1  # 说 #2 这个月的, not 说这个 #1 月的
    assert breaks(fe, "这个月我们部门的销售额增长了。")["月"] == 2  # a time word before the subject pronoun
    assert breaks(fe, "我要这个。")["要"] == 0  # the pronoun alone is still the verb's object


def test_xiao_or_lao_before_a_surname_is_one_name(fe):
    words = fe.analyze("小王和小李是大学同学。")["words"]
    assert [w["text"] for w in words][:3] == ["小王", "和", "小李"]
    assert words[2]["pinyin"] == ["xiao2", "li3"]


@pytest.mark.parametrize(("text", "unit"), [
    ("我们队以3:2赢了对手。", "三比二"),
    ("我们队以三比二赢了对手。", "三比二"),  # the segmenter's 三比 + 二
    ("会议在3楼会议室召开。", "三楼"),
    ("他住在5号楼302室。", "五号楼"),
    ("他住在5号楼302室。", "三零二室"),
    ("我们坐2号线去。", "二号线"),
    ("1e10", "十次方"),
])
def test_a_score_a_floor_or_a_room_is_one_unit(fe, text, unit):
    assert unit in [w["text"] for w in fe.analyze(text)["words"]]


def test_what_a_pronoun_or_a_verb_takes_along(fe):
    assert breaks(fe, "他们俩从小一起长大。")["他们"] == 0  # 他们俩
    assert breaks(fe, "我们队赢了。")["我们"] == 0  # 我们队
    b = breaks(fe, "我在门口等你半天了。")
    assert b["门口"] == 1 and b["等"] == 0  # 等 'wait' takes its object, not the particle 'and so on'
    b = breaks(fe, "他俩是好朋友。")
    assert b["是"] == 1 and b["好"] == 0  # 是 #1 好朋友
    assert breaks(fe, "我把这些文件整理完就过去。")["整理"] == 0  # 整理完
    assert breaks(fe, "今天天气好。")["天气"] == 1  # a predicate adjective is no complement
