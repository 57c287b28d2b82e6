"""Readings and breaks of cases users reported: numbers read as one unit, context-decided polyphones, full URLs,
era years, yuan prices, scientific notation, and the lexical reading beside the surface one in ``analyze``."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.normalize import normalize
from tests.support.frontend import marked, sentence_pinyin


@pytest.mark.parametrize(("text", "expected"), [
    ("2024年", "二零二四年#4"),
    ("1998年", "一九九八年#4"),
    ("$99.99", "九十九点九九美元#4"),
    ("全角字符", "全角#1字符#4"),
    ("公元前221年", "公元前#1二百二十一年#4"),
    ("¥1,234.50", "一千二百三十四元五角#4"),
])
def test_numbers_and_words_have_no_break_inside(fe, text, expected):
    assert marked(fe, text) == expected


def test_a_date_and_time_has_no_phrase_break_inside(fe):
    words = fe.analyze("2024-03-05 10:30")["words"]
    assert "".join(w["text"] for w in words) == "二零二四年三月五日十点三十分"
    assert all(w["break"] <= 1 for w in words[:-1])
    assert "三十分" in [w["text"] for w in words]


def test_a_phone_number_is_grouped_three_four_four(fe):
    words = [w["text"] for w in fe.analyze("电话13812345678")["words"]]
    assert words[-3:] == ["幺三八", "幺二三四", "五六七八"]


@pytest.mark.parametrize(("text", "groups"), [
    ("请拨打400-800-1234咨询。", ["四零零", "八零零", "一二三四"]),  # a hotline: 3-3-4
    ("邮编100086。", ["一零零", "零八六"]),  # a postcode: 3-3
    ("电话8123456。", ["八幺二", "三四五六"]),  # a local number: 3-4
])
def test_digit_strings_are_grouped_as_such_numbers_are_written(fe, text, groups):
    words = [w["text"] for w in fe.analyze(text)["words"]]
    at = words.index(groups[0])
    assert words[at:at + len(groups)] == groups


@pytest.mark.parametrize(("text", "index", "expected"), [
    ("重量很重", 3, "zhong4"),
    ("他病得很重", 4, "zhong4"),
    ("睡了一个好觉", 5, "jiao4"),
    ("成绩很差", 3, "cha4"),
    ("数一数", 0, "shu3"),
    ("数一数", 2, "shu3"),
    ("他数了数钱", 1, "shu3"),
    ("你得好好学习", 1, "dei3"),
    ("我得走了", 1, "dei2"),  # dei3, then 3-3 sandhi before 走
    ("他跑得很快", 2, "de5"),
    ("他得了第一名", 1, "de2"),
    ("那一行字", 2, "hang2"),
    ("一行人来到北京", 1, "xing2"),
    ("他说得对", 2, "de5"),
    ("他夺得了冠军", 2, "de2"),  # 得 'obtain' inside a word the phrase dictionary reads de5
    ("个人所得税", 3, "de2"),
    ("这本书值得一读", 4, "de2"),
    ("我觉得很好", 2, "de5"),  # the lexically light 觉得 stays light
    ("他为什么没来", 4, "mei2"),  # jieba's 没来: the negation
    ("财产被没收了", 3, "mo4"),  # 没收 'confiscate'
])
def test_context_decides_the_reading(fe, text, index, expected):
    assert sentence_pinyin(fe, text)[index] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("公元前221年", "公元前二百二十一年"),
    ("公元800年", "公元八百年"),
    ("公元2024年", "公元二零二四年"),
    ("¥1,234.50", "一千二百三十四元五角"),
    ("¥3.05", "三点零五元"),
    ("￥1.25", "一点二五元"),
    ("1e10", "一乘十的十次方"),
    ("1.5e-3", "一点五乘十的负三次方"),
])
def test_normalization(text, expected):
    assert normalize(text) == expected


def test_a_url_keeps_its_scheme_and_its_question_mark_does_not_end_the_sentence(fe):
    text = "请访问https://example.com/a?b=1 查看详情。"
    norm = normalize(text)
    assert norm.startswith("请访问HTTPS冒号斜杠斜杠example点com斜杠a问号b等于一")
    assert "?" not in norm
    words = fe.analyze(text)["words"]
    assert [w["break"] for w in words].count(4) == 1  # one sentence


def test_analyze_shows_lexical_beside_surface(fe):
    words = {w["text"]: w for w in fe.analyze("展览馆里有很多朋友")["words"]}
    assert words["展览馆"]["lexical"] == ["zhan3", "lan3", "guan3"]
    assert words["展览馆"]["pinyin"] == ["zhan2", "lan2", "guan3"] or words["展览馆"]["pinyin"][:2] == ["zhan2", "lan2"]
    assert words["朋友"]["lexical"] == ["peng2", "you3"]
    assert words["朋友"]["pinyin"] == ["peng2", "you5"]


def test_a_word_opened_by_de_is_obtain_not_the_particle(fe):
    word = next(w for w in fe.analyze("他得分很高。")["words"] if w["text"] == "得分")
    assert word["lexical"][0] == "de2" and word["pinyin"][0] == "de2"


@pytest.mark.parametrize(("text", "want"), [
    ("我明天去还书。", "huan2"),  # 'give back' before a monosyllabic noun
    ("我还你钱。", "huan2"),  # before a pronoun and a noun
    ("借了钱要还。", "huan2"),  # closing a clause after a verb
    ("他还在睡觉。", "hai2"),  # 'still' before a verb
    ("他还三天就到了。", "hai2"),
    ("她还主演过很多电影。", "hai2"),  # a longer word tagged as a noun is no object
])
def test_huan_give_back_against_hai_still(fe, text, want):
    got = [p for w in fe.analyze(text)["words"] for p in w["lexical"] if p[:-1] in ("hai", "huan")]
    assert got[0] == want


def test_jiao_teach_before_a_pronoun_object(fe):
    got = [p for w in fe.analyze("我教他们数学。")["words"] for p in w["pinyin"]]
    assert got[1] == "jiao1"


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("我睡不着。", "睡不着", ["shui4", "bu5", "zhao2"]),
    ("你用不着担心。", "用不着", ["yong4", "bu5", "zhao2"]),
    ("我找得着。", "找得着", ["zhao3", "de5", "zhao2"]),
    ("我睡不着觉。", "觉", ["jiao4"]),
])
def test_zhao2_in_a_potential_complement_and_the_sleep_after_it(text, word, reading):
    from sambert_lambda.frontend.pipeline import OpenFrontend

    words = {w["text"]: w["pinyin"] for w in OpenFrontend().analyze(text)["words"]}
    assert words[word] == reading


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("你在家里待着。", "待", ["dai1"]),
    ("他在北京待了三年。", "待", ["dai1"]),
    ("我们要热情待人。", "待人", ["dai4", "ren2"]),
    ("这件事有待研究。", "有待", ["you3", "dai4"]),
])
def test_dai1_is_the_verb_stay_and_dai4_treat_or_await(text, word, reading):
    from sambert_lambda.frontend.pipeline import OpenFrontend

    words = {w["text"]: w["pinyin"] for w in OpenFrontend().analyze(text)["words"]}
    assert words[word] == reading


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("那只小猫躲在沙发底下。", "只", "zhi1"),  # a demonstrative, the measure word, its noun
    ("这只鸟很漂亮。", "只", "zhi1"),
    ("三只小猪。", "三只", "zhi1"),  # a numeral glued to it
    ("十几只鸭子。", "十几只", "zhi1"),
    ("我只想睡觉。", "只", "zhi3"),  # the adverb 'only' before a verb
    ("那只会让事情更糟。", "只", "zhi3"),  # 那 + 只会: 'that will only', the verb follows
])
def test_zhi_is_the_measure_word_zhi1_between_a_determiner_and_its_noun(fe, text, word, reading):
    lexical = {w["text"]: w["lexical"] for w in fe.analyze(text)["words"]}
    assert lexical[word][-1] == reading


def test_the_particle_di_after_an_adverbial_is_cut_from_the_word_the_segmenter_glued_it_to(fe):
    words = [w["text"] for w in fe.analyze("这条公路极大地方便了居民。")["words"]]
    assert words[words.index("极大") + 1:words.index("极大") + 3] == ["地", "方便"]  # not 极大 + 地方 + 便了
    words = [w["text"] for w in fe.analyze("他认真地点了点头。")["words"]]
    assert "地点" not in words and "点" in words
    assert "地点" in [w["text"] for w in fe.analyze("这是一个重要地点。")["words"]]  # the noun stays


def test_a_number_with_its_measure_word_does_not_take_a_date_closer_from_the_next_word(fe):
    words = [w["text"] for w in fe.analyze("她是一位年轻的女作家。")["words"]]
    assert "年轻" in words and "一位年" not in words  # 五 + 日前 -> 五日 + 前 is for a bare number only
    assert "五日" in [w["text"] for w in fe.analyze("他五日前出发。")["words"]]


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("小姐姐的嗓子有点哑了。", "小姐姐", ["xiao2", "jie3", "jie5"]),  # 姐姐 light, then 小 before jie3
    ("小弟弟在哭。", "小弟弟", ["xiao3", "di4", "di5"]),
])
def test_a_reduplicated_kinship_noun_closing_a_word_ends_light(fe, text, word, reading):
    assert {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}[word] == reading


def test_an_interjection_opening_the_sentence_keeps_its_full_tone(fe):
    assert sentence_pinyin(fe, "哇，好漂亮。")[0] == "wa1"
    assert sentence_pinyin(fe, "呀，下雪了。")[0] == "ya1"
    assert sentence_pinyin(fe, "好漂亮哇！")[-1] == "wa5"  # the sentence-final particle stays light


def test_bu_in_a_four_character_potential_complement_is_light(fe):
    words = {w["text"]: w["pinyin"] for w in fe.analyze("他激动得说不出来。")["words"]}
    assert words["说不出来"] == ["shuo1", "bu5", "chu1", "lai5"]


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("我已经跟经理请过假了。", "假", "jia4"),  # 'leave' after 请 + 过
    ("他放了假就回家了。", "假", "jia4"),
    ("这是真的还是假的？", "假", "jia3"),  # 'false'
])
def test_jia4_leave_after_its_verb(fe, text, word, reading):
    assert {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}[word] == [reading]


@pytest.mark.parametrize(("text", "word"), [
    ("请你先进去，我马上就过来。", "进去"),  # 先进 'advanced' + 去 -> 先 + 进去
    ("孩子们高高兴兴地跑出去玩了。", "出去"),  # the segmenter's 出去玩 -> 出去 + 玩
])
def test_a_directional_complement_the_segmenter_cut_is_restored_and_light(fe, text, word):
    words = {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}
    assert words[word][-1] == "qu5"
    assert "先进" in [w["text"] for w in fe.analyze("这是一家先进企业。")["words"]]  # the adjective stays


def test_a_spoken_address_is_one_span_with_its_digits_read_one_by_one(fe):
    words = fe.analyze("请访问https://example.com/a?b=1查看详情。")["words"]
    texts = [w["text"] for w in words]
    inside = words[texts.index("HTTPS"):texts.index("一") + 1]
    assert max(w["break"] for w in inside[:-1]) == 1  # no phrase break inside the address
    assert words[texts.index("一")]["pinyin"] == ["yi1"]  # b=1: the digit
    assert words[texts.index("一")]["break"] >= 1 and "一查看" not in texts  # the address takes no word after it
    mail = [w["text"] for w in fe.analyze("我的邮箱是abc_123@qq.com。")["words"]]
    assert "一二三" in mail  # digit by digit, not 一百二十三
    assert fe.analyze("它等于一张废纸。")["words"][2]["pinyin"][0] == "yi4"  # 等于 + a measure word: a count


def test_yiqi_together_is_no_number_the_time_before_it_takes(fe):
    assert "三点一起" not in marked(fe, "我们下午三点一起走。")  # 三点 #N 一起: the adverb, not a numeral


@pytest.mark.parametrize(("text", "word", "reading"), [
    ("我们商量一下吧。", "商量", ["shang1", "liang5"]),  # the segmenter's 商量一下, split 2 + 2
    ("你休息一下。", "休息", ["xiu1", "xi5"]),
    ("这件事不好应付。", "应付", ["ying4", "fu5"]),
])
def test_light_words_stay_light_inside_the_segmenters_longer_words(fe, text, word, reading):
    assert {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}[word] == reading


@pytest.mark.parametrize(("text", "reading"), [
    ("树上的叶子纷纷落下。", "luo4"),  # 'fall', after a manner adverb
    ("太阳缓缓落下。", "luo4"),
    ("比赛落下帷幕。", "luo4"),
    ("我把书落下了。", "la4"),  # 'leave behind'
])
def test_luo4_fall_against_la4_leave_behind(fe, text, reading):
    assert {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}["落下"][0] == reading


@pytest.mark.parametrize(("text", "reading"), [
    ("他长得很高。", "zhang3"),  # 'grow, look', before a degree, a likeness or a look
    ("小姑娘长得很漂亮。", "zhang3"),
    ("他长得像他爸爸。", "zhang3"),
    ("这条路长得看不到头。", "chang2"),  # 'long'
])
def test_zhang3_grow_against_chang2_long_before_de(fe, text, reading):
    assert {w["text"]: w["pinyin"] for w in fe.analyze(text)["words"]}["长"] == [reading]


@pytest.mark.parametrize(("text", "want"), [
    ("大家一起来唱歌吧。", ["da4", "jia1", "yi4", "qi3", "lai2", "chang4", "ge1", "ba5"]),  # 一起 + 来
    ("欢迎大家一起来。", ["huan1", "ying2", "da4", "jia1", "yi4", "qi3", "lai2"]),
])
def test_yiqilai_is_together_and_come(fe, text, want):
    assert sentence_pinyin(fe, text) == want
    assert "一起#1来" in marked(fe, text)


def test_yi_qilai_jiu_is_as_soon_as_getting_up(fe):
    assert "一起来#1就" in marked(fe, "他一起来就去跑步。")


def test_meng_meng_liang_is_first_light(fe):
    assert {w["text"]: w["pinyin"] for w in fe.analyze("天刚蒙蒙亮，爷爷就起床了。")["words"]}["蒙蒙亮"] == [
        "meng1", "meng1", "liang4"]


def test_de_hua_after_a_relative_clause_with_guo_is_the_words(fe):
    assert "说过的话#4" in marked(fe, "我一直记得妈妈对我说过的话。")
    words = [w["text"] for w in fe.analyze("我一直记得妈妈对我说过的话。")["words"]]
    assert "的话" not in words
    assert "的话" in [w["text"] for w in fe.analyze("如果你去过的话就告诉我。")["words"]]


def test_yi_a_bu_a_is_an_idiom_with_a_full_bu_and_its_di_particle(fe):
    words = {w["text"]: w["pinyin"] for w in fe.analyze("他一动不动地站在那里。")["words"]}
    assert words["一动不动"] == ["yi2", "dong4", "bu2", "dong4"]  # not the light 不 of 去不去
    assert words["地"] == ["de5"] and words["站"] == ["zhan4"]  # 一动不动 + 地站 -> 地 + 站


def test_de_hua_after_a_verb_of_saying_is_the_words(fe):
    assert "的话" not in [w["text"] for w in fe.analyze("他说的话一句也不假。")["words"]]
