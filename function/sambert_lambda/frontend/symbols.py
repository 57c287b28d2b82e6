"""Phone mapping and KAN-TTS token rendering.

A token is ``{phone$tone$syllable_flag$word_segment$emotion$speaker}``. The flag rules follow KAN-TTS's script
convertor (a syllable's phones are s_begin/s_middle/s_end, or s_both when alone; a word's first syllable is
word_begin, its last word_end, a one-phone word word_both) and the phone set is KAN-TTS's PinYin set
(``data/kantts_lang``: ``_c`` phones, ga/ge/go pseudo-initials, erhua finals) plus ARPAbet for English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

EMOTIONS = (
    "neutral", "angry", "disgust", "fear", "happy", "sad", "surprise", "calm", "gentle", "relax", "lyrical",
    "serious", "disgruntled", "satisfied", "disappointed", "excited", "anxiety", "jealousy", "hate", "pity",
    "pleasure", "arousal", "dominance",
)
SPEAKERS = ("F7", "F74", "FBYN", "FRXL", "M7", "xiaoyu")
ARPABET = frozenset(
    "aa ae ah ao aw ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y z zh".split()
)

# Syllables pypinyin can return that the KAN-TTS map lacks (interjections): nearest mapped syllable.
_FALLBACK_SYLLABLES = {"n": "en", "ng": "en", "m": "mu", "hm": "hen", "hng": "heng", "ê": "ei", "ea": "ei", "r": "er"}


@dataclass
class Syllable:
    """One spoken syllable: Chinese (``pinyin`` in TONE3 spelling) or an English syllable (ARPAbet phones)."""

    text: str
    pinyin: str | None
    phones: list[str] = field(default_factory=list)
    tone: str = "tone5"  # tone token, e.g. tone3 / tone0
    emotion: str = "neutral"


@lru_cache(maxsize=1)
def py2phone_map() -> dict[str, tuple[str, ...]]:
    text = resources.files("sambert_lambda.data.kantts_lang").joinpath("py2phoneMap.txt").read_text("utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            table[parts[0]] = tuple(parts[1:])
    return table


def map_key(base: str) -> str:
    """pypinyin spelling (ü as ``u`` after j/q/x/y, ``v`` after l/n) -> the KAN-TTS map key (``v`` everywhere)."""
    if base[:1] in ("j", "q", "x") and base[1:2] == "u":
        return base[0] + "v" + base[2:]
    if base.startswith("yu"):
        return "yv" + base[2:]
    return base


def split_tone(syllable: str) -> tuple[str, int]:
    """``hao3`` -> (``hao``, 3); a missing tone digit is read as 5."""
    m = re.fullmatch(r"([a-zü:]+?)([0-5]?)", syllable.lower())
    if not m:
        raise ValueError(f"not a pinyin syllable: {syllable!r}")
    base = m.group(1).replace("ü", "v").replace("u:", "v")
    return base, int(m.group(2) or 5)


def pinyin_phones(syllable: str) -> tuple[list[str], str] | None:
    """A TONE3 syllable -> (phones, tone token), or None if no mapping exists even after fallbacks."""
    try:
        base, tone = split_tone(syllable)
    except ValueError:
        return None
    table = py2phone_map()
    key = map_key(base)
    if key not in table:
        if key.endswith("r") and key[:-1] in table and key != "er":
            key = key[:-1]  # erhua final missing from the map: keep the plain syllable
        else:
            key = map_key(_FALLBACK_SYLLABLES.get(base, base))
    phones = table.get(key)
    if phones is None:
        return None
    return list(phones), f"tone{tone if tone in (1, 2, 3, 4, 5) else 5}"


def is_valid_pinyin(syllable: str) -> bool:
    return pinyin_phones(syllable) is not None


def emotion_token(name: str) -> str:
    return name if name.startswith("emotion_") else f"emotion_{name}"


def _syllable_tokens(syl: Syllable, word_pos: str, single_syllable_word: bool, speaker: str) -> list[str]:
    out = []
    n = len(syl.phones)
    emo = emotion_token(syl.emotion)
    for i, phone in enumerate(syl.phones):
        if n == 1:
            s_pos = "s_both"
        elif i == 0:
            s_pos = "s_begin"
        elif i == n - 1:
            s_pos = "s_end"
        else:
            s_pos = "s_middle"
        w_pos = word_pos
        if w_pos == "word_begin" and s_pos == "s_end" and single_syllable_word:
            w_pos = "word_end"
        elif w_pos == "word_begin" and s_pos not in ("s_begin", "s_both"):
            w_pos = "word_middle"
        elif w_pos == "word_end" and s_pos not in ("s_end", "s_both"):
            w_pos = "word_middle"
        out.append(f"{{{phone}${syl.tone}${s_pos}${w_pos}${emo}${speaker}}}")
    return out


def word_tokens(syllables: list[Syllable], speaker: str) -> list[str]:
    """Tokens of one word (here: one prosodic word) with KAN-TTS's syllable and word flags."""
    syls = [s for s in syllables if s.phones]
    n_phones = sum(len(s.phones) for s in syls)
    out: list[str] = []
    for i, syl in enumerate(syls):
        if n_phones == 1:
            w_pos = "word_both"
        elif i == 0:
            w_pos = "word_begin"
        elif i == len(syls) - 1:
            w_pos = "word_end"
        else:
            w_pos = "word_middle"
        out.extend(_syllable_tokens(syl, w_pos, len(syls) == 1, speaker))
    return out


def pause_token(level: int, speaker: str) -> str:
    return f"{{#{level}$tone_none$s_none$word_none$emotion_none${speaker}}}"


def render(prosodic_words: list[tuple[list[Syllable], int]], speaker: str) -> str:
    """[(syllables, break level after)] -> one symbol line. Words without phones are skipped; the last break is #4."""
    parts: list[str] = []
    items = [(syls, brk) for syls, brk in prosodic_words if any(s.phones for s in syls)]
    for i, (syls, brk) in enumerate(items):
        parts.extend(word_tokens(syls, speaker))
        level = 4 if i == len(items) - 1 else min(max(brk, 1), 3)
        parts.append(pause_token(level, speaker))
    return " ".join(parts)


def token_fields(token: str) -> list[str]:
    """``{a$b$c$d$e$f}`` -> the 6 fields (raises ValueError on a malformed token)."""
    if not (token.startswith("{") and token.endswith("}")):
        raise ValueError(f"malformed token {token!r}")
    fields = token[1:-1].split("$")
    if len(fields) != 6:
        raise ValueError(f"token {token!r} has {len(fields)} fields, expected 6")
    return fields
