"""Surface tones: erhua merging, neutral tones, 一/不 sandhi and third-tone sandhi.

Works on prosodic words, each a list of lexical words with per-character TONE3 readings. Order of application:
erhua -> neutral tones -> 一/不 -> 3-3 sandhi (so a neutral syllable breaks a run of third tones).
Rules (no labelled data was used):
- erhua: a word-final 儿 after another character merges into that syllable (玩儿 -> wanr2), except in words where
  儿 is a morpheme of its own (女儿, 婴儿, 幼儿 ...) and in proper names (笛卡儿).
- neutral tone: particles 了/着/的/地/得/吗/呢/吧/啊/呀/嘛/啦/哦 tagged as particles; the suffix 们; the noun suffix 子
  in common words; reduplicated kinship nouns (妈妈); a list of common words whose later syllable is neutral in
  standard Mandarin (朋友, 东西 'thing', 衣服, 时候 ..., the proficiency test's required light words among them;
  optionally light words such as 太阳 stay full), also heading 老实人 and with erhua (被窝儿).
- 一: yi1 when read as a digit (第一, 十一, 一九, word-final, before punctuation), in arithmetic (一加一) or in a
  date (一月, 五月一日);
  yi5 between a reduplicated verb (看一看); otherwise yi2 before tone 4 and yi4 before tones 1-3 (also before 百/千/万/亿: 一百 yi4 bai3).
- 不: bu5 between a reduplicated word (是不是) and inside a three-character potential complement (对不起,
  来不及); bu2 before tone 4; otherwise bu4.
- third tone (3-3 sandhi): a third tone before another third tone becomes tone 2, inside a prosodic phrase (never
  across a break ≥ #2, punctuation or an English word), applied cyclically from the smallest unit outwards: inside
  each word (a 3-character word by its dictionary structure, 2+1 展览馆 -> zhan2 lan2 guan3 or 1+2 纸老虎 -> zhi3
  lao2 hu3; a 4-character word as 2+2; numbers and longer words left to right), then across the words of a prosodic
  word, then across the prosodic words (#1) of the phrase. At each level the boundaries are taken left to right on the
  tones the inner cycles left, so 小 + 老虎 -> xiao3 lao2 hu3, 买 #1 好酒 -> mai3 hao2 jiu3 and 老李 #1 买好 ->
  lao2 li3 mai2 hao3; a monosyllabic pronoun or adverb that opens a prosodic word (or follows another one in it)
  forms one foot with what follows and sees its tone before the inner cycles (我 #1 很好 -> wo2 hen2 hao3, 也 #1
  可以 -> ye2 ke2 yi3, 我也 #1 想买 -> wo2 ye2 xiang2 mai3); nothing carries over the boundary after a conjunction
  or 与/以/或 (政府 #1 与 #1 企业 -> yu3 qi3 ye4), and a lone preposition is read cyclically (把 #1 手表 -> ba3).
"""

from __future__ import annotations

import itertools

from sambert_lambda.frontend.pinyin import (
    DIRECTIONAL_COMPLEMENTS,
    DIRECTIONAL_WORDS,
    ERHUA_EXCEPTIONS,
    MEASURE_WORDS,
    Word,
)

_PARTICLES_5 = {"了": "le5", "着": "zhe5", "的": "de5", "地": "de5", "得": "de5", "吗": "ma5", "呢": "ne5",
                "吧": "ba5", "啊": "a5", "呀": "ya5", "嘛": "ma5", "啦": "la5", "哦": "o5", "么": "me5", "哪": "na5",
                "哇": "wa5", "喽": "lou5", "呗": "bei5"}
_PARTICLE_POS = ("u", "y", "e")
_INTERJECTIONS = {"哇": "wa1", "呀": "ya1"}  # full-toned when they open the sentence before punctuation
_NEUTRAL_SECOND = frozenset(
    "露水 朋友 东西 衣服 时候 事情 意思 知道 告诉 喜欢 明白 漂亮 舒服 麻烦 认识 清楚 先生 客气 关系 消息 眼睛 "
    "耳朵 嘴巴 脑袋 窗户 豆腐 萝卜 馒头 石头 木头 骨头 舌头 指头 丫头 枕头 钟头 念头 苗头 跟头 "
    "东边 西边 南边 北边 里边 外边 上边 下边 前边 后边 这边 那边 里面 外面 上面 下面 前面 后面 "
    "商量 打听 打扮 收拾 琢磨 折腾 凉快 暖和 热闹 干净 聪明 糊涂 老实 结实 踏实 厉害 应付 糟蹋 和气 名气 "
    "便宜 咳嗽 喇叭 玻璃 葡萄 琵琶 蘑菇 芝麻 月亮 太阳 尾巴 哑巴 嘴巴 下巴 泥巴 "
    "姑娘 媳妇 丈夫 大夫 师傅 亲戚 伙计 学生 名字 行李 包袱 队伍 生意 规矩 "
    "脑子 日子 屋子 桌子 椅子 孩子 儿子 妻子 房子 样子 鼻子 肚子 帽子 裤子 鞋子 袜子 被子 杯子 盘子 "
    "本事 功夫 工夫 味道 动静 事儿 玩意 头发 眉毛 指甲 胳膊 心思 道理 记性 忘性 "
    "什么 怎么 这么 那么 多么 要么 我们 你们 他们 她们 它们 咱们 人们 "
    "晚上 早上 故事 地方 休息 打算 觉得 记得 懂得 晓得 舍得 衣裳 庄稼 家伙 称呼 招呼 吩咐 嘱咐 "
    "张罗 吆喝 嘀咕 唠叨 哆嗦 溜达 耽误 委屈 笑话 买卖 动弹 疙瘩 冤枉 活泼 利索 痛快 稀罕 似的 "
    "云彩 骆驼 扫帚 笤帚 核桃 柿子 爱人 这个 那个 哪个 出来 起来 过来 回来 进来 上来 下来 "
    "巴掌 包子 本事 比方 扁担 别扭 簸箕 补丁 裁缝 财主 苍蝇 柴火 出息 畜生 刺猬 凑合 耷拉 答应 打点 打发 "
    "打量 耽搁 灯笼 提防 点心 东家 嘟囔 对付 哆嗦 恶心 风筝 福气 富余 甘蔗 高粱 膏药 疙瘩 跟头 寡妇 "
    "怪物 官司 闺女 蛤蟆 含糊 合同 和尚 红火 后头 厚道 狐狸 胡琴 护士 皇上 火候 机灵 记号 架势 嫁妆 "
    "见识 将就 交情 叫唤 街坊 姐夫 戒指 口袋 窟窿 快活 阔气 喇嘛 懒得 老婆 老爷 累赘 篱笆 里头 力气 利落 "
    "痢疾 连累 粮食 铃铛 麻利 马虎 码头 忙活 冒失 媒人 门道 迷糊 苗条 名堂 模糊 木匠 难为 能耐 念叨 "
    "娘家 奴才 女婿 牌楼 盘算 脾气 屁股 婆家 欺负 勤快 亲家 软和 上司 上头 烧饼 少爷 身子 牲口 师父 "
    "石匠 石榴 拾掇 使唤 收成 首饰 舒坦 疏忽 爽快 思量 算计 岁数 抬举 太太 摊子 挑剔 跳蚤 铁匠 妥当 "
    "唾沫 挖苦 稳当 窝囊 被窝 虾米 吓唬 相声 小气 秀才 秀气 学问 衙门 胭脂 烟筒 秧歌 养活 妖精 钥匙 "
    "应酬 冤家 月饼 在乎 扎实 眨巴 栅栏 丈人 帐篷 招牌 芝麻 转悠 壮实 状元 祖宗 作坊 "
    "先生 喜欢 谢谢 星星 休息 意思 眼睛 衣服 月亮 早上 怎么 这么 那么 丈夫 枕头 指头 主意 琢磨 嘴巴 "
    "合计 比划 摆设 宽敞 硬朗 体面 外甥 运气 馄饨 哈欠 喷嚏 黄瓜 哼唧 窝头 玫瑰 枇杷 蚂蚱 特务 算盘 热乎 弟兄 "
    "告示 糊弄 底下 "
    # more words with a light second syllable in standard dictionaries (one sense only, so no context is needed)
    "扒拉 拨拉 摆布 摆弄 拨弄 帮衬 帮手 包涵 棒槌 薄荷 本钱 工钱 价钱 鼻涕 差事 道士 颤悠 晃悠 晃荡 "
    "搭理 倒腾 闹腾 叨唠 絮叨 掂量 服侍 伺候 归置 支使 指望 埋怨 忌讳 讲究 搅和 掺和 "
    "福分 生分 勾当 行当 顺当 快当 大爷 姑爷 妹夫 舅妈 孙女 侄女 "
    "寒碜 牙碜 花哨 宽绰 冷清 亮堂 轻巧 实诚 严实 皮实 神气 干巴 结巴 磨蹭 扭捏 消停 歇息 忙乎 "
    "后生 家什 门路 排场 盘缠 油水 时辰 早晨 砚台 芥末 棉花 葫芦 菩萨 喜鹊 鸳鸯 眯缝 疟疾 "
    "甜头 苦头 看头 盼头 奔头 蝈蝈 蛐蛐 猩猩 狒狒 饽饽 "
    # the rest of the required light words of the Putonghua proficiency test's list that no rule covers (its 子
    # words that are not always tagged as nouns, 头 words, 为了, 除了, 乡下 ...)
    "白净 除了 为了 锄头 罐头 拳头 浪头 前头 外头 下头 脊梁 铺盖 乡下 小姐 "
    "案子 把子 班子 板子 本子 步子 场子 单子 胆子 底子 调子 份子 个子 架子 句子 卷子 空子 口子 例子 路子 "
    "面子 牌子 片子 圈子 嗓子 身子 台子 条子 位子 性子 样子 影子 种子 主子 下子".split()
) - {"学生", "太阳", "道理"}  # 太阳, 道理 are light only optionally (tài·yáng, dào·lǐ): read full
# light only as a whole word (not 淋巴结, 阿谀奉承, 银行家; 学生 xue2 sheng5, but 大学生, 小学生 da4 xue2 sheng1)
_NEUTRAL_WORD = frozenset("巴结 奉承 行家 学生".split())
_NEUTRAL_HEAD_END = frozenset("人话们")  # a listed word heading a 3-character word: 老实人, 客气话, 姑娘们
_ZI_NOT_NEUTRAL = frozenset(
    "孔子 孟子 老子 庄子 墨子 荀子 韩非子 男子 女子 原子 电子 分子 质子 中子 离子 因子 粒子 量子 光子 "
    "君子 才子 弟子 孝子 游子 赤子 天子 太子 王子 公子 世子 瓜子 莲子 棋子 诸子 学子 舟子 仔子 卵子 精子 "
    "孢子 种子 扇子 胖子 骗子 父子 母子 长子 次子 独子 养子 继子 嫡子 庶子 爱子 幼子 浪子 逆子 夫子 孺子 臣子 "
    "士子 甲子 鱼子 私生子".split()
) - {"种子", "扇子", "胖子", "骗子"}
_REDUP_VERBS = frozenset("看问听想试说走尝聊谈找等摸查洗写读学玩练坐转逛歇笑跳谢讲拍量算数猜比商研讨动教管闻"
                         "散擦揉捏敲搓晒瞧劝夸哄捶踩摇扶逗")
_NOT_REDUP_VERBS = frozenset(  # adverbs, adjectives and sound words the tagger may call verbs
    "处处 往往 纷纷 频频 连连 整整 足足 活活 满满 略略 累累 死死 通通 统统 仅仅 白白 弯弯 习习 断断 强强 "
    "可可 呼呼 刷刷 呵呵 哗哗 鼓鼓 露露 轰轰 申申 扬扬 寻寻 囔囔 随随 负负 诤诤 讪讪 蒸蒸 落落 荡荡 "
    "腾腾 窃窃 突突".split()
)
_KINSHIP = frozenset("妈爸哥姐弟妹爷奶叔姑舅婶伯姥宝娃公婆")
_NUM_CHARS = frozenset("零〇一二两三四五六七八九十百千万亿")
_DIGIT_CHARS = frozenset("零〇一二两三四五六七八九十")
_YI_DETERMINERS = frozenset("这那哪每同任另某")  # 这一 + 天: 一 is the numeral of the measure word that follows
_PUNCT_STOP = frozenset("，。！？；：、,.!?;:")
_YI_FINAL_WORDS = frozenset("统一 唯一 单一 专一 划一 归一 合一 万一 纯一".split())
_YI_ORDINAL = ("等奖", "等功", "等座", "等品", "级", "流", "楼", "号", "年级", "审", "把手", "线")


def _tone(p: str) -> int:
    return int(p[-1]) if p and p[-1].isdigit() else 5


def _set_tone(p: str, t: int) -> str:
    return (p[:-1] if p and p[-1].isdigit() else p) + str(t)


def merge_erhua(word: Word) -> None:
    """玩儿 -> one syllable ``wanr2`` carried by the pair; the ``pinyin`` list then has len(text) - 1 entries."""
    if word.kind != "zh" or len(word.text) < 2 or not word.text.endswith("儿") or word.text in ERHUA_EXCEPTIONS:
        return
    if word.pos[:2] in ("nr", "ns", "nt", "nz"):  # names keep a full 儿 syllable (笛卡儿)
        return
    if word.pinyin[-2] == "?" or word.pinyin[-2].startswith("er"):
        return
    base = word.pinyin[-2]
    word.pinyin = [*word.pinyin[:-2], base[:-1] + "r" + base[-1]]


def erhua_ok(word: Word) -> bool:
    return len(word.pinyin) == len(word.text) - 1


def neutral_tones(words: list[Word]) -> None:
    complement_de(words)
    prev: Word | None = None
    first = next((w for w in words if w.kind == "zh"), None)
    for k, w in enumerate(words):
        if w.kind != "zh":
            prev = None
            continue
        t, before, prev = w.text, prev, w
        if (len(t) == 1 and before is not None and before.text == t and w.pos[:1] == "v" and before.pos[:1] == "v"
                and len(w.pinyin) == 1):
            w.pinyin[0] = _set_tone(w.pinyin[0], 5)  # a verb reduplicated across two words: 揉 + 揉, 说 + 说
        if (len(t) == 2 and t[0] != t[1] and before is not None and before.text == t and w.pos[:1] == "v"
                and before.pos[:1] == "v" and len(w.pinyin) == 2 and len(before.pinyin) == 2):
            before.pinyin[1] = _set_tone(before.pinyin[1], 5)  # ABAB of a disyllabic verb: 研究 + 研究 has
            w.pinyin[1] = _set_tone(w.pinyin[1], 5)  # light second and fourth syllables (yan2 jiu5 yan2 jiu5)
        elif (len(t) == 4 and t[:2] == t[2:] and t[0] != t[1] and w.pos[:1] == "v" and len(w.pinyin) == 4):
            w.pinyin[1], w.pinyin[3] = _set_tone(w.pinyin[1], 5), _set_tone(w.pinyin[3], 5)  # 讨论讨论 as one word
        if len(w.pinyin) == len(t) and _directional(t, before):
            w.pinyin[-1] = _set_tone(w.pinyin[-1], 5)  # 走出去, 走进 + 去, 跑过来: the directional 来/去 is light
        if t == "地" and before is not None and _reduplicated(before.text):
            w.pinyin[0] = "de5"  # the adverbial particle after a reduplicated adverb: 高高兴兴地
        elif len(t) in (3, 5) and t[-1] == "地" and _reduplicated(t[:-1]) and len(w.pinyin) == len(t):
            w.pinyin[-1] = "de5"  # 悄悄地, 慢慢腾腾地 as one word
        if t in _INTERJECTIONS and w is first and k + 1 < len(words) and words[k + 1].kind == "punct":
            w.pinyin[0] = _INTERJECTIONS[t]  # an interjection opening the sentence is no particle: 哇，好漂亮。
        elif len(t) == 1 and t in _PARTICLES_5 and w.pos[:1] in _PARTICLE_POS and w.pinyin[0] not in ("dei3", "de2"):
            w.pinyin[0] = _PARTICLES_5[t]
        elif t == "们" or (len(t) > 1 and t.endswith("们") and len(w.pinyin) == len(t)):
            w.pinyin[-1] = "men5"
        if len(t) >= 3 and t[-1] == "儿" and erhua_ok(w) and t[:-1] in _NEUTRAL_SECOND:
            w.pinyin[-1] = _set_tone(w.pinyin[-1], 5)  # a listed word with erhua: 被窝儿 bei4 wor5, 玩意儿
        if len(t) >= 2 and len(w.pinyin) == len(t):
            if len(t) == 3 and t[:2] in _NEUTRAL_SECOND and t[2] in _NEUTRAL_HEAD_END and t[:2] not in DIRECTIONAL_COMPLEMENTS:
                w.pinyin[1] = _set_tone(w.pinyin[1], 5)  # 老实人 lao3 shi5 ren2
            elif len(t) == 4 and t.endswith(("一下", "一番")) and t[:2] in _NEUTRAL_SECOND:
                w.pinyin[1] = _set_tone(w.pinyin[1], 5)  # the segmenter's 商量一下, 休息一下, 收拾一番
            elif t[-2:] in _NEUTRAL_SECOND or t in _NEUTRAL_SECOND or t in _NEUTRAL_WORD:
                key = t if t in _NEUTRAL_SECOND or t in _NEUTRAL_WORD else t[-2:]
                for j in range(1, len(key)):
                    w.pinyin[len(t) - len(key) + j] = _set_tone(w.pinyin[len(t) - len(key) + j], 5)
            elif t.endswith("子") and t not in _ZI_NOT_NEUTRAL and w.pos[:1] == "n" and w.pinyin[-1] == "zi3":
                w.pinyin[-1] = "zi5"
            elif t[0] == t[1] and t[0] in _KINSHIP and (len(t) == 2 or w.pos[:1] == "n"):
                w.pinyin[1] = _set_tone(w.pinyin[1], 5)  # 妈妈, and as the first part of a noun: 姑姑家
                if len(t) == 4 and t[2] == t[3] and t[2] in _KINSHIP:
                    w.pinyin[3] = _set_tone(w.pinyin[3], 5)  # 爷爷奶奶
            elif len(t) == 3 and t[1] == t[2] and t[1] in _KINSHIP and t[0] in "小大老表堂亲":
                w.pinyin[2] = _set_tone(w.pinyin[2], 5)  # closing a word: 小姐姐, 大哥哥, 表妹妹
            elif t[0] == t[1] and (t[0] in _REDUP_VERBS or w.pos in ("v", "vn")) and t[:2] not in _NOT_REDUP_VERBS \
                    and (len(t) == 2 or w.pos[:1] in ("v", "i", "l") or (len(t) == 3 and t[0] in _REDUP_VERBS)):
                w.pinyin[1] = _set_tone(w.pinyin[1], 5)  # a reduplicated verb: 看看, 问问, 谢谢, 聊聊天, 瞧瞧
            if (len(t) == 3 and t[1] == "不" and t[0] != t[2]) or (len(t) == 4 and t[1] == "不" and t[2:] in DIRECTIONAL_COMPLEMENTS):
                w.pinyin[1] = "bu5"  # potential complement: 对不起, 来不及, 受不了, 说不出来
                if t[2] == "得":
                    w.pinyin[2] = "de5"  # 舍不得, 怪不得, 恨不得, 了不得
            elif len(t) == 3 and t[1] == "得" and t[0] != t[2]:
                w.pinyin[1] = "de5"  # complement 说得对, 来得及, 记得住


_DE_NEXT_POS = ("a", "z", "d", "i", "l")


def complement_de(words: list[Word]) -> None:
    """A two-character word V得 that the phrase dictionary does not know (the segmenter's 冻得, 忙得, 累得), read with
    the character's de2, before an adjective, a state word, an adverb or an idiom is the complement particle de5
    (冻得通红, 忙得很, 累得满头大汗); words of the dictionary (获得, 取得, 值得, 难得) keep their reading."""
    from sambert_lambda.frontend.pinyin import phrase_spans

    zh = [w for w in words if w.kind == "zh"]
    for w, nxt in itertools.pairwise(zh):
        if (len(w.text) == 2 and w.text[1] == "得" and len(w.pinyin) == 2 and w.pinyin[1] == "de2"
                and (w.pos or "x")[:1] == "v" and (nxt.pos or "x")[:1] in _DE_NEXT_POS and not phrase_spans(w.text)):
            w.pinyin[1] = "de5"


def _directional(t: str, before: Word | None) -> bool:
    """来/去 completing a direction: 出去, 下去 on their own, V + 出去 / 过去 in one word, or after a verb ending in
    进/出/回/上/下/过/起 (走进 + 去). 过去 alone ('the past') keeps its full tone."""
    if t in DIRECTIONAL_COMPLEMENTS:
        return True
    if len(t) == 3 and t[1:] in DIRECTIONAL_WORDS:
        return True
    return (t in ("来", "去") and before is not None and len(before.text) >= 2 and before.pos[:1] == "v"
            and before.text[-1] in "进出回上下过起")


def _reduplicated(t: str) -> bool:
    return (len(t) == 2 and t[0] == t[1]) or (len(t) == 4 and t[0] == t[1] and t[2] == t[3])


def _flatten(words: list[Word]) -> list[tuple[Word, int, str]]:
    """(word, syllable index, char) for every Chinese syllable; non-Chinese words give a (word, -1, text) marker."""
    out = []
    for w in words:
        if w.kind == "zh":
            out.extend((w, i, w.text[i]) for i in range(len(w.pinyin)))
        else:
            out.append((w, -1, w.text))
    return out


def yi_bu(words: list[Word]) -> None:
    flat = _flatten(words)
    for k, (w, i, ch) in enumerate(flat):
        if i < 0 or ch not in "一不" or w.pinyin[i] not in ("yi1", "bu4", "bu2", "yi2", "yi4", "bu5"):
            continue
        prev = flat[k - 1] if k > 0 else None
        nxt = flat[k + 1] if k + 1 < len(flat) else None
        prev_ch = prev[2] if prev and prev[1] >= 0 else ""
        nxt_ch = nxt[2] if nxt and nxt[1] >= 0 else ""
        nxt_tone = _tone(nxt[0].pinyin[nxt[1]]) if nxt and nxt[1] >= 0 else None
        if ch == "不" and w.pinyin[i] == "bu5":
            continue
        if ch == "一":
            if (prev_ch == "第" or prev_ch in _NUM_CHARS or nxt_ch in _DIGIT_CHARS or nxt_tone is None
                    or nxt_ch == "月" or (prev_ch == "月" and nxt_ch in "日号")
                    or (prev_ch == "比" and k >= 2 and flat[k - 2][2] in _NUM_CHARS)  # a score: 三比一
                    or (prev_ch == "周" and len(w.text) == 1)  # 每周 + 一: Monday (每周一次 is 每周 + 一次)
                    or _arithmetic(flat, k) or _address_digit(flat, k)):
                # ... and a number in arithmetic: 一乘十的十次方, 一加一, 三乘以一
                w.pinyin[i] = "yi1"  # a digit: 第一, 十一, 一九九零; a date: 一月, 五月一日
            elif len(w.text) >= 2 and i == len(w.text) - 1 and w.text[0] not in _YI_DETERMINERS:
                w.pinyin[i] = "yi1"  # word-final: 统一, 唯一, 星期一, 之一 (not 这一 + 天, 每一 + 个)
            elif i >= 1 and w.text[i - 1:i + 1] in _YI_FINAL_WORDS:
                w.pinyin[i] = "yi1"  # the end of 统一 inside a longer word: 统一行动, 唯一性
            elif i == 0 and len(w.text) >= 2 and w.text[1:].startswith(_YI_ORDINAL):
                w.pinyin[i] = "yi1"  # 'first': 一等奖, 一级, 一流, 一楼, 一号线, 一年级, 一把手
            elif nxt_ch == "是" and (prev is None or prev[1] < 0 or prev_ch in _PUNCT_STOP) and (
                    i == 0 and (len(w.text) == 1 or w.text == "一是")):
                w.pinyin[i] = "yi1"  # 一是……二是……: the first item of a list opening its clause
            elif prev_ch and prev_ch == nxt_ch and not (k >= 2 and flat[k - 2][2] == "一"):
                # 看一看; not the second 一 of 一个一个, 一天一天
                w.pinyin[i] = "yi5"
            elif nxt_tone == 4 or (nxt_tone == 5 and nxt_ch == "个"):
                w.pinyin[i] = "yi2"
            elif nxt_tone in (1, 2, 3):
                w.pinyin[i] = "yi4"
            else:
                w.pinyin[i] = "yi1"
        else:
            if prev_ch and prev_ch == nxt_ch and not (k >= 2 and flat[k - 2][2] == "一"):  # not 一动不动
                w.pinyin[i] = "bu5"
            elif nxt_tone == 4:
                w.pinyin[i] = "bu2"
            else:
                w.pinyin[i] = "bu4"


def _arithmetic(flat: list[tuple[Word, int, str]], k: int) -> bool:
    """The syllable at k is a number beside an arithmetic operator (乘/加/减/除, 乘以/除以) that has a number on its
    other side: 一乘十, 一加一, 三乘以一 (not 再加一点)."""
    chars = [f[2] for f in flat]
    after = chars[k + 1:k + 4]
    if after[:1] and after[0] in _OPERATORS:
        return any(c in _NUM_CHARS for c in after[1:])
    before = chars[max(0, k - 3):k]
    if before[-1:] and before[-1] in _OPERATORS:
        return len(before) >= 2 and before[-2] in _NUM_CHARS
    if before[-2:] in (["乘", "以"], ["除", "以"]):
        return len(before) >= 3 and before[-3] in _NUM_CHARS
    return False


_OPERATORS = frozenset("乘加减除")


def _address_digit(flat: list[tuple[Word, int, str]], k: int) -> bool:
    """The syllable at k is a digit of a spoken address or equation: after 等于, 斜杠, 下划线, 杠 or 冒号 (b 等于 一, abc
    下划线 一二三), unless a measure word follows (等于一张废纸)."""
    w = flat[k][0]
    at = next((j for j in range(k, -1, -1) if flat[j][0] is not w), -1)  # the last syllable of the word before
    before = flat[at][0].text if at >= 0 else ""
    if before not in _ADDRESS_OPENERS:
        return False
    nxt = flat[k + 1][2] if k + 1 < len(flat) and flat[k + 1][1] >= 0 else ""
    return nxt not in MEASURE_WORDS


_ADDRESS_OPENERS = frozenset("等于 斜杠 下划线 杠 冒号".split())
_LEAN_POS = frozenset("rd")
_CLOSING_PREP = frozenset("与以或")
_Ref = tuple[Word, int]  # one syllable: (word, index into its pinyin)


def _cycle(units: list[list[_Ref]]) -> list[_Ref]:
    """One level of the cycle: left to right over the boundaries between units (already done inside), a third tone
    before a third tone becomes tone 2. Returns the units' syllables as one unit for the next level."""
    for left, right in itertools.pairwise(units):
        if left and right:
            (w, i), (w2, i2) = left[-1], right[0]
            if _tone(w.pinyin[i]) == 3 and _tone(w2.pinyin[i2]) == 3:
                w.pinyin[i] = _set_tone(w.pinyin[i], 2)
    return [r for u in units for r in u]


def _word_unit(w: Word) -> list[_Ref]:
    """A word's syllables after the cycle inside the word (its dictionary structure)."""
    refs = [(w, i) for i in range(len(w.pinyin)) if w.pinyin[i] != "?"]
    n = len(refs)
    if n == 3 and len(w.text) == 3 and not w.unit:
        from sambert_lambda.frontend.pinyin import word_freq

        cut = 1 if word_freq(w.text[1:]) > word_freq(w.text[:2]) else 2  # 纸|老虎 or 展览|馆
        return _cycle([_cycle([[r] for r in refs[:cut]]), _cycle([[r] for r in refs[cut:]])])
    if n == 4 and len(w.text) == 4 and not w.unit:
        return _cycle([_cycle([[r] for r in refs[:2]]), _cycle([[r] for r in refs[2:]])])
    return _cycle([[r] for r in refs])


def third_tone(words: list[Word]) -> None:
    """3-3 sandhi over one prosodic word (its lexical words); see ``third_tone_phrase`` for a whole phrase."""
    third_tone_phrase([words])


def _leaning(w: Word) -> bool:
    """A monosyllabic pronoun or adverb, which leans on what follows."""
    return w.kind == "zh" and len(w.pinyin) == 1 and len(w.text) == 1 and (w.pos or "x")[:1] in _LEAN_POS


def _stops_sandhi(pw: list[Word]) -> bool:
    """A prosodic word ending in a conjunction or a preposition of the literary kind (与, 以, 或): it closes its
    group, and the next prosodic word does not change it (政府 #1 与 #1 企业 -> yu3 qi3 ye4)."""
    zh = [w for w in pw if w.kind == "zh" and w.pinyin]
    return bool(zh) and len(zh[-1].text) == 1 and (
        (zh[-1].pos or "x")[:1] == "c" or zh[-1].text in _CLOSING_PREP)


def third_tone_phrase(prosodic_words: list[list[Word]]) -> None:
    """3-3 sandhi over one prosodic phrase, given as its prosodic words (each a list of lexical words, punctuation
    included). Punctuation and English words end a sandhi domain."""
    # a monosyllabic pronoun, adverb or auxiliary before a third tone in the same phrase is one foot with it and sees
    # its tone before any cycle, inside a prosodic word as across #1: 我 #1 也很 #1 想买 -> wo2 ye2 hen2 xiang2 mai3,
    # 我 #1 很好 -> wo2 hen2 hao3, 也 #1 可以 -> ye2 ke2 yi3; a content word keeps the cyclic reading
    # (买 #1 好酒 -> mai3 hao2 jiu3)
    # (hen2). Only a chain of such words from the start of a prosodic word: in 给我 #1 讲讲 the word 给我 goes first
    # (gei2 wo3), then 我 sees jiang3
    flat = [(w, k, j == 0 or _leaning(pw[j - 1])) for k, pw in enumerate(prosodic_words) for j, w in enumerate(pw)]
    for (w, k, opens), (nxt, k2, _) in itertools.pairwise(flat):
        if (opens and _leaning(w) and nxt.kind == "zh" and nxt.pinyin and _tone(w.pinyin[0]) == 3
                and _tone(nxt.pinyin[0]) == 3 and not (k2 != k and _stops_sandhi(prosodic_words[k]))):
            w.pinyin[0] = _set_tone(w.pinyin[0], 2)
    domain: list[list[_Ref]] = []
    for k, pw in enumerate(prosodic_words):
        units: list[list[_Ref]] = []
        if k and domain and _stops_sandhi(prosodic_words[k - 1]):
            _cycle(domain)  # nothing after 与 changes it: the domain closes there
            domain = []
        for w in pw:
            if w.kind == "zh":
                units.append(_word_unit(w))
            else:  # punctuation or English: close everything so far
                if units:
                    domain.append(_cycle(units))
                    units = []
                _cycle(domain)
                domain = []
        if units:
            domain.append(_cycle(units))
    _cycle(domain)
