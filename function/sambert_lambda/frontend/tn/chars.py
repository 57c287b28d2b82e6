"""Character-level clean-up: width, script (traditional -> simplified), unspeakable characters, punctuation.

``prepare`` runs first (before any number rule); ``finish`` runs last and gives Chinese text its full-width pause
punctuation back, so the prosody stage sees ，。！？；： rather than their ASCII look-alikes.
"""

from __future__ import annotations

import re
import unicodedata

import zhconv

# Full-width ASCII variants (U+FF01..U+FF5E) -> ASCII, except the pause punctuation that Chinese text uses natively.
_KEEP_FULLWIDTH = set("，！？；：（）")
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_WIDTH.update(
    {0x3000: 0x20, 0x00A0: 0x20, 0x2212: ord("-"), 0x2013: ord("-"), 0x2014: 0x2014, 0xFE63: ord("-")}
)
# Symbols that are spoken and get their own rule later, written in one canonical form here.
_SYMBOLS = {
    "℃": "°C",
    "℉": "°F",
    "㎡": "m²",
    "㎞": "km",
    "㎏": "kg",
    "㎝": "cm",
    "㎜": "mm",
    "‰": "‰",
    "﹪": "%",
}
_SUPERSCRIPT = {"²": "²", "³": "³"}  # kept: the unit rules read m²/m³; elsewhere they become 平方/立方

# Categories with nothing speakable: controls, formats, surrogates, private use, unassigned, symbols (emoji etc.).
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk", "Mn", "Me"}
# Symbols in the dropped categories that the later rules read aloud.
_SPOKEN_SYMBOLS = set("°℃℉№©®™") | set(_SUPERSCRIPT)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\n\s*")
_ASCII_TO_CJK_PUNCT = {",": "，", "!": "！", "?": "？", ";": "；", ":": "：", "(": "（", ")": "）", ".": "。"}
# ASCII punctuation next to a CJK character (or to Chinese punctuation) becomes full-width.
_PUNCT_NEAR_CJK = re.compile(
    f"(?<=[{_CJK}。，！？；：、”’）》」』])\\s*([,!?;:.)])|([,!?;:(])\\s*(?=[{_CJK}“‘（《「『])"
)
_SPACE_NEAR_CJK = re.compile(
    f"(?<=[{_CJK}\\u3000-\\u303f\\uff00-\\uffef“”‘’]) +| +(?=[{_CJK}\\u3000-\\u303f\\uff00-\\uffef“”‘’])"
)


def _is_unspeakable(ch: str) -> bool:
    if ch.isascii():
        return (ch < " " and ch not in "\n\t") or ch == "\x7f"
    if ch in _SPOKEN_SYMBOLS:
        return False
    return unicodedata.category(ch) in _DROP_CATEGORIES


def _drop_unspeakable(text: str) -> str:
    """Remove unspeakable characters. A run containing a symbol (emoji, dingbat) between two letters or digits
    becomes a pause (，); control and format characters just disappear."""
    out: list[str] = []
    pause = False
    for ch in text:
        if _is_unspeakable(ch):
            pause = pause or unicodedata.category(ch) in ("So", "Sk")
            continue
        if pause:
            prev = out[-1] if out else ""
            if prev.isalnum() and ch.isalnum():
                out.append("，")
            pause = False
        out.append(ch)
    return "".join(out)


def prepare(text: str) -> str:
    """Width, digits, script and symbol clean-up; the result still has ASCII digits for the number rules."""
    text = text.translate(_WIDTH)
    text = "".join(_SYMBOLS.get(c, c) for c in text)
    # Any Unicode decimal digit (Arabic-Indic, Devanagari, ...) becomes its ASCII digit.
    text = "".join(str(unicodedata.decimal(c)) if (c.isdecimal() and not c.isascii()) else c for c in text)
    # Circled / parenthesized numbers and other numeric symbols with a digit value: ① -> 1.
    text = "".join(
        str(unicodedata.digit(c)) if (not c.isascii() and c not in _SUPERSCRIPT and c.isdigit()) else c
        for c in text
    )
    text = _drop_unspeakable(text)
    if _HAS_CJK.search(text):
        text = zhconv.convert(text, "zh-cn")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def finish(text: str) -> str:
    """Chinese pause punctuation, whitespace clean-up (single spaces only between non-CJK words)."""
    text = _PUNCT_NEAR_CJK.sub(lambda m: _ASCII_TO_CJK_PUNCT[m.group(1) or m.group(2)], text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_NEAR_CJK.sub("", text)
    text = _NEWLINES.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
