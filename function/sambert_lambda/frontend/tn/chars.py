"""Character-level clean-up: width, script (traditional -> simplified), unspeakable characters, punctuation.

``prepare`` runs first (before any number rule); ``finish`` runs last and gives Chinese text its full-width pause
punctuation back, so the prosody stage sees ，。！？；： rather than their ASCII look-alikes.
"""

from __future__ import annotations

import re
import unicodedata

from sambert_lambda.frontend.dict_cache import without_pkg_resources

with without_pkg_resources():  # zhconv would import pkg_resources (0.2 s CPU) only to open its own JSON file
    import zhconv

# Full-width ASCII variants (U+FF01..U+FF5E) -> ASCII, except the pause punctuation that Chinese text uses natively.
_KEEP_FULLWIDTH = set("，！？；：（）")
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2212: ord("-"), 0x2013: ord("-"), 0xFE63: ord("-")})
# Latin letters with diacritics -> their base letters (café -> cafe, naïve -> naive), so that an English or other
# Latin word is read as one word instead of losing its accented letters. Letters that do not decompose get their
# usual ASCII spelling.
_LATIN_SPELLING = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                   "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ŋ": "ng", "Ŋ": "Ng"}  # fmt: skip


def _latin_base(ch: str) -> str:
    if ch in _LATIN_SPELLING:
        return _LATIN_SPELLING[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base.isascii() and base.isalpha() else ch


_WIDTH.update(
    {
        cp: _latin_base(chr(cp))
        for cp in range(0x00C0, 0x0250)
        if unicodedata.category(chr(cp)).startswith("L")
    }
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
    "﹪": "%",
}
_KEPT_SUPERSCRIPTS = set("²³")  # the unit rules read m²/m³; elsewhere they become 的平方/的立方

# Categories with nothing speakable: controls, formats, surrogates, private use, unassigned, symbols (emoji etc.).
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk", "Mn", "Me"}
# Symbols in the dropped categories that the later rules read aloud.
_SPOKEN_SYMBOLS = set("°℃℉№©®™") | _KEPT_SUPERSCRIPTS

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


# Characters that never need a look: ASCII printable, CJK, CJK and full-width punctuation, Latin-1 letters.
_SUSPECT = re.compile(
    r"[^\t\n\r\x20-\x7e\u00c0-\u024f\u2010-\u2027\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+"
)
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")
# Enclosed numbers: ① ⑴ ⒈ ❶ ➀ ➊ ⓵ ... -> their value.
_SUPER_RUN = re.compile(r"[\u00b9\u2070\u2074-\u2079][\u00b9\u00b2\u00b3\u2070\u2074-\u2079]*")
_ENCLOSED = re.compile(r"[\u2080-\u2089\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")
# Roman numerals (Ⅻ, ⅷ): a run is one number, read by its value (第Ⅻ章 -> 第12章).
_ROMAN = re.compile(r"[\u2160-\u2182\u2185-\u2188]+")
# Vulgar fractions: ½ -> 1/2 (and 3½ -> 3又1/2) for the fraction rule.
_VULGAR = re.compile(r"(\d?)([\u00bc-\u00be\u2150-\u215e])")


def _vulgar(m: re.Match[str]) -> str:
    frac = unicodedata.normalize("NFKC", m.group(2)).replace("\u2044", "/")
    return m.group(1) + "又" + frac if m.group(1) else frac


def _enclosed_value(ch: str) -> str:
    value = unicodedata.numeric(ch, -1)
    return str(int(value)) if value >= 0 and value == int(value) else ""


def _roman_value(m: re.Match[str]) -> str:
    values = [int(unicodedata.numeric(ch)) for ch in m.group(0)]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return str(total)


def _sub_suspect(m: re.Match[str]) -> str:
    """Keep the speakable characters of a run; an emoji-like symbol between two letters/digits becomes ，."""
    kept: list[str] = []
    pause = False
    for ch in m.group(0):
        if _is_unspeakable(ch):
            pause = pause or unicodedata.category(ch) in ("So", "Sk")
        else:
            kept.append(ch)
    if kept or not pause:
        return "".join(kept)
    text, start, end = m.string, m.start(), m.end()
    prev = text[start - 1] if start else ""
    nxt = text[end] if end < len(text) else ""
    return "，" if prev.isalnum() and nxt.isalnum() else ""


_ZHCONV_READY = False


def _zhconv_tables() -> None:
    """zhconv's tables from the frontend's dictionary cache, before its first conversion (see dict_cache)."""
    global _ZHCONV_READY
    from sambert_lambda.frontend import dict_cache

    dict_cache.install_zhconv()
    _ZHCONV_READY = True


def prepare(text: str) -> str:
    """Width, digits, script and symbol clean-up; the result still has ASCII digits for the number rules."""
    text = text.translate(_WIDTH)
    if _SUSPECT.search(text):
        text = "".join(_SYMBOLS.get(c, c) for c in text)
        text = _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0), 0)), text)
        text = _SUPER_RUN.sub(lambda m: "的" + "".join(_enclosed_value(c) for c in m.group(0)) + "次方", text)
        text = _ENCLOSED.sub(lambda m: _enclosed_value(m.group(0)), text)
        text = _ROMAN.sub(_roman_value, text)
        text = _VULGAR.sub(_vulgar, text)
        text = _SUSPECT.sub(_sub_suspect, text)
    if _HAS_CJK.search(text):
        if not _ZHCONV_READY:
            _zhconv_tables()
        text = zhconv.convert(text, "zh-hans")  # script only: no regional word swaps
    return text.replace("\r\n", "\n").replace("\r", "\n")


_ELLIPSIS = re.compile(r"(?:\.\s?){3,}|。{3,}|…+")


def finish(text: str) -> str:
    """Chinese pause punctuation, whitespace clean-up (single spaces only between non-CJK words)."""
    text = _ELLIPSIS.sub("……", text)
    text = _PUNCT_NEAR_CJK.sub(lambda m: _ASCII_TO_CJK_PUNCT[m.group(1) or m.group(2)], text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_NEAR_CJK.sub("", text)
    text = _NEWLINES.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
