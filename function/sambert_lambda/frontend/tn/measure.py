"""Numbers with units of measure, percentages and per-unit rates.

1kg -> 一千克, 2 km -> 两公里, 38°C -> 三十八摄氏度, 120m² -> 一百二十平方米, 10km/h -> 每小时十公里,
6.3% -> 百分之六点三, 3-5% -> 百分之三到百分之五, 300w张 -> 三百万张, 5元/kg -> 五元每千克.
An exact 2 before a unit is read 两 (两公里); other numbers as cardinals or decimals.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sambert_lambda.frontend.tn.numbers import number

UNITS: dict[str, str] = {
    "km²": "平方千米",
    "m²": "平方米",
    "dm²": "平方分米",
    "cm²": "平方厘米",
    "mm²": "平方毫米",
    "km2": "平方千米",
    "m2": "平方米",
    "cm2": "平方厘米",
    "m³": "立方米",
    "dm³": "立方分米",
    "cm³": "立方厘米",
    "mm³": "立方毫米",
    "m3": "立方米",
    "cm3": "立方厘米",
    "km": "公里",
    "m": "米",
    "dm": "分米",
    "cm": "厘米",
    "mm": "毫米",
    "μm": "微米",
    "µm": "微米",
    "um": "微米",
    "nm": "纳米",
    "kg": "千克",
    "KG": "千克",
    "Kg": "千克",
    "g": "克",
    "mg": "毫克",
    "μg": "微克",
    "t": "吨",
    "lb": "磅",
    "lbs": "磅",
    "oz": "盎司",
    "L": "升",
    "l": "升",
    "mL": "毫升",
    "ml": "毫升",
    "ML": "毫升",
    "h": "小时",
    "hr": "小时",
    "hrs": "小时",
    "min": "分钟",
    "mins": "分钟",
    "s": "秒",
    "sec": "秒",
    "ms": "毫秒",
    "μs": "微秒",
    "us": "微秒",
    "ns": "纳秒",
    "°C": "摄氏度",
    "°F": "华氏度",
    "°": "度",
    "Hz": "赫兹",
    "kHz": "千赫兹",
    "KHz": "千赫兹",
    "MHz": "兆赫兹",
    "GHz": "吉赫兹",
    "W": "瓦",
    "kW": "千瓦",
    "KW": "千瓦",
    "MW": "兆瓦",
    "kWh": "千瓦时",
    "KWh": "千瓦时",
    "kwh": "千瓦时",
    "V": "伏",
    "kV": "千伏",
    "mA": "毫安",
    "mAh": "毫安时",
    "Pa": "帕",
    "kPa": "千帕",
    "MPa": "兆帕",
    "hPa": "百帕",
    "dB": "分贝",
    "cal": "卡路里",
    "kcal": "千卡",
    "Kcal": "千卡",
    "mmHg": "毫米汞柱",
    "ft": "英尺",
    "inch": "英寸",
    "mi": "英里",
    "mph": "英里每小时",
    "bps": "比特每秒",
    "kbps": "千比特每秒",
    "Mbps": "兆比特每秒",
    "Gbps": "吉比特每秒",
    "mol": "摩尔",
    "mmol": "毫摩尔",
    "rpm": "转每分",
    "w": "万",
    "k": "千",
}
# Rates: read "每<time><number><unit>" the way Mandarin news reads speeds.
RATES: dict[str, tuple[str, str]] = {
    "km/h": ("每小时", "公里"),
    "km/s": ("每秒", "公里"),
    "m/s": ("每秒", "米"),
    "m/min": ("每分钟", "米"),
    "KM/H": ("每小时", "公里"),
    "kmh": ("每小时", "公里"),
    "km/hr": ("每小时", "公里"),
}
_ALL = sorted([*UNITS, *RATES], key=len, reverse=True)
UNIT_PATTERN = "(?:" + "|".join(re.escape(u) for u in _ALL) + r")(?![A-Za-z0-9²³])"
NUMBER_PATTERN = r"\d+(?:,\d{3})*(?:\.\d+)?"

_MEASURE = re.compile(rf"(?<![\d.A-Za-z])(?<![A-Za-z]\s)(-?{NUMBER_PATTERN})\s?({UNIT_PATTERN})")
_PER_UNIT = re.compile(rf"/\s?({UNIT_PATTERN})")
_PER_CJK = re.compile(r"(?<=[\u4e00-\u9fff])/(?=[天日年月周人次件个台辆张份时秒分斤克米吨升])")
_PERCENT_RANGE = re.compile(rf"(?<![\d.])(-?{NUMBER_PATTERN})%?\s?[-~～〜至到]\s?(-?{NUMBER_PATTERN})\s?%")
_PERCENT = re.compile(rf"(?<![\d.])([-+]?{NUMBER_PATTERN})\s?([%‰])")


_MULTIPLIERS = {"k": 1000, "w": 10000}


def quantity(num: str) -> str:
    """A number before a unit or counter: exact 2 is 两, anything else a cardinal/decimal."""
    return "两" if num == "2" else number(num)


def with_unit(num_text: str, unit: str) -> str:
    """Join an already verbalized number with a unit written in ASCII/symbols."""
    if unit in RATES:
        per, name = RATES[unit]
        return per + num_text + name
    return num_text + UNITS[unit]


def _percent(num: str, sign: str = "%") -> str:
    lead = "百分之" if sign == "%" else "千分之"
    if "." in num:  # 0.70% -> 百分之零点七
        num = num.rstrip("0").rstrip(".")
    if num.startswith("-"):
        return "负" + lead + number(num[1:], liang=False)
    if num.startswith("+"):
        return "正" + lead + number(num[1:], liang=False)
    return lead + number(num, liang=False)


def measured(num: str, unit: str) -> str:
    """``num`` followed by ``unit``: 2km -> 两公里, 15k -> 一万五千, 50w -> 五十万, 10km/h -> 每小时十公里."""
    if unit in _MULTIPLIERS:
        value = Decimal(num.replace(",", "")) * _MULTIPLIERS[unit]
        return number(format(value.normalize(), "f"))
    return with_unit(quantity(num), unit)


def measured_range(a: str, unit_a: str | None, b: str, unit: str) -> str:
    """3-5kg -> 三到五千克, 3kg-5kg -> 三千克到五千克, 60-80km/h -> 每小时六十到八十公里."""
    if not unit_a and unit in RATES:
        per, name = RATES[unit]
        return per + number(a) + "到" + number(b) + name
    if not unit_a and unit in _MULTIPLIERS:
        unit_a = unit
    first = measured(a, unit_a) if unit_a else number(a)
    return first + "到" + measured(b, unit)


def _sub_measure(m: re.Match[str]) -> str:
    return measured(m.group(1), m.group(2))


def normalize_percent(text: str) -> str:
    text = _PERCENT_RANGE.sub(lambda m: _percent(m.group(1)) + "到" + _percent(m.group(2)), text)
    return _PERCENT.sub(lambda m: _percent(m.group(1), m.group(2)), text)


def normalize_measure(text: str) -> str:
    text = _MEASURE.sub(_sub_measure, text)
    text = _PER_UNIT.sub(
        lambda m: "每" + UNITS.get(m.group(1), "".join(RATES.get(m.group(1), ("", "")))), text
    )
    return _PER_CJK.sub("每", text)
