"""Symbols that are spoken (±, ≥, °, &, ...) and those that are not (markup-like * _ |), after the number rules.

Also the last number rules: ordinals (第2名 -> 第二名), negative numbers, 两 before counters (2个 -> 两个, 2年后 -> 两年后,
but 2月 / 2号 / 2楼 / 2两 keep 二), and a final digit-by-digit fallback so no ASCII digit survives.
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.numbers import digits, number

# Counters and units before which an exact 2 is read 两.
_LIANG_COUNTERS = (
    "个只位名次年天本张条件种辆家点岁周份倍句台块双对部架座斤公里千米小时分钟秒钟场遍所间片颗粒杯瓶碗首门匹头口根支"
    "枝把届节层套声步趟顿下拳脚刀枪笔幅扇棵株朵串群批组类项篇章页列段集万亿千百成星期艘栋户季轮圈票桌盒包箱袋碗盘滴"
    "元角毛克吨米升秒分周人"
)
_LIANG_COUNTERS = tuple(_LIANG_COUNTERS)
_KEEP_ER = ("年级", "年代", "分之", "点零", "点五")  # 二年级, 二分之一; 2点5 is a decimal-like reading
_ORDINAL = re.compile(r"(第\s?)(\d+(?:\.\d+)?)")
_NUMBER = re.compile(r"(?<![\d.])(-)?(\d+(?:,\d{3})*(?:\.\d+)?)")
_SYMBOLS = [
    (re.compile(r"±"), "正负"),
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
    (re.compile(r"(?<=[\u4e00-\u9fff])\s?[~～〜]\s?(?=[零一二两三四五六七八九十负百千万])"), "到"),
    (re.compile(r"°"), "度"),
    (re.compile(r"²"), "平方"),
    (re.compile(r"³"), "立方"),
    (re.compile(r"%"), "百分号"),
    (re.compile(r"‰"), "千分号"),
    (re.compile(r"№"), "第"),
    (re.compile(r"[*_|\\`~^<>{}\[\]©®™]+"), " "),
]


def _sub_number(m: re.Match[str]) -> str:
    sign, num = m.group(1), m.group(2)
    text = m.string
    prefix = ""
    if sign:
        prev = text[m.start() - 1] if m.start() > 0 else ""
        prefix = "负" if not (prev.isalnum() and prev.isascii()) else "-"
    if num == "2" and text.startswith(_LIANG_COUNTERS, m.end()) and not text.startswith(_KEEP_ER, m.end()):
        return prefix + "两"
    # 公元前221年 -> 二百二十一年: a number before 年 keeps 二 (only an exact 2 becomes 两年).
    return prefix + number(num, liang=not text.startswith("年", m.end()))


_DIGIT_RUN = re.compile(r"\d+")


def normalize_numbers(text: str) -> str:
    text = _ORDINAL.sub(lambda m: m.group(1) + number(m.group(2), liang=False), text)
    text = _NUMBER.sub(_sub_number, text)
    return _DIGIT_RUN.sub(lambda m: digits(m.group(0)), text)


def normalize_symbols(text: str) -> str:
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text
