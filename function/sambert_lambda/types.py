"""Plain data passed between stages. No torch, no boto3: every stage can import this.

Flow: text --frontend--> list[Segment] --engine--> waveform per segment --synthesizer--> one waveform.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Controls:
    """Expressive controls applied by the engine. Defaults reproduce the reference output exactly.

    speed:     >1 speaks faster (predicted durations are divided by it before length regulation).
    pitch:     additive shift of the predicted (normalized) pitch, in predictor units; 0 = unchanged.
    energy:    additive shift of the predicted (normalized) energy; 0 = unchanged.
    emotion_intensity: blend of each token's emotion embedding with neutral, 0..2; 1 = the plain category.
    volume_db: gain applied to the waveform after vocoding; 0 = unchanged.
    """

    speed: float = 1.0
    pitch: float = 0.0
    energy: float = 0.0
    emotion_intensity: float = 1.0
    volume_db: float = 0.0

    def is_default(self) -> bool:
        return self == Controls()


@dataclass
class Segment:
    """One unit of work for the engine: a KAN-TTS symbol line (one sentence) or a pure pause.

    ``symbols`` is a line of ``{phone$tone$syllable_flag$word_segment$emotion$speaker}`` tokens joined by single
    spaces, exactly as ttsfrd prints it, or None for a pause-only segment.
    ``pause_after_ms`` is silence appended after the segment's audio (SSML <break>, or sentence gaps).
    ``text`` is the source text the segment came from (for logs, timings and character counts).
    ``syllables`` aligns the line to ``text``: one entry per spoken syllable, in token order (for speech marks).
    ``marks`` are the SSML ``<mark name>`` elements in the segment: (character offset into ``text``, name), in
    document order. A mark is heard where the first syllable at or after its offset starts (at the end of the
    segment's speech when none follows); on a pause-only segment it sits where the pause starts.
    ``voice`` names the voice that speaks it when SSML ``<voice name>`` chose one (None: the request's voice).
    """

    symbols: str | None
    text: str = ""
    controls: Controls = field(default_factory=Controls)
    pause_after_ms: int = 0
    syllables: tuple[SyllableSpan, ...] = ()
    marks: tuple[tuple[int, str], ...] = ()
    voice: str | None = None


@dataclass(frozen=True)
class SyllableSpan:
    """One spoken syllable of a segment: where it is in ``Segment.text`` and which engine tokens speak it.

    ``start``/``end`` are character offsets into ``Segment.text``; ``word`` numbers the lexical word within the
    segment (syllables of one word share it); ``pinyin`` is the TONE3 syllable (``ni3``) for Chinese and None for
    English; ``phones`` are the phone tokens in order (their count is the number of engine tokens it takes).
    """

    start: int
    end: int
    word: int
    phones: tuple[str, ...]
    pinyin: str | None = None
