"""English words inside Chinese text -> ARPAbet syllables (KAN-TTS's English phones; stress -> tone).

A Latin-letter token is read from, in order:

1. a small built-in lexicon of words common in Chinese text (written for this project; it overrides the next);
2. the CMU Pronouncing Dictionary (BSD-style licence, see NOTICE): ``data/cmudict/cmudict.txt.xz``, ~125k words,
   first pronunciation only, built by ``scripts/build_cmudict_lexicon.py``. It is decompressed lazily, the first
   time a token misses the built-in lexicon, and kept for the life of the process (sorted lines, binary search);
3. letter-to-sound rules written for this project (:mod:`.english_lts`) for pronounceable words no lexicon has.

All-caps initialisms (CEO, NBA, GPU, AI, IT) and single letters are spelled letter by letter, as are tokens with
no pronounceable shape (``xkcd``): capitals of up to 3 letters always (bar OK and a few such built-in words), of 4-5
letters unless CMUdict reads them as a word rather than as letter names (WORLD, SALE are read; CCTV, ICBC are
spelled), except a short list read as words (NASA, COVID). Mixed-case tokens that are not in a lexicon whole (macOS,
PowerPoint, iOS) are split at case boundaries and digits, and each part is read on its own. Each syllable is (phones, tone) with tone1 for
primary stress and tone0 otherwise, as KAN-TTS renders English; a consonant cluster between two vowels goes to the
next syllable as far as it is a legal English onset (maximal onset).
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from functools import lru_cache

EnSyllable = tuple[list[str], str]

# fmt: off
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
    "wifi": "w ay:1|f ay:0", "wi": "w ay:1", "email": "iy:1|m ey l:0", "google": "g uw:1|g ah l:0", "windows": "w ih n:1|d ow z:0",
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
# fmt: on


# All-caps tokens of up to 5 letters that are read as words (looked up, else the rules) rather than spelled.
_CAPS_WORDS = frozenset(
    "nasa nato covid sars mers opec fifa ikea lego apec asean unesco unicef ascii oled dram nand lidar radar laser "
    "scuba yolo gif".split()
)
# Built-in words that in capitals are initialisms (IT 行业 = I T).
_SPELLED_CAPS = frozenset({"it"})
_LEXICON_FILE = ("cmudict", "cmudict.txt.xz")
_LOAD_LOCK = threading.Lock()
_VOWELS = frozenset("aa ae ah ao aw ay eh er ey ih iy ow oy uh uw".split())  # = english_lts.VOWEL_PHONES
_ONSETS = frozenset(
    tuple(o.split())
    for o in (
        "p r|p l|b r|b l|t r|d r|k r|k l|g r|g l|f r|f l|th r|sh r|s p|s t|s k|s m|s n|s l|s w|t w|d w|k w|g w|"
        "p y|b y|k y|g y|m y|f y|v y|hh y|th w|s p r|s p l|s t r|s k r|s k w|s k l|s p y|s k y"
    ).split("|")
)
# Word-initial letter clusters that English spells (for the "is it pronounceable" check).
_LETTER_ONSETS = frozenset(
    "bl br ch chr cl cr dr dw fl fr gl gn gr kl kn kr ph phr pl pr ps qu rh sc sch scr sh shr sk sl sm sn sp sph spl "
    "spr squ st str sw th thr tr tw wh wr".split()
)


def _parse(entry: list[str]) -> list[EnSyllable]:
    out = []
    for syl in entry:
        phones, stress = syl.rsplit(":", 1)
        out.append((phones.split(), "tone1" if stress == "1" else "tone0"))
    return out


_cmu: list[str] | None = None


def cmu_entries() -> list[str]:
    """The shipped CMUdict subset as sorted lines ``"microsoft m ay1 k r ow2 s ao1 f t"``, read on first use only
    (xz decompression ≈ 0.1 s CPU, ≈ 10 MB), then kept for the process. Lines sort like their words because the
    space after a word sorts before any letter or apostrophe."""
    global _cmu  # a process-wide, load-once cache
    if _cmu is None:
        with _LOAD_LOCK:
            if _cmu is None:
                import lzma  # on the first English word only: importlib.resources took 16-37 ms to import here
                from importlib import resources

                raw = resources.files("sambert_lambda.data").joinpath(*_LEXICON_FILE).read_bytes()
                lines = lzma.decompress(raw).decode("utf-8").splitlines()
                _cmu = [ln for ln in lines if ln and not ln.startswith(";;;")]
    return _cmu


def cmu_lookup(word: str) -> str | None:
    """CMUdict pronunciation of a lower-case word (``"t eh1 s l ah0"``), or None."""
    entries = cmu_entries()
    key = word + " "
    i = bisect.bisect_left(entries, key)
    if i < len(entries) and entries[i].startswith(key):
        return entries[i][len(key) :]
    return None


def cmu_loaded() -> bool:
    """Has the CMUdict file been read in this process? (for tests and cold-start accounting)"""
    return _cmu is not None


def syllabify(pron: list[str]) -> list[EnSyllable]:
    """ARPAbet with stress digits (``m ay1 k r ow2``) -> syllables: the consonants between two vowels go to the
    next syllable as far as they form a legal onset (maximal onset), the rest close the previous one."""
    phones = [re.sub(r"\d", "", p).lower() for p in pron]
    nuclei = [i for i, p in enumerate(phones) if p in _VOWELS]
    if not nuclei:
        return [(phones, "tone0")] if phones else []
    starts = [0]
    for prev, v in itertools.pairwise(nuclei):
        cons = phones[prev + 1 : v]
        take = 0
        for n in range(1, len(cons) + 1):
            tail = tuple(cons[-n:])
            if not ((n == 1 and tail[0] != "ng") or tail in _ONSETS):
                break
            take = n
        starts.append(v - take)
    bounds = [*starts, len(phones)]
    return [
        (phones[bounds[k] : bounds[k + 1]], "tone1" if pron[v].endswith("1") else "tone0")
        for k, v in enumerate(nuclei)
    ]


def spell(word: str) -> list[EnSyllable]:
    out: list[EnSyllable] = []
    for ch in word.lower():
        if ch in _LETTERS:
            out.extend(_parse(_LETTERS[ch]))
    return out


def pronounceable(word: str) -> bool:
    """Can a lower-case letter string be read as a word? A vowel letter, no run of 4+ consonants, a spellable
    start; a doubled vowel letter alone (``aa``) or 3 equal letters in a row are not."""
    w = word.replace("'", "")
    if len(w) < 2 or not re.search(r"[aeiouy]", w) or re.search(r"(.)\1\1", w):
        return False
    runs = re.findall(r"[^aeiouy]+", w)
    if any(len(r) > 4 for r in runs) or not re.search(r"[aeiou]|y(?![aeiou])", w):
        return False
    head = re.match(r"[^aeiouy]*", w).group(0)
    return len(head) <= 1 or head in _LETTER_ONSETS


def _is_spelled(pron: str, word: str) -> bool:
    """Is a CMUdict pronunciation just the letter names of ``word`` (``ceo`` -> s iy iy ow)?"""
    letters = [p for ch in word for syl in _LETTERS.get(ch, []) for p in syl.rsplit(":", 1)[0].split()]
    return [re.sub(r"\d", "", p) for p in pron.split()] == letters


def _with_primary_stress(pron: list[str]) -> list[str]:
    """76 CMUdict entries have no primary stress (greedier g r iy2 d iy0 er0): the first secondary, else the first
    vowel, becomes primary, so that every looked-up word has a tone1 syllable."""
    if any(p.endswith("1") for p in pron):
        return pron
    digits = [i for i, p in enumerate(pron) if p[-1:].isdigit()]
    k = next((i for i in digits if pron[i].endswith("2")), digits[0])
    return [p[:-1] + "1" if i == k else p for i, p in enumerate(pron)]


def _lookup(key: str) -> list[EnSyllable] | None:
    if key in _LEXICON:
        return _parse(_LEXICON[key].split("|"))
    pron = cmu_lookup(key)
    if not pron or not any(p[-1].isdigit() for p in pron.split()):
        return None  # 8 entries have no vowel (hmm, shh): spelled like other vowelless tokens
    return syllabify(_with_primary_stress(pron.split()))


def _read_part(part: str) -> list[EnSyllable]:
    """One case-uniform run of letters (``Phone``, ``OS``, ``server``)."""
    key = part.lower()
    if len(key.replace("'", "")) <= 1:
        return spell(key)
    if part.isupper() and len(part) <= 5 and key not in _CAPS_WORDS:
        if key in _LEXICON and key not in _SPELLED_CAPS:
            return _parse(_LEXICON[key].split("|"))
        if len(key) <= 3 or not pronounceable(key):
            return spell(key)  # AI, IT, WHO, CEO, GPU; HTTPS
        pron = cmu_lookup(
            key
        )  # 4-5 capitals: a word if CMUdict reads it as one (WORLD, JPEG), else spelled (CCTV)
        hit = _lookup(key) if pron and not _is_spelled(pron, key) else None
        return hit or spell(key)
    hit = _lookup(key) or _lookup(key.replace("'", ""))
    if hit:
        return hit
    if pronounceable(key):
        from sambert_lambda.frontend import english_lts  # imported on the first out-of-lexicon word

        phones = english_lts.cached_word_phones(key)
        if any(p[-1] == "1" for p in phones):  # the rules found a vowel (not so for e.g. "ge": a silent e)
            return syllabify(list(phones))
    return spell(key)


@lru_cache(maxsize=4096)
def _word_syllables(word: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    letters = re.sub(r"[^A-Za-z']", " ", word).strip(" '")
    if not letters:
        return ()
    out: list[EnSyllable] = []
    for chunk in letters.split():
        chunk = chunk.strip("'")
        if not chunk:
            continue
        mixed = not (chunk.islower() or chunk.isupper() or chunk.istitle())
        # a mixed token is looked up whole (YouTube, GitHub) unless it ends in an initialism (iOS, macOS, ChatGPT)
        hit = _lookup(chunk.lower()) if mixed and not re.search(r"[A-Z]{2,}$", chunk) else None
        if hit:
            out.extend(hit)
            continue
        parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z']+", chunk) if mixed else [chunk]
        for part in parts:
            out.extend(_read_part(part))
    return tuple((tuple(p), t) for p, t in out)


def word_syllables(word: str) -> list[EnSyllable]:
    """ARPAbet syllables of one Latin-letter token; [] if it has no letters. Phones are KAN-TTS's ARPAbet set."""
    return [(list(p), t) for p, t in _word_syllables(word)]
