"""Prosodic phrases (#2) of read speech: about 3-9 syllables, a #2 at the subject/predicate, topic/comment and
adverbial/prepositional-phrase boundaries (conventions in docs/frontend.md, "The read-speech batch")."""

from __future__ import annotations

import pytest

from tests.support.frontend import marked


@pytest.mark.parametrize(("text", "expect"), [
    ("这本书我已经看了三遍了。", "这本书#2我"),
    ("这件衣服你穿着特别合适。", "衣服#2你"),
])
def test_a_topic_before_the_pronoun_subject_of_its_comment_is_a_phrase(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_possessive_pronoun_after_a_noun_is_no_topic_boundary(fe):
    assert "#2我们的" not in marked(fe, "前面就是我们的学校。")


@pytest.mark.parametrize(("text", "expect"), [
    ("我觉得这个办法可能行不通。", "觉得#2"),  # a 3-syllable clause before the reporting verb's object
    ("你知道附近哪里有银行吗？", "知道#2"),
])
def test_a_short_subject_and_its_reporting_verb_are_a_phrase(fe, text, expect):
    assert expect in marked(fe, text)


def test_the_second_yibian_opens_a_phrase(fe):
    assert "吃饭#2一边" in marked(fe, "他一边吃饭一边看电视。")


@pytest.mark.parametrize(("text", "expect"), [
    ("妈妈每天早上都会给我做早饭。", "早上#2都会"),  # a subject with its time words, then the predicate
    ("是的，我明天上午一定准时到达。", "上午#2一定"),
])
def test_a_subject_with_time_words_ends_a_phrase_before_the_predicate(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize("text", [
    "他今年已经八十岁了。",  # a pronoun and a time word are too short a phrase
    "国家统计局今天发布的数据显示全国规模以上工业企业利润同比增长百分之五。",  # 发布的: a relative clause
])
def test_no_phrase_break_after_a_time_word_before_a_short_predicate_or_a_relative_clause(fe, text):
    m = marked(fe, text)
    assert "今年#2" not in m and "今天#2" not in m


@pytest.mark.parametrize(("text", "expect"), [
    ("我刚才在路上遇到了一位多年不见的老朋友。", "刚才#2在"),  # 3 syllables of subject and adverb
    ("我很累但是很开心。", "很累#2但是"),
])
def test_a_three_syllable_phrase_ends_before_a_preposition_or_conjunction(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_short_verb_phrase_does_not_end_before_a_preposition(fe):
    m = marked(fe, "我们要把这件好事办好办实。")  # 我们要: the modal verb needs its complement
    assert "要#2" not in m


@pytest.mark.parametrize(("text", "expect"), [
    ("工作人员正在对现场进行清理。", "对#1现场#"),  # a monosyllabic preposition stands apart from its noun
    ("奶奶把院子收拾得干干净净。", "把#1院子#"),
    ("我和同学们一起踢足球。", "和#1同学们#"),
])
def test_a_monosyllabic_preposition_stands_apart_from_the_noun_after_it(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_monosyllabic_verb_and_the_preposition_of_its_complement_are_one_prosodic_word(fe):
    assert marked(fe, "他站在门口。").startswith("他#1站在#1门口")


@pytest.mark.parametrize(("text", "expect"), [
    ("中华民族", "中华#1民族"),  # two common words: 2 + 2
    ("防寒保暖", "防寒#1保暖"),  # a rare fixed phrase of two common words
    ("不知不觉", "不知不觉#"),  # a common idiom stays whole
])
def test_four_character_words_split_into_two_common_words(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "word", "level"), [
    ("说实话，我并不喜欢这部电影。", "说实话", 2),  # a discourse word before a comma
    ("与此同时，相关部门也在加紧制定新的标准。", "与此同时", 2),
    ("太贵了，能不能便宜一点儿？", "了", 3),  # a clause of three syllables keeps its intonational break
])
def test_a_comma_after_a_single_discourse_word_is_a_phrase_break(fe, text, word, level):
    words = fe.analyze(text)["words"]
    assert next(w["break"] for w in words if w["text"] == word) == level


def test_no_subject_predicate_break_after_the_object_of_a_preposition(fe):
    assert "现场#1进行" in marked(fe, "工作人员正在对现场进行清理。")  # 现场 is 对's object, not a subject


def test_an_interrogative_adverb_is_no_subject(fe):
    assert "怎么#1又" in marked(fe, "你怎么又迟到了？")


def test_a_two_syllable_clause_after_another_comma_is_still_short(fe):
    assert marked(fe, "喂，你好，请问是李老师吗？").startswith("喂#2，你好#2，")


def test_a_long_phrase_is_split_between_a_verb_and_its_long_object(fe):
    assert "吸引了#2来自" in marked(fe, "本次展会吸引了来自世界各地的客商。")


def test_a_long_subject_ends_before_the_time_words_of_its_predicate(fe):
    assert "图书馆#2每天" in marked(fe, "学校图书馆每天早上八点开门。")
    assert "市政府#1昨天" in marked(fe, "市政府昨天召开了新闻发布会。")  # a 3-syllable subject stays with them


@pytest.mark.parametrize(("text", "expect"), [
    ("这座桥是上个世纪五十年代修建的。", "这座桥#"),  # 这 + 座 + 桥: one prosodic word
    ("李老师已经在这所学校教了二十年书。", "在#1这所#1学校"),  # the preposition does not take 这
    ("记者从市教育局了解到这一消息。", "了解到#1这一#1消息"),  # nor the verb
    ("我们应该尊重每一个人的选择。", "每一个人的#1选择"),  # 每 + the number it determines
])
def test_a_demonstrative_with_its_measure_word_or_number_opens_a_noun_phrase(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("我们应该尊重每一个人的选择。", "的#1选择"),  # a verb after 的 heads the noun phrase
    ("他的演讲赢得了观众的热烈掌声。", "观众的#1热烈"),  # an adjective after 的 is an attributive
    ("这个地区的经济发展水平还比较低。", "经济#1发展#1水平"),  # a verbal noun before a noun: a compound
    ("我想去那家新开的咖啡店看看。", "那家#1新开的"),  # a determiner before a relative clause
    ("我想买两张去上海的火车票。", "两张#1去上海的"),
])
def test_no_subject_predicate_break_inside_a_noun_phrase(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_subject_with_a_verbal_head_after_de_still_ends_before_its_predicate(fe):
    assert "应用#2将会" in marked(fe, "这项技术的应用将会大大提高生产效率。")
    assert "一日#2是" in marked(fe, "一月一日是新年的第一天。")  # 是 after a date is the predicate


def test_no_phrase_break_after_a_lone_monosyllabic_adverb(fe):
    assert "就#2" not in marked(fe, "警察很快就找到了丢失的钱包。")


def test_the_object_of_a_causative_verb_and_its_predicate_are_one_phrase(fe):
    assert "生活#1更加" in marked(fe, "老旧小区改造让居民的生活更加方便。")


def test_a_monosyllabic_reporting_verb_stands_apart_from_the_time_word_of_its_clause(fe):
    assert "说#1明天" in marked(fe, "他说明天要去北京开会。")  # 说 does not take 明天 into its prosodic word
    assert "每次#1来" in marked(fe, "他每次来都会带一些礼物。")  # 每次 is a time word, no subject of its own


@pytest.mark.parametrize(("text", "expect"), [
    ("据了解该项目总投资约五十亿元。", "了解#1该项目"),  # a literary demonstrative before its noun
    ("受冷空气影响本周末我市将出现明显的降温天气。", "影响#1本周末"),
    ("这位老艺术家把毕生的精力都献给了京剧事业。", "老艺术家"),  # a one-syllable adjective and its noun
    ("这里的展览馆每周一闭馆。", "每周一#1闭馆"),  # the day of the week
])
def test_determiners_modifiers_and_weekdays_stay_with_their_noun(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_clause_initial_adverbial_ends_before_a_verb_the_segmenter_called_a_time_word(fe):
    assert "升高#3前来" in marked(fe, "随着气温逐渐升高前来海边度假的游客越来越多。")
    assert "需求#3市图书馆" in marked(fe, "为了满足市民日益增长的文化需求市图书馆新增了三个分馆。")  # 需求 is a noun


@pytest.mark.parametrize(("text", "expect"), [
    ("近日一段小狗救主的视频在网上引发了热议。", "小狗#1救主的"),  # a relative clause inside the noun phrase
    ("他的英语说得很流利。", "英语#1说得"),  # a short subject before a verb with 得
])
def test_no_phrase_break_before_a_relative_clause_or_a_verb_with_de(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("奶奶坐在老槐树下给孩子们讲故事。", "老槐树下#"),  # the segmenter's guess 下给 is split
    ("她是我们公司的新同事。", "新同事"),  # 新 goes with its noun, not with 的
    ("他激动得一句话也说不出来。", "一句话#"),  # number, measure word and a one-syllable noun
    ("他把这本书从头到尾读了三遍。", "把#1这本书#"),  # 这 + 本书 is 这本书
])
def test_locatives_adjectives_and_quantified_nouns_group_with_their_host(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_long_phrase_is_not_split_after_a_determiner(fe):
    got = marked(fe, "我们班的同学都很喜欢这位新来的数学老师。")
    assert "这位#2" not in got and "喜欢#2这位" in got


def test_no_phrase_break_between_a_lone_adverb_and_the_preposition_after_it(fe):
    assert "总#1比" in marked(fe, "办法总比困难多。")  # not 总 #2 比


@pytest.mark.parametrize(("text", "expect"), [
    ("这个月的房租是三千元。", "房租#1是"),  # a short copular sentence is one phrase
    ("房间的面积是六十平方米。", "面积#1是"),
    ("这台电脑的价格是五千九百九十九元。", "价格#2是"),  # a long predicate after 是 is a phrase of its own
])
def test_a_subject_before_the_copula_is_a_phrase_of_its_own_only_before_a_long_predicate(fe, text, expect):
    assert expect in marked(fe, text)


def test_the_pieces_of_a_split_idiom_take_their_own_tags(fe):
    assert "晚上#2都要" in marked(fe, "他每天晚上都要看一个小时的书。")  # 每天晚上/i: two time words


def test_nouns_the_segmenter_tags_as_verbs_start_no_predicate(fe):
    assert "文化#1知识" in marked(fe, "我们大家都应该好好学习科学文化知识。")  # 知识 is tagged a verb
    assert "营业#1收入" in marked(fe, "该公司去年的营业收入比前年增长了两成。")


def test_an_adjective_used_as_a_verb_does_not_end_a_phrase_before_a_preposition(fe):
    assert "充满了#1对" in marked(fe, "他的眼睛里充满了对未来的希望。")  # 充满 is tagged an adjective


@pytest.mark.parametrize(("text", "expect"), [
    ("今天运气真好，房间又宽敞又干净。", "运气#1真好"),  # a clause of 6 syllables: one phrase
    ("你什么时候有空，我们聊聊。", "时候#1有空"),
    ("卡尔普陪外孙玩滑梯。", "卡尔普#2陪"),  # 9 syllables: the subject is a phrase of its own
])
def test_a_clause_of_up_to_seven_syllables_is_one_prosodic_phrase(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("他的话让在场的每个人都感到非常意外。", "他的话#2让"),  # 的 + 话 'his words', the subject of 让
    ("老师的话你要记住。", "老师的话#2你"),
    ("我记住了老师的话。", "老师的话#4"),
    ("这样的话我们就赢了。", "这样的话#2我们"),  # the conditional particle, on its host
    ("明天要是下雨的话我们就不去了。", "下雨的话#"),
    ("有时间的话我们去看电影。", "有时间#1的话#2我们"),
])
def test_de_hua_is_a_possessive_noun_after_a_pronoun_or_a_subject_noun_and_a_conditional_otherwise(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("奶奶总是把最好吃的留给我。", "把#1最好吃的"),  # the adverb leans on its adjective, not on the preposition
    ("据不完全统计，今年的游客超过了一百万人次。", "据#1不完全"),
    ("会议由副市长主持。", "由#1副市长"),  # an attributive prefix joins its noun
])
def test_a_monosyllabic_modifier_after_a_preposition_joins_what_it_modifies(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_monosyllabic_object_between_two_verbs_joins_the_first(fe):
    assert "推开门#1走了" in marked(fe, "他推开门走了进去。")


@pytest.mark.parametrize(("text", "expect"), [
    ("我从来没有见过这么大的雪。", "这么#1大的雪"),  # a degree adverb, not a pronoun subject
    ("这件事情你千万不要告诉别人。", "千万#1不要"),  # the adverb, not the number
])
def test_degree_and_insisting_adverbs_start_no_phrase_of_their_own(fe, text, expect):
    assert expect in marked(fe, text)


def test_qianwan_is_the_adverb_only_before_what_it_insists_on():
    from sambert_lambda.frontend.pinyin import segment

    def tag(text):
        return next(w.pos for w in segment(text) if w.text == "千万")
    assert tag("你千万别忘了。") == "d"
    assert tag("他有千万家产。") == "m"


@pytest.mark.parametrize(("text", "expect"), [
    ("我的钥匙又找不到了！", "又#1找不到了"),  # 找 + 不到: one prosodic word, the adverb apart
    ("这个箱子我搬不动。", "搬不动#4"),
    ("你怎么还没睡觉啊？", "睡觉啊#4"),  # a final particle the tagger calls a morpheme (啊/zg) leans back
    ("你能不能帮我把这个箱子搬到楼上去？", "楼上去#4"),  # the direction closing a place
    ("他从这家公司辞职以后去了上海。", "以后#2去了"),  # ... not after a time word
])
def test_complements_and_final_particles_join_their_host(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_clause_of_up_to_seven_syllables_has_no_phrase_break_before_a_preposition(fe):
    assert "现在#1在哪儿呢" in marked(fe, "喂，你现在在哪儿呢？")


def test_a_noun_phrase_after_a_relative_clause_is_a_topic_before_the_pronoun(fe):
    assert "那家店#2我" in marked(fe, "你说的那家店我去过，东西挺好吃的。")


@pytest.mark.parametrize(("text", "expect"), [
    ("他从小就对绘画表现出浓厚的兴趣。", "表现出#1浓厚的"),  # a disyllabic verb and its complement
    ("越来越多的企业开始将其应用于日常生产和管理之中。", "应用于#1日常"),
])
def test_a_disyllabic_verb_takes_its_monosyllabic_complement(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_disyllabic_adverb_and_its_verb_stay_in_one_phrase(fe):
    assert "随时#1查询" in marked(fe, "市民可以通过手机应用程序随时查询公交车的实时位置。")


def test_a_clause_initial_adverbial_does_not_close_just_before_its_comma(fe):
    assert "全力#1抢救#3" in marked(fe, "经过医护人员的全力抢救，伤者目前已经脱离了生命危险。")


@pytest.mark.parametrize(("text", "expect"), [
    ("一辆满载货物的大货车在高速公路上发生侧翻。", "货物的#1大货车#2在"),  # 大/n: an adjective
    ("十月份全国居民消费价格同比上涨百分之二点一。", "价格#"),  # 同比/j: an adverb, so the predicate starts there
    ("本次活动旨在提高青少年的安全意识。", "活动#2旨在"),  # a verbal noun heads the subject
])
def test_mistagged_words_take_their_role_in_the_phrase(fe, text, expect):
    out = marked(fe, text)
    assert expect in out
    if "同比" in text:
        assert "价格#1同比" not in out and "同比#2" not in out and "同比#3" not in out


def test_time_words_inside_a_longer_entry_stay_time_words(fe):
    # 今年夏天 is one entry tagged as a name: its pieces are time words, a fronted time adverbial
    assert "夏天#2南方" in marked(fe, "今年夏天南方雨水特别多。")


@pytest.mark.parametrize(("text", "expect"), [
    ("这件事我一点儿也不知道。", "一点儿#1也"),  # 'not even a little': no break before 也/都
    ("他一分钱都没有带。", "一分钱#1都"),
])
def test_no_phrase_break_inside_yi_ye_negation(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_monosyllabic_object_after_verb_and_zhe_joins_them(fe):
    assert "排着队#1走进了" in marked(fe, "小朋友们排着队走进了教室。")


@pytest.mark.parametrize(("text", "expect"), [
    ("这款手机比上一代便宜了五百元。", "比#1上一代#1"),  # 'the previous', a determiner
    ("下一站是人民广场。", "下一站#1"),
])
def test_shang_xia_before_yi_and_a_measure_word_open_a_noun_phrase(fe, text, expect):
    assert expect in marked(fe, text)


def test_a_particle_leans_on_an_english_word(fe):
    assert "App的#1下载量" in marked(fe, "这个App的下载量已经突破了一亿次。")


def test_a_verb_and_a_bare_noun_object_stay_together_before_a_quantity(fe):
    assert "接种#1疫苗" in marked(fe, "截至目前，该市已累计接种疫苗一百二十万剂次。")


@pytest.mark.parametrize(("text", "expect"), [
    ("他默默地点了点头，转身离开了房间。", "点了点头#3"),  # V了V: one prosodic word (点/m whatever the tagger says)
    ("山路弯弯曲曲，一直通向远方。", "山路#1弯弯曲曲#3"),  # AABB of 弯曲: one prosodic word
    ("爷爷奶奶每天早上都去公园散步。", "爷爷#1奶奶#1"),  # two reduplicated nouns: two
    ("爸爸的头发不知不觉中白了许多。", "不知不觉中#"),  # the locative the segmenter glued to 白
])
def test_reduplicated_forms_are_one_prosodic_word(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("昨天晚上我做了一个奇怪的梦。", "一个#1奇怪的梦"),  # 奇怪/v after a number and measure word: an attributive
    ("这次考试他考得非常好。", "考试#2他"),  # a verbal noun as topic
    ("这个问题比我想象的要复杂得多。", "要#1复杂得多#4"),  # the degree complement joins, 要 stands apart
    ("他终于实现了自己多年来的梦想。", "多年来的#1梦想"),  # 'over the years'
    ("明天来我家吃饭。", "明天#1来"),  # ... not after a point in time
    ("虽然外面下着大雨，但是他还是准时到了。", "外面#1下着"),  # the verb 下, not the locative
    ("我把那本书放在桌子上了。", "桌子上了#4"),  # the locative
    ("我还得多练习。", "还得#1多练习"),  # 得 dei3 takes no degree complement
])
def test_complements_and_verbs_the_tagger_confuses(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("这部手机的电池可以用两天。", "这部#1手机的"),  # 这 + 部手机: the measure word goes with the demonstrative
    ("他把所有的时间都花在了学习上。", "都#1花在了"),  # the verb keeps its complement, the adverb stands apart
    ("老人每天清晨都会到公园里打太极拳。", "都会#1到"),  # ... a modal before a preposition does not
])
def test_measure_words_and_verb_complements_the_segmenter_misplaces(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("我听不懂你在说什么。", "听不懂#1你#1在说"),  # the subject of a clause object, before its preposition
    ("那个地方我去过好几次。", "去过#1好几次"),  # 好几: 'quite a few', not a result complement
])
def test_words_that_open_the_next_constituent_stay_out_of_the_verbs_prosodic_word(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("他从来不在别人面前抱怨。", "从来不#1在"),  # a negation leans on what it negates
    ("奶奶的身体一天比一天好了。", "一天#1比#1一天"),  # X 比 X: one comparison
])
def test_no_phrase_break_after_a_negation_or_inside_x_bi_x(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("市场监管部门对这家企业处以罚款。", "企业#2处以"),  # a prepositional phrase of 4+ syllables ends before its verb
    ("价格从五十元涨到了八十元。", "五十元#2涨到了"),
    ("我在图书馆看书。", "图书馆#1看书"),  # ... but for a clause of up to 7 syllables
    ("这项研究成果发表在国际知名期刊上。", "国际#1知名"),  # 在 after a verb is its complement
    ("你怎么又把钥匙弄丢了？", "钥匙#1弄丢了"),  # 把 + its object: no phrase of its own
])
def test_a_prepositional_phrase_ends_a_phrase_before_its_verb(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("志愿者们为老人们带来了温暖。", "为#1老人们"),  # 老 + 人们 -> 老人 + 们
    ("他在晚会上露了一手。", "晚会上#"),  # 上露: a locative glued to the next verb
])
def test_segmenter_cuts_through_a_word_are_repaired(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("奶奶给我织了一件非常暖和的毛衣。", "织了#2一件"),  # a verb before a long quantified object
    ("我刚才在路上遇到了一位多年不见的老朋友。", "遇到了#2一位"),
    ("他买了一本书。", "买了#1一本书"),  # ... not before a short one
    ("爸爸用了整整一个下午才把自行车修好。", "整整#1一个"),  # 整整 is no verb
])
def test_a_verb_before_a_long_quantified_object_ends_a_phrase(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("他一边走一边想，不知不觉就到了家门口。", "一边走#2一边想#3"),  # 一边 takes a verb that closes its half
    ("她一边听音乐一边做饭。", "一边#1听音乐#2"),  # ... not one with an object
])
def test_yibian_takes_a_bare_verb_and_is_never_absorbed(fe, text, expect):
    assert expect in marked(fe, text)


@pytest.mark.parametrize(("text", "expect"), [
    ("该项目预计二零二六年底建成投产。", "二零二六年底#1建成"),  # the end of a year stays with it
    ("这次展览共展出各类文物三百余件。", "三百余件#4"),  # a measure word the tagger calls a morpheme (件/zg)
])
def test_date_and_amount_units_keep_their_last_piece(fe, text, expect):
    assert expect in marked(fe, text)


def test_ruhe_is_an_adverb_not_a_subject(fe):
    assert "如何#1推动" in marked(fe, "与会代表围绕如何推动乡村振兴进行了热烈讨论。")


def test_a_conjunction_glued_to_a_familiar_name_is_split_off(fe):
    assert "小张#1和#1小李#" in marked(fe, "小张和小李是大学同学。")  # the segmenter's 和小李/nr


@pytest.mark.parametrize(("text", "expect"), [
    ("春天来了，小草从地下探出头来。", "探出头来#4"),  # the direction after the verb, its complement and object
    ("这次旅行让我学到了很多书本上学不到的东西。", "让我#1学到了"),  # 让我学/n split; the verb takes its 到
    ("这次旅行让我学到了很多书本上学不到的东西。", "书本上#"),  # 书本 + 上学 + 不到: the locative
    ("小女孩拿着一束鲜花站在门口。", "站在#1门口"),
])
def test_verbs_keep_their_complements_when_the_segmenter_glues_them_elsewhere(fe, text, expect):
    assert expect in marked(fe, text)


def test_shangxue_go_to_school_stays_a_word(fe):
    assert "上学#4" in marked(fe, "我每天骑车上学。")


def test_a_monosyllabic_verb_takes_its_result_complement_away_from_the_adverb(fe):
    assert "就#1写完了" in marked(fe, "他用了十分钟就写完了作业。")


def test_xia_before_a_weekday_is_next(fe):
    assert "推迟到#1下周三#4" in marked(fe, "明天的考试推迟到下周三。")
