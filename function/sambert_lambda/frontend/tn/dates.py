"""Dates and clock times.

Dates: 2008-08-08, 2008/8/8, 2008.08.08, 08-08-2008 (month first when it can be a month), 2008-08, 08/2008, zero-padded
08-08 (month-day), and Chinese forms (2024年 -> 二零二四年, 90后 -> 九零后). Years are read digit by digit; months and
days as cardinals without 两 (2月2日 -> 二月二日).
Times: H:MM[:SS] with optional am/pm (2:02 -> 两点零二分, 11:00 -> 十一点, 1:02:36 am -> 上午一点零二分三十六秒). A colon
pair that is not a valid time (78:96, 0:1) is left to the score rule.
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.numbers import cardinal, counted, digits

_SEP = r"[-/.]"


def _valid(month: str, day: str | None = None) -> bool:
    m = int(month)
    if not 1 <= m <= 12:
        return False
    return day is None or 1 <= int(day) <= 31


def _ymd(y: str, m: str, d: str | None = None) -> str:
    out = digits(y) + "年" + cardinal(m, liang=False) + "月"
    if d is not None:
        out += cardinal(d, liang=False) + "日"
    return out


# 2008-08-08 / 2008/8/8 / 2008.08.08 (same separator twice), not part of a longer dotted or dashed run.
_YMD = re.compile(r"(?<![\d.])(\d{4})([-/.·])(\d{1,2})\2(\d{1,2})(?![\d]|\.\d)")
# 221 BC, 1234 b.c., 2934ad -> 公元前二二一年 / 公元二九三四年
_ERA = re.compile(
    r"(?<![\d.])(\d{1,4})(年)?(\d{1,2}月)?\s?(BC|B\.C\.|bc|b\.c\.|AD|A\.D\.|ad|a\.d\.)(?![A-Za-z])"
)
# 08-08-2008
_MDY = re.compile(r"(?<![\d.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\d]|\.\d)")
# 2008-08, 2008/8 (a dot needs a two-digit month: 2008.08, but 1999.5 stays a decimal)
_YM = re.compile(r"(?<![\d.:/-])(\d{4})(?:([-/])(\d{1,2})|\.(\d{2}))(?![\d]|[-/.:]\d)")
# 08-2008, 08/2008, 08.2008
_MY = re.compile(r"(?<![\d.:/-])(\d{1,2})[-/.](\d{4})(?![\d]|[-/.:]\d)")
# 08-08, 08/08, 08.08: both parts two digits, at least one zero-padded.
_MD = re.compile(r"(?<![\d.:/-])(\d{2})[-/.](\d{2})(?![\d]|[-/.:]\d|%)")
# 1990-1995年, 2019-2020赛季, 2018—2019: a year range (ascending, plausible years) is read digit by digit.
_YEAR_RANGE = re.compile(r"(?<![\d.])(\d{4})\s?[-~～〜—–至到]\s?(\d{4})(?![\d.]|\s?[%‰]|\s?[A-Za-z])")
_YEAR_WORD_AFTER = re.compile(r"\s?(?:年|赛季|学年|财年|年度|届)")
_DECADE_EN = re.compile(r"(?<![\d.])(1[5-9]\d0|20\d0)'?s(?![A-Za-z])")
_ERA_YEAR = re.compile(r"(?<=公元)(前?)(\d{1,4})(?=年)")
_YEAR_CN = re.compile(r"(?<![\d.])(\d{4}|0\d)(?=年(?!来|之久|的?历史))")
# 2024届 / 2024款 / 2024版 / 2024赛季: a year that names a class, a model or a season.
_YEAR_NAMED = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?=届|款|版|赛季|财年|学年|年度)")
_YEAR_MONTH_CN = re.compile(r"(?<![\d.])(\d{2})(?=年\d{1,2}月)")
_DECADE = re.compile(r"(?<![\d.])(\d0)(?=后)")


def era_year(before_christ: bool, year: str) -> str:
    """A year of an era: BC years and AD years of up to 3 digits are quantities (公元前二百二十一年, 公元八百年);
    4-digit AD years are read digit by digit like any calendar year (公元二零二四年)."""
    if before_christ or len(year.lstrip("0")) <= 3:
        return cardinal(year.lstrip("0") or "0", liang=False)
    return digits(year)


def _sub_era(m: re.Match[str]) -> str:
    bc = m.group(4)[0] in "Bb"
    month = m.group(3) or ""
    return ("公元前" if bc else "公元") + era_year(bc, m.group(1)) + "年" + month


def _sub_ymd(m: re.Match[str]) -> str:
    y, mo, d = m.group(1), m.group(3), m.group(4)
    return _ymd(y, mo, d) if _valid(mo, d) else m.group(0)


def _sub_mdy(m: re.Match[str]) -> str:
    a, b, y = m.group(1), m.group(3), m.group(4)
    if _valid(a, b):
        return _ymd(y, a, b)
    if _valid(b, a):
        return _ymd(y, b, a)
    return m.group(0)


def _sub_ym(m: re.Match[str]) -> str:
    y, mo = m.group(1), m.group(3) or m.group(4)
    return _ymd(y, mo) if 1000 <= int(y) <= 2999 and _valid(mo) else m.group(0)


def _sub_my(m: re.Match[str]) -> str:
    mo, y = m.group(1), m.group(2)
    return _ymd(y, mo) if 1000 <= int(y) <= 2999 and _valid(mo) else m.group(0)


def _sub_md(m: re.Match[str]) -> str:
    mo, d = m.group(1), m.group(2)
    if (mo.startswith("0") or d.startswith("0")) and _valid(mo, d):
        return cardinal(mo, liang=False) + "月" + cardinal(d, liang=False) + "日"
    return m.group(0)


def _sub_year_range(m: re.Match[str]) -> str:
    a, b = int(m.group(1)), int(m.group(2))
    plausible = 1000 <= a < b <= 2999
    if plausible and (
        _YEAR_WORD_AFTER.match(m.string, m.end())
        or (1900 <= a and b <= 2100 and not counted(m.string, m.end()))
    ):
        return digits(m.group(1)) + "到" + digits(m.group(2))
    return m.group(0)


# Named days written as month.day: 5.1劳动节 -> 五一劳动节, 11.11购物节 -> 双十一购物节, 3.15晚会 -> 三一五晚会.
_NAMED_DAYS = {
    "1.1": "元旦",
    "3.8": "三八",
    "3.15": "三一五",
    "5.1": "五一",
    "5.4": "五四",
    "5.20": "五二零",
    "6.1": "六一",
    "6.18": "六一八",
    "7.1": "七一",
    "8.1": "八一",
    "9.9": "九九",
    "10.1": "十一",
    "11.11": "双十一",
    "12.12": "双十二",
}
_NAMED_DAY = re.compile(
    r"(?<![\d.])(" + "|".join(re.escape(k) for k in _NAMED_DAYS) + r")(?![\d.])"
    r"(?=\s?(?:劳动节|妇女节|青年节|儿童节|建党节|建军节|国庆|节|晚会|购物节|大促|促销|活动|期间|当天|假期|黄金周|长假|狂欢))"
)


def normalize_dates(text: str) -> str:
    text = _NAMED_DAY.sub(lambda m: _NAMED_DAYS[m.group(1)], text)
    text = _ERA.sub(_sub_era, text)
    text = _YMD.sub(_sub_ymd, text)
    text = _MDY.sub(_sub_mdy, text)
    text = _YM.sub(_sub_ym, text)
    text = _MY.sub(_sub_my, text)
    text = _MD.sub(_sub_md, text)
    text = _YEAR_RANGE.sub(_sub_year_range, text)
    text = _DECADE_EN.sub(lambda m: digits(m.group(1)) + "年代", text)
    text = _ERA_YEAR.sub(lambda m: m.group(1) + era_year(bool(m.group(1)), m.group(2)), text)
    text = _YEAR_CN.sub(lambda m: digits(m.group(1)), text)
    text = _YEAR_NAMED.sub(lambda m: digits(m.group(1)), text)
    text = _YEAR_MONTH_CN.sub(lambda m: digits(m.group(1)), text)
    return _DECADE.sub(lambda m: digits(m.group(1)), text)


_TIME = re.compile(
    r"(?<![\d.])(?<!\d[:：])(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?![\d:：])"
    r"(?:\s*([aApP])\.?\s?[mM]\.?(?![A-Za-z]))?"
)
_SCORE_CONTEXT = re.compile(r"(比分|比赛|战胜|击败|赢|输|以|比|战成|大比分|小比分)\s*$")
_SPORT_WORDS = re.compile(r"比分|比赛|战胜|击败|负于|不敌|战平|战成|半场|全场|决赛|联赛|主场|客场")


def _two_digit(n: int) -> str:
    """Minutes and seconds: 0 -> 零, 2 -> 零二, 30 -> 三十."""
    return "零" if n == 0 else ("零" if n < 10 else "") + cardinal(str(n), liang=False)


def _in_score_context(text: str, start: int) -> bool:
    """比分3:10, 以3:10获胜 (a score word right before), or a sport word a little earlier (比分测试17:16)."""
    if _SCORE_CONTEXT.search(text, max(0, start - 6), start):
        return True
    return bool(_SPORT_WORDS.search(text, max(0, start - 10), start))


def _clock(h: int, mi: int, s: int | None) -> str:
    out = ("两" if h == 2 else cardinal(str(h))) + "点"  # 两点, 十二点
    if mi or s:
        out += _two_digit(mi) + "分"
    if s:
        out += _two_digit(s) + "秒"
    return out


def _period(h: int, marker: str) -> str:
    if marker in "aA":
        return "上午"
    if h == 12:
        return "中午"
    return "下午" if h < 6 else "晚上"


def _sub_time(m: re.Match[str]) -> str:
    h, mi = int(m.group(1)), int(m.group(2))
    s = int(m.group(3)) if m.group(3) else None
    if h > 24 or mi > 59 or (s is not None and s > 59):
        return m.group(0)
    marker = m.group(4)
    if marker is None and s is None and _in_score_context(m.string, m.start()):
        return m.group(0)
    spoken = _clock(h, mi, s)
    if marker:
        spoken = _period(h, marker) + spoken
    return spoken


_TIME_RANGE = re.compile(
    r"(?<=[点分秒])\s?[-~～〜]\s?(?=(?:上午|中午|下午|晚上)?[零一二两三四五六七八九十]+点)"
)


def normalize_times(text: str) -> str:
    text = _TIME.sub(_sub_time, text)
    return _TIME_RANGE.sub("到", text)
