"""Custom pronunciations: a lexicon of words with their pinyin or English phones, applied before G2P.

Format (UTF-8 text, one entry per line; ``#`` starts a comment; blank lines are ignored)::

    # word      pronunciation
    银行        yin2 hang2        Chinese: one pinyin syllable with its tone digit (1-5) per Han character
    重庆        chong2 qing4
    SQL         EH1 S K Y UW1 EH1 L   English: ARPAbet phones with stress digits (CMUdict style)

The word and its pronunciation are separated by a tab or by spaces. A Chinese entry matches wherever its characters
appear (longest entry first, left to right); an English entry matches a whole Latin-letter word, case-insensitively.
A match forces the reading as SSML ``<phoneme>`` does: it wins over the dictionaries, the polyphone model and the
tone-sandhi rules, and the text segments around it as usual.

A lexicon comes from ``TTS_LEXICON_FILE`` (baked into the image) and/or per request (``lexicon`` field, at most
MAX_REQUEST_BYTES); request entries override baked ones of the same word.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sambert_lambda.errors import ConfigInvalid, InvalidInput, TooLarge
from sambert_lambda.frontend.pinyin import is_han
from sambert_lambda.frontend.symbols import is_valid_pinyin

MAX_REQUEST_BYTES = 16 * 1024
MAX_ENTRIES = 10_000
_CONSONANTS = frozenset("b ch d dh f g hh jh k l m n ng p r s sh t th v w y z zh".split())
_PHONE = re.compile(r"^([a-z]+)([012]?)$")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@dataclass(frozen=True)
class Entry:
    word: str
    pinyin: tuple[str, ...] = ()  # Chinese: one TONE3 syllable per character
    phones: tuple[str, ...] = ()  # English: ARPAbet with stress digits, lower case

    @property
    def pronunciation(self) -> str:
        return " ".join(self.pinyin or self.phones)


@dataclass(frozen=True)
class Match:
    start: int  # character offsets into the text searched
    end: int
    entry: Entry


class Lexicon:
    def __init__(self, entries: dict[str, Entry] | None = None):
        self.entries = dict(entries or {})
        self._zh = sorted((e for e in self.entries.values() if e.pinyin), key=lambda e: -len(e.word))
        self._en = {w.lower(): e for w, e in self.entries.items() if e.phones}

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @classmethod
    def parse(cls, text: str, *, where: str = "lexicon", max_bytes: int | None = None) -> Lexicon:
        """Parse the text format; errors name the line. Raises InvalidInput (``invalid_lexicon``)."""
        if not isinstance(text, str):
            raise InvalidInput(f"{where} must be a string in the lexicon format", code="invalid_lexicon")
        if max_bytes is not None and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise TooLarge(f"{where} is over {max_bytes} bytes", code="lexicon_too_large")
        entries: dict[str, Entry] = {}
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 2:
                raise InvalidInput(f"{where} line {n}: expected a word and its pronunciation", code="invalid_lexicon")
            word, pron = parts[0], parts[1:]
            entries[word] = _entry(word, pron, f"{where} line {n}")
            if len(entries) > MAX_ENTRIES:
                raise TooLarge(f"{where} has more than {MAX_ENTRIES} entries", code="lexicon_too_large")
        return cls(entries)

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        p = Path(path)
        try:
            mtime = p.stat().st_mtime_ns
        except OSError as e:
            raise ConfigInvalid(f"TTS_LEXICON_FILE {p}: cannot read it ({type(e).__name__})") from None
        return _load(str(p), mtime)

    @property
    def digest(self) -> str:
        """SHA-256 of the entries (order-free): part of the audio cache key when a lexicon is baked in."""
        doc = "\n".join(f"{w}\t{e.pronunciation}" for w, e in sorted(self.entries.items()))
        return hashlib.sha256(doc.encode("utf-8")).hexdigest()

    def merged(self, other: Lexicon | None) -> Lexicon:
        """This lexicon with ``other``'s entries added (they win on the same word)."""
        if not other:
            return self
        return Lexicon({**self.entries, **other.entries})

    def matches(self, text: str) -> list[Match]:
        """Non-overlapping matches in ``text``, left to right, longest Chinese entry first."""
        found: list[Match] = []
        taken = [False] * len(text)
        for e in self._zh:
            at = text.find(e.word)
            while at >= 0:
                end = at + len(e.word)
                if not any(taken[at:end]):
                    found.append(Match(at, end, e))
                    taken[at:end] = [True] * (end - at)
                at = text.find(e.word, at + 1)
        if self._en:
            for m in _LATIN_WORD.finditer(text):
                e = self._en.get(m.group().lower())
                if e is not None and not any(taken[m.start():m.end()]):
                    found.append(Match(m.start(), m.end(), e))
        return sorted(found, key=lambda m: m.start)


def _entry(word: str, pron: list[str], where: str) -> Entry:
    if all(is_han(c) for c in word):
        pinyin = tuple(p.lower().replace("ü", "v").replace("u:", "v") for p in pron)
        if len(pinyin) != len(word):
            raise InvalidInput(f"{where}: {word!r} has {len(word)} characters but {len(pinyin)} syllables",
                               code="invalid_lexicon")  # fmt: skip
        bad = [p for p in pinyin if not is_valid_pinyin(p)]
        if bad:
            raise InvalidInput(f"{where}: {bad[0]!r} is not a pinyin syllable with a tone digit 1-5",
                               code="invalid_lexicon")  # fmt: skip
        return Entry(word, pinyin=pinyin)
    if _LATIN_WORD.fullmatch(word):
        from sambert_lambda.frontend.english_lts import VOWEL_PHONES  # loaded on demand

        phones = tuple(p.lower() for p in pron)
        for p in phones:
            m = _PHONE.match(p)
            if not m or not ((m.group(1) in VOWEL_PHONES and m.group(2)) or (m.group(1) in _CONSONANTS and not m.group(2))):
                raise InvalidInput(f"{where}: {p!r} is not an ARPAbet phone (vowels take a stress digit 0-2)",
                                   code="invalid_lexicon")  # fmt: skip
        if not any(_PHONE.match(p).group(1) in VOWEL_PHONES for p in phones):  # type: ignore[union-attr]
            raise InvalidInput(f"{where}: {word!r} needs at least one vowel phone", code="invalid_lexicon")
        return Entry(word, phones=phones)
    raise InvalidInput(f"{where}: {word!r} must be all Han characters or one Latin-letter word", code="invalid_lexicon")


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int) -> Lexicon:
    try:
        return Lexicon.parse(Path(path).read_text(encoding="utf-8"), where=f"TTS_LEXICON_FILE {Path(path).name}")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigInvalid(f"TTS_LEXICON_FILE {path}: cannot read it ({type(e).__name__})") from None
    except (InvalidInput, TooLarge) as e:  # a baked file is configuration: 503, not the caller's fault
        raise ConfigInvalid(e.message) from None
