"""Where each spoken syllable sits in the sentence text: the alignment speech marks are built from.

Pure functions over the frontend's own words and syllables; nothing here changes what is spoken.
"""

from __future__ import annotations

from sambert_lambda.frontend.symbols import Syllable
from sambert_lambda.types import SyllableSpan


def word_spans(text: str, offset: int, syllables: list[Syllable], word: int) -> list[SyllableSpan]:
    """Spans of one lexical word's spoken syllables (those with phones), ``offset`` being the word's start.

    A Chinese syllable covers its own character; every syllable of an English word covers the whole word.
    """
    out: list[SyllableSpan] = []
    cursor = 0
    for syl in syllables:
        if not syl.phones:
            continue
        if syl.pinyin is not None:
            at = text.find(syl.text, cursor)
            if at < 0:
                at = cursor
            start, end = offset + at, offset + at + len(syl.text)
            cursor = at + len(syl.text)
        else:
            start, end = offset, offset + len(text)
        out.append(SyllableSpan(start, end, word, tuple(syl.phones), syl.pinyin))
    return out
