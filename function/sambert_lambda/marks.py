"""Speech marks and captions from the engine's own durations, exact to the frame.

Every token of a symbol line gets a whole number of mel frames from the duration predictor, and every frame is
``hop`` samples of audio. So a syllable starts at ``(segment start + hop * frames before it) / sample_rate``: the
times below are read off the audio that was produced, after speed (it changes the frames), breaks and sentence
joins (they move the segment start) and resampling (times in ms do not depend on the rate).

Mark shape (one JSON object per line, like Polly's speech marks)::

    {"time": 370, "duration": 150, "type": "word", "start": 5, "end": 11, "value": "世界"}

- ``time`` and ``duration`` are milliseconds from the start of the audio (integers, rounded to the nearest ms);
- ``type`` is ``sentence``, ``word``, ``phoneme`` or ``ssml``;
- ``start``/``end`` are **UTF-8 byte** offsets into the input text as sent (SSML included), as Polly counts them;
  a span rewritten by text normalization (``2026`` read as 二零二六) maps to the whole rewritten span;
- ``value``: the sentence or word as written in the input, the pinyin syllable with its tone digit (``ni3``) or
  the English phone, or the ``<mark name>``.

An ``ssml`` mark is heard where the first syllable after it starts (``duration`` 0), or where the speech before it
ends when nothing follows in its sentence; after a ``<break>`` it is where the break ends. Its ``start``/``end``
cover the ``<mark .../>`` element in the input.

Pure functions: no audio, engine or frontend import; the synthesizer hands over what it rendered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from sambert_lambda.errors import InvalidInput
from sambert_lambda.types import Segment

MARK_TYPES = ("sentence", "word", "phoneme", "ssml")
JSONL_TYPE = "application/x-ndjson; charset=utf-8"
CAPTION_FORMATS = ("vtt", "srt")
CAPTION_MAX_CHARS = 42  # a cue longer than this is split between words
_TAG = re.compile(r"<[^<>]*>")  # SSML markup inside a cue's span
_MARK_TAG = re.compile(r"<mark\b[^<>]*?(?:/>|>\s*</mark\s*>)")
_HIDDEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)  # where a <mark ...> is not an element
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[|\]\]>|<[^<>]*>", re.S)  # in SSML: tags, comments, CDATA brackets
_ORDER = {"sentence": 0, "ssml": 1, "word": 2, "phoneme": 3}  # at equal times: a mark before the word it precedes


@dataclass(frozen=True)
class Rendered:
    """One segment as it was placed in the output audio.

    ``start``: its first sample; ``samples``: its speech samples (without the pause after it);
    ``durations``: mel frames per token of ``segment.symbols`` (the engine may add one for EOS); ``hop``: samples
    per frame. A pause-only segment has ``samples == 0``.
    """

    segment: Segment
    start: int
    samples: int
    durations: Sequence[int] = ()
    hop: int = 0


@dataclass(frozen=True)
class Mark:
    time_ms: int
    end_ms: int
    type: str
    start: int  # UTF-8 byte offset into the input
    end: int
    value: str
    rank: int | None = None  # order among marks of the same time (None: by type)

    def as_dict(self) -> dict:
        return {"time": self.time_ms, "duration": max(0, self.end_ms - self.time_ms), "type": self.type,
                "start": self.start, "end": self.end, "value": self.value}  # fmt: skip


def check_types(types: Iterable[str] | None) -> tuple[str, ...]:
    """Validate requested mark types (order kept, duplicates dropped)."""
    if types is None:
        return ()
    if isinstance(types, str):
        types = [types]
    out: list[str] = []
    for t in types:
        if t not in MARK_TYPES:
            raise InvalidInput(f"unknown speech mark type {t!r}; choose from {', '.join(MARK_TYPES)}",
                               code="invalid_speech_marks")  # fmt: skip
        if t not in out:
            out.append(t)
    return tuple(out)


def check_caption_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    if fmt not in CAPTION_FORMATS:
        raise InvalidInput(f"captions must be one of {', '.join(CAPTION_FORMATS)}, got {fmt!r}",
                           code="invalid_captions")  # fmt: skip
    return fmt


# ---------------------------------------------------------------------------------------------- text offsets
class SourceMap:
    """Maps spans of each segment's (normalized) text back onto the input, and characters to UTF-8 bytes."""

    WINDOW = 4096  # input characters searched past the previous segment (SSML tags, TN rewrites)

    def __init__(self, source: str):
        self.source = source
        self._bytes = [0]
        for c in source:
            self._bytes.append(self._bytes[-1] + len(c.encode("utf-8", "surrogatepass")))
        self._cursor = 0
        # characters of SSML markup (tags, comments), which no spoken character maps onto
        self._markup = bytearray(len(source))
        if source.lstrip().lstrip("\ufeff").lstrip().startswith("<speak"):
            for m in _MARKUP.finditer(source):
                self._markup[m.start():m.end()] = b"\x01" * (m.end() - m.start())

    def _unmarked(self, a: int, b: int) -> tuple[int, int]:
        """[a, b) without the markup and whitespace at its ends (unchanged when nothing else is left)."""
        i, j = a, b
        while i < j and (self._markup[i] or self.source[i].isspace()):
            i += 1
        while j > i and (self._markup[j - 1] or self.source[j - 1].isspace()):
            j -= 1
        return (i, j) if i < j else (a, b)

    def byte(self, char_offset: int) -> int:
        return self._bytes[max(0, min(char_offset, len(self.source)))]

    def segment(self, text: str) -> list[tuple[int, int]]:
        """Input span (characters) of every character of ``text``, aligning it after the previous segment."""
        lo = self._cursor
        window = self.source[lo:lo + max(self.WINDOW, 4 * len(text) + 64)]
        if any(self._markup[lo:lo + len(window)]):  # spoken text never aligns onto markup (a <sub alias>, a name)
            window = "".join("\x00" if self._markup[lo + k] else c for k, c in enumerate(window))
        spans: list[tuple[int, int]] = [(lo, lo)] * len(text)
        last_end = 0
        ops = SequenceMatcher(None, text, window, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                for k in range(i2 - i1):
                    spans[i1 + k] = (lo + j1 + k, lo + j1 + k + 1)
                last_end = j2
            elif tag == "replace":
                if i2 == len(text):  # a rewritten tail: do not swallow the rest of the window
                    j2 = min(j2, j1 + (i2 - i1))
                span = self._unmarked(lo + j1, lo + j2)  # a tag before a rewritten number is not part of it
                for k in range(i1, i2):
                    spans[k] = span
                last_end = max(last_end, j2)
            elif tag == "delete":  # spoken characters with no counterpart: an empty span where they sit
                for k in range(i1, i2):
                    spans[k] = (lo + j1, lo + j1)
        self._cursor = lo + last_end
        return spans


# ---------------------------------------------------------------------------------------------- marks
def speech_marks(source: str, rendered: Sequence[Rendered], sample_rate: int,
                 types: Iterable[str] = MARK_TYPES) -> list[Mark]:  # fmt: skip
    """Marks of ``types`` for audio rendered from ``source`` (the input as sent), ordered by time."""
    wanted = set(types)
    smap = SourceMap(source)
    out: list[Mark] = []

    def ms(sample: float) -> int:
        return round(sample * 1000.0 / sample_rate)

    tags = _mark_tags(source) if "ssml" in wanted else []
    n_marks = sum(len(r.segment.marks) for r in rendered)
    seen = 0

    for r in rendered:
        seg = r.segment
        speech = bool(seg.symbols) and r.samples > 0
        spans = smap.segment(seg.text) if speech else []
        if "ssml" in wanted and seg.marks:
            for off, name, sample, rank in _ssml_times(seg, r):
                if len(tags) == n_marks:
                    a, b = tags[seen]
                elif spans:
                    a = b = spans[off][0] if off < len(spans) else spans[-1][1]
                else:
                    a = b = smap._cursor
                seen += 1
                out.append(Mark(ms(sample), ms(sample), "ssml", smap.byte(a), smap.byte(b), name, rank))
        if not speech:
            continue

        if "sentence" in wanted:
            a, b = _trimmed(spans, seg.text)
            out.append(Mark(ms(r.start), ms(r.start + r.samples), "sentence", smap.byte(a), smap.byte(b),
                            source[a:b]))  # fmt: skip
        timed = _token_times(seg, r)
        if timed is None:
            continue
        words: dict[int, list[tuple]] = {}
        for syl, phones in timed:
            words.setdefault(syl.word, []).append((syl, phones))
            if "phoneme" in wanted:
                a, b = _src(spans, syl.start, syl.end)
                if syl.pinyin is not None:
                    out.append(Mark(ms(r.start + phones[0][1]), ms(r.start + phones[-1][2]), "phoneme",
                                    smap.byte(a), smap.byte(b), syl.pinyin))  # fmt: skip
                else:
                    for name, f0, f1 in phones:
                        out.append(Mark(ms(r.start + f0), ms(r.start + f1), "phoneme", smap.byte(a), smap.byte(b),
                                        name))  # fmt: skip
        if "word" in wanted:
            merged: list[list] = []  # [a, b, t0, t1]: words whose input spans overlap (one TN rewrite) are one
            for items in words.values():
                a, b = _src(spans, min(s.start for s, _ in items), max(s.end for s, _ in items))
                t0, t1 = items[0][1][0][1], items[-1][1][-1][2]
                if merged and a < merged[-1][1]:
                    merged[-1][1], merged[-1][3] = max(b, merged[-1][1]), t1
                else:
                    merged.append([a, b, t0, t1])
            for a, b, t0, t1 in merged:
                out.append(Mark(ms(r.start + t0), ms(r.start + t1), "word", smap.byte(a), smap.byte(b), source[a:b]))
    out.sort(key=lambda m: (m.time_ms, _ORDER[m.type] if m.rank is None else m.rank))
    return out


def _mark_tags(source: str) -> list[tuple[int, int]]:
    """Character spans of the ``<mark>`` elements in ``source``, in document order (none in comments or CDATA)."""
    visible = _HIDDEN.sub(lambda m: " " * len(m.group()), source)
    return [m.span() for m in _MARK_TAG.finditer(visible)]


def _ssml_times(seg: Segment, r: Rendered):
    """(offset, name, sample, order rank or None) of each SSML mark of a rendered segment."""
    if r.samples <= 0:
        return [(0, name, r.start, None) for _, name in seg.marks]
    timed = _token_times(seg, r)
    out = []
    for off, name in seg.marks:
        if timed is not None:
            nxt = next((phones[0][1] for syl, phones in timed if syl.start >= off), None)
        else:  # no alignment: its start, its end, or in proportion to the text before it
            nxt = 0 if off <= 0 else None if off >= len(seg.text) else round(r.samples * off / len(seg.text))
        # a mark after the last syllable sorts before anything that starts at the same time (the next sentence)
        out.append((off, name, r.start + (r.samples if nxt is None else nxt), -1 if nxt is None else None))
    return out


def _src(spans: list[tuple[int, int]], a: int, b: int) -> tuple[int, int]:
    """Input character span of segment characters [a, b)."""
    if a >= b or b > len(spans):
        return (spans[a][0], spans[a][0]) if a < len(spans) else (0, 0)
    return min(s[0] for s in spans[a:b]), max(s[1] for s in spans[a:b])


def _trimmed(spans: list[tuple[int, int]], text: str) -> tuple[int, int]:
    """Input span of a sentence without its surrounding whitespace."""
    idx = [k for k, c in enumerate(text) if not c.isspace()] or list(range(len(text)))
    if not idx:
        return (0, 0)
    return min(spans[k][0] for k in idx), max(spans[k][1] for k in idx)


def _token_times(seg: Segment, r: Rendered):
    """[(syllable, [(phone, start_sample, end_sample), ...])] relative to the segment, or None if unaligned."""
    if not seg.syllables or r.hop <= 0:
        return None
    tokens = (seg.symbols or "").split()
    if len(r.durations) < len(tokens):
        return None
    starts = [0]
    for d in r.durations[:len(tokens)]:
        starts.append(starts[-1] + int(d) * r.hop)
    speech = [(tok[1:].split("$", 1)[0], starts[i], starts[i + 1]) for i, tok in enumerate(tokens)
              if not tok.startswith("{#")]  # fmt: skip
    out = []
    k = 0
    for syl in seg.syllables:
        n = len(syl.phones)
        phones = speech[k:k + n]
        if len(phones) != n or [p[0] for p in phones] != list(syl.phones):
            return None  # the line and the alignment disagree: better no marks than wrong ones
        out.append((syl, phones))
        k += n
    return out if k == len(speech) else None


def to_jsonl(marks: Iterable[Mark]) -> bytes:
    return "".join(json.dumps(m.as_dict(), ensure_ascii=False) + "\n" for m in marks).encode("utf-8")


def shift_jsonl(data: bytes, ms: float, byte_offset: int) -> bytes:
    """Marks of a piece of audio and text (JSON Lines) moved to where the piece starts in a longer audio and text:
    ``ms`` later, ``byte_offset`` bytes further into the text."""
    out = []
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            m["time"] = round(m["time"] + ms)
            m["start"] += byte_offset
            m["end"] += byte_offset
            out.append(json.dumps(m, ensure_ascii=False) + "\n")
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------------------------------------- captions
def captions(source: str, rendered: Sequence[Rendered], sample_rate: int, fmt: str = "vtt") -> str:
    """WebVTT or SRT cues: one per sentence, split between words when longer than CAPTION_MAX_CHARS."""
    fmt = check_caption_format(fmt) or "vtt"
    marks = speech_marks(source, rendered, sample_rate, ("sentence", "word"))
    cues: list[tuple[int, int, str]] = []
    sentences = [m for m in marks if m.type == "sentence"]
    words = [m for m in marks if m.type == "word"]
    raw = source.encode("utf-8", "surrogatepass")
    for s in sentences:
        text = _cue_text(s.value)
        inside = [w for w in words if s.start <= w.start and w.end <= s.end and s.time_ms <= w.time_ms <= s.end_ms]
        if len(text) <= CAPTION_MAX_CHARS or not inside:
            cues.append((s.time_ms, s.end_ms, text))
            continue
        group: list[Mark] = []
        for w in [*inside, None]:
            if w is not None and (not group or len(_cue_text(_between(raw, group[0].start, w.end)))
                                  <= CAPTION_MAX_CHARS):  # fmt: skip
                group.append(w)
                continue
            if group:
                first, last = group[0], group[-1]
                begin = s.time_ms if first is inside[0] else first.time_ms
                end = s.end_ms if last is inside[-1] else last.end_ms
                start_byte = s.start if first is inside[0] else first.start
                end_byte = s.end if last is inside[-1] else last.end
                cues.append((begin, end, _cue_text(_between(raw, start_byte, end_byte))))
            group = [w] if w is not None else []
    lines: list[str] = ["WEBVTT", ""] if fmt == "vtt" else []
    for n, (a, b, text) in enumerate(cues, 1):
        if fmt == "srt":
            lines.append(str(n))
        lines.append(f"{_clock(a, fmt)} --> {_clock(b, fmt)}")
        lines.extend([text, ""])
    return "\n".join(lines)


def _between(raw: bytes, a: int, b: int) -> str:
    return raw[a:b].decode("utf-8", "replace")


def _cue_text(text: str) -> str:
    """One line of cue text: whitespace collapsed, and nothing that would end the cue or look like markup."""
    text = " ".join(_TAG.sub("", text).split())
    return text.replace("-->", "->").replace("<", "‹").replace(">", "›") if text else "…"


def _clock(ms: int, fmt: str) -> str:
    h, rest = divmod(max(0, int(ms)), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, frac = divmod(rest, 1000)
    sep = "." if fmt == "vtt" else ","
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{frac:03d}"
