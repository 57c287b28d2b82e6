"""Text normalization: written Chinese (with digits, symbols, Latin letters) -> speakable Chinese.

``normalize`` chains the rule modules in ``frontend.tn`` in a fixed order: specific patterns (dates, times, phone
numbers, money, percentages, expressions, scores, fractions, ranges, measures) run before the generic number rule, so
each digit run is read by the most specific rule that matches it. Punctuation is kept (as Chinese full-width pause
marks in Chinese text) for the prosody stage. Latin words stay ASCII for the G2P stage.

``say_as`` implements SSML ``<say-as interpret-as=...>``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sambert_lambda.errors import SSMLError
from sambert_lambda.frontend.tn import chars, english, symbols
from sambert_lambda.frontend.tn.numbers import cardinal, digits, number

__all__ = ["SAY_AS_TYPES", "normalize", "say_as"]


@lru_cache(maxsize=1)
def _number_rules() -> tuple:
    """The rules that only act on ASCII digits, in order; skipped for text without any. Their modules are imported
    on the first text with a digit: compiling their regular expressions is ~35 ms CPU that a cold start whose first
    sentence has no digit need not pay."""
    from sambert_lambda.frontend.tn import dates, math, measure, money, phone

    return (
        dates.normalize_dates,
        dates.normalize_times,
        phone.normalize_phones,
        money.normalize_money,
        phone.normalize_codes,
        measure.normalize_percent,
        math.normalize_math,
        math.normalize_scores,
        math.normalize_fractions,
        math.normalize_ranges,
        measure.normalize_measure,
        symbols.normalize_numbers,
    )


_ASCII_DIGIT = re.compile(r"[0-9]")


def normalize(text: str) -> str:
    """Written -> spoken Chinese. Total on ``str``: never raises, linear time, output has no ASCII digits."""
    if not isinstance(text, str):
        text = str(text)
    text = english.normalize_english(chars.prepare(text))
    if _ASCII_DIGIT.search(text):
        for rule in _number_rules():
            text = rule(text)
    return chars.finish(symbols.normalize_symbols(text))


# --- SSML <say-as> -------------------------------------------------------------------------------------------

_LETTER_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
_NUM = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")
_DATE_PARTS = re.compile(r"\d+")
_COMPACT_DATE = re.compile(r"[12]\d{3}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_DATE_FORMATS = {"ymd", "ydm", "mdy", "dmy", "md", "dm", "ym", "my", "y", "m", "d"}


def _each(text: str, telephone: bool) -> str:
    return "".join(digits(c, telephone=telephone) if c.isdigit() else c for c in chars.prepare(text))


def _characters(text: str) -> str:
    out = []
    for c in chars.prepare(text):
        if c.isspace():
            continue
        out.append(digits(c) if c.isdigit() else c)
    return " ".join(out) if any(_LETTER_OR_DIGIT.match(c) for c in text) else "".join(out)


def _say_date(text: str, fmt: str | None) -> str:
    prepared = chars.prepare(text).strip()
    if fmt is None:
        if _COMPACT_DATE.fullmatch(prepared):  # 20240501
            return _say_date(prepared[:4] + "-" + prepared[4:6] + "-" + prepared[6:], "ymd")
        return normalize(text)
    parts = _DATE_PARTS.findall(prepared)
    fmt = fmt.lower()
    if fmt not in _DATE_FORMATS or len(parts) != len(fmt):
        raise SSMLError(f"say-as date: format {fmt!r} does not fit {text!r} (use e.g. ymd, md, dmy)")
    fields = dict(zip(fmt, parts, strict=True))
    out = ""
    if "y" in fields:
        out += digits(fields["y"]) + "年"
    if "m" in fields:
        out += cardinal(fields["m"], liang=False) + "月"
    if "d" in fields:
        out += cardinal(fields["d"], liang=False) + "日"
    return out


def _say_numbers(text: str, ordinal: bool) -> str:
    text = chars.prepare(text)
    if ordinal:
        return _NUM.sub(lambda m: "第" + number(m.group(0), liang=False), text, count=1)
    return _NUM.sub(lambda m: number(m.group(0)), text)


SAY_AS_TYPES = ("digits", "telephone", "date", "characters", "cardinal", "number", "ordinal")


def say_as(text: str, interpret_as: str, format: str | None = None) -> str:
    """Verbalize ``text`` as SSML ``<say-as interpret-as=... format=...>`` asks.

    digits: each digit (一 for 1); telephone: each digit with 幺 for 1; characters: spell letters and digits one by
    one; cardinal/number: numbers as quantities; ordinal: 第 + number; date: ``format`` in ymd/mdy/dmy/md/ym/...
    (without format the date rules of ``normalize`` apply). An unknown ``interpret_as`` raises SSMLError.
    """
    kind = (interpret_as or "").strip().lower()
    if kind == "digits":
        return _each(text, telephone=False)
    if kind == "telephone":
        return _each(text, telephone=True)
    if kind == "characters":
        return _characters(text)
    if kind in ("cardinal", "number"):
        return chars.finish(symbols.normalize_numbers(_say_numbers(text, ordinal=False)))
    if kind == "ordinal":
        return chars.finish(symbols.normalize_numbers(_say_numbers(text, ordinal=True)))
    if kind == "date":
        return _say_date(text, format)
    raise SSMLError(
        f"unsupported say-as interpret-as={interpret_as!r}; supported: {', '.join(SAY_AS_TYPES)}",
        detail={"interpret_as": interpret_as},
    )
