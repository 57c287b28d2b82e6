"""The frontend entry: text (or SSML) -> analysis JSON or engine Segments of KAN-TTS symbol lines.

Stages: normalize (TN) -> sentences -> jieba words + POS -> lexical pinyin (phrases + g2pM) -> erhua, neutral tones,
一/不 sandhi -> prosodic words and breaks -> 3-3 sandhi over each prosodic phrase -> phones -> tokens.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Protocol

from sambert_lambda.errors import InvalidInput, TooLarge, UnknownEmotion, UnknownVoice
from sambert_lambda.frontend import align, english, prosody, sandhi
from sambert_lambda.frontend.lexicon import Lexicon
from sambert_lambda.frontend.pinyin import Word, get_g2p, segment
from sambert_lambda.frontend.symbols import EMOTIONS, SPEAKERS, Syllable, pinyin_phones, render
from sambert_lambda.types import Controls, Segment

MAX_TEXT_CHARS = 200_000
DEFAULT_CONTROLS = Controls()  # frozen, so one shared default is safe
_LOCK = threading.Lock()


class Frontend(Protocol):
    def analyze(self, text: str) -> dict: ...

    def segments(self, text: str, *, ssml: bool = False, emotion: str = "neutral", speaker: str = "F7",
                 controls: Controls = DEFAULT_CONTROLS, lexicon: Lexicon | None = None) -> list[Segment]: ...


@dataclass(frozen=True)
class CharAttr:
    """Per-character annotations coming from SSML: the emotion and an optional forced pinyin syllable."""

    emotion: str = "neutral"
    phoneme: str | None = None
    phones: tuple[str, ...] = ()  # forced ARPAbet of the English word starting here (lexicon)


def _normalize(text: str) -> str:
    from sambert_lambda.frontend.normalize import normalize

    return normalize(text)


def _split(text: str, max_chars: int) -> list[str]:
    from sambert_lambda.frontend.segment import split_sentences

    return split_sentences(text, max_chars=max_chars)


def _locate(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Spans of ``pieces`` inside ``text`` (in order). Gaps between pieces (whitespace) join the previous span."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for p in pieces:
        at = text.find(p, pos)
        if at < 0:  # the splitter changed the text: fall back to one span for the rest
            break
        if spans:
            spans[-1] = (spans[-1][0], at)
        else:
            at = 0
        spans.append((at, at + len(p)))
        pos = at + len(p)
    if spans:
        spans[-1] = (spans[-1][0], len(text))
    elif text:
        spans.append((0, len(text)))
    return spans


class OpenFrontend:
    """The open frontend (pypinyin + jieba + g2pM + rules). Thread-safe; dictionaries load on first use."""

    def __init__(self, strategy: str = "phrase+g2pm", max_chars: int = 60) -> None:
        self.g2p = get_g2p(strategy)
        self.max_chars = max_chars

    def warm_up(self) -> None:
        """Load dictionaries and the polyphone model now (call during Lambda init, not on the first request)."""
        from sambert_lambda.frontend.pinyin import warm_up

        warm_up()
        self.symbol_lines("预热一下。")

    # -- core ---------------------------------------------------------------------------------------------
    def _sentence(self, sentence: str, attrs: list[CharAttr] | None = None) -> list[prosody.ProsodicWord]:
        words = segment(sentence)
        with _LOCK:
            self.g2p.annotate(sentence, words)
        forced = self._forced(words, attrs)
        for w in words:
            if w.kind == "zh":
                w.lexical = list(w.pinyin)
        for w in words:
            if w.kind == "zh" and not any(forced.get(id(w), [])):
                sandhi.merge_erhua(w)
        sandhi.neutral_tones(words)
        sandhi.yi_bu(words)
        pws = prosody.group(words)
        phrase: list[list[Word]] = []
        for pw in pws:  # 3-3 sandhi over each prosodic phrase (up to a break ≥ #2)
            phrase.append(pw.words)
            if pw.brk >= 2:
                sandhi.third_tone_phrase(phrase)
                phrase = []
        sandhi.third_tone_phrase(phrase)
        if attrs and forced:  # forced readings win over every rule; walk the final words (some were split)
            off = 0
            for pw in pws:
                for w in pw.words:
                    if w.kind == "zh" and len(w.pinyin) == len(w.text):
                        for i in range(len(w.text)):
                            ph = attrs[off + i].phoneme if off + i < len(attrs) else None
                            if ph:
                                w.pinyin[i] = ph
                    off += len(w.text)
        return pws

    @staticmethod
    def _forced(words: list[Word], attrs: list[CharAttr] | None) -> dict[int, list[str | None]]:
        out: dict[int, list[str | None]] = {}
        if not attrs:
            return out
        off = 0
        for w in words:
            if w.kind == "zh":
                forced = [attrs[off + i].phoneme if off + i < len(attrs) else None for i in range(len(w.text))]
                if any(forced):
                    out[id(w)] = forced
                    w.pinyin = [f or p for f, p in zip(forced, w.pinyin, strict=False)]
            off += len(w.text)
        return out

    def _sentences(self, normalized: str) -> list[tuple[int, int]]:
        return _locate(normalized, _split(normalized, self.max_chars))

    # -- analyze ------------------------------------------------------------------------------------------
    def analyze(self, text: str, *, lexicon: Lexicon | None = None) -> dict:
        _check_size(text)
        normalized = _normalize(text)
        words_out: list[dict] = []
        speakable = False
        attrs = [CharAttr()] * len(normalized)
        hits = apply_lexicon(lexicon, normalized, attrs)
        for a, b in self._sentences(normalized):
            for pw in self._sentence(normalized[a:b], attrs[a:b] if hits else None):
                last = max((k for k, w in enumerate(pw.words) if prosody.syllable_count(w) > 0), default=-1)
                for k, w in enumerate(pw.words):
                    pinyin = [p for p in w.pinyin if p != "?"] if w.kind == "zh" else []
                    lexical = [p for p in (w.lexical or []) if p != "?"] if w.kind == "zh" else []
                    speakable = speakable or bool(pinyin) or (w.kind == "en" and prosody.syllable_count(w) > 0)
                    words_out.append({"text": w.text, "pinyin": pinyin, "lexical": lexical,
                                      "break": pw.brk if k == last else 0})
        result: dict = {"input": text, "normalized": normalized, "words": words_out if speakable else []}
        if lexicon:
            result["lexicon"] = [{"word": m.entry.word, "start": m.start, "end": m.end,
                                  "pronunciation": m.entry.pronunciation} for m in hits]  # fmt: skip
        if not speakable:
            result["reason"] = "empty input" if not text.strip() else "nothing speakable in the input"
        return result

    # -- symbols ------------------------------------------------------------------------------------------
    def symbol_lines(self, text: str, *, emotion: str = "neutral", speaker: str = "F7") -> list[str]:
        """ttsfrd-style lines (without the index) for plain text, one per sentence with anything speakable."""
        _check_voice(emotion, speaker)
        _check_size(text)
        normalized = _normalize(text)
        attrs = [CharAttr(emotion)] * len(normalized)
        return [line for line, _, _, _ in self._lines(normalized, attrs, speaker)]

    def _lines(self, normalized: str, attrs: list[CharAttr], speaker: str) -> list[tuple[str, str, tuple, int]]:
        """(symbol line, sentence text, syllable spans into the sentence, sentence offset in ``normalized``) per
        sentence with anything speakable."""
        out = []
        for a, b in self._sentences(normalized):
            sentence = normalized[a:b]
            pws = self._sentence(sentence, attrs[a:b])
            items = []
            spans: list = []
            off = 0
            for pw in pws:
                syls: list[Syllable] = []
                for w in pw.words:
                    word_syls = _word_syllables(w, attrs[a + off:a + off + len(w.text)])
                    word = spans[-1].word + 1 if spans else 0
                    spans.extend(align.word_spans(w.text, off, word_syls, word))
                    syls.extend(word_syls)
                    off += len(w.text)
                items.append((syls, pw.brk))
            line = render(items, speaker)
            if line:
                out.append((line, sentence, tuple(spans), a))
        return out

    # -- segments -----------------------------------------------------------------------------------------
    def segments(self, text: str, *, ssml: bool = False, emotion: str = "neutral", speaker: str = "F7",
                 controls: Controls = DEFAULT_CONTROLS, lexicon: Lexicon | None = None) -> list[Segment]:
        _check_voice(emotion, speaker)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("the text is empty", code="empty_text")
        _check_size(text)
        if ssml:
            from sambert_lambda.frontend.ssml import parse_ssml

            pieces = parse_ssml(text, emotion=emotion, controls=controls)
        else:
            from sambert_lambda.frontend.ssml import Piece

            pieces = [Piece(text=text, emotion=emotion, controls=controls)]
        segments = self._segments_from_pieces(pieces, speaker, lexicon)
        if not any(s.symbols for s in segments):
            raise InvalidInput("nothing speakable in the text (no Chinese characters or Latin letters left after "
                               "normalization)", code="nothing_speakable")
        return segments

    def _segments_from_pieces(self, pieces, speaker: str, lexicon: Lexicon | None = None) -> list[Segment]:
        segments: list[Segment] = []
        block_text: list[str] = []
        block_attrs: list[CharAttr] = []
        block_controls: Controls | None = None
        block_marks: list[tuple[int, str]] = []  # <mark name>: (offset into the block's text, name)
        block_voice: str | None = None

        def flush() -> None:
            pending = list(block_marks)
            if block_text and block_controls is not None:
                normalized = "".join(block_text)
                apply_lexicon(lexicon, normalized, block_attrs)
                lines = self._lines(normalized, block_attrs, speaker)
                for k, (line, sentence, spans, at) in enumerate(lines):
                    # a mark belongs to the first spoken sentence it precedes the end of; the rest to the last one
                    last = k == len(lines) - 1
                    mine = [(min(max(0, off - at), len(sentence)), name) for off, name in pending
                            if last or off < at + len(sentence)]  # fmt: skip
                    pending = pending[len(mine):]
                    segments.append(Segment(symbols=line, text=sentence, controls=block_controls, syllables=spans,
                                            marks=tuple(mine), voice=block_voice))  # fmt: skip
            if pending:  # nothing spoken in the block: the marks sit where it would have been
                segments.append(Segment(symbols=None, text="", marks=tuple((0, name) for _, name in pending)))
            block_text.clear()
            block_attrs.clear()
            block_marks.clear()

        for piece in pieces:
            if piece.mark is not None:
                block_marks.append((sum(len(t) for t in block_text), piece.mark))
                continue
            if piece.break_ms is not None:
                flush()
                if segments:
                    segments[-1].pause_after_ms += piece.break_ms
                else:
                    segments.append(Segment(symbols=None, text="", pause_after_ms=piece.break_ms))
                continue
            if block_text and piece.voice != block_voice:  # SSML <voice name>: each voice speaks its own segments
                flush()
            block_voice = piece.voice
            if block_controls is not None and piece.controls != block_controls:
                flush()
            block_controls = piece.controls
            if piece.phonemes:
                chars = [c for c in piece.text if c.strip()]
                block_text.append("".join(chars))
                phs = list(piece.phonemes) + [None] * max(0, len(chars) - len(piece.phonemes))
                block_attrs.extend(CharAttr(piece.emotion, ph) for ph in phs[:len(chars)])
            else:
                norm = piece.text if piece.normalized else _normalize(piece.text)
                block_text.append(norm)
                block_attrs.extend([CharAttr(piece.emotion)] * len(norm))
        flush()
        return _merge_pauses(segments)


def _merge_pauses(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segments:
        if s.symbols is None and out and out[-1].symbols is None and not s.marks:  # a mark keeps its place
            out[-1] = replace(out[-1], pause_after_ms=out[-1].pause_after_ms + s.pause_after_ms)
        else:
            out.append(s)
    return out


def _word_syllables(w: Word, attrs: list[CharAttr]) -> list[Syllable]:
    emo = attrs[0].emotion if attrs else "neutral"
    if w.kind == "zh":
        out = []
        for i, p in enumerate(w.pinyin):
            mapped = pinyin_phones(p) if p != "?" else None
            if mapped is None:
                continue
            e = attrs[i].emotion if i < len(attrs) else emo
            out.append(Syllable(w.text[i:i + 1], p, mapped[0], mapped[1], e))
        return out
    if w.kind == "en":
        forced = attrs[0].phones if attrs else ()
        syls = english.syllabify(list(forced)) if forced else english.word_syllables(w.text)
        return [Syllable(w.text, None, phones, tone, emo) for phones, tone in syls]
    return []


def apply_lexicon(lexicon: Lexicon | None, text: str, attrs: list[CharAttr]) -> list:
    """Force the lexicon's readings onto ``attrs`` (one per character of ``text``, changed in place); the matches.

    SSML ``<phoneme>`` readings already there win over the lexicon.
    """
    if not lexicon:
        return []
    hits = []
    for m in lexicon.matches(text):
        if any(a.phoneme or a.phones for a in attrs[m.start:m.end]):
            continue
        if m.entry.pinyin:
            for k, py in enumerate(m.entry.pinyin):
                attrs[m.start + k] = replace(attrs[m.start + k], phoneme=py)
        else:
            attrs[m.start] = replace(attrs[m.start], phones=m.entry.phones)
        hits.append(m)
    return hits


def _check_size(text: str) -> None:
    if not isinstance(text, str):
        raise InvalidInput("text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"text has {len(text)} characters; the frontend accepts at most {MAX_TEXT_CHARS}")


def _check_voice(emotion: str, speaker: str) -> None:
    if emotion.removeprefix("emotion_") not in EMOTIONS:
        raise UnknownEmotion(f"unknown emotion {emotion!r}; known: {', '.join(EMOTIONS)}")
    if speaker not in SPEAKERS:
        raise UnknownVoice(f"unknown speaker {speaker!r}; known: {', '.join(SPEAKERS)}")


_FRONTEND: list[OpenFrontend] = []


def get_frontend(frontend_cache: str | None = None) -> OpenFrontend:
    """The process's open frontend (built once; its tables load lazily). ``frontend_cache`` is the setting of that
    name (a path, or ``off``): where the dictionary tables load from (``dict_cache.configure``)."""
    if frontend_cache is not None:
        from sambert_lambda.frontend import dict_cache

        dict_cache.configure(frontend_cache)
    if not _FRONTEND:
        _FRONTEND.append(OpenFrontend())
    return _FRONTEND[0]
