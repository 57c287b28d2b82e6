"""Cut a long text into chunks at sentence boundaries, each at most ``max_chars`` characters.

Sentences end after Chinese or Latin terminal punctuation (plus any closing quotes or brackets) or at a line
break. Sentences are packed greedily into chunks. A sentence longer than a chunk is cut at clause punctuation
(commas, enumeration commas, colons, spaces) and, as a last resort, at ``max_chars``. Only whitespace between
sentences and around chunks is dropped; no other character is lost or reordered.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r".*?(?:[。！？!?；;…]+[”’」』）)\]\"']*|\.(?=\s)|\n+|$)", re.S)
_CLAUSE = re.compile(r".*?(?:[，,、：:\s]+|$)", re.S)


def sentences(text: str) -> list[str]:
    """The text's sentences in order, each with its trailing punctuation; empty pieces dropped."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    for clause in (m.group(0) for m in _CLAUSE.finditer(sentence)):
        if not clause:
            continue
        while len(clause) > max_chars:
            pieces.append(clause[:max_chars])
            clause = clause[max_chars:]
        if pieces and len(pieces[-1]) + len(clause) <= max_chars:
            pieces[-1] += clause
        else:
            pieces.append(clause)
    return pieces


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Chunks of at most ``max_chars`` characters, cut at sentence boundaries where possible, stripped."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[str] = []
    current = ""
    for sentence in sentences(text.strip()):
        for piece in _split_long(sentence, max_chars):
            if current and len(current) + len(piece) > max_chars:
                chunks.append(current)
                current = ""
            current += piece
    if current.strip():
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]
