"""Prosody breaks #1-#4 from rules over jieba words and POS tags (no prosody labels were used to fit them).

- #1 prosodic words: lexical words grouped so each group has about 2-4 syllables. Particles always, and short
  suffixes, locatives and measure words (k, f, q) join the previous group; a monosyllabic adverb, preposition,
  conjunction or prefix (d, p, c, h) leans on the next word when that is a monosyllable (很差; a preposition
  stands apart from a noun: 对 #1 现场); a monosyllabic verb takes its 在/到/给 (站在); negation leans on its
  verb up to 3 syllables (不知道); two monosyllables join unless the second is such a function word; a monosyllabic
  subject pronoun stands alone (我 #1 想买); an object pronoun joins its verb (not a possessive before 的 nor the
  subject of a clause object: 连接 #1 你的, 请问 #1 你是); the imperative 别 is an adverb (别 #1 客气, 别 #1 着急);
  a monosyllabic noun joins a group
  ending in 的/地/得. A number with its measure word or unit is one group. Words longer than 4 syllables are split into
  the common sub-words that tile them best (马克思 #1 主义), 4-character ones of two common words 2+2 (中华 #1 民族).
  English words stand alone.
- #2 phrases (read speech: about 3-9 syllables): before a conjunction, or a preposition that opens a phrase, once
  the current phrase has ≥ 3 syllables (我刚才 #2 在路上); at a subject/predicate boundary (nominal -> verbal) once
  the phrase has ≥ 5 syllables, or ≥ 3 when everything so far is nominal (卡尔普 #2 陪外孙), time words of the
  subject included (妈妈每天早上 #2 都会), but not after a bare time word, a lone pronoun, a preposition's object, or
  before an attributive; after a topic before a pronoun subject (这本书 #2 我), a reporting verb, a fronted time
  adverbial before a subject, a locative closing a prepositional adverbial, a temporal locative (期间, 以来); before
  the second 一边; a phrase longer than 12 syllables is split at its best boundary (the end of a prepositional
  phrase, then a predicate start or a verb before a long object, never inside a noun phrase or number, nearest the
  middle); a phrase of one or two
  syllables that punctuation does not close loses its weaker #2 and joins a neighbour (八点 #1 开始).
- #3 at punctuation by kind and length (see ``_punct_break``); without punctuation before a clause conjunction
  after a long clause (... 的书 #3 但是 ...) and after a conditional clause closed by 的话; in a stretch of more than
  16 syllables at a clause boundary: the end of a long clause-initial adverbial or temporal clause (随着经济的快速发展
  #3 ..., 在过去的几年里 #3 ..., 这位老人退休以后 #3 ...) or an adverb opening a later predicate (... 十年 #3 终于
  ...); inside stretches still longer than 20 syllables at the strongest #2 boundary.
- #4 at the end of the sentence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sambert_lambda.frontend.pinyin import MEASURE_WORDS, Word
from sambert_lambda.frontend.tn.english import ADDRESS_WORDS

_BACK_POS = ("u", "y", "e", "k", "f", "q")
_FORWARD_POS = ("d", "p", "c", "h")
_DE = frozenset("的地得")
_NOMINAL = ("n", "t", "r", "m", "q", "f", "s")
_NP_POS = ("n", "t", "m", "q", "f", "s", "b", "a", "r")  # inside a noun phrase no length break falls between these
_TIME_CLOSERS = ("期间", "以来", "之后", "以后", "之前", "以前", "之际", "的时候")
_TIME_UNITS = frozenset("天年月周日")
# nouns the segmenter's dictionary tags as verbs (科学文化 #1 知识, 文化需求 #3 市图书馆)
_VERB_TAGGED_NOUNS = frozenset(
    "知识 需求 作用 行为 位置 考生 对手 选手 做法 说法 想法 看法 通道 手续 生意 警察 预算 收入".split()
)
# tags the segmenter gets wrong for these rules: adverbs it tags as time words, numerals, pronouns or attributives;
# time words it tags as pronouns; 前来 (a verb, tagged a time word), the nouns above, the adjective 新, the adverb 总
_TAG_FIXES = {"正在": "d", "一起": "d", "主要": "d", "怎么": "d", "为什么": "d", "怎样": "d", "怎么样": "d",
              "每天": "t", "每年": "t", "每周": "t", "每月": "t", "每晚": "t", "每次": "t",
              "前来": "v", "新": "a", "总": "d", "这么": "d", "多么": "d", "大": "a", "小": "a", "同比": "d", "环比": "d",
              "如何": "d", **dict.fromkeys(_VERB_TAGGED_NOUNS, "n")}
_VERBAL = ("v", "a", "d", "p")
_MAX_PW = 4
_PIVOT = frozenset("请让叫使令帮教求派催劝逼陪带给要")  # verbs whose object is the subject of the next verb (请你吃饭)
_PERSONAL = frozenset("我你您他她它咱")  # a monosyllabic subject pronoun is a prosodic word of its own
_MONO_ADVERBS = frozenset("不没最很更太挺真先再又就都也还才")  # whatever the tagger calls them (最/a, 不/v)
_NEGATION = frozenset("不没")  # negation leans on its verb, also a disyllabic one (不知道); imperative 别 does not
_POTENTIAL_RESULTS = frozenset("到了动住开完懂见着起下上出进来去清透成走")  # 找不到, 来不了, 搬不动, 记不住 ...
_TIME_POINTS = frozenset("今年 明年 去年 前年 后年 每年 当年 今天 明天 昨天 前天 后天 每天 当天 今日 明日 昨日 "
                         "每日 当日 本月 下月 上月 每月 当月".split())
_FINAL_PARTICLES = frozenset("啊呀吗呢吧啦嘛哦哇喽呗")  # sentence-final particles, whatever the tagger calls them
_ENGLISH_PARTICLES = _DE | _FINAL_PARTICLES | {"了"}  # what leans on an English word: App的, OK吗
_DEMONSTRATIVES = frozenset("这那哪每该各此本")
_PLURAL_PRONOUNS = frozenset("我们 你们 他们 她们 咱们".split())
_WEEKDAYS = frozenset("一二三四五六日天")
_GROUP_NOUNS = frozenset("队班组家校厂村")  # a group a plural pronoun names: 我们队, 你们班
_SUFFIX_NOUNS = frozenset("人员者家队部馆站市省县区界性式化率量费业型类局厅院厂店场楼路街村镇语族")
_SHORT_CLAUSE_PP = 7  # a clause of at most this many syllables is one prosodic phrase (今天运气 #1 真好，)
_COPULA_REST = 7  # syllables from 是 on that a short subject needs before it to be a phrase of its own
_CAUSATIVES = frozenset("让 使 令 使得".split())  # 让 + its object + a predicate: one phrase (让居民的生活 #1 更加方便)
_VERB_COMPLEMENT_PREPS = frozenset("在到给向往于")
_MODALS = frozenset("要会能想可该得敢肯愿")  # before a preposition, not a verb taking its complement (都会 #1 到公园里)
_RESULT_COMPLEMENTS = frozenset("完好到掉住懂见光透错成走满够遍出起于")  # 整理完, 准备好, 认识到, 表现出, 应用于
# what a monosyllabic verb takes back from the word it had joined (就做 + 完 -> 就 #1 做完, 让我学 + 到)
_SPLIT_COMPLEMENTS = (_RESULT_COMPLEMENTS - frozenset("出起于好")) | frozenset("到在")
_CLITIC_MAX = 2  # a monosyllabic adverb/preposition/conjunction leans on a monosyllabic host only (很差, 在家)
_VO_SINCE = 4  # syllables before a verb that a long quantified object after it splits from
_VO_OBJECT = 5  # ... syllables of that object after its number and measure word
_LIGHT_VERBS = frozenset("进行 加以 予以 给予 作出 做出 展开".split())  # 对 X 进行 Y: one phrase with its PP
_PP_END = 4  # syllables of a prepositional phrase that end a phrase before its verb
_PP_MAX = 12  # a prosodic phrase longer than this is split at its best boundary
_PP_MIN = 3  # a prosodic phrase shorter than this (not closed by punctuation) is merged with a neighbour
_PP_MERGED_MAX = _PP_MAX  # ... when the merged phrase is not one that would be split again
_IP_MAX = 20  # an unpunctuated stretch longer than this gets an intonational break (#3) at its strongest boundary
_IP_CLAUSE = 16  # ... and one longer than this, at a clause boundary (strength _CLAUSE_STRENGTH) if it has one
_IP_SIDE = 6  # syllables each side of an intonational break placed without punctuation
_ADVERBIAL_LONG = 7  # syllables of a clause-initial adverbial (or temporal clause) long enough to be a clause
_CLAUSE_STRENGTH = 4  # a clause-level boundary: a clause conjunction, the end of a clause-initial adverbial
_REPORT_VERBS = frozenset("显示 表示 认为 指出 强调 介绍 透露 称 说 发现 相信 觉得 希望 证明 表明 建议 知道 看来".split())
_CLAUSE_CONJ = frozenset(
    "但是 可是 但 所以 因为 因此 而且 并且 如果 要是 然后 于是 否则 不然 因而 从而 虽然 尽管 即使 "
    "同时 而 而是 不过 只要 除非 无论 不管 既然 甚至 以便 以免 何况 况且 由于".split()
)
# prepositions whose adverbial, at the start of a clause, ends where its noun phrase does (随着经济的快速发展 | ...)
_ADVERBIAL_PREPS = frozenset("随着 对于 关于 为了 通过 经过 根据 据 针对 面对 凭借 按照 依据 除了".split())
_NO_PP_END = frozenset("把 将 被 让 叫 给 比".split()) | _ADVERBIAL_PREPS  # 把钥匙 #1 弄丢了: no phrase of their own
_SOURCE_HEADS = frozenset("预测 报道 统计 估计 调查 介绍 了解 消息 分析".split())  # 据/根据 ... 预测 | ...
_LOCATIVE_PREPS = frozenset("在 当 从 自从 于".split())  # ... and those a locative closes (在过去的几年里 | ...)
_CLAUSE_ADVERBS = frozenset("最终 终于 随后 随即 此后 从此 预计 至今".split())  # open a later predicate
_CLAUSE_MIN = 8  # syllables of a clause before (and, less 2, after) a clause-level conjunction that starts a new one
_SHORT_CLAUSE = 2  # a comma closing a clause of at most this many syllables is a phrase break (#2)
_DISCOURSE_MAX = 4  # ... and one closing a single discourse word of at most this many (说实话，与此同时，)
PAUSE_CHARS = frozenset("，、；：,;:—…！？!?。.．（）()[]【】『』")


def is_pause(w: Word) -> bool:
    return w.kind == "punct" and any(c in PAUSE_CHARS for c in w.text)


@dataclass
class ProsodicWord:
    words: list[Word] = field(default_factory=list)
    brk: int = 1
    joins_next: bool = False

    @property
    def n_syl(self) -> int:
        return sum(syllable_count(w) for w in self.words)


def syllable_count(w: Word) -> int:
    if w.kind == "zh":
        return sum(1 for p in w.pinyin if p != "?")
    if w.kind == "en":
        from sambert_lambda.frontend.english import word_syllables

        return max(1, len(word_syllables(w.text)))
    return 0


def _split_long(w: Word) -> list[Word]:
    """A Chinese word of more than 4 syllables -> chunks of 2-4 characters: the common sub-words that tile it best
    (马克思 + 主义, not 马克 + 思主义), the rest in pairs."""
    if w.kind != "zh" or len(w.pinyin) != len(w.text):
        return [w]
    if len(w.text) == 3 and w.text[0] == "别":
        return _split_imperative(w)
    if len(w.text) < _MAX_PW:
        return [w]
    if len(w.text) == _MAX_PW:
        return _split_compound(w)
    from sambert_lambda.frontend.pinyin import subword_spans

    cuts = {0, len(w.text)}
    for a, b in subword_spans(w.text, _MAX_PW):
        cuts.update((a, b))
    points = sorted(cuts)
    pieces: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(points):
        while b - a > _MAX_PW:
            pieces.append((a, a + 2))
            a += 2
        pieces.append((a, b))
    merged: list[tuple[int, int]] = []
    for a, b in pieces:  # never leave a single character alone if it can join its left neighbour
        if merged and (b - a == 1 or merged[-1][1] - merged[-1][0] == 1) and b - merged[-1][0] <= 3:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [_piece(w, a, b) for a, b in merged]


def _piece(w: Word, a: int, b: int) -> Word:
    """Characters a..b of a word whose readings are one per character. A piece of a fixed phrase (jieba's ``l``:
    持续上升, 粮食产量) takes its own dictionary tag, so 持续 + 上升 starts a predicate; a piece of another word
    (an idiom, a name) only when it is a time word (每天晚上/i -> 每天 + 晚上, a time adverbial; 今年夏天/nr -> 今年 +
    夏天; 今天天气 keeps its tag)."""
    pos = w.pos
    if w.kind == "zh" and b - a < len(w.text):
        from sambert_lambda.frontend.pinyin import word_tag

        tag = word_tag(w.text[a:b], pos or "x")
        pos = tag if pos == "l" or tag.startswith("t") else pos
    return Word(w.text[a:b], pos, w.kind, w.pinyin[a:b], None if w.lexical is None else w.lexical[a:b], w.unit)


def _split_imperative(w: Word) -> list[Word]:
    """A 3-character entry made of the imperative 别 and a common word (别着急, 别生气, 别老是) is that adverb and
    the word, as 别 + 客气 is: 别 #1 着急."""
    from sambert_lambda.frontend.pinyin import word_freq, word_tag

    if word_freq(w.text[1:]) < 100:
        return [w]
    head, rest = _piece(w, 0, 1), _piece(w, 1, 3)
    head.pos, rest.pos = "d", word_tag(rest.text, w.pos)
    return [head, rest]


def _split_compound(w: Word) -> list[Word]:
    """A 4-character entry made of two common 2-character words (今天天气 = 今天 + 天气) is two prosodic words;
    idioms, whose halves are rare on their own (一心一意), stay whole."""
    from sambert_lambda.frontend.pinyin import word_freq

    if w.text[0] == "第" or w.text[0] in _NUM:  # an ordinal or numeral phrase: 第三季度
        return [w]
    if w.text[0] == w.text[1] and w.text[2] == w.text[3] and word_freq(w.text[0] + w.text[2]) >= _HALF_FREQ:
        return [w]  # the reduplicated form AABB of a word AB: 弯弯曲曲, 高高兴兴 (not 爷爷 + 奶奶)
    whole, left, right = word_freq(w.text), word_freq(w.text[:2]), word_freq(w.text[2:])
    halves = min(left, right)
    if halves >= _HALF_FREQ and halves * 10 > whole and ((w.pos or "x")[:1] != "i" or whole < _IDIOM_FREQ):
        return [_piece(w, 0, 2), _piece(w, 2, 4)]
    return [w]


_HALF_FREQ = 30  # both halves of a 4-character word at least this common on their own: two prosodic words
_IDIOM_FREQ = 50  # ... an idiom only when it is rarer than this itself (防寒 #1 保暖, not 实事求是)
_NUM = frozenset("零〇一二两三四五六七八九十百千万亿幺负点")
_NUM_CORE = _NUM - {"点", "负"}
_CLOSERS = frozenset("年月日号分秒元角楼层室栋届")  # a date, time, amount or address component ends here
_UNIT_WORDS = frozenset(
    "美元 欧元 日元 英镑 港元 澳元 韩元 人民币 元 块 公里 千米 公斤 千克 平方米 立方米 厘米 毫米 米 克 吨 "
    "小时 分钟 秒钟 岁 倍 度 摄氏度 个 次 页 天 周 年 月 号 日 分 人 楼 层 室 栋 届".split()
)
_AFTER_HAO = frozenset("楼线门床厅馆")  # what a number closed by 号 still takes: 五号楼, 二号线


def _numeric(w: Word) -> bool:
    t = w.text
    return (w.kind == "zh" and len(w.pinyin) == len(t) and any(c in _NUM_CORE for c in t) and w.pos != "d"
            and all(c in _NUM or c in _CLOSERS for c in t) and t[0] in _NUM)


def _number_with_unit(w: Word) -> bool:
    """A numeral the segmenter glued to its measure word or unit (三十四个, 四十分钟, 八公里, 百分之十五)."""
    t = w.text
    return (w.kind == "zh" and _pos(w)[:1] == "m" and len(w.pinyin) == len(t) and len(t) >= 2
            and t[0] in _NUM and any(c in _NUM_CORE for c in t[:2]))


def merge_numbers(words: list[Word]) -> list[Word]:
    """Consecutive number words become one unit word (二零二 + 四年 -> 二零二四年; 九 + 十九点九 + 九 + 美元 ->
    九十九点九九美元): a date, time or amount component closes at 年/月/日/号/分/秒/元/角 (and the hour of a time at
    点, as ttsfrd reads 九点 #1 三十分), and a bare number takes one following unit word. Such a word is never split, and no break above #1 falls between components."""
    out: list[Word] = []
    for k, w in enumerate(words):
        last = out[-1] if out else None
        nxt = words[k + 1] if k + 1 < len(words) else None
        if w.kind == "zh" and len(w.text) >= 2 and w.text[-1] == "比" and all(c in _NUM for c in w.text[:-1]) \
                and nxt is not None and _numeric(nxt) and len(w.pinyin) == len(w.text):
            w = Word(w.text, "m", "zh", w.pinyin, w.lexical, unit=True)  # 三比 + 二: a score, 三比二
        elif w.text == "比" and last is not None and last.unit and _numeric(last) and nxt is not None \
                and _numeric(nxt):
            out[-1] = _joined_unit(last, w)
            continue
        if last is not None and last.unit and w.kind == "zh" and (
                (last.text[-1] == "号" and w.text in _AFTER_HAO) or (last.text[-1] == "次" and w.text == "方")):
            # 五号楼, 二号线; 十次 + 方: 十次方
            out[-1] = _joined_unit(last, w)
            continue
        if (last is not None and last.unit and last.text[-1] in _NUM and w.kind == "zh"
                and len(w.text) > 1 and w.text[0] in _CLOSERS and len(w.pinyin) == len(w.text)):
            # 五 + 日前 -> 五日 + 前: the segmenter glued the closer of a date to the next word
            lex = w.lexical
            out[-1] = Word(last.text + w.text[0], "m", "zh", last.pinyin + w.pinyin[:1],
                           None if last.lexical is None or lex is None else last.lexical + lex[:1], unit=True)
            rest = w.text[1:]
            out.append(Word(rest, "f" if rest in ("前", "后", "内", "间", "底", "初") else w.pos, "zh", w.pinyin[1:],
                            None if lex is None else lex[1:]))
            continue
        if (last is not None and last.unit and _numeric(w) and
                ((last.text[-1] == "元" and w.text[-1] in "角分") or (last.text[-1] == "角" and w.text[-1] == "分"))):
            out[-1] = _joined_unit(last, w)
            continue
        if last is not None and last.unit and last.text[-1] not in _CLOSERS and last.text[-1] not in _AFTER_HAO and not (
                last.text[-1] == "点" and w.text[-1:] in ("分", "秒")):  # 九点 | 三十分: hour and minutes
            if (_numeric(w) or _number_with_unit(w) or w.text in _UNIT_WORDS
                    or (w.kind == "zh" and (w.pos[:1] == "q" or w.text in MEASURE_WORDS) and len(w.text) <= 2)):
                out[-1] = _joined_unit(last, w)
                continue
        if _numeric(w) or _number_with_unit(w):
            w = Word(w.text, "m", "zh", w.pinyin, w.lexical, unit=True)
        out.append(w)
    return out


def _joined_unit(last: Word, w: Word) -> Word:
    """One unit word of a number word and what it takes after it (三 + 公里, 五号 + 楼, 三比 + 二)."""
    return Word(last.text + w.text, "m", "zh", last.pinyin + w.pinyin, _cat(last.lexical, w), unit=True)


def _cat(lexical: list[str] | None, w: Word) -> list[str] | None:
    return None if lexical is None or w.lexical is None else lexical + w.lexical


_DIGIT_GROUPS = {6: [3, 3], 7: [3, 4], 8: [4, 4], 9: [3, 3, 3], 10: [3, 3, 4], 11: [3, 4, 4], 12: [4, 4, 4]}


def _split_digits(w: Word) -> list[Word]:
    """A long string of digits read one by one (a phone, postcode or ID number) is grouped as such numbers are
    written: 3-3 (a postcode), 3-4 and 4-4 (local numbers), 3-3-4 (400 and 800 hotlines), 3-4-4 (a mobile or an
    area code and a local number), 4-4-4, then fours."""
    n = len(w.text)
    if n <= 5 or any(c in "十百千万亿点" for c in w.text) or len(w.pinyin) != n:
        return [w]
    sizes = _DIGIT_GROUPS.get(n) or [4] * (n // 4) + ([n % 4] if n % 4 else [])
    if sizes[-1] == 1:
        sizes[-2:] = [sizes[-2] + 1]
    out, a = [], 0
    for size in sizes:
        lex = w.lexical[a:a + size] if w.lexical is not None else None
        out.append(Word(w.text[a:a + size], "m", "zh", w.pinyin[a:a + size], lex, unit=True))
        a += size
    return out


def group(words: list[Word]) -> list[ProsodicWord]:
    """One sentence's words -> prosodic words with break levels. Punctuation words ride on the group before them."""
    pws: list[ProsodicWord] = []
    chunk_start = 0  # index in pws where the current intonational phrase starts
    flat = [w for w0 in merge_numbers(words) for w in (_split_digits(w0) if w0.unit else _split_long(w0))]
    _verbal_heads(flat)
    _address_units(flat)
    for k, w in enumerate(flat):
        _place(w, pws, chunk_start, flat[k + 1] if k + 1 < len(flat) else None)
        if is_pause(w) and pws:
            chunk_start = len(pws)
    _assign_breaks(pws)
    return pws


def _address_units(words: list[Word]) -> None:
    """A spoken web or mail address (HTTPS 冒号 斜杠 斜杠 example 点 com, abc 下划线 一二三 艾特 qq 点 com: Latin words,
    the spoken symbols between them and the digits after a symbol) is one normalized span: its words are units, so
    no break above #1 falls inside it."""
    k = 0
    while k < len(words):
        j = k
        while j < len(words) and (words[j].kind == "en" or words[j].text in ADDRESS_WORDS or (
                j > k and words[j - 1].text in ADDRESS_WORDS and words[j].kind == "zh"
                and all(c in _NUM for c in words[j].text))):
            j += 1
        run = words[k:j]
        symbols = [w for w in run if w.text in ADDRESS_WORDS]
        if any(w.kind == "en" for w in run) and len(symbols) >= 2 and any(w.text != "点" for w in symbols):
            for w in run:
                w.unit = w.address = True
        k = max(j, k + 1)


def _verbal_heads(words: list[Word]) -> None:
    """A verb of two or more syllables right after 的 heads its noun phrase (每一个人的 #1 选择, 技术的应用 #2 将会
    ...): it is tagged a noun for the phrase rules, but for 是/有 (他说的 #2 是 ...) and a verb with its aspect
    particle (的 + 发生了)."""
    for k in range(1, len(words)):
        w, nxt = words[k], words[k + 1] if k + 1 < len(words) else None
        if (words[k - 1].text == "的" and w.kind == "zh" and (w.pos or "x").startswith("v") and len(w.text) >= 2
                and w.text not in ("是", "有") and not (nxt is not None and nxt.text in ("了", "着", "过"))):
            w.pos = "n"


def _place(w: Word, pws: list[ProsodicWord], chunk_start: int, nxt: Word | None = None) -> None:
    cur = pws[-1] if len(pws) > chunk_start else None
    s = syllable_count(w)
    if s == 0:
        if pws:
            pws[-1].words.append(w)
            pws[-1].joins_next = False
        else:
            pws.append(ProsodicWord([w]))
        return
    if w.kind == "en" or (cur is not None and any(x.kind == "en" for x in cur.words)):
        if cur is not None and w.kind == "zh" and s == 1 and w.text in _ENGLISH_PARTICLES:
            cur.words.append(w)  # a particle leans on an English word too: App的, OK吗
            return
        pws.append(ProsodicWord([w]))
        return
    pos = "d" if w.text == "别" else (w.pos or "x")  # the imperative adverb, whatever the tagger says (别 #1 客气)
    if w.text in ("上", "下") and nxt is not None and _next_one(nxt):
        pos = "r"  # 'the previous / the next', a determiner (比 #1 上一代), not a locative leaning back
    elif w.text in ("上", "下") and nxt is not None and (nxt.text == "着" or (nxt.text in ("了", "过") and not (
            cur is not None and _pos(cur.words[-1]).startswith(("n", "s", "r"))))):
        pos = "v"  # the verb with its aspect: 外面 #1 下着大雨
    elif w.text in _FINAL_PARTICLES and (nxt is None or is_pause(nxt)):
        pos = "y"  # a sentence-final particle, whatever the tagger says (睡觉啊/zg)
    if w.text == "等" and nxt is not None and nxt.text[:1] in _PERSONAL:
        pos = "v"  # the verb 'wait' before its object (在门口 #1 等你), not the particle 'and so on'
    if cur is not None:
        n = cur.n_syl
        last = cur.words[-1]
        if s == 1 and _pos(last).startswith("r") and len(cur.words) == 1 and (
                w.text in "俩仨" or (w.text in _GROUP_NOUNS and last.text in _PLURAL_PRONOUNS)
                or (w.text == "家" and last.text in _PERSONAL)):
            cur.words.append(w)  # 他们俩, 咱俩, 我们队, 你们班, 我家: the group the pronoun names
            cur.joins_next = False
            return
        if len(cur.words) == 1 and last.text in ("每周", "周", "星期", "每星期", "礼拜") and w.text in _WEEKDAYS:
            cur.words.append(w)  # the day of the week: 每周一 #1 闭馆
            return
        if len(cur.words) == 1 and last.text in "这那哪每" and len(w.text) == 2 and w.text[0] in MEASURE_WORDS \
                and w.kind == "zh" and s == 2:
            cur.words.append(w)  # 这 + 本书 (the segmenter's measure word and noun): 这本书
            return
        if len(cur.words) == 2 and syllable_count(cur.words[0]) == 1 and last.text in ("了", "一") \
                and w.kind == "zh" and w.text[0] == cur.words[0].text and n + s <= _MAX_PW:
            cur.words.append(w)  # a reduplicated verb: 点了点头, 看了看表, 想一想
            return
        if len(cur.words) == 1 and last.text in ("一边", "一面") and s == 1 and pos.startswith("v") and (
                nxt is None or is_pause(nxt) or nxt.text in ("一边", "一面")):
            cur.words.append(w)  # 一边走 #2 一边想 (but 一边 #1 听音乐)
            return
        if len(cur.words) == 1 and last.text in ("上", "下") and _next_one(w):
            cur.words.append(w)  # 上一代, 下一站
            return
        if len(cur.words) == 1 and last.text in "这那每" and w.unit and n + s <= _MAX_PW:
            cur.words.append(w)  # a demonstrative and the number it determines: 每一个人, 这三个人, 那两本
            return
        if cur.joins_next and (n + s <= _CLITIC_MAX or (cur.words[-1].text in _NEGATION and n + s <= 3)) \
                and not _opens_determiner(w, nxt) and not _modifies_next(w, nxt) and not _potential(w, nxt) \
                and not (s == 1 and _pos(w).startswith("v") and w.text not in _MODALS and nxt is not None
                         and nxt.text in _VERB_COMPLEMENT_PREPS) \
                and not (_pos(last).startswith("p") and s == 1 and (pos.startswith("d") or w.text in _MONO_ADVERBS)
                         and nxt is not None and _pos(nxt).startswith(("v", "a", "d"))):  # 把 #1 最好吃的, 据 #1 不完全
            cur.words.append(w)  # 很差, 不知道; not 在 + 这所学校
            cur.joins_next = s == 1 and pos.startswith(_FORWARD_POS) and n + s < _MAX_PW
            return
        if (s == 1 and w.text in _VERB_COMPLEMENT_PREPS and n == 1 and len(cur.words) == 1
                and _pos(cur.words[0]).startswith("v") and not cur.joins_next):
            cur.words.append(w)  # a monosyllabic verb and the preposition of its complement: 站在 #1 门口, 住在
            return
        if (s == 1 and w.text in _SPLIT_COMPLEMENTS and len(cur.words) > 1 and syllable_count(last) == 1
                and _pos(last).startswith("v") and last.text not in _MODALS and not cur.joins_next):
            _regroup(pws, len(cur.words) - 1, w)  # ... also when the verb had joined a word before it:
            return  # 让我学 + 到 -> 让我 #1 学到了, 就做 + 完 -> 就 #1 做完了
        if (s == 1 and w.text in _RESULT_COMPLEMENTS and n == 2 and len(cur.words) == 1
                and not (w.text == "好" and nxt is not None and nxt.text[:1] in "几多一两些久长")  # 去过 #1 好几次
                and (_pos(cur.words[0]).startswith("v") or (w.text == "完" and _pos(cur.words[0]).startswith("n")))
                and not cur.joins_next):
            cur.words.append(w)  # a disyllabic verb and its result complement: 整理完 (整理 tagged a noun), 准备好
            return
        if s == 1 and w.text in "底初末" and last.unit and last.text[-1:] in "年月":
            cur.words.append(w)  # the end or start of a year or month: 二零二六年底, 三月初
            return
        if w.text == "的话" and n + s <= _MAX_PW:
            cur.words.append(w)  # the conditional particle leans on a short host too: 不去的话, 这样的话
            return
        if _potential(last, w) and len(cur.words) == 1 and n + s <= _MAX_PW:
            cur.words.append(w)  # a verb and its potential complement: 找不到, 搬不动, 拿得动
            return
        if s == 1 and w.text in ("来", "去") and n + s <= _MAX_PW and (
                (_pos(last).startswith(("f", "s")) and not last.text.endswith(("前", "后"))
                 and (nxt is None or is_pause(nxt) or nxt.text == "了"))
                or ((nxt is None or is_pause(nxt)) and len(cur.words) > 1
                    and any(x.text[0] in "出起进回" for x in cur.words[1:]))):
            cur.words.append(w)  # the direction closing a place (搬到 #1 楼上去) or a verb with its complement and
            return  # object (探出头来, 抬起头来)
        degree = last.text == "得" and last.pinyin == ["de5"] and (
            w.text == "多" or (w.text == "很" and (nxt is None or is_pause(nxt))))
        if s == 1 and (degree or (w.text == "来" and _duration(last))) \
                and (n + s <= _MAX_PW or (len(cur.words) > 2 and syllable_count(cur.words[0]) == 1)):
            # a degree complement (复杂得多, 好得很) or 'since' after a span (多年来, 近年来); a leading one-syllable
            # word that the complement would push over four syllables stands apart (要 #1 复杂得多)
            if n + s > _MAX_PW:
                _regroup(pws, 1, w)
            else:
                cur.words.append(w)
            return
        if s == 1 and pos.startswith(_BACK_POS) and (n + s <= _MAX_PW + 1 or pos.startswith(("u", "y", "e"))):
            cur.words.append(w)  # a particle always leans on what precedes it, a measure word or locative if short
            return
        # a personal pronoun as subject stands alone (我 #1 马上, 我 #1 想), but for the copula (我是); a
        # demonstrative joins its noun (该公司, 这道题)
        subject_pronoun = cur.words[0].text in _PERSONAL and not w.unit and w.text != "是"
        if n == 1 and n + s <= 3 and not (s == 1 and pos.startswith(_FORWARD_POS)) and not subject_pronoun and not w.unit \
                and w.text not in ("一边", "一面") \
                and not last.address \
                and not cur.joins_next and w.text not in _CLAUSE_CONJ and not _determiner([w], nxt) \
                and not _opens_determiner(w, nxt) and not _modifies_next(w, nxt) \
                and not (last.text in _REPORT_VERBS and _time_word(w)):
            cur.words.append(w)
            cur.joins_next = s == 1 and pos.startswith(_FORWARD_POS)
            return
        if n == 1 and s == 3 and len(cur.words) == 1 and _modifies_next(last, w):
            cur.words.append(w)  # 老 + 艺术家
            return
        if s == 1 and len(cur.words) == 1 and last.unit and last.text[-1] in MEASURE_WORDS and n <= 3 \
                and pos.startswith("n") and w.kind == "zh":
            cur.words.append(w)  # a number, its measure word and a one-syllable noun: 一句话, 两杯水
            return
        if s == 1 and pos.startswith("r") and (cur.words[-1].pos or "x").startswith("v") and n + s <= _MAX_PW \
                and not _clause_subject(cur.words[-1], nxt) and not _opens_determiner(w, nxt):
            cur.words.append(w)  # object pronoun after its verb
            return
        if s == 1 and pos.startswith("n") and n + s <= _MAX_PW and (_pos(last).startswith("v") or (
                len(cur.words) == 2 and last.text in ("着", "了") and _pos(cur.words[0]).startswith("v"))) \
                and (nxt is None or is_pause(nxt) or syllable_count(nxt) == 0
                     or (n == 2 and _pos(nxt).startswith("v"))):
            # a one-syllable object closing the clause, or before the next verb of a series, joins its verb:
            # 睡不着觉, 喜欢猫, 推开门 #1 走了, 排着队 #1 走进了
            cur.words.append(w)
            return
        if s == 1 and last.text in _DE and pos.startswith("n") and n + s <= _MAX_PW and not _modifies_next(w, nxt):
            cur.words.append(w)
            return
        if s == 1 and w.text in _SUFFIX_NOUNS and _pos(last).startswith(("n", "s")) and n == 2:
            cur.words.append(w)  # a one-syllable head that works as a suffix: 北京人, 中国队, 博物馆
            return
        if s == 1 and n == 2 and _determiner(cur.words, w):
            cur.words.append(w)  # demonstrative + measure word + a one-syllable noun: 这瓶水, 那本书, 这个月
            if w.text in _TIME_UNITS:
                w.pos = "t"  # 这个月, 每个星期 ... are time words (这个月 #2 我们 ...), whatever the tagger said of 月
            return
    pws.append(ProsodicWord([w], joins_next=s == 1 and pos.startswith(_FORWARD_POS)))


def _regroup(pws: list[ProsodicWord], keep: int, w: Word) -> None:
    """The last prosodic word keeps its first ``keep`` words; the rest and ``w`` become a new one."""
    words = pws[-1].words
    pws[-1] = ProsodicWord(words[:keep])
    pws.append(ProsodicWord([*words[keep:], w]))


def _potential(verb: Word, w: Word | None) -> bool:
    """``w`` is the potential complement (不/得 + a result or direction) of the monosyllabic verb ``verb``, which the
    segmenter cut apart: 找 + 不到, 搬 + 不动, 拿 + 得 + 动 is not (得 alone)."""
    return (w is not None and syllable_count(verb) == 1 and _pos(verb).startswith("v") and w.kind == "zh"
            and len(w.text) == 2 and w.text[0] in "不得" and w.text[1] in _POTENTIAL_RESULTS)


def _is_determiner(words: list[Word]) -> bool:
    """``words`` are a demonstrative with its measure word: 这个, 那本, 每个 as one word; 这 + 座, 那 + 所 as two."""
    items = [w for w in words if syllable_count(w) > 0]
    text = "".join(w.text for w in items)
    if len(text) != 2 or text[0] not in _DEMONSTRATIVES or not all(w.kind == "zh" for w in items):
        return False
    return len(items) == 1 or items[1].text in MEASURE_WORDS or _pos(items[1]).startswith("q")


def _determiner(words: list[Word], nxt: Word | None) -> bool:
    """``words`` are a determiner (:func:`_is_determiner`) of the one-syllable noun after it, which the tagger may
    call a numeral (这个 + 月/m): they are one prosodic word (这个月, 那本书, 这座桥), and a monosyllabic verb before
    them stands apart (说 #1 这个月的), where it would take the pronoun 这个 alone (要这个)."""
    return (_is_determiner(words) and nxt is not None and nxt.kind == "zh" and not nxt.unit
            and syllable_count(nxt) == 1 and _pos(nxt).startswith(("n", "m")))


def _duration(w: Word) -> bool:
    """A span of time that 来 after it makes 'over the last ...': 多年, 近年, 三年, 这些年, 连日 (not 今年, 明天)."""
    t = w.text
    return w.kind == "zh" and len(t) >= 2 and t[-1] in "年日天月" and t not in _TIME_POINTS and (
        t[:-1] in ("多", "近", "连", "这些", "这几", "近些", "几", "一", "两", "半") or all(c in _NUM for c in t[:-1]))


def _next_one(w: Word) -> bool:
    """``w`` is 一 and a measure word (一代, 一站, 一次) or a week or weekday (周三, 星期), which 上/下 before it makes
    'the previous / the next'."""
    if w.kind == "zh" and ((w.text.startswith(("周", "星期", "礼拜")) and w.text[-1:] in _WEEKDAYS) or w.text in ("周", "星期")):
        return True  # 下 + 周三, 上 + 星期: 'next / last week'
    return w.kind == "zh" and len(w.text) == 2 and w.text[0] == "一" and (
        w.text[1] in MEASURE_WORDS or w.text[1] in "代站天年周届任轮期批")


def _opens_determiner(w: Word, nxt: Word | None) -> bool:
    """A one-character demonstrative before its measure word or numeral (这 + 所, 那 + 座, 这 + 一), or a literary
    one before its noun (该 + 项目, 本 + 周末): the start of a noun phrase, which a preposition or verb before it does
    not absorb (在 #1 这所 #1 学校, 了解到 #1 这一 #1 消息, 了解 #1 该项目, 影响 #1 本周末)."""
    if w.text in ("上", "下") and nxt is not None and _next_one(nxt):
        return True  # 上 + 一代, 下 + 一站: 'the previous / the next'
    if w.text not in _DEMONSTRATIVES or nxt is None or nxt.kind != "zh":
        return False
    return (nxt.text in MEASURE_WORDS or _pos(nxt).startswith(("q", "m")) or nxt.unit
            or (w.text in "该此本各" and _pos(nxt).startswith(("n", "t")))  # 该 + 项目, 本 + 周末
            or (w.text in "这那哪每" and len(nxt.text) == 2 and nxt.text[0] in MEASURE_WORDS))  # 这 + 本书


def _modifies_next(w: Word, nxt: Word | None) -> bool:
    """A one-syllable adjective or attributive before a noun of up to three syllables modifies it and belongs with it
    (是 #1 好朋友, not 是好 #1 朋友; 这位 #1 老艺术家; 由 #1 副市长)."""
    return (nxt is not None and syllable_count(w) == 1 and _pos(w).startswith(("a", "b")) and nxt.kind == "zh"
            and _pos(nxt).startswith("n") and 1 <= syllable_count(nxt) <= 3)


def _clause_subject(verb: Word, nxt: Word | None) -> bool:
    """A pronoun after a verb that is not the verb's object and so does not join it: a possessive before 的 (连接 #1
    你的 #1 耳机, 找不到 #1 我的) or the subject of a clause object, a verb or adverb following (请问 #1 你是, 这是 #1
    我 #1 应该); after a pivot verb (请, 让, 叫 ...) the pronoun is the object (想请你 #1 吃饭)."""
    if nxt is None:
        return False
    if nxt.text == "的":
        return True
    return (nxt.pos or "x")[:1] in ("v", "d", "p") and verb.text[-1] not in _PIVOT


def _pos(w: Word) -> str:
    return _TAG_FIXES.get(w.text) or w.pos or "x"


def _content_pos(pw: ProsodicWord, last: bool) -> str:
    items = [w for w in pw.words if syllable_count(w) > 0]
    if not items:
        return "x"
    if last:
        for w in reversed(items):
            if not _pos(w).startswith(("u", "y", "e", "k")):
                return _pos(w)
        return _pos(items[-1])
    return _pos(items[0])


def _subject_predicate(pw: ProsodicWord, nxt: ProsodicWord, left: str, right: str, subject: bool,
                       after: str = "x") -> bool:
    """A nominal prosodic word followed by the start of a predicate. Not: a time word before the verb (an adverbial:
    将于下个月 #1 正式实施), a lone subject pronoun, a verbal noun after an object noun (a compound: 加强城市基础设施
    #1 建设; after a subject it is the predicate: 本次航班 #2 预计) or before a noun (``after``: 经济 #1 发展 #1 水平),
    or an attributive after a numeral, ending in 的 (一种 #1 新的 方法) or after one (观众的 #1 热烈 #1 掌声), or a
    prosodic word ending in 的/得 but for 是/有 (a relative clause: 那家 #1 新开的; V得: 英语 #1 说得)."""
    if not (left.startswith(_NOMINAL) or (subject and left == "vn")) or not right.startswith(_VERBAL) \
            or _lone_pronoun(pw):  # (a verbal noun heads a subject: 本次活动 #2 旨在)
        return False
    if _first_text(pw)[:1] == "一" and _first_text(nxt) in ("也", "都"):
        return False  # 'not even one': 一点儿 #1 也不知道, 一个人 #1 都没来
    items = [w for w in pw.words if syllable_count(w) > 0]
    if len(items) == 1 and items[0].unit and items[0].text[-1] in MEASURE_WORDS:
        return False  # a number and its measure word before an attributive: 一个 #1 奇怪的梦 (奇怪/v)
    if left.startswith("t") and (not subject or _ends_in_de(nxt)):
        return False  # a time word after a subject ends it (妈妈每天早上 #2 都会), not before a relative clause
    if right.startswith(("vn", "an")) and (not subject or (len(nxt.words) == 1 and after.startswith("n")
                                                           and _first_text(nxt) not in _CLAUSE_ADVERBS)):
        return False
    if right.startswith("a") and _ends_in_de(pw):
        return False
    if _ends_in_de(nxt) and _first_text(nxt) not in ("是", "有") and not (
            len(nxt.words) > 1 and _first_text(nxt) in _CAUSATIVES):  # 他的话 #2 让在场的 ...
        # before a relative clause (那家 #1 新开的, 两张 #1 去上海的, 小狗 #1 救主的) or a verb with 得 and its
        # complement (你的中文 #1 说得真好); 一月一日 #2 是 ... stays a predicate
        return False
    tail = [w for w in nxt.words if syllable_count(w) > 0]
    return not (right.startswith("a") and (left.startswith(("m", "q")) or (tail and tail[-1].text in _DE)))


def _leans_on_next(pw: ProsodicWord) -> bool:
    """The prosodic word is a lone monosyllabic adverb, preposition or conjunction, or ends in a negation, which
    leans on what follows: no phrase break falls after it (警察很快就 #1 找到了, not 就 #2 找到了; 从来不 #1 在)."""
    items = [w for w in pw.words if syllable_count(w) > 0]
    if items and items[-1].text[-1:] in _NEGATION and _pos(items[-1]).startswith("d"):
        return True
    return len(items) == 1 and pw.n_syl == 1 and _pos(items[0]).startswith(_FORWARD_POS)


def _x_bi_x(pws: list[ProsodicWord], speakable: list[int], k: int) -> bool:
    """The boundary after speakable[k] opens 比 + the same words: 一天 #1 比 #1 一天 (one comparison, no break)."""
    if k + 2 >= len(speakable):
        return False
    here, bi, there = (pws[speakable[j]] for j in (k, k + 1, k + 2))
    text = "".join(w.text for w in here.words)
    return _first_text(bi) == "比" and bi.n_syl == 1 and "".join(w.text for w in there.words).startswith(text)


def _quantifies_next(pw: ProsodicWord) -> bool:
    """A determiner (这位, 那家) or a number with its measure word (一场, 三本) quantifies the noun phrase after it: no
    phrase break falls after it (喜欢 #2 这位 #1 新来的, 一场 #1 非常 #1 精彩的)."""
    items = [w for w in pw.words if syllable_count(w) > 0]
    return _is_determiner(pw.words) or (
        len(items) == 1 and items[0].unit and items[0].text[-1] in MEASURE_WORDS)


def _time_run(pws: list[ProsodicWord], speakable: list[int], start: int) -> int:
    """Syllables of the time words that follow from speakable[start] on (每天早上八点: 6), 0 when they open a relative
    clause (今天 + 发布的)."""
    n = 0
    for j in range(start, len(speakable)):
        items = [w for w in pws[speakable[j]].words if syllable_count(w) > 0]
        if items and all(_time_word(w) or _is_unit(pws[speakable[j]]) for w in items):
            n += pws[speakable[j]].n_syl
            continue
        return 0 if _ends_in_de(pws[speakable[j]]) else n
    return n


def _discourse_word(pw: ProsodicWord) -> bool:
    """One conjunction, adverb or fixed expression that makes up the whole clause before a comma (与此同时，)."""
    items = [w for w in pw.words if syllable_count(w) > 0]
    return len(items) == 1 and _pos(items[0]).startswith(("c", "d", "l"))


def _ends_in_de(pw: ProsodicWord) -> bool:
    items = [w for w in pw.words if syllable_count(w) > 0]
    return bool(items) and items[-1].text in _DE


def _topic_before_pronoun(pw: ProsodicWord, nxt: ProsodicWord) -> bool:
    """A nominal phrase followed by a personal pronoun that opens the comment (这本书 #2 我 ..., 这件衣服 #2 你
    ...); not a possessive or appositive pronoun (我们的, 他自己)."""
    items = [w for w in nxt.words if syllable_count(w) > 0]
    if not (items and items[0].text[:1] in _PERSONAL and _pos(items[0]).startswith("r") and len(items) == 1):
        return False
    left = _content_pos(pw, True)  # a noun, or a demonstrative with its noun (这/r 本书/r)
    return left.startswith(("n", "t", "s", "f", "vn")) or (left.startswith("r") and len(pw.words) > 1)


def _first_text(pw: ProsodicWord) -> str:
    items = [w for w in pw.words if syllable_count(w) > 0]
    return items[0].text if items else ""


def _time_word(w: Word) -> bool:
    """A time word (明天, 上午) or a numeral with a time unit (三天, 两年)."""
    return _pos(w).startswith("t") or (_pos(w).startswith("m") and w.text[-1:] in _TIME_UNITS and len(w.text) >= 2)


def _lone_pronoun(pw: ProsodicWord) -> bool:
    """A monosyllabic subject pronoun leans on its predicate: no phrase break after it (这道题我 #1 想了半天)."""
    items = [w for w in pw.words if syllable_count(w) > 0]
    return len(items) == 1 and items[0].text in _PERSONAL


def _is_unit(pw: ProsodicWord) -> bool:
    return any(w.unit for w in pw.words)


def _ends_with_pause_punct(pw: ProsodicWord) -> bool:
    return bool(pw.words) and is_pause(pw.words[-1])


def _pause_after(pws: list[ProsodicWord], i: int, j: int) -> str:
    """The pause punctuation that follows prosodic word i (inside it, or in the silent groups up to j)."""
    for pw in pws[i:j]:
        for w in pw.words:
            if is_pause(w):
                return w.text
    return ""


def _punct_break(mark: str, item: int, clause: int, discourse: bool = False) -> int:
    """Break level at punctuation, by its kind and the length of what it closes: an enumeration comma between short
    items is #1 (#2 after a longer item); a comma after a clause of one or two syllables (喂，你好，) or after a
    single discourse word of up to four (说实话，与此同时，一般来说，) is #2; the rest is #3."""
    if mark[:1] == "、":
        return 1 if item <= 3 else 2
    if mark[:1] in "，," and (clause <= _SHORT_CLAUSE or (discourse and clause <= _DISCOURSE_MAX)):
        return 2
    return 3


def _assign_breaks(pws: list[ProsodicWord]) -> None:
    since = 0  # syllables since the last break ≥ #2
    segment = 0  # syllables since the last punctuation (喂，你好，: 你好 closes a clause of two)
    clause = 0  # syllables since the last break ≥ #3
    item = 0  # syllables since the last enumeration comma (an enumerated item); 0 before the first
    all_nominal = True  # every word since that break is nominal (a subject noun phrase so far)
    pp_open = False  # a preposition since that break whose verb has not come yet
    relative = False  # ... or nominal after its last 的 (a noun phrase after a relative clause: 你说的 + 那家店)
    has_prep = False  # a preposition since that break (an adverbial that a locative closes)
    causative = False  # a causative verb since that break, whose object is the subject of what follows (让居民的生活)
    all_time = True  # every word since that break is a time word (a fronted time adverbial so far)
    candidates: dict[int, int] = {}  # #1 boundaries where a too long phrase may be split (see _balance_phrases)
    speakable = [i for i, pw in enumerate(pws) if pw.n_syl > 0]
    strength: dict[int, int] = {}  # index in speakable -> how strong a syntactic boundary its #2 is
    opener: Word | None = None  # the first word of the current intonational phrase
    has_de = False  # a 的 in that phrase so far
    adverbial_open = False  # that phrase opened with a preposition whose adverbial has not been closed yet
    remaining_after = [0] * len(speakable)  # syllables after speakable[k], to the sentence end / the next pause
    clause_after = [0] * len(speakable)
    total = run = 0
    for k in range(len(speakable) - 1, -1, -1):
        remaining_after[k], clause_after[k] = total, run
        n = pws[speakable[k]].n_syl
        total += n
        run = n if _ends_with_pause_punct(pws[speakable[k]]) else run + n
    for k, i in enumerate(speakable):
        pw = pws[i]
        if clause == 0:
            opener = next(w for w in pw.words if syllable_count(w) > 0)
            adverbial_open = opener.text in _ADVERBIAL_PREPS or opener.text in _LOCATIVE_PREPS
        since += pw.n_syl
        clause += pw.n_syl
        segment += pw.n_syl
        item = item + pw.n_syl + (1 if item < 0 else 0) if item else 0
        all_nominal = all_nominal and all(_pos(w).startswith((*_NOMINAL, "k", "u", "vn", "an"))
                                          for w in pw.words if syllable_count(w) > 0)
        for w in pw.words:  # a noun phrase headed after a relative clause: 你说的那家店
            if w.text == "的":
                relative = True
            elif syllable_count(w) > 0 and relative and not _pos(w).startswith((*_NOMINAL, "k", "b", "a")):
                relative = False
        has_prep = has_prep or any((w.pos or "x").startswith("p") for w in pw.words)
        for j, w in enumerate(pw.words):  # a prepositional phrase whose verb has not come yet: 与撒切尔 | 会晤
            before = pw.words[j - 1] if j else (pws[speakable[k - 1]].words[-1] if k else None)
            if (w.pos or "x").startswith("p") and w.text not in _NO_PP_END and not (
                    before is not None and _pos(before).startswith("v")):  # not a complement: 发表在
                pp_open = True
            elif pp_open and _pos(w).startswith("v"):
                pp_open = False
        causative = causative or any(w.text in _CAUSATIVES for w in pw.words)
        has_de = (has_de and clause > pw.n_syl) or any(w.text == "的" for w in pw.words)  # in this phrase
        all_time = all_time and all(_time_word(w) for w in pw.words if syllable_count(w) > 0)
        if k == len(speakable) - 1:
            pw.brk = 4
            continue
        mark = _pause_after(pws, i, speakable[k + 1])
        if mark:
            pw.brk = _punct_break(mark, item or pw.n_syl, segment, segment == pw.n_syl and _discourse_word(pw))
            segment = 0
            item = 0
            if mark[:1] == "、":
                item = -1  # counts the next item from zero (see below)
            if pw.brk >= 2:
                since, all_nominal, has_prep, all_time, causative, relative, pp_open = 0, True, False, True, False, False, False
            if pw.brk >= 3:
                clause = 0
            continue
        nxt = pws[speakable[k + 1]]
        left, right = _content_pos(pw, True), _content_pos(nxt, False)
        after = _content_pos(pws[speakable[k + 2]], False) if k + 2 < len(speakable) else "x"
        then = _content_pos(pws[speakable[k + 3]], False) if k + 3 < len(speakable) else "x"
        remaining, rest_of_clause = remaining_after[k], clause_after[k]
        brk = 1
        head = [w for w in pw.words if syllable_count(w) > 0]
        initial = _clause_initial(opener, adverbial_open)
        if head and head[-1].text in _REPORT_VERBS and remaining >= 5 and clause >= 3:
            brk = 2  # a reporting verb before its clause object: 数据显示 #2 ...
            strength[k] = 3
        elif head and (head[-1].pos or "x")[:1] == "f" and (has_prep or initial == "locative") and since >= 5 \
                and remaining >= 4:
            brk = 2  # the locative closing a prepositional adverbial: 在各方的共同努力下 #2 ...
            strength[k] = _CLAUSE_STRENGTH if initial == "locative" and clause >= _ADVERBIAL_LONG else 2
            adverbial_open = False
        elif head and head[-1].text.endswith(_TIME_CLOSERS) and since >= 3 and remaining >= 4:
            brk = 2  # a temporal locative closes a time adverbial: 春运期间 #2 铁路客流 ...
            # ... a clause of its own when the phrase opened with its subject: 这位老人退休以后 | 一直 ...
            strength[k] = _CLAUSE_STRENGTH if initial in ("locative", "nominal") and clause >= _ADVERBIAL_LONG else 2
            adverbial_open = False
        elif head and head[-1].text == "的话" and remaining >= 2:
            # a conditional clause closed by 的话: 如果明天下午不下雨的话 #3 我们 ..., 这样的话 #2 我们就赢了
            brk = 3 if clause >= _IP_SIDE and remaining >= _IP_SIDE else 2
            strength[k] = _CLAUSE_STRENGTH
        elif _first_text(nxt) in _CLAUSE_CONJ and clause >= _CLAUSE_MIN and remaining >= _CLAUSE_MIN - 2:
            brk = 3  # a clause-level conjunction after a long clause, punctuated or not: ... 东西 #3 但是 ...
        elif initial == "adverbial" and clause >= _ADVERBIAL_LONG and remaining >= _IP_SIDE and rest_of_clause >= 3 \
                and _closes_adverbial(
                pw, left, right, has_de, after, then):
            brk = 2  # the noun phrase of a clause-initial adverbial ends: 随着经济的快速发展 | 越来越多的 ...
            strength[k] = _CLAUSE_STRENGTH
            adverbial_open = False
        elif _first_text(nxt) in _CLAUSE_ADVERBS and clause >= _CLAUSE_MIN and since >= 4 and remaining >= _IP_SIDE:
            brk = 2  # an adverb that opens the next predicate of the same subject: ……的发挥 | 最终以 ……
            strength[k] = _CLAUSE_STRENGTH
        elif right.startswith(("c", "p")) and remaining >= 3 and not _lone_pronoun(pw) and not _leans_on_next(pw) \
                and segment + rest_of_clause > _SHORT_CLAUSE_PP and (
                since >= 5 or (since >= 3 and not (left.startswith(("v", "a")) and right.startswith("p")))):
            brk = 2
            strength[k] = (_CLAUSE_STRENGTH if _first_text(nxt) in _CLAUSE_CONJ else 3) if right.startswith("c") else 2
        elif left.startswith("t") and right.startswith("r") and since >= 3 and remaining >= 3:
            brk = 2  # a fronted time adverbial before the subject: 今天晚上 #2 我们 ...
            strength[k] = 2
        elif (all_nominal or relative) and not all_time and since >= 3 and remaining >= 3 \
                and _topic_before_pronoun(pw, nxt):
            brk = 2  # a topic before the subject pronoun of its comment: 这本书 #2 我已经 ..., 这件衣服 #2 你 ...
            strength[k] = 2
        elif _first_text(nxt) == "一边" and since >= 3 and remaining >= 3 \
                and any(w.text == "一边" for q in pws[:i + 1] for w in q.words):
            brk = 2  # the second half of 一边 ... 一边: 他一边吃饭 #2 一边看电视
            strength[k] = 2
        elif (all_nominal or relative) and not all_time and not left.startswith("t") and right.startswith("t") \
                and since >= 5 \
                and remaining >= 5 and _time_run(pws, speakable, k + 1) >= 3:
            brk = 2  # a long subject before the time adverbial of its predicate: 学校图书馆 #2 每天早上 ...
            strength[k] = 2
        elif all_time and right.startswith(("n", "s", "f")) and not right.startswith("nr") and since >= 3 \
                and remaining >= 4:
            brk = 2  # the same before a noun subject: 明天上午 #2 北京市区 ..., 未来三天 #2 南方地区 ...
            strength[k] = 2
        elif left.startswith("v") and _quantifies_next(nxt) and nxt.n_syl >= 2 and since >= _VO_SINCE \
                and rest_of_clause - nxt.n_syl >= _VO_OBJECT and not _ends_in_de(pw) \
                and not (len(head[-1].text) == 2 and head[-1].text[0] == head[-1].text[1]):  # 整整/v + 一个下午
            brk = 2  # a verb before a long quantified object: 展出了 #2 一批珍贵的历史文物
            strength[k] = 2
        elif pp_open and right.startswith("v") and not right.startswith("vn") and left.startswith(_NOMINAL) \
                and since >= _PP_END and remaining >= 2 and segment + rest_of_clause > _SHORT_CLAUSE_PP \
                and not _ends_in_de(nxt) and not _lone_pronoun(pw) and _first_text(nxt) not in _LIGHT_VERBS:
            brk = 2  # a prepositional phrase ends before its verb: 与撒切尔 #2 会晤 (not 对现场 #1 进行清理)
            strength[k] = 2
        elif not has_prep and not causative and _subject_predicate(pw, nxt, left, right, all_nominal and not all_time, after) and remaining >= 2 and (
                _first_text(nxt) != "是" or remaining >= _COPULA_REST) and segment + rest_of_clause > _SHORT_CLAUSE_PP and (
                since >= 5 or (since >= 3 and all_nominal)) and (not left.startswith("t") or (since >= 4 and remaining >= 5)):
            brk = 2
            strength[k] = 2
        if (_is_unit(pw) and _is_unit(nxt)) or _x_bi_x(pws, speakable, k):
            brk = 1  # components of one date, time or amount; X 比 X (一天 #1 比 #1 一天)
            strength.pop(k, None)
        if brk >= 2 and (head and head[-1].text in _ADVERBIAL_PREPS):
            adverbial_open = False  # a preposition in the middle of the phrase: 随着 #2 ...
        pw.brk = brk
        if brk >= 3:
            clause = 0
        if brk >= 2:
            since, all_nominal, has_prep, all_time, causative, relative, pp_open = 0, True, False, True, False, False, False
        elif not (_is_unit(pw) and _is_unit(nxt)):
            if not (left.startswith(_NP_POS) and right.startswith(_NP_POS)) and not _leans_on_next(pw) \
                    and not _quantifies_next(pw) and not (left.startswith("d") and not right.startswith("p")) \
                    and not _x_bi_x(pws, speakable, k):
                # (an adverb leans on the predicate it modifies: 随时 #1 查询, 已经 #1 完全)
                # a verb before a long object (吸引了 #2 来自世界各地的客商), not an attributive (受损的 #1 线路)
                # ... but not before a bare noun that is all of the object (接种 #1 疫苗 #1 一百二十万剂次)
                verb_object = left.startswith("v") and remaining >= 4 and not _ends_in_de(pw) and not (
                    right.startswith("n") and len(nxt.words) == 1 and after.startswith(("m", "v", "d", "x")))
                candidates[k] = 2 if right.startswith(("d", "v", "p", "c", "a")) or verb_object else 1
                if has_prep and right.startswith(("v", "d")):
                    candidates[k] = 3  # the end of a prepositional phrase before its verb: 在发言中 #2 回顾了
    _merge_short_phrases(pws, speakable, candidates, strength)
    _balance_phrases(pws, speakable, candidates, strength)
    _split_long_stretches(pws, speakable, strength)


def _clause_initial(opener: Word | None, adverbial_open: bool) -> str:
    """What opened the current intonational phrase, for the boundaries that end a clause-initial adverbial:
    "adverbial" (a preposition such as 随着/对于/为了 whose adverbial is still open), "locative" (在/当/从, closed by
    a locative), "nominal" (a subject: 这位老人退休以后), or ""."""
    if opener is None:
        return ""
    if opener.text in _ADVERBIAL_PREPS:
        return "adverbial" if adverbial_open else ""
    if opener.text in _LOCATIVE_PREPS:
        return "locative" if adverbial_open else ""
    return "nominal" if _pos(opener).startswith(("n", "r", "t", "s")) else ""


def _closes_adverbial(pw: ProsodicWord, left: str, right: str, nominalized: bool, after: str,
                      then: str = "x") -> bool:
    """The boundary after pw ends the noun phrase (or verb phrase) of a clause-initial adverbial and the clause
    proper starts: its head (a noun, or a verb) followed by a pronoun subject, an adverb or a verb; a noun after it
    may be the verb's object or the next piece of a compound, so only a nominalized verb (after 的: 人口的不断增加)
    or 来说/而言 closes before a noun, or a noun before a one-word subject that its predicate follows (``after`` is
    the word after that: 生态环境 | 政府 | 决定), or a two-word one (``then`` is the word after ``after``: 三天的搜救 |
    被困 人员 | 全部) (随着经济的快速发展 | 越来越, 随着天气逐渐转凉 | 感冒, 对于大学生来说 | 找工作, 据气象部门预测 |
    今年; not 对于如何解决 | 城市, 生态 | 环境). Never after an attributive ending in 的."""
    items = [w for w in pw.words if syllable_count(w) > 0]
    if not items or items[-1].text in _DE or _is_unit(pw):
        return False
    if items[-1].text in ("来说", "而言") or items[-1].text in _SOURCE_HEADS:
        return True
    if not left.startswith(("n", "l", "i", "v")):
        return False
    if right.startswith(("r", "d", "v")):
        return True
    if not right.startswith(("n", "t", "s", "a")):
        return False
    if nominalized and left.startswith("v") and not right.startswith("a"):
        return True
    predicate = after.startswith(("v", "d")) and not after.startswith("vn")  # 有关/vn 部门: an attributive
    return nominalized and left.startswith(("n", "l")) and (
        predicate or (right.startswith("a") and after.startswith("n") and then.startswith(("v", "d"))))


def _merge_short_phrases(pws: list[ProsodicWord], speakable: list[int], candidates: dict[int, int],
                         strength: dict[int, int]) -> None:
    """A prosodic phrase of fewer than _PP_MIN syllables that no punctuation closes joins a neighbour, as long as the
    merged phrase has at most _PP_MERGED_MAX syllables: of the #2 breaks around it that are not at punctuation, the
    weaker one (by syntactic strength; the one towards the shorter neighbour among equals) becomes #1 (比赛在晚上八点
    #1 开始, 我一会儿 #1 就到; 上午九点三十分 #2 举行， keeps its break before the comma). Repeated until no such
    phrase is left."""
    syl = [pws[i].n_syl for i in speakable]
    last = len(speakable) - 1

    def soft(k: int) -> bool:  # a #2 that rules placed, not punctuation
        return 0 <= k < last and pws[speakable[k]].brk == 2 and not _pause_after(pws, speakable[k], speakable[k + 1])

    while True:
        bounds = [-1] + [k for k in range(last) if pws[speakable[k]].brk >= 2] + [last]
        phrases = [(bounds[n] + 1, bounds[n + 1]) for n in range(len(bounds) - 1)]
        lengths = [sum(syl[a:b + 1]) for a, b in phrases]
        pick = None
        for n, ((a, b), size) in enumerate(zip(phrases, lengths, strict=True)):
            if size >= _PP_MIN or (b < last and _pause_after(pws, speakable[b], speakable[b + 1])):
                continue
            options = []
            if soft(a - 1) and size + lengths[n - 1] <= _PP_MERGED_MAX:
                options.append((strength.get(a - 1, 1), lengths[n - 1], a - 1))
            if soft(b) and size + lengths[n + 1] <= _PP_MERGED_MAX:
                options.append((strength.get(b, 1), lengths[n + 1], b))
            if options:
                pick = min(options)[2]
                break
        if pick is None:
            return
        pws[speakable[pick]].brk = 1
        candidates[pick] = strength.pop(pick, 1)


def _balance_phrases(pws: list[ProsodicWord], speakable: list[int], candidates: dict[int, int],
                     strength: dict[int, int]) -> None:
    """A prosodic phrase of more than _PP_MAX syllables is split at its best #1 boundary: not inside a noun phrase
    nor a number, at least 3 syllables on each side, the start of a predicate (adverb, verb, preposition, conjunction,
    adjective) over other boundaries, nearest the middle among equals; repeated until none is too long. A new #2
    counts as the weakest kind when intonational phrases are split next."""
    for k in _split_all(pws, speakable, candidates, level=2, limit=_PP_MAX, side=3):
        strength[k] = 1


def _split_long_stretches(pws: list[ProsodicWord], speakable: list[int], strength: dict[int, int]) -> None:
    """An intonational phrase of more than _IP_CLAUSE syllables without punctuation is split at a clause boundary
    (a clause conjunction, the end of a clause-initial adverbial or temporal clause), as long as both sides keep at
    least _IP_SIDE syllables; then one of more than _IP_MAX syllables at its strongest #2 boundary (a clause
    boundary over a reporting verb or another conjunction, over a preposition or a subject/predicate boundary, over
    a length break), the one nearest the middle among equals; repeated until none is too long."""
    clause_level = {k: v for k, v in strength.items() if v >= _CLAUSE_STRENGTH}
    _split_all(pws, speakable, clause_level, level=3, limit=_IP_CLAUSE, side=_IP_SIDE)
    _split_all(pws, speakable, strength, level=3, limit=_IP_MAX, side=_IP_SIDE)


def _split_all(pws: list[ProsodicWord], speakable: list[int], scores: dict[int, int], *, level: int, limit: int,
               side: int) -> list[int]:
    """Raise breaks of ``level - 1`` to ``level`` inside every stretch (between breaks ≥ ``level``) longer than
    ``limit`` syllables, at the best-scored boundary nearest the middle, ≥ ``side`` syllables each side; returns
    the positions (indices into ``speakable``) that were raised."""
    syl = [pws[i].n_syl for i in speakable]
    bounds = [-1] + [k for k, i in enumerate(speakable) if pws[i].brk >= level]
    raised: list[int] = []
    stack = [(a + 1, b) for a, b in itertools.pairwise(bounds)]
    while stack:
        lo, hi = stack.pop()
        total = sum(syl[lo:hi + 1])
        if total <= limit:
            continue
        best, best_key = None, None
        left = 0
        for k in range(lo, hi):
            left += syl[k]
            if k in scores and pws[speakable[k]].brk == level - 1 and left >= side and total - left >= side:
                key = (scores[k], -abs(2 * left - total))
                if best_key is None or key > best_key:
                    best, best_key = k, key
        if best is None:
            continue
        pws[speakable[best]].brk = level
        raised.append(best)
        stack.extend([(lo, best), (best + 1, hi)])
    return raised
