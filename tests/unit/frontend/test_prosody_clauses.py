"""Intonational phrases (#3) without punctuation: clause conjunctions, clause-initial adverbials and temporal
clauses in long stretches; never in short ones, inside a number span or at an enumeration comma."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.pipeline import OpenFrontend


@pytest.fixture(scope="module")
def fe() -> OpenFrontend:
    return OpenFrontend()


def words(fe: OpenFrontend, text: str) -> list[tuple[str, int]]:
    return [(w["text"], w["break"]) for w in fe.analyze(text)["words"] if w["pinyin"]]


def marked(fe: OpenFrontend, text: str) -> str:
    """'他#1说#4': each spoken word followed by its break (0 = none)."""
    return "".join(t + (f"#{b}" if b else "") for t, b in words(fe, text))


def intonational(fe: OpenFrontend, text: str) -> list[str]:
    """The (lexical) words followed by a #3; the last word of the sentence has #4."""
    return [t for t, b in words(fe, text) if b == 3]


@pytest.mark.parametrize(("text", "before"), [
    ("他昨天晚上在宿舍里一直在写信但是到现在还没有写完。", "写信"),
    ("他在图书馆里安静地复习了一下午功课但是一点也不觉得累。", "功课"),
    ("这项政策减轻了中小企业的负担同时也为年轻人创造了更多就业机会。", "负担"),
])
def test_a_clause_conjunction_in_a_long_stretch_opens_an_intonational_phrase(fe, text, before):
    assert intonational(fe, text) == [before]


def test_a_clause_conjunction_after_a_monosyllable_still_opens_the_intonational_phrase(fe):
    # 书 + 但是 is no prosodic word: the #3 falls between them, and nowhere else
    assert "的#1书#3但是#1" in marked(fe, "她在房间里安安静静地读了一下午的书但是一点也没觉得无聊。")
    assert intonational(fe, "她在房间里安安静静地读了一下午的书但是一点也没觉得无聊。") == ["书"]


def test_a_conjunction_in_a_short_sentence_is_no_intonational_break(fe):
    assert intonational(fe, "我很累但是很开心。") == []


@pytest.mark.parametrize(("text", "before"), [
    ("随着城市人口的不断增加公共交通的压力越来越大。", "增加"),  # a nominalized verb closes it, not 公共|交通
    ("在过去的十几年里这个小镇的面貌发生了很大的变化。", "里"),
    ("对于刚刚毕业的大学生来说找工作并不是一件容易的事。", "来说"),
    ("据有关部门统计今年前十个月的游客人数比去年同期明显增加。", "统计"),
    ("为了保护当地的生态环境政府决定关闭这几家工厂。", "环境"),  # not inside 生态环境
    ("那位老人每天吃完晚饭以后都会沿着河边走上一个小时。", "以后"),
])
def test_a_long_clause_initial_adverbial_ends_in_an_intonational_break(fe, text, before):
    assert intonational(fe, text) == [before]


def test_a_conditional_clause_closed_by_dehua_is_an_intonational_phrase(fe):
    assert intonational(fe, "如果周末天气好的话我们就去公园放风筝。") == ["的话"]


@pytest.mark.parametrize("text", [
    "在会上大家讨论了这个问题。",  # a short adverbial, a short sentence
    "随着天气变冷大家都穿上了厚衣服。",
    "这项研究对于提高农作物的产量非常重要。",  # 对于 inside the clause: no clause-initial adverbial
])
def test_a_short_stretch_gets_no_intonational_break(fe, text):
    assert intonational(fe, text) == []


def test_no_intonational_break_inside_a_date_and_an_amount_is_one_word(fe):
    ws = words(fe, "我们将于2024年3月5日上午在北京召开第一次全体会议并邀请各方代表参加。")
    texts = [t for t, _ in ws]
    k = texts.index("二零二四年")
    assert texts[k:k + 3] == ["二零二四年", "三月", "五日"]
    assert [b for _, b in ws[k:k + 2]] == [1, 1]  # at most #1 between the components of one date
    amount = [t for t, _ in words(fe, "这台新款笔记本电脑的售价是¥1,234.50比去年同期便宜了不少。")]
    assert "一千二百三十四元五角" in amount


def test_an_enumeration_comma_in_a_long_stretch_is_not_an_intonational_break(fe):
    ws = words(fe, "会议讨论了教育、医疗、住房、养老等一系列民生问题。")
    assert max(b for _, b in ws[:-1]) < 3
    assert marked(fe, "苹果、香蕉、橘子都是水果。").startswith("苹果#1香蕉#1")


def test_an_adverb_opening_a_later_predicate_after_a_long_clause_is_an_intonational_break(fe):
    assert intonational(fe, "他在这家公司工作了十年终于得到了提升。") == ["十年"]
    # after a one-word subject the adverb opens no clause; the adverbial before it (not 艰苦 | 谈判) does
    assert intonational(fe, "经过几个月的艰苦谈判双方最终达成了一项新的合作协议。") == ["谈判"]
    assert intonational(fe, "这位老人最终还是没有回到自己的家乡。") == []  # right after its subject: no clause before


def test_a_clause_initial_adverbial_ends_before_a_two_word_subject_that_an_adjective_opens(fe):
    assert "搜救#3被困" in marked(fe, "经过连续三天的搜救被困人员终于全部获救。")


def test_an_attributive_verbal_noun_is_no_predicate_after_a_one_word_subject(fe):
    got = marked(fe, "为了保护当地脆弱的生态环境有关部门决定暂停开发。")
    assert "生态#1环境" in got and "环境#3有关" in got  # 有关/vn opens the subject 有关部门
