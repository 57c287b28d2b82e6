"""Number verbalization primitives shared by every rule: cardinals, decimals, digit-by-digit readings.

Conventions (documented, relied on by the unit tests):
- Cardinals group by 万/亿 with the standard 零 rules (1010 -> 一千零一十, 10001 -> 一万零一, 100000001000 ->
  一千亿零一千) and drop the 一 of a leading 一十 (10 -> 十, 101111 -> 十万一千一百一十一). Integers longer than 12 digits
  are read digit by digit. (Own code rather than cn2an: same readings, tested against it, without its 0.6 s import.)
- 两 replaces a leading 二 before 百/千/万/亿 (200 -> 两百, 2000 -> 两千, 20000 -> 两万, 2亿 -> 两亿); inner digits keep
  二 (12000 -> 一万二千, 2200 -> 两千二百). ``liang=False`` keeps every 二 (ordinals, math, codes).
- Digit-by-digit readings use 一 for 1, except ``telephone=True`` which uses 幺 (the spoken convention for phone and
  service numbers in Mainland Chinese, also used for 尾号/验证码 style codes).
"""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
_TELE_DIGITS = "零幺二三四五六七八九"
_MAX_CARDINAL_DIGITS = 12
_PLACES = ("", "十", "百", "千")
_GROUPS = ("", "万", "亿")

_LEADING_LIANG = re.compile(r"^二(?=[百千万亿])")


# Counters and units before which an exact 2 is read 两.
_COUNTER_CHARS = (
    "个只位名次年天本张条件种辆家点岁周份倍句台块双对部架座斤公里千米小时分钟秒钟场遍所间片颗粒杯瓶碗首门匹头口根支"
    "枝把届节层套声步趟顿下拳脚刀枪笔幅扇棵株朵串群批组类项篇章页列段集万亿千百成星期艘栋户季轮圈票桌盒包箱袋碗盘滴"
    "元角毛克吨米升秒分周人夜晚室厅卫"
)
KEEP_ER = ("年级", "年代", "分之", "号")  # 二年级, 二分之一
COUNTERS = tuple(_COUNTER_CHARS)


def counted(text: str, pos: int) -> bool:
    """True when a counter or unit that takes 两 starts at ``text[pos]`` (2个, 2年, 2公里; not 2年级, 2分之1)."""
    return text.startswith(COUNTERS, pos) and not text.startswith(KEEP_ER, pos)


def digits(s: str, telephone: bool = False) -> str:
    """Read every ASCII digit of ``s`` one by one; other characters are dropped."""
    table = _TELE_DIGITS if telephone else DIGITS
    return "".join(table[ord(c) - 48] for c in s if "0" <= c <= "9")


def _group(g: str) -> str:
    """A 1-4 digit group with a non-zero value; inner zeros read 零 once (0010 -> 一十, 1001 -> 一千零一)."""
    out, zero, started = [], False, False
    for i, ch in enumerate(g):
        d = ord(ch) - 48
        if d == 0:
            zero = zero or started
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + _PLACES[len(g) - 1 - i])
        started = True
    return "".join(out)


def _integer(s: str) -> str:
    """Verbalize 1-12 ASCII digits without leading zeros."""
    if s == "0":
        return "零"
    head = len(s) % 4 or 4
    groups = [s[:head]] + [s[head + i : head + i + 4] for i in range(0, len(s) - head, 4)]
    out: list[str] = []
    pending_zero = False
    for idx, g in enumerate(groups):
        if int(g) == 0:
            pending_zero = True
            continue
        if out and (pending_zero or g[0] == "0"):
            out.append("零")
        out.append(_group(g) + _GROUPS[len(groups) - 1 - idx])
        pending_zero = False
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


def cardinal(s: str, liang: bool = True) -> str:
    """Verbalize a non-negative integer written in ASCII digits (leading zeros ignored)."""
    s = s.lstrip("0") or "0"
    if len(s) > _MAX_CARDINAL_DIGITS:
        return digits(s)
    out = _integer(s)
    if liang:
        out = _LEADING_LIANG.sub("两", out)
    return out


def decimal(s: str, liang: bool = True) -> str:
    """Verbalize ``[-]digits[.digits]``: 1.01 -> 一点零一, -0.5 -> 负零点五. A bare integer part keeps the 两 rule."""
    sign = ""
    if s.startswith(("-", "−")):
        sign, s = "负", s[1:]
    elif s.startswith("+"):
        sign, s = "正", s[1:]
    whole, _, frac = s.partition(".")
    out = cardinal(whole or "0", liang=liang)
    if frac:
        out += "点" + digits(frac)
    return sign + out


def number(s: str, liang: bool = True) -> str:
    """Verbalize a number token that may carry thousands separators: 1,234.5 -> 一千二百三十四点五."""
    return decimal(s.replace(",", ""), liang=liang)
