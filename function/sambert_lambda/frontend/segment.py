"""Sentence splitting of normalized text, for synthesis one sentence at a time.

Sentences end at 。！？；… (and ASCII ! ? ; and a period followed by a space or the end), or at a newline. The
terminator stays with its sentence, together with any further terminators and closing quotes/brackets right after it
(他说：“好！”。 is one sentence). A sentence longer than ``max_chars`` is cut at clause marks ，、：,: into pieces of at
most ``max_chars``; a clause that is still too long is cut at ``max_chars`` (at a space or a CJK boundary, never inside
an ASCII word; a single word longer than ``max_chars`` is kept whole, up to ``LONGEST_WORD`` characters). Whitespace
at piece edges is dropped, and whitespace-only pieces are not returned. Every piece is a substring of ``text``, in order.
Linear time, pure function.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["split_sentences"]

_TERMINATORS = set("。！？；…!?;")
_CLOSERS = set("”’」』）)》】〕]\"'")
_CLAUSE_MARKS = set("，、：,:")
# No word is longer (the longest English dictionary words have 45 letters). A longer run of letters or digits is cut
# every LONGEST_WORD characters: kept whole, a run of 270 letters is over the 800 positions of the acoustic model.
LONGEST_WORD = 64
_PUNCT = _TERMINATORS | _CLOSERS | _CLAUSE_MARKS


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "'-_")


def _raw_sentences(text: str) -> Iterator[str]:
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            yield text[start:i]
            start = i = i + 1
            continue
        ends = ch in _TERMINATORS or (ch == "." and (i + 1 == n or text[i + 1].isspace()))
        if ends:
            j = i + 1
            while j < n and (text[j] in _TERMINATORS or text[j] in _CLOSERS or text[j] == "."):
                j += 1
            yield text[start:j]
            start = i = j
            continue
        i += 1
    yield text[start:]


def _hard_cut(clause: str, max_chars: int) -> Iterator[str]:
    """Cut a clause with no usable clause mark into pieces of at most ``max_chars`` without splitting ASCII words."""
    while len(clause) > max_chars:
        cut = max_chars
        while cut > 0 and _is_word_char(clause[cut - 1]) and _is_word_char(clause[cut]):
            cut -= 1
        if cut == 0:  # one word longer than max_chars: keep it whole, up to LONGEST_WORD characters
            cut = max_chars
            limit = max(max_chars, LONGEST_WORD)
            while cut < min(len(clause), limit) and _is_word_char(clause[cut - 1]) and _is_word_char(clause[cut]):
                cut += 1
            while cut < len(clause) and clause[cut] in _PUNCT:  # its trailing punctuation goes with it
                cut += 1
        else:  # never start the next piece with punctuation: move a character over with it
            while cut > 1 and clause[cut] in _PUNCT and not _is_word_char(clause[cut - 1]):
                cut -= 1
        piece, clause = clause[:cut].strip(), clause[cut:].lstrip()
        if piece:
            yield piece
    if clause.strip():
        yield clause.strip()


def _clauses(sentence: str) -> list[str]:
    out, start = [], 0
    for i, ch in enumerate(sentence):
        if ch in _CLAUSE_MARKS:
            out.append(sentence[start : i + 1])
            start = i + 1
    out.append(sentence[start:])
    return [c for c in out if c]


def _fit(sentence: str, max_chars: int) -> Iterator[str]:
    """Pack clauses into pieces of at most ``max_chars``; every piece is a substring of ``sentence``."""
    if len(sentence) <= max_chars:
        yield sentence
        return
    current = ""
    for clause in _clauses(sentence):
        if current.strip() and len((current + clause).strip()) > max_chars:
            yield current.strip()
            current = ""
        if len(clause.strip()) > max_chars:
            pieces = list(_hard_cut(clause.strip(), max_chars))
            yield from pieces[:-1]
            current = pieces[-1] if pieces else ""
        else:
            current += clause
    if current.strip():
        yield current.strip()


def split_sentences(text: str, max_chars: int = 60) -> list[str]:
    """Split normalized text into sentences (see the module docstring). ``max_chars`` < 1 is treated as 1."""
    max_chars = max(1, int(max_chars))
    result: list[str] = []
    for raw in _raw_sentences(text):
        sentence = raw.strip()
        if sentence:
            result.extend(p for p in _fit(sentence, max_chars) if p)
    return result
