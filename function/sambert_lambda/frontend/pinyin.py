"""Word segmentation (jieba, with POS) and lexical pinyin with polyphone disambiguation.

Strategy ``"phrase+g2pm"`` (the default):
1. jieba.posseg splits the sentence into words with POS tags.
2. Inside each word, a forward maximum match over pypinyin's phrase dictionary finds multi-character phrases; their
   readings are taken as they are (phrases are reliable).
3. A character left alone that has several readings is decided by the g2pM BiLSTM over the whole sentence,
   restricted to the readings the model knows for it. A phrase reading of such a character is kept unless the
   model is nearly certain (p > 0.99) of a different reading *and* the character itself is uncommon (jieba
   frequency < 5000): phrase dictionaries carry rare-sense entries for rare characters (place names, 陂/涌/咯),
   while for common characters (了解, 还给, 一觉) the dictionary is more reliable than the model's prior.
4. A few POS rules for particles (了/着/得/地/的) override where the tagger is sure.
Other strategies (``pypinyin``, ``g2pm``, ``phrase``) exist so the benchmark can compare them.

Output syllables are lexical tones in pypinyin's TONE3 spelling (``lv4``, ``ju4``, neutral tone = 5).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
LATIN_RE = re.compile(r"[A-Za-z]")
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_RUNS_RE = re.compile(f"[{_HAN_CLASS}]+|[^{_HAN_CLASS}]+")  # Han runs and non-Han runs
STRATEGIES = ("phrase+g2pm", "g2pm", "phrase", "pypinyin")
_MAX_PHRASE = 8
PHRASE_OVERRIDE_P = 0.99
COMMON_CHAR_FREQ = 5000  # jieba frequency of a character above which its phrase readings are never overridden
_LOCK = threading.Lock()


@dataclass
class Word:
    """A lexical word. ``kind`` is zh | en | punct | other; ``pinyin`` has one TONE3 syllable per Han character."""

    text: str
    pos: str
    kind: str
    pinyin: list[str] = field(default_factory=list)
    lexical: list[str] | None = None  # the reading before erhua, neutral tones and sandhi (set by the pipeline)
    unit: bool = False  # a normalized span (number, date, time, amount): one prosodic unit, never split inside
    address: bool = False  # part of a spoken web or mail address (also a unit): it takes no word after it


def is_han(ch: str) -> bool:
    return bool(HAN_RE.fullmatch(ch))


@lru_cache(maxsize=1)
def _jieba():
    from sambert_lambda.frontend import dict_cache

    dict_cache.install()  # jieba and pypinyin dictionaries from one baked file (see dict_cache)
    with dict_cache.without_pkg_resources():
        import jieba
        import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg


@lru_cache(maxsize=4096)
def word_freq(word: str) -> int:
    """jieba dictionary frequency of ``word`` (0 if absent)."""
    _jieba()
    import jieba

    jieba.dt.check_initialized()
    return int(jieba.dt.FREQ.get(word) or 0)


@lru_cache(maxsize=1)
def _pypinyin():
    _jieba()  # installs the dictionary cache first, which also covers pypinyin's dictionaries
    from pypinyin import Style, pinyin
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    return pinyin, Style, PHRASES_DICT, PINYIN_DICT


def _tone3(items: list[list[str]]) -> list[str]:
    return [x[0] for x in items]


def phrase_reading(phrase: str) -> list[str]:
    pinyin, style, _, _ = _pypinyin()
    return _tone3(
        pinyin(phrase, style=style.TONE3, neutral_tone_with_five=True, errors=lambda s: [["?"]] * len(s))
    )


def char_readings(ch: str) -> list[str]:
    """All TONE3 readings pypinyin knows for a character, most common first."""
    pinyin, style, _, _ = _pypinyin()
    out = pinyin(ch, style=style.TONE3, heteronym=True, neutral_tone_with_five=True, errors=lambda s: [[]])
    return list(out[0]) if out and out[0] else []


def phrase_spans(word: str) -> list[tuple[int, int]]:
    """Forward maximum match of pypinyin phrases (length ≥ 2) inside ``word``: [(start, end)]."""
    _, _, phrases, _ = _pypinyin()
    spans = []
    i = 0
    while i < len(word):
        for j in range(min(len(word), i + _MAX_PHRASE), i + 1, -1):
            if word[i:j] in phrases:
                spans.append((i, j))
                i = j
                break
        else:
            i += 1
    return spans


def subword_spans(word: str, longest: int, min_freq: int = 50) -> list[tuple[int, int]]:
    """The words of 2..``longest`` characters (jieba words of frequency ≥ ``min_freq``) that tile most of ``word``,
    with the fewest pieces and then the most frequent ones among equals (马克思主义 -> 马克思 + 主义, 中华人民共和国 ->
    中华 + 人民 + 共和国, 联合国教科文组织 -> 联合国 + 教科文 + 组织): [(start, end)], uncovered characters left
    out."""
    import math

    n = len(word)
    # per prefix: (characters covered, -pieces, summed log frequency, spans)
    best: list[tuple] = [(0, 0, 0.0, [])] + [None] * n
    for i in range(n):
        if best[i] is None:
            continue
        covered, pieces, logf, spans = best[i]
        options = [(i + 1, (covered, pieces - 1, logf, spans))]
        for j in range(i + 2, min(n, i + longest) + 1):
            if (i, j) == (0, n):
                continue
            f = word_freq(word[i:j])
            if f >= min_freq:
                options.append((j, (covered + j - i, pieces - 1, logf + math.log(f + 1), [*spans, (i, j)])))
        for j, cand in options:
            if best[j] is None or cand[:3] > best[j][:3]:
                best[j] = cand
    return best[n][3]


def _kind(token: str) -> str:
    if any(is_han(c) for c in token):
        return "zh"
    if LATIN_RE.search(token):
        return "en"
    if all(not c.isalnum() for c in token):
        return "punct"
    return "other"


def segment(text: str) -> list[Word]:
    """jieba words with POS; a token mixing Han and other characters is split by character class."""
    posseg = _jieba()
    words: list[Word] = []
    with _LOCK:
        pairs = [(p.word, p.flag) for p in posseg.cut(text)]
    for tok, pos in _repair(pairs):
        for piece in _split_mixed(tok):
            kind = _kind(piece)
            words.append(Word(piece, pos if kind == "zh" or len(piece) == len(tok) else "x", kind))
    return words


def _possessive_hua(before: list[tuple[str, str]], nxt: tuple[str, str] | None) -> bool:
    """的话 after ``before`` (its clause so far) is 的 + 话 'the words of': after a pronoun (他的话), a relative clause
    ending in 过 or a verb of saying (妈妈对我说过的话, 他说的话), or a noun that no verb of the clause takes as its
    object (老师的话你要记住) or that ends the sentence (我记住了老师的话。); not in a conditional clause (如果是他的话,
    有问题的话，, 有时间的话我们 ...), nor after 这样/那样 (这样的话)."""
    if not before:
        return False
    host, pos = before[-1]
    words_of = pos.startswith("r") or host == "过" or host in _SAYING
    if host in _MANNER_PRONOUNS or any(t in _CONDITIONALS for t, _ in before) or not (words_of or pos.startswith("n")):
        return False
    if words_of:
        return True
    final = nxt is None or nxt[0] in ("。", "！", "？", "!", "?", "…")
    return final or not any(p.startswith("v") for _, p in before[:-1])


def word_tag(word: str, default: str) -> str:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab.get(word, default)


def _repair(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Move a character across a segmenter boundary when a rare 3-character word swallowed the first character of
    a common word (全角字 + 符和 -> 全角 + 字符 + 和): the rare word's first two characters are a word, its last
    character and the next word's first make a word at least ten times (and 100) more frequent."""
    out = list(pairs)
    for k in range(len(out) - 1):
        (a, pa), (b, pb) = out[k], out[k + 1]
        if len(a) != 3 or not all(is_han(c) for c in a + b) or pb[:1] in ("u", "y", "e") or pa[:1] == "m" \
                or any(c in _NUMERALS or c in "零十百千万亿" for c in a):
            continue
        fa, joined = word_freq(a), a[2] + b[0]
        fj = word_freq(joined)
        if fj >= 100 and fj > 10 * fa and word_freq(a[:2]) > 0 and (len(b) == 1 or word_freq(b[1:]) > 0
                                                                    or len(b) == 2):
            rest = b[1:]
            out[k] = (a[:2], word_tag(a[:2], pa))
            out[k + 1] = (joined, word_tag(joined, pb))
            if rest:
                out.insert(k + 2, (rest, word_tag(rest, "x")))
    k = 0
    while k < len(out) - 1:  # 高高兴兴 + 地走了 -> 高高兴兴 + 地 + 走了: the particle after a reduplicated adverb
        a, b = out[k][0], out[k + 1][0]
        if len(b) > 1 and b[0] == "地" and is_han(b[1]) and len(a) in (2, 4) and (
                (a[0] == a[1] and a[-1] == a[-2]) or (len(a) == 4 and out[k][1][:1] in ("i", "l"))) \
                and word_freq(b) < 100 * max(1, word_freq(b[1:])):
            out[k + 1:k + 2] = [("地", "uv"), (b[1:], word_tag(b[1:], "v"))]
        k += 1
    k = 0
    while k < len(out):  # 先进 + 去 -> 先 + 进去, 出去玩 -> 出去 + 玩: a directional complement the segmenter cut
        a = out[k][0]
        nxt = out[k + 1][0] if k + 1 < len(out) else ""
        if len(a) == 2 and a[0] in _LEANING_ADVERBS and nxt in ("去", "来") and a[1] + nxt in DIRECTIONAL_WORDS:
            out[k:k + 2] = [(a[0], "d"), (a[1] + nxt, "v")]
        elif len(a) == 3 and a[:2] in DIRECTIONAL_WORDS and word_freq(a) < 10 and word_freq(a[2]) >= 1000:
            out[k:k + 1] = [(a[:2], "v"), (a[2], word_tag(a[2], "v"))]
        k += 1
    k = 1
    while k < len(out):  # 老槐树 + 下给 -> 老槐树 + 下 + 给, 不知不觉 + 中白 -> 中 + 白: a locative the segmenter glued on
        (a, pa), (b, _) = out[k - 1], out[k]
        if len(b) == 2 and b[0] in _LOCATIVE_CHARS and pa[:1] in ("n", "s", "i", "l") and word_freq(b) == 0 \
                and word_freq(b[1]) >= 1000 and all(is_han(c) for c in a + b):
            out[k:k + 1] = [(b[0], "f"), (b[1], word_tag(b[1], "x"))]
        k += 1
    k = 1
    while k < len(out) - 1:  # 极大 + 地方 + 便了 -> 极大 + 地 + 方便 + 了: the particle after an adverbial word
        (a, pa), (b, _), (c, _) = out[k - 1], out[k], out[k + 1]
        if len(b) == 2 and b[0] == "地" and len(a) >= 2 and pa[:1] in ("a", "d", "z") and all(is_han(x) for x in a + b + c):
            joined = b[1] + c[0]
            if word_freq(joined) >= 1000 and word_tag(joined, "x")[:1] in ("v", "a"):
                rest = [(c[1:], word_tag(c[1:], "x"))] if len(c) > 1 else []
                out[k:k + 2] = [("地", "uv"), (joined, word_tag(joined, "v")), *rest]
            elif c[0] in "了着过":
                out[k:k + 1] = [("地", "uv"), (b[1], word_tag(b[1], "v"))]  # 认真 + 地点 + 了 -> 认真 + 地 + 点 + 了
        k += 1
    k = 0
    while k < len(out):  # 让我学/n -> 让 + 我 + 学: a pivot verb and its pronoun glued to the next verb
        a, _ = out[k]
        if len(a) == 3 and a[0] in "让叫使请" and a[1] in "我你他她它" and is_han(a[2]):
            out[k:k + 1] = [(a[0], "v"), (a[1], "r"), (a[2], word_tag(a[2], "v"))]
        k += 1
    for k in range(1, len(out) - 1):  # 书本 + 上学 + 不到 -> 书本 + 上 + 学不到: the locative, not 'go to school'
        if out[k][0] in ("上学", "上课") and out[k - 1][1][:1] in ("n", "s") and out[k + 1][0][:1] in "不得到":
            out[k:k + 1] = [("上", "f"), (out[k][0][1], "v")]
    k = 1
    while k < len(out):  # 小张 + 和小李/nr -> 和 + 小李: a conjunction glued to a familiar name after a noun
        a, pa = out[k]
        if len(a) == 3 and pa == "nr" and a[0] in "和与跟同" and a[1] in "小老" and out[k - 1][1][:1] in ("n", "r"):
            out[k:k + 1] = [(a[0], "c"), (a[1:], "nr")]
        k += 1
    k = 0
    while k < len(out) - 1:  # 和小 + 李 -> 和 + 小李: 小/老 before a surname on its own is the name's prefix
        (a, _), (b, pb) = out[k], out[k + 1]
        if a in ("小", "老") and len(b) == 1 and pb == "nr":
            out[k:k + 2] = [(a + b, "nr")]
        k += 1
    k = 1
    while k < len(out):  # 这 + 部手机 -> 这 + 部 + 手机: a measure word the segmenter glued to the noun it counts
        (a, _), (b, pb) = out[k - 1], out[k]
        if a in _COUNTERS and len(b) >= 3 and b[0] in MEASURE_WORDS and word_freq(b[1:]) >= 100 \
                and all(is_han(c) for c in b):
            out[k:k + 1] = [(b[0], "q"), (b[1:], word_tag(b[1:], pb))]
        k += 1
    for k in range(len(out) - 1):  # 一 + 起来 + 唱歌 -> 一起 + 来: 'together', but for 一 ... 就 (他一起来就走)
        if out[k][0] == "一" and out[k + 1][0] == "起来" and (k + 2 == len(out) or out[k + 2][0][:1] not in "就便才"):
            out[k:k + 2] = [("一起", "d"), ("来", "v")]
    for k in range(len(out) - 1):  # 千万 + 不要: the adverb 'by all means', not the number
        if out[k] == ("千万", "m") and out[k + 1][0][:1] in _INSISTED:
            out[k] = ("千万", "d")
    k, clause_start = 1, 0
    while k < len(out):  # 他 + 的话 + 让 -> 他 + 的 + 话 (see _possessive_hua)
        if out[k][1] == "x":
            clause_start = k + 1
        elif out[k][0] == "的话" and _possessive_hua(out[clause_start:k], out[k + 1] if k + 1 < len(out) else None):
            out[k:k + 1] = [("的", "uj"), ("话", "n")]
        k += 1
    k = 1
    while k < len(out):  # 为 + 老 + 人们 -> 为 + 老人 + 们: the plural of a person noun the segmenter cut
        (a, pa), (b, _) = out[k - 1], out[k]
        if b == "人们" and len(a) == 1 and pa[:1] in ("n", "a", "b") and word_freq(a + "人") >= 1000:
            out[k - 1:k + 1] = [(a + "人", "n"), ("们", "k")]
        k += 1
    k = 1
    while k < len(out):  # 被窝 + 儿 -> 被窝儿: a lone erhua suffix joins the word before (the erhua rule merges it)
        (a, pa), (b, _) = out[k - 1], out[k]
        if b == "儿" and len(a) <= 3 and all(is_han(c) for c in a) and a[-1] != "儿" and pa[:1] in _ERHUA_HOST_POS \
                and pa[:2] not in ("nr", "ns", "nt", "nz") and not _erhua_exception(a + "儿"):
            out[k - 1:k + 1] = [(a + "儿", pa)]
            continue
        k += 1
    return out


# measure words (这座 + 桥, 那所 + 学校, 等于一张), whatever the tagger calls them (所/u)
MEASURE_WORDS = frozenset("个只条张本件座所家位名支把辆架台部份种类项次回场段篇首句封层间棵朵块片颗粒双对套批群堆杯瓶碗盘"
                          "门道幅面根节届排匹头艘顶副扇栋")
_LOCATIVE_CHARS = frozenset("上下里中内外前后旁")
# what makes a clause conditional, so that its 的话 means 'if' (如果你 + 的话, 是我 + 的话)
_CONDITIONALS = frozenset("如果 要是 假如 假使 假设 倘若 若 若是 万一 一旦 只要 是 换作 换成 要不是".split())
_COUNTERS = frozenset("这 那 哪 每 某 该 一 两 几".split())  # what a measure word follows: 这 + 部 + 手机
_INSISTED = frozenset("不别要记得莫可务")  # what the adverb 千万 comes before: 千万不要, 千万别, 千万记住
_SAYING = frozenset("说 讲 问 写 唱 骂 喊 答应 嘱咐 交代".split())  # 他说 + 的话: the words he said
_MANNER_PRONOUNS = frozenset("这样 那样 这么 那么 这么样 那么样 不然 否则".split())  # before a conditional 的话
_LEANING_ADVERBS = frozenset("先再又就都也还才")
# directional complements, whose 来/去 is light (sandhi); 过去 on its own is also 'the past' (full tones), so it
# counts only after a verb (走过去) or where the segmenter cut it (DIRECTIONAL_WORDS)
DIRECTIONAL_COMPLEMENTS = frozenset("出去 进去 回去 上去 下去 出来 进来 回来 上来 下来 起来 过来".split())
DIRECTIONAL_WORDS = DIRECTIONAL_COMPLEMENTS | {"过去"}
_ERHUA_HOST_POS = frozenset("nvaqdsfm")
# words whose final 儿 is a syllable of its own, not erhua (the erhua rule in ``sandhi`` reads the same set)
ERHUA_EXCEPTIONS = frozenset(
    "女儿 婴儿 幼儿 孤儿 健儿 男儿 胎儿 患儿 宠儿 少儿 育儿 儿女 混血儿 新生儿 孙儿 犬儿 乳儿 产儿 弃儿 侄儿 "
    "孩儿 小儿 孺子儿 托儿 园儿 健儿们 骄儿 婴幼儿 宁馨儿 幸运儿 流浪儿 弄潮儿 低能儿 早产儿 私生儿".split()
)


def _erhua_exception(word: str) -> bool:
    """A word ending in 儿 whose 儿 is its own syllable (女儿, 婴儿, 幸运儿)."""
    return word in ERHUA_EXCEPTIONS or word[-2:] in ERHUA_EXCEPTIONS or word[-3:] in ERHUA_EXCEPTIONS


def _split_mixed(tok: str) -> list[str]:
    if all(is_han(c) for c in tok) or not any(is_han(c) for c in tok):
        return [tok]
    return [m.group(0) for m in _RUNS_RE.finditer(tok)]


# Particles whose reading the POS tag decides: (char, jieba POS prefix) -> reading.
_POS_RULES = {
    ("了", "ul"): "le5",
    ("着", "uz"): "zhe5",
    ("得", "ud"): "de5",
    ("地", "uv"): "de5",
    ("的", "uj"): "de5",
    ("过", "ug"): "guo4",
    ("都", "d"): "dou1",
    ("还", "d"): "hai2",
    ("只", "d"): "zhi3",
    ("长", "a"): "chang2",
    ("得", "v"): "de2",
    ("地", "n"): "di4",
    ("种", "q"): "zhong3",
    ("数", "m"): "shu4",
    ("便", "d"): "bian4",
    ("处", "n"): "chu4",
    ("和", "c"): "he2",
    ("和", "p"): "he2",
    ("把", "p"): "ba3",
    ("给", "p"): "gei3",
    ("着", "v"): "zhao2",
    ("没", "d"): "mei2",
    ("没", "v"): "mei2",
    ("为", "p"): "wei4",
    ("干", "v"): "gan4",
    ("好", "a"): "hao3",
    ("大", "a"): "da4",
}


_DEGREE = frozenset("很 太 真 挺 好 更 最 超 蛮 非常 特别 比较 十分 相当 有点 越来越 那么 这么 多么".split())
_MODAL_BEFORE = frozenset("就 还 也 都 总 可 又 却 必须 一定 肯定 总是 恐怕 非 那 这下".split())  # not 只: 只得 zhi3 de2
_HANG_NOUNS = frozenset("字诗文码句书泪树柳草数")
_SUBJECTS = frozenset("我 你 您 他 她 我们 你们 他们 她们 咱们 大家 自己".split())
_MO_WORDS = frozenset("没收 没落 没顶 没齿 没世".split())
# words whose 得 is the verb 'obtain' (full de2) where the phrase dictionary gives a light de5
_DE_OBTAIN = ("夺得", "所得", "值得", "幸得", "争得", "分得", "赚得", "利得", "复得", "多得", "相得", "亚得里", "蒙得维")
_NUMERALS = frozenset("一二两三四五六七八九十几每半")
_REDUP_VERB = {"数": "shu3", "量": "liang2"}
# words whose 露 is the colloquial lou4 'show' (露一手, 露马脚); elsewhere lu4 (暴露, 露水, 崭露头角)
_LOU = ("露一手", "露馅", "露脸", "露富", "露底", "露怯", "露马脚", "露丑", "露面")


def context_readings(words: list[Word]) -> None:
    """Readings that the neighbouring words decide, for single-character words the dictionaries cannot see:
    重 after a degree adverb is the adjective zhong4 (很重); 觉 as the noun 'sleep' is jiao4 (好觉, 午觉);
    数/量 in a reduplicated verb are shu3/liang2 (数一数); 得 'must' after a pronoun or an adverb and before a verb
    is dei3 (你得好好学习); 行 counting lines after a numeral is hang2 (一行字); 谁 is read shei2; 着 in a potential
    complement is zhao2 (睡不着, 用不着); 待 on its own is dai1 'stay' (待着, 待会儿); 露 is lou4 in
    露一手, 露馅, 露脸 ... (also when the segmenter splits them: 露 + 一手); 只 between a demonstrative or numeral
    and a noun is the measure word zhi1 (那只小猫)."""
    for k, w in enumerate(words):  # the particle 地 has a verb after it: before punctuation, after a nominal word or
        # 等, it is the noun di4 'place' (三个主要地：, 西沙群岛等地，; 渐渐地， stays the particle)
        if w.text == "地" and w.pinyin == ["de5"] and k > 0 and (k + 1 == len(words) or words[k + 1].kind == "punct") \
                and (words[k - 1].pos or "x")[:1] in ("u", "m", "q", "b", "n", "r", "f", "s") \
                and not (len(words[k - 1].text) > 1 and words[k - 1].text[-1] == words[k - 1].text[-2]):
            w.pinyin[0], w.pos = "di4", "n"
    zh = [w for w in words if w.kind == "zh" and len(w.pinyin) == len(w.text)]
    for k, w in enumerate(zh):
        prev = zh[k - 1] if k else None
        nxt = zh[k + 1] if k + 1 < len(zh) else None
        t = w.text
        degree_before = (prev is not None and prev.text in _DEGREE) or (len(t) > 1 and t[:-1] in _DEGREE)
        if t[-1] == "重" and degree_before:
            w.pinyin[-1] = "zhong4"
        elif t[-1] == "差" and degree_before:
            w.pinyin[-1] = "cha4"
        elif t == "觉" and prev is not None and (prev.text[-1] in "好午个大小懒觉睡" or (
                prev.text[-1] == "着" and "睡" in prev.text)):
            w.pinyin[0], w.pos = "jiao4", "n"  # the noun 'sleep': 睡个好觉, 睡懒觉, 睡不着觉
        elif t[-1:] == "得" and t[:-1] in _MODAL_BEFORE and nxt is not None and nxt.pos[:1] in ("v", "d", "a"):
            w.pinyin[-1] = "dei3"  # 还得多练习, 就得走
        elif t == "得" and prev is not None and nxt is not None and (
                prev.pos[:1] == "r" or prev.text in _MODAL_BEFORE):
            if nxt.text in ("了", "到"):
                w.pinyin[0] = "de2"  # 他得了第一名: the verb 'obtain'
            elif nxt.pos[:1] in ("v", "d", "p", "z") or nxt.text[:2] == "好好" or nxt.text in ("多", "少") or (
                    nxt.text in _SUBJECTS and k + 2 < len(zh)
                    and (zh[k + 2].pos[:1] in ("v", "d") or zh[k + 2].text in ("一起", "亲自"))):
                w.pinyin[0] = "dei3"  # also with the subject of the verb between: 还得你来做, 就得大家一起努力
        elif t in _REDUP_VERB and nxt is not None and nxt.text in ("一", "了") and k + 2 < len(zh) \
                and zh[k + 2].text[:1] == t:
            w.pinyin[0] = zh[k + 2].pinyin[0] = _REDUP_VERB[t]
        elif t in _REDUP_VERB and nxt is not None and nxt.text[:1] in "一了" and nxt.text[1:2] == t:
            w.pinyin[0] = nxt.pinyin[1] = _REDUP_VERB[t]
        if len(t) == 3 and t[0] == t[2] and t[0] in _REDUP_VERB and t[1] in "一了":  # 数一数 as one word
            w.pinyin[0] = w.pinyin[2] = _REDUP_VERB[t[0]]
        if t.endswith("行") and nxt is not None and nxt.text[0] in _HANG_NOUNS and (
                t[:-1][-1:] in _NUMERALS or (t == "行" and prev is not None and prev.text[-1:] in _NUMERALS)):
            w.pinyin[-1] = "hang2"
        if len(t) == 4 and t[0] == t[1] and t[2] == t[3] and t[0] != t[2]:
            base = phrase_reading(t[0] + t[2])  # AABB keeps the readings of the word AB: 漂漂亮亮 piao4 ... liang4
            if len(base) == 2 and "?" not in base:
                w.pinyin = [base[0], base[0], _full(base[1], t[2]), _full(base[1], t[2])]
        if len(t) >= 2 and t[-1] == "着" and t[-2] in "不得" and (len(t) >= 3 or (prev is not None and prev.pos[:1] == "v")):
            w.pinyin[-1] = "zhao2"  # a potential complement 'reach, manage to': 睡不着, 找不着, 用不着, 够得着
        if t[0] == "待" and w.pinyin[0] == "dai4" and (t.startswith(("待着", "待会", "待在", "待了", "待过")) or (
                t == "待" and nxt is not None and (nxt.text[:1] in "着在了过" or nxt.text.startswith(("一会", "会儿"))))):
            w.pinyin[0] = "dai1"  # the verb 'stay' (待着, 待在家里, 待会儿, 待了三年); dai4 'treat, await' elsewhere
        if t[0] == "没" and len(t) > 1 and w.pinyin[0] == "mo4" and t[:2] not in _MO_WORDS:
            w.pinyin[0] = "mei2"  # 没来, 没钱: the negation; mo4 'sink, confiscate' only in 没收, 没落 ...
        if t[0] == "得" and len(t) > 1 and w.pinyin[0] == "de5":
            w.pinyin[0] = "de2"  # a word opened by 得 is 'obtain' (得分, 得奖), never the particle the model may give
        if "得" in t and len(t) > 1:
            for key in _DE_OBTAIN:
                at = t.find(key)
                if at >= 0:
                    w.pinyin[at + key.index("得")] = "de2"  # 夺得, 所得税, 值得: 'obtain', not the particle
        if t[0] == "露" and w.pinyin[0] == "lu4" and (t.startswith(_LOU) or (
                t == "露" and nxt is not None and ("露" + nxt.text).startswith(_LOU))):
            w.pinyin[0] = "lou4"
        elif t[-1] == "露" and w.pinyin[-1] == "lu4" and nxt is not None and nxt.text == "了" and k + 2 < len(zh) \
                and ("露" + zh[k + 2].text).startswith(_LOU):
            w.pinyin[-1] = "lou4"  # 露了一手, also when the segmenter glued 露 to the word before (晚会 + 上露 + 了)
        if t == "还" and w.pinyin[0] == "hai2" and _return_huan(prev, nxt, zh[k + 2] if k + 2 < len(zh) else None,
                                                                  k + 1 == len(zh) or words_after_punct(words, w)):
            w.pinyin[0] = "huan2"  # 'give back': 去还书, 还你钱, 借了要还。 (the adverb hai2 goes before a verb)
        if t == "教" and w.pinyin[0] == "jiao4" and nxt is not None and (nxt.pos or "x")[:1] == "r" \
                and nxt.text in _SUBJECTS | _PERSONS_OBJ:
            w.pinyin[0] = "jiao1"  # the verb 'teach' before its object: 教他们数学, 教我们唱歌 (教育 stays jiao4)
        if t == "为" and w.pinyin[0] == "wei4" and nxt is not None and _copula_wei(prev, nxt):
            w.pinyin[0] = "wei2"  # 'be, become': 约为三百, 均为, 被贬为; the preposition 'for' stays wei4 (为你)
        if t == "只" and w.pinyin[0] == "zhi3" and prev is not None and nxt is not None and (
                prev.text in ("这", "那", "哪", "每", "几") or (prev.text[-1:] in _NUMERALS and prev.pos[:1] == "m")) \
                and nxt.pos[:1] == "n":
            w.pinyin[0], w.pos = "zhi1", "q"  # the measure word before its noun (那只小猫, 这只鸟); 那只会 ... keeps zhi3
        elif len(t) >= 2 and t[-1] == "只" and w.pinyin[-1] == "zhi3" and all(c in _NUMERALS or c in "十百千万几" for c in t[:-1]):
            w.pinyin[-1] = "zhi1"  # a numeral and the measure word: 三只, 两只, 几只
        if t == "假" and w.pinyin[0] == "jia3" and prev is not None and (
                prev.text[-1:] in _LEAVE_VERBS or (prev.text in ("过", "了", "个", "几天", "三天") and k >= 2
                                                   and zh[k - 2].text[-1:] in _LEAVE_VERBS)):
            w.pinyin[0], w.pos = "jia4", "n"  # 'leave, holiday' after its verb: 请过假, 放了假, 休个假
        if t == "落下" and w.pinyin[0] == "la4" and prev is not None and (
                prev.pos[:1] in ("d", "z") or (len(prev.text) == 2 and prev.text[0] == prev.text[1])
                or (prev.pos[:1] == "n" and (nxt is None or words_after_punct(words, w)))
                or (nxt is not None and nxt.text == "帷幕")):
            w.pinyin[0] = "luo4"  # 'fall': 纷纷落下, 树叶落下。, 落下帷幕 (la4 'leave behind': 把书落下了)
        if t == "长" and w.pinyin[0] == "chang2" and nxt is not None and nxt.text == "得" and k + 2 < len(zh) \
                and zh[k + 2].text.startswith(_LOOKS):
            w.pinyin[0] = "zhang3"  # 'grow, look': 长得很高, 长得像妈妈 (这条路长得看不到头 stays chang2 'long')
        at = t.find("埋怨")
        if at >= 0:
            w.pinyin[at] = "man2"  # 埋怨 'complain' is man2 (the phrase dictionary has mai2, the 'bury' reading)
        for i, c in enumerate(t):
            if c == "谁" and w.pinyin[i] == "shui2":
                w.pinyin[i] = "shei2"  # the spoken standard reading (shuí is the literary variant)


# what 长得 'grows, looks' is followed by: a degree, a likeness or a look (长得很高, 长得像, 长得漂亮)
_LOOKS = tuple("很 真 好 挺 太 非常 特别 十分 越来越 更 像 跟 和 一模一样 漂亮 帅 好看 难看 高 矮 胖 瘦 可爱 快 慢 结实 壮 "
               "俊 美 丑 精神 秀气 白 黑 水灵".split())
_LEAVE_VERBS = frozenset("请放休度")  # 请假, 放假, 休假, 度假 with 过/了/个 between
_PERSONS_OBJ = frozenset("它 它们 人家 别人".split())


def words_after_punct(words: list[Word], w: Word) -> bool:
    """Whether ``w`` is followed by punctuation (or ends the sentence)."""
    at = next(i for i, x in enumerate(words) if x is w)
    return at + 1 == len(words) or words[at + 1].kind == "punct"


def _return_huan(prev: Word | None, nxt: Word | None, after: Word | None, final: bool) -> bool:
    """还 tagged as the adverb 'still' (hai2) that is the verb 'give back' (huan2): before a monosyllabic noun (去还书,
    还钱), before a pronoun and a noun (还你钱) or closing a clause after a verb (借了要还。); 'still' stands before a
    verb, an adjective, an adverb or a number (还在, 还好, 还不, 还三天)."""
    if final:
        return prev is not None and (prev.pos or "x")[:1] == "v"
    if nxt is None:
        return False
    if (nxt.pos or "x")[:1] == "n" and nxt.pos[:2] != "nr" and len(nxt.text) == 1:
        return True  # a monosyllabic object (书, 钱, 债); a longer word tagged as a noun may be a verb (还主演过)
    return (nxt.pos or "x")[:1] == "r" and nxt.text in _SUBJECTS and after is not None \
        and (after.pos or "x")[:1] == "n" and after.pos[:2] != "nr"


_WEI2_BEFORE = frozenset("原 均 约 即 仍 皆 乃 亦 则 分别 依次 一律 大多 多数".split())
_WEI2_VERBS = frozenset("贬改定选评列分变转化译称视封拜任升降立设编划并合更作成认奉尊推誉聘命")


def _copula_wei(prev: Word | None, nxt: Word) -> bool:
    """为 tagged as a preposition that is the verb 'be, become' (wei2): after an adverb of that copula (原为, 约为,
    均为, 分别为), before the bare noun 人 (为人质朴, 为人父母; 为人民 is 为 + 人民) or after a verb of naming,
    choosing or changing that takes 为 as its complement (被贬为, 选为);
    'for' stays wei4 (为你, 都为他高兴, 公司为三百名员工 ...: a noun before and a number after decide nothing)."""
    if nxt.text == "人":  # 为人质朴, 为人父母: 'be (as) a person'
        return True
    if prev is None:
        return False
    if prev.text in _WEI2_BEFORE:
        return True
    return (prev.pos or "x")[:1] == "v" and prev.text[-1] in _WEI2_VERBS


def _full(reading: str, ch: str) -> str:
    """A neutral-tone dictionary reading turned back into the character's own full tone (明白 bai5 -> bai2)."""
    if not reading.endswith("5"):
        return reading
    for r in char_readings(ch):
        if r[:-1] == reading[:-1] and not r.endswith("5"):
            return r
    return reading


class G2P:
    def __init__(self, strategy: str = "phrase+g2pm") -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown G2P strategy {strategy!r}; choose one of {STRATEGIES}")
        self.strategy = strategy

    def annotate(self, sentence: str, words: list[Word]) -> list[Word]:
        """Fill ``pinyin`` of every zh word in place (``sentence`` is the concatenation of the words' text)."""
        # (word, index in word, index in sentence, candidates, reading came from a phrase)
        uncertain: list[tuple[Word, int, int, list[str], bool]] = []
        offset = 0
        for w in words:
            if w.kind == "zh":
                uncertain.extend(self._word(w, offset))
            offset += len(w.text)
        if uncertain and self.strategy in ("phrase+g2pm", "g2pm"):
            from sambert_lambda.frontend.g2pm_model import get_model

            model = get_model()
            if model is not None:
                probs = model.probabilities(sentence, [u[2] for u in uncertain], [u[3] for u in uncertain])
                for (w, i, _, _, from_phrase), pr in zip(uncertain, probs, strict=True):
                    if not pr:
                        continue
                    best = max(pr, key=pr.__getitem__)
                    if not from_phrase or (
                        pr[best] > PHRASE_OVERRIDE_P
                        and best != w.pinyin[i]
                        and word_freq(w.text[i]) < COMMON_CHAR_FREQ
                    ):
                        w.pinyin[i] = best
        if self.strategy != "pypinyin":
            for w in words:
                if w.kind == "zh" and len(w.text) == 1:
                    rule = _POS_RULES.get((w.text, w.pos[:2]))
                    if rule:
                        w.pinyin[0] = rule
            context_readings(words)
        return words

    def _word(self, w: Word, offset: int) -> list[tuple[Word, int, int, list[str], bool]]:
        text = w.text
        if self.strategy == "pypinyin":
            w.pinyin = _normalize_list(phrase_reading(text), text)
            return []
        covered = [False] * len(text)
        fixed = [False] * len(text)  # a corrected phrase reading: the model does not override it
        reading = [""] * len(text)
        if self.strategy != "g2pm":
            for a, b in phrase_spans(text):
                fix = _PHRASE_FIXES.get(text[a:b])
                reading[a:b] = fix or phrase_reading(text[a:b])
                covered[a:b] = [True] * (b - a)
                fixed[a:b] = [fix is not None] * (b - a)
        out = []
        for i, ch in enumerate(text):
            if not covered[i]:
                cands = char_readings(ch) if is_han(ch) else []
                reading[i] = cands[0] if cands else "?"
            if self.strategy != "phrase" and not fixed[i]:
                model_cands = _model_candidates(ch)
                if len(model_cands) > 1:
                    out.append((w, i, offset + i, model_cands, covered[i]))
        w.pinyin = _normalize_list(reading, text)
        return out


# phrase-dictionary entries whose reading standard dictionaries give otherwise: 差 'difference' is cha1 in the nouns
# 落差, 温差, 时差 ... (the dictionary has the cha4 of 'poor'; 相差, 差点, 差不多 keep cha4); 朴 'plain' is pu3 (质朴,
# 简朴: the dictionary has the surname piao2); 琢磨 'ponder' is zuo2 (the sense its light mo5 belongs to); 解法, 查查
_PHRASE_FIXES = {
    **{w: [r, "cha1"] for w, r in (("高差", "gao1"), ("落差", "luo4"), ("反差", "fan3"), ("温差", "wen1"),
                                   ("时差", "shi2"), ("视差", "shi4"), ("色差", "se4"), ("逆差", "ni4"), ("级差", "ji2"))},
    **{w: [r, "pu3"] for w, r in (("质朴", "zhi4"), ("纯朴", "chun2"), ("简朴", "jian3"), ("古朴", "gu3"), ("素朴", "su4"),
                                  ("诚朴", "cheng2"), ("浑朴", "hun2"), ("拙朴", "zhuo1"), ("敦朴", "dun1"),
                                  ("醇朴", "chun2"), ("勤朴", "qin2"))},
    "琢磨": ["zuo2", "mo2"],
    "解法": ["jie3", "fa3"],  # 'method of solution' (the dictionary has the xie4 of 浑身解数)
    "查查": ["cha2", "cha2"],  # the reduplicated verb 'check' (surface cha2 cha5), not zha1
    "划船": ["hua2", "chuan2"],  # 'row a boat' (right in the dictionary; listed so that the model keeps it)
    "蒙蒙亮": ["meng1", "meng1", "liang4"],  # 'first light' (the model turns the first 蒙 into meng3)
}


def _model_candidates(ch: str) -> list[str]:
    """Readings the polyphone model was trained to choose between for ``ch`` ([] if it is not polyphonic there)."""
    from sambert_lambda.frontend.g2pm_model import get_model

    model = get_model()
    return list(dict.fromkeys(model.candidates(ch))) if model is not None else []


def _normalize_list(readings: list[str], text: str) -> list[str]:
    out = []
    for r, ch in zip(readings, text, strict=False):
        out.append(r if r and r != "?" and is_han(ch) else "?")
    while len(out) < len(text):
        out.append("?")
    return out


def warm_up() -> None:
    """Load every dictionary and the polyphone model now (image build time or Lambda init)."""
    from sambert_lambda.frontend.g2pm_model import get_model

    _jieba().lcut("预热")
    _pypinyin()
    get_model()


@lru_cache(maxsize=4)
def get_g2p(strategy: str = "phrase+g2pm") -> G2P:
    return G2P(strategy)
