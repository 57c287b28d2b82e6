"""Arithmetic, comparisons, fractions, ranges and sport scores.

1+2=3 -> 一加二等于三, 2 ≤ 4 -> 二小于等于四, -1 -> 负一, 3/16 -> 十六分之三, 3-5岁 -> 三到五岁,
3~5 -> 三到五, 78:96 -> 七十八比九十六, 中国1-2 -> 中国一比二 (hyphen pairs count as scores only in a sport context:
a score word nearby, or a short pair right after a Chinese name at the end of a clause). Numbers in expressions keep 二.
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.measure import NUMBER_PATTERN, UNIT_PATTERN, measured_range, quantity
from sambert_lambda.frontend.tn.numbers import counted, number

_NUM = r"\d+(?:\.\d+)?"
_OPS = {
    "+": "加",
    "-": "减",
    "×": "乘",
    "x": "乘",
    "X": "乘",
    "*": "乘",
    "·": "乘",
    "÷": "除以",
    "/": "除以",
    "=": "等于",
    "==": "等于",
    "<": "小于",
    ">": "大于",
    "≤": "小于等于",
    "<=": "小于等于",
    "≥": "大于等于",
    ">=": "大于等于",
    "≠": "不等于",
    "!=": "不等于",
    "≈": "约等于",
}
_OP = r"(?:<=|>=|!=|==|[-+×xX*·÷/=<>≤≥≠≈^])"
_STRONG = re.compile(r"<=|>=|!=|[+×xX*·÷=<>≤≥≠≈^]")
# An expression: number (op number)+, operands optionally negative; spaces allowed around operators.
_EXPR = re.compile(rf"(?<![\d.A-Za-z/])-?{_NUM}(?:\s?{_OP}\s?-?{_NUM})+(?![\d.A-Za-z/])")
_TOKEN = re.compile(rf"{_NUM}|<=|>=|!=|==|[-+×xX*·÷/=<>≤≥≠≈^]")

_SCORE_WORDS = (
    "比分|战胜|击败|负于|不敌|力克|逆转|战平|憾负|爆冷|取胜|获胜|告负|比赛|联赛|主场|客场|半场|全场|进球|决赛|"
    "半决赛|小组赛|大胜|完胜|险胜|横扫|战绩|赛季"
)
_AFTER_SCORE = re.compile(
    r"\s*(战胜|击败|负于|不敌|力克|逆转|战平|取胜|获胜|告负|落败|大胜|完胜|险胜|胜|负|平|输|赢)"
)
_SCORE_BEFORE = re.compile(rf"(?:{_SCORE_WORDS})")
_COLON_PAIR = re.compile(r"(?<![\d.:])(\d{1,4})\s?[:：]\s?(\d{1,7})(?![\d:])")
_FRACTION = re.compile(r"(?<![\d./])(-)?(\d+)\s?/\s?(\d+)(?![\d/]|\.\d)")
_RANGE = re.compile(
    rf"(?<![\d.A-Za-z])(-?{NUMBER_PATTERN})(\s?{UNIT_PATTERN})?\s?([-~～〜—–])\s?(-?{NUMBER_PATTERN})(?![\d])"
    rf"(\s?{UNIT_PATTERN})?"
)
_REFERENCE_BEFORE = re.compile(r"(?:表|图|例|式|题|附录|附件|附图|公式|条款|编号|型号|款)\s?$")
_CJK_AT_END = re.compile(r"[\u4e00-\u9fff]\s?$")
_CLAUSE_END = re.compile(r"\s*(?:$|[,.!?;，。！？；、)）\n])")


def _verbalize_expr(expr: str) -> str:
    out: list[str] = []
    prev_is_op = True
    power = negative = False  # the number after ^ is an exponent: 2^10 -> 二的十次方
    for tok in _TOKEN.findall(expr):
        if tok[0].isdigit():
            out.append(_power(tok, negative) if power else number(tok, liang=False))
            prev_is_op = power = negative = False
        elif tok == "^":
            out.append("的")
            prev_is_op = power = True
        elif tok == "-" and power:
            negative = True
        elif tok == "-" and prev_is_op:
            out.append("负")
        else:
            out.append(_OPS[tok])
            prev_is_op = True
    return "".join(out)


def _sub_expr(m: re.Match[str]) -> str:
    expr = m.group(0)
    if not _STRONG.search(expr):
        return expr  # only - or /: left to the range, score and fraction rules
    return _verbalize_expr(expr)


def _sport_context(text: str, start: int, end: int, weak: bool = True) -> bool:
    """A score word within 12 characters before or right after; ``weak`` also accepts '<Chinese name>1-2<end>'."""
    before = text[max(0, start - 12) : start]
    if _SCORE_BEFORE.search(before) or _AFTER_SCORE.match(text, end):
        return True
    return weak and bool(_CJK_AT_END.search(before) and _CLAUSE_END.match(text, end))


def _sub_colon(m: re.Match[str]) -> str:
    return number(m.group(1), liang=False) + "比" + number(m.group(2), liang=False)


def _sub_range(m: re.Match[str]) -> str:
    a, unit_a, sep, b, unit = m.groups()
    text = m.string
    if unit_a and not unit:  # 5kg-3 is not a range of one unit
        return m.group(0)
    if unit:
        return measured_range(a, unit_a.strip() if unit_a else None, b, unit.strip())
    if a.startswith("-") or b.startswith("-"):
        if sep == "-":
            return m.group(0)  # 1--2 or -1-2: not a range; the math and number rules read the signs
        return number(a) + "到" + number(b)
    if sep == "-" and _REFERENCE_BEFORE.search(text, max(0, m.start() - 4), m.start()):
        return number(a, liang=False) + "杠" + number(b, liang=False)  # 表1-2, 图3-1: a numbered item
    if (
        sep == "-"
        and len(a) <= 3
        and len(b) <= 3
        and "." not in a + b
        and _sport_context(text, m.start(), m.end())
    ):
        return number(a, liang=False) + "比" + number(b, liang=False)
    if counted(text, m.end()):  # 2-3个月 -> 两到三个月
        return quantity(a) + "到" + quantity(b)
    if (
        sep == "-" and "." not in a + b and int(a.replace(",", "")) > int(b.replace(",", ""))
    ):  # 5-3: descending, so not a range
        return number(a, liang=False) + "减" + number(b, liang=False)
    return number(a) + "到" + number(b)


# 1e10, 6.02E23, 1.5e-3: scientific notation, read 一乘十的十次方 (a hex-like or word-internal e is left alone).
_SCIENTIFIC = re.compile(r"(?<![\dA-Za-z.])(\d+(?:\.\d+)?)[eE]([+-]?)(\d{1,3})(?![\dA-Za-z.])")


def _sub_scientific(m: re.Match[str]) -> str:
    exponent = ("负" if m.group(2) == "-" else "") + number(m.group(3).lstrip("0") or "0", liang=False)
    return number(m.group(1), liang=False) + "乘十的" + exponent + "次方"


# x^2, n^-1: a letter raised to a number (a number raised to one is part of an expression, above).
_LETTER_POWER = re.compile(r"(?<![A-Za-z])([A-Za-z])\s?\^\s?(-?)(\d{1,3})(?![\d.])")


def _power(exponent: str, negative: bool = False) -> str:
    """What follows 的 for a power: 平方 and 立方 for 2 and 3 (as x² and x³ read), else <number>次方."""
    if not negative and exponent in ("2", "3"):
        return "平方" if exponent == "2" else "立方"
    return ("负" if negative else "") + number(exponent, liang=False) + "次方"


def _sub_letter_power(m: re.Match[str]) -> str:
    return m.group(1) + "的" + _power(m.group(3), bool(m.group(2)))


def normalize_math(text: str) -> str:
    text = _SCIENTIFIC.sub(_sub_scientific, text)
    text = _LETTER_POWER.sub(_sub_letter_power, text)
    return _EXPR.sub(_sub_expr, text)


def _sub_fraction(m: re.Match[str]) -> str:
    sign, a, b = m.group(1), m.group(2), m.group(3)
    if not sign and len(a) <= 2 and len(b) <= 2 and _sport_context(m.string, m.start(), m.end(), weak=False):
        return number(a, liang=False) + "比" + number(b, liang=False)
    prev = m.string[m.start() - 1] if m.start() else ""
    neg = ("负" if not (prev.isascii() and prev.isalnum()) else "-") if sign else ""
    return neg + number(b, liang=False) + "分之" + number(a, liang=False)


def normalize_scores(text: str) -> str:
    return _COLON_PAIR.sub(_sub_colon, text)


def normalize_fractions(text: str) -> str:
    return _FRACTION.sub(_sub_fraction, text)


def normalize_ranges(text: str) -> str:
    return _RANGE.sub(_sub_range, text)
