"""Phone numbers, IP addresses, codes and other digit strings that are read digit by digit.

Convention (as in WeTextProcessing; PaddleSpeech uses 一 throughout): mobile numbers, short service numbers (110, 12306, 10086)
and numbers introduced by 电话/手机/拨打/致电/热线/尾号/分机/QQ are read with 幺 for 1, as Mainland speakers say them;
landline and hotline numbers written with an area code or dashes (010-64035547, 400-820-8820) and all other digit
strings (IDs after 编号/工号/账号/验证码/房间..., IP addresses, numbers used as names such as
“26314”号, codes like G1234, leading-zero strings, runs longer than 12 digits) are read digit by digit with 一.
"""

from __future__ import annotations

import re

from sambert_lambda.frontend.tn.numbers import digits

# +86 138 0013 8000, 13800138000, 138-0013-8000
_MOBILE = re.compile(r"(?<![\d.])(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![\d.])")
# 010-64035547, (0571)8888-6666, 0755 12345678
_LANDLINE = re.compile(r"(?<![\d.])[(（]?(0\d{2,3})[)）]?[- ]?(\d{3,4})-?(\d{4})(?![\d.])")
# Hotlines: 400-810-8888, 800-820-8820
_HOTLINE = re.compile(r"(?<![\d.])([48]00)-?(\d{3})-?(\d{4})(?![\d.])")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
# Dotted runs such as version numbers: 1.2.3 -> 一点二点三
_DOTTED = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d]|\.\d)")

_KEYWORDS = "电话|手机|手机号|号码|拨打|致电|热线|专线|来电|呼叫|尾号|尾数|QQ|qq|微信号|分机"
_KEYWORD_NUMBER = re.compile(rf"((?:{_KEYWORDS})(?:号码|号)?(?:是|为|:|：)?\s*)(\d{{3,}})(?![\d.])")
_ID_KEYWORDS = "房间|编号|工号|学号|账号|帐号|卡号|单号|订单号|房号|邮编|验证码|密码|车牌|身份证|证号|代码|代号|批号|型号"
_ID_NUMBER = re.compile(rf"((?:{_ID_KEYWORDS})(?:号码|号)?(?:是|为|:|：)?\s*)(\d{{3,}})(?![\d.])")
# A number of four or more digits used as a name: “26314”号 -> 二六三一四号.
_NUMBER_AS_NAME = re.compile(r"(?<![\d.,第])(\d{4,})(?=[”」』\"']?号(?!称|召))")
# Well-known service numbers. Five-digit ones are read as telephone numbers unless a counter or unit follows;
# the three-digit emergency numbers (110, 120, ...) only with a call context (拨打120, 110报警) or standing alone.
_NOT_COUNTED = r"(?![\d.%A-Za-z°²³]|\s*[年月日号个次名位人米元岁件条万亿千百只辆台种多余分秒度倍])"
_SERVICE_LONG = re.compile(
    r"(?<![\d.A-Za-z])(12110|12306|12315|12345|12320|12333|12348|12358|12365|12369|12377|12388|10010|10086|"
    r"95\d{3})" + _NOT_COUNTED
)
_CALL_BEFORE = r"(拨打|拨|打|报警|呼叫|致电|急救|求救|求助|电话|热线|call|Call)(\s*)"
_CALL_AFTER = r"(?=\s*(?:打|报警|急救|求助|求救|热线|电话|来电|出警|接警|指挥|咨询|投诉|查询|报案))"
_SHORT = r"(110|119|120|122|114|117)"
_SERVICE_SHORT = re.compile(
    rf"{_CALL_BEFORE}{_SHORT}{_NOT_COUNTED}|(?<![\d.A-Za-z]){_SHORT}{_CALL_AFTER}|^(\s*){_SHORT}(\s*)$"
)
# Codes: letters glued to 3+ digits (G1234 train, CA1234 flight, RTX4090), room numbers (302室).
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)(\d{3,})(?![\d.])")
_ROOM = re.compile(r"(?<![\d.])\d{3,4}(?=室|号房|房间)")
# Standards are named digit by digit, also after a space, with the year of the edition after a dash read 杠:
# ISO 9001, GB/T 7714-2015 (七七一四杠二零一五), RFC 2616, IEC 61508.
_STANDARD = re.compile(
    r"(?<![A-Za-z0-9])(ISO|IEC|IEEE|RFC|ASTM|ANSI|DIN|JIS|GB/T|GB|YY|HJ)(\s?)(\d{3,6})"
    r"(?:[-—–]((?:19|20)\d\d(?![\d.])|[一二][零一二三四五六七八九]{3}))?(?![\d.])"  # the year, maybe read already
)


def _sub_standard(m: re.Match[str]) -> str:
    year = m.group(4)
    return m.group(1) + m.group(2) + digits(m.group(3)) + ("杠" + (digits(year) if year.isdigit() else year) if year else "")
# Video resolutions: 1080p, 720P, 2160p -> 一零八零p
_RESOLUTION = re.compile(r"(?<![\d.])\d{3,4}(?=[pPi](?![A-Za-z]))")
_LEADING_ZERO = re.compile(r"(?<![\d.,])0\d{2,}(?![\d.])")
_LONG_RUN = re.compile(r"(?<![\d.,])\d{13,}(?![\d.])")


def _tele(*parts: str) -> str:
    return digits("".join(parts), telephone=True)


def _sub_mobile(m: re.Match[str]) -> str:
    country = m.group(1) or ""
    spoken = ("加" if country.startswith("+") else "") + "八六" if country else ""
    return spoken + _tele(*m.groups()[1:])


def _sub_ip(m: re.Match[str]) -> str:
    if any(int(g) > 255 for g in m.groups()):
        return m.group(0)
    return "点".join(digits(g) for g in m.groups())


def _sub_short_service(m: re.Match[str]) -> str:
    if m.group(3):
        return m.group(1) + m.group(2) + _tele(m.group(3))
    if m.group(4):
        return _tele(m.group(4))
    return m.group(5) + _tele(m.group(6)) + m.group(7)


def normalize_codes(text: str) -> str:
    """Letter-prefixed codes and room numbers; runs after the money rule (JPY1000 is an amount)."""
    text = _STANDARD.sub(_sub_standard, text)
    text = _CODE.sub(lambda m: m.group(1) + digits(m.group(2)), text)
    text = _RESOLUTION.sub(lambda m: digits(m.group(0)), text)
    return _ROOM.sub(lambda m: digits(m.group(0)), text)


def normalize_phones(text: str) -> str:
    text = _IPV4.sub(_sub_ip, text)
    text = _DOTTED.sub(lambda m: "点".join(digits(p) for p in m.group(0).split(".")), text)
    text = _MOBILE.sub(_sub_mobile, text)
    text = _HOTLINE.sub(lambda m: digits("".join(m.groups())), text)
    text = _LANDLINE.sub(lambda m: digits("".join(m.groups())), text)
    text = _KEYWORD_NUMBER.sub(lambda m: m.group(1) + _tele(m.group(2)), text)
    text = _ID_NUMBER.sub(lambda m: m.group(1) + digits(m.group(2)), text)
    text = _NUMBER_AS_NAME.sub(lambda m: digits(m.group(1)), text)
    text = _SERVICE_LONG.sub(lambda m: _tele(m.group(1)), text)
    text = _SERVICE_SHORT.sub(_sub_short_service, text)
    text = _LEADING_ZERO.sub(lambda m: digits(m.group(0)), text)
    return _LONG_RUN.sub(lambda m: digits(m.group(0)), text)
