"""Symbols that are spoken (±, ≥, °, &, ...) and those that are not (markup-like * _ |), after the number rules.

Also the last number rules: ordinals (第2名 -> 第二名), negative numbers, 两 before counters (2个 -> 两个, 2年后 -> 两年后,
but 2月 / 2号 / 2楼 / 2两 keep 二), and a final digit-by-digit fallback so no ASCII digit survives.
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.numbers import counted, digits, number

_ORDINAL = re.compile(r"(第\s?)(\d+(?:\.\d+)?)")
# .22口径 -> 零点二二: a decimal written without its leading zero.
_BARE_DECIMAL = re.compile(r"(?<![\dA-Za-z.])\.(\d+)(?![\d.])")
_NUMBER = re.compile(r"(?<![\d.])([-+])?(\d+(?:,\d{3})*(?:\.\d+)?)")
_NUMBER_SIGN = re.compile(r"\b(?:No|NO|no)\.?\s?(?=\d)")
_SYMBOLS = [
    (re.compile(r"±"), "正负"),
    (re.compile(r"(?<![A-Za-z0-9\u4e00-\u9fff])-(?=[百千]分之)"), "负"),
    (re.compile(r"≥|>="), "大于等于"),
    (re.compile(r"≤|<="), "小于等于"),
    (re.compile(r"≠"), "不等于"),
    (re.compile(r"≈"), "约等于"),
    (re.compile(r"(?<=[A-Za-z])\+\+"), "加加"),
    (re.compile(r"(?<=[A-Za-z])#(?![A-Za-z0-9])"), "井"),
    (re.compile(r"#(?=\d)"), "井号"),
    (re.compile(r"(?<=[\u4e00-\u9fff])\s?&\s?|\s?&\s?(?=[\u4e00-\u9fff])"), "和"),
    (re.compile(r"\s?&\s?"), " and "),
    (re.compile(r"@"), " 艾特 "),
    (re.compile(r"\+"), "加"),
    (re.compile(r"(?<![=<>!])=(?![=<>])"), "等于"),
    (re.compile(r"(?<=约)\s?[~～〜]\s?"), ""),  # 大约~3小时: the word says it already
    (re.compile(r"(?<=[\u4e00-\u9fff])\s?[~～〜]\s?(?=[零一二两三四五六七八九十负百千万])"), "到"),
    (re.compile(r"(?<=[\u4e00-\u9fff])\s?[~～〜]\s?(?=[\u4e00-\u9fff])"), "到"),  # 周一~周五, 北京~上海
    # ~100人, 约 ~3小时: a tilde opening a number (not between two) is 'about'
    (re.compile(r"(?:^|(?<=[\s，。！？、：；（(,:;]))[~～〜]\s?(?=[零一二两三四五六七八九十负百千万])"), "约"),
    (re.compile(r"(?<=[年月日号点分秒])\s?[-–—]\s?(?=[零一二两三四五六七八九十]+[年月日号点分秒])"), "到"),
    (re.compile(r"°"), "度"),
    (re.compile(r"²"), "的平方"),
    (re.compile(r"³"), "的立方"),
    (re.compile(r"%"), "百分号"),
    (re.compile(r"‰"), "千分号"),
    (re.compile(r"№"), "第"),
    (re.compile(r"[*_|\\`~^<>{}\[\]©®™]+"), " "),
]


_DATE_UNITS = tuple("年月日号时点分秒")


def _sub_number(m: re.Match[str]) -> str:
    sign, num = m.group(1), m.group(2)
    text = m.string
    prefix = ""
    if sign:
        prev = text[m.start() - 1] if m.start() > 0 else ""
        if prev.isalnum() and prev.isascii():
            prefix = sign
        elif sign == "-" and prev in _DATE_UNITS and text.startswith(_DATE_UNITS, m.end()):
            prefix = "到"  # 9月1日-9月3日: a range of dates, not a negative month
        else:
            prefix = "负" if sign == "-" else "正"
    if num == "2" and counted(text, m.end()):
        return prefix + "两"
    # 前221年 -> 前二百二十一年: a year before the era keeps 二 (but 200年前 -> 两百年前).
    era = text.startswith("年", m.end()) and text.endswith(("公元", "公元前", "前"), 0, m.start())
    return prefix + number(num, liang=not era)


_DIGIT_RUN = re.compile(r"\d+")


def normalize_numbers(text: str) -> str:
    text = _NUMBER_SIGN.sub("第", text)
    text = _ORDINAL.sub(lambda m: m.group(1) + number(m.group(2), liang=False), text)
    text = _BARE_DECIMAL.sub(lambda m: "零点" + digits(m.group(1)), text)
    text = _NUMBER.sub(_sub_number, text)
    return _DIGIT_RUN.sub(lambda m: digits(m.group(0)), text)


def normalize_symbols(text: str) -> str:
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text
