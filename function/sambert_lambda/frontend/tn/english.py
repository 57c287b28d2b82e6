"""Latin letters inside Chinese text: kept as ASCII words for the G2P stage, with a few spoken conventions.

B2B / O2O / P2P -> "B to B" (the 2 is read "to"), COVID-19 -> "COVID 19" (the hyphen is not spoken; the digits are
read by the number rules), and a.m./p.m. are left to the time rule.
"""

from __future__ import annotations

import re

_X2Y = re.compile(r"(?<![A-Za-z0-9])([BCOPGMFD])2([BCOPGMFD])(?![A-Za-z0-9])")  # B2B, B2C, O2O, P2P, C2M...
_LETTER_HYPHEN_DIGIT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)-(?=\d)")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9.@/-])((?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|edu|gov|io|ai|hk|tw|info)"
    r"(?![A-Za-z0-9])(?:/[A-Za-z0-9._~%/?=&#-]*)?)"
    r"|(?<![A-Za-z0-9.@/-])(https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?(?:/[A-Za-z0-9._~%/?=&#-]*)?)"
)
_ADDRESS_SYMBOLS = {".": " 点 ", "/": " 斜杠 ", "@": " 艾特 ", "_": " 下划线 ", "-": " 杠 ", "?": " 问号 ",
                    "=": " 等于 ", "&": " and ", "#": " 井号 ", "%": " 百分号 ", "~": " 波浪号 ", ":": " 冒号 "}
_ADDRESS_SYMBOL = re.compile(r"[./@_\-?=&#%~:]")
# the spoken symbols of an address: prosody keeps a run of them and its Latin words as one unit
ADDRESS_WORDS = frozenset(v.strip() for v in _ADDRESS_SYMBOLS.values() if not v.strip().isascii())
_DIGIT_NAMES = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


# Acronyms often typed in lower case; upper case tells the G2P stage to spell them letter by letter.
_ACRONYMS = (
    "atm|ufo|nba|cba|gpu|cpu|ceo|cfo|cto|coo|wto|who|mvp|vip|iq|eq|mba|phd|gdp|cpi|ppi|usb|led|lcd|pdf|ppt|dna|rna|"
    "tv|pc|ai|vr|ar|sim|sos|diy|kpi|pk|gps|fbi|cia|ktv|suv|app|ip|id|ok|qq|bbc|cctv|nasa|wifi|ict|it|hr|pr|mv|dj|"
    "ps|cd|dvd|hiv|icu|ct|pm|ppp|ipo|etf|vc|bug"
)
_ACRONYM = re.compile(rf"(?<![A-Za-z])(?:{_ACRONYMS})(?![A-Za-z])", re.IGNORECASE)
_WORDS_NOT_ACRONYMS = {"app", "ok", "bug", "wifi", "nasa", "it", "id", "pm", "who", "ar", "ps"}


def _upper_acronym(m: re.Match[str]) -> str:
    token = m.group(0)
    if token.lower() in _WORDS_NOT_ACRONYMS or token.isupper():
        return token
    text, start, end = m.string, m.start(), m.end()
    prev = text[start - 1] if start else " "
    nxt = text[end] if end < len(text) else " "
    # only inside Chinese text (a CJK character next to it), never inside an English sentence
    return token.upper() if "\u4e00" <= prev <= "\u9fff" or "\u4e00" <= nxt <= "\u9fff" else token


def _spell_address(s: str) -> str:
    """A web or mail address, every symbol spoken (https://a.cn/x?y=1 -> HTTPS 冒号 斜杠 斜杠 a 点 cn ...), so
    none of its ? . : is taken for punctuation, and its digits one by one (abc_123 -> abc 下划线 一二三)."""
    scheme = re.match(r"(https?)://", s, re.IGNORECASE)
    head = scheme.group(1).upper() + " 冒号 斜杠 斜杠 " if scheme else ""
    body = s[scheme.end():] if scheme else s
    body = _ADDRESS_SYMBOL.sub(lambda m: _ADDRESS_SYMBOLS[m.group(0)], body)
    body = re.sub(r"\d+", lambda m: " " + "".join(_DIGIT_NAMES[d] for d in m.group(0)) + " ", body)  # digit by digit
    return re.sub(r"\s+", " ", head + body).strip()


def normalize_english(text: str) -> str:
    text = _EMAIL.sub(lambda m: _spell_address(m.group(1)) + " 艾特 " + _spell_address(m.group(2)), text)
    text = _DOMAIN.sub(lambda m: _spell_address(m.group(1) or m.group(2)), text)
    text = _X2Y.sub(r"\1 to \2", text)
    text = _ACRONYM.sub(_upper_acronym, text)
    return _LETTER_HYPHEN_DIGIT.sub(r"\1 ", text)
