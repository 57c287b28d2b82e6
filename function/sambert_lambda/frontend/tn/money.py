"""Money: currency symbols and ISO codes before or after an amount.

￥13.5 -> 十三点五元, $13.5 -> 十三点五美元, HKD13.5 -> 十三点五港元, CNY 1.25 -> 一点二五人民币,
$1.2亿 -> 一点二亿美元, 100 USD -> 一百美元. A yuan price written with grouped thousands or a cents column
is read in yuan, jiao and fen: ¥1,234.50 -> 一千二百三十四元五角 (￥1.25 stays 一点二五元). An exact 2 is 两 (两美元); trailing decimal zeros are not read (13.50 -> 十三点五).
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.numbers import number

_SYMBOLS = {
    "US$": "美元",
    "USD$": "美元",
    "A$": "澳元",
    "AU$": "澳元",
    "HK$": "港元",
    "NT$": "新台币",
    "C$": "加元",
    "CA$": "加元",
    "S$": "新加坡元",
    "NZ$": "新西兰元",
    "JP¥": "日元",
    "RMB¥": "人民币",
    "￥": "元",
    "¥": "元",
    "$": "美元",
    "€": "欧元",
    "£": "英镑",
    "₩": "韩元",
    "₹": "卢比",
    "₽": "卢布",
    "₣": "法郎",
    "฿": "泰铢",
}
_CODES = {
    "CNY": "人民币",
    "RMB": "人民币",
    "USD": "美元",
    "HKD": "港元",
    "EUR": "欧元",
    "GBP": "英镑",
    "JPY": "日元",
    "AUD": "澳元",
    "CAD": "加元",
    "KRW": "韩元",
    "SGD": "新加坡元",
    "TWD": "新台币",
    "CHF": "瑞士法郎",
    "RUB": "卢布",
    "INR": "卢比",
    "NZD": "新西兰元",
    "THB": "泰铢",
    "MOP": "澳门元",
}
_SCALE = r"[万亿千百]|[kKmMbB](?![A-Za-z])"
_SCALE_WORD = {"k": "千", "K": "千", "m": "百万", "M": "百万", "b": "十亿", "B": "十亿"}
_AMOUNT = r"\d+(?:,\d{3})*(?:\.\d+)?"
_sym = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_code = "|".join(_CODES)
_PREFIX = re.compile(rf"(?<![A-Za-z])(-)?({_sym}|(?:{_code})(?![A-Za-z]))\s?(-)?({_AMOUNT})((?:{_SCALE})*)")
_SUFFIX = re.compile(rf"(?<![\d.])({_AMOUNT})((?:{_SCALE})*)\s?({_code}|{_sym})(?![A-Za-z])")


def amount(num: str, scale: str = "") -> str:
    num = num.replace(",", "")
    if "." in num:
        num = num.rstrip("0").rstrip(".")
    spoken = "两" if num == "2" and not scale else number(num)
    return spoken + "".join(_SCALE_WORD.get(c, c) for c in scale)


_PRICE = re.compile(r"\d{1,3}(?:,\d{3})+\.\d\d|\d+\.\d0")


def yuan_jiao_fen(num: str) -> str:
    """A price in yuan written with cents, ¥1,234.50 -> 一千二百三十四元五角, ¥3.05 -> 三元零五分."""
    whole, cents = num.replace(",", "").split(".")
    out = (number(whole) if whole != "2" else "两") + "元" if int(whole) else ""
    jiao, fen = cents[0], cents[1]
    if jiao != "0":
        out += ("两" if jiao == "2" else number(jiao)) + "角"
    if fen != "0":
        out += ("零" if jiao == "0" and out else "") + ("两" if fen == "2" else number(fen)) + "分"
    return out or "零元"


def _sub_prefix(m: re.Match[str]) -> str:
    neg = "负" if (m.group(1) or m.group(3)) else ""
    cur = m.group(2)
    name = _SYMBOLS.get(cur) or _CODES[cur]
    if name == "元" and not m.group(5) and _PRICE.fullmatch(m.group(4)):
        # a price written with grouped thousands or a cents column (¥3.50): yuan, jiao and fen, as prices are read
        return neg + yuan_jiao_fen(m.group(4))
    return neg + amount(m.group(4), m.group(5)) + name


def _sub_suffix(m: re.Match[str]) -> str:
    cur = m.group(3)
    return amount(m.group(1), m.group(2)) + (_CODES.get(cur) or _SYMBOLS[cur])


# Amounts already followed by a Chinese currency word: only the decimal zeros need care (3.50元 -> 三点五元).
_CJK_SUFFIX = re.compile(
    rf"(?<![\d.~～〜—–-])({_AMOUNT})(?=\s?(?:元|块|美元|欧元|日元|英镑|港元|澳元|韩元|人民币))"
)


def normalize_money(text: str) -> str:
    text = _PREFIX.sub(_sub_prefix, text)
    text = _SUFFIX.sub(_sub_suffix, text)
    return _CJK_SUFFIX.sub(lambda m: amount(m.group(1)), text)
