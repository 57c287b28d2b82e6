"""The synthesis pipeline and the one entry point every interface uses.

text or SSML (+ voice, emotion, controls) -> frontend segments -> engine (:class:`~sambert_lambda.engine.voice.Voice`,
one audio chunk per sentence, or its pieces as the vocoder computes them) -> one waveform, or the pieces as
they are ready.

It sits above both the frontend and the engine, so neither imports the other. It knows nothing of HTTP or S3.
torch is imported only when a voice is loaded (through the engine), never by importing this module.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from sambert_lambda.errors import InvalidInput, SSMLError, UnknownEmotion, UnknownVoice
from sambert_lambda.marks import Rendered
from sambert_lambda.request import check_controls, check_text, find_voice
from sambert_lambda.settings import BASE_EMOTIONS, DEFAULT_VOICE_SPEAKERS, Settings, get_settings
from sambert_lambda.types import Controls, Segment

if TYPE_CHECKING:  # pragma: no cover
    from sambert_lambda.engine.voice import ModelStore
    from sambert_lambda.frontend.lexicon import Lexicon

log = logging.getLogger(__name__)

_EMOTION_FIELD = re.compile(r"\$emotion_([A-Za-z0-9_]+)\$")


@dataclass
class SynthesisResult:
    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    characters: int
    voice: str
    emotion: str
    test_voice: bool
    timings: dict[str, float] = field(default_factory=dict)
    segments: int = 0
    rendered: list[Rendered] = field(default_factory=list)  # where each segment sits in ``audio`` (speech marks)

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / float(self.sample_rate) if self.sample_rate else 0.0


@dataclass
class VoiceInfo:
    name: str
    emotions: list[str]
    speakers: list[str]
    sample_rate: int
    test_voice: bool


def _warm_frontend(warm: Any) -> None:
    try:
        warm()
    except Exception:  # the first real text reports the real error
        log.exception("frontend warm-up failed")


def count_characters(text: str, ssml: bool = False) -> int:
    """Billable characters: everything but whitespace. For SSML only the text content counts, never the tags or
    their attributes (as Polly bills SSML)."""
    if ssml:
        from sambert_lambda.frontend.ssml import spoken_text

        try:
            text = spoken_text(text)
        except SSMLError:
            pass  # the frontend refuses such text before anything is billed; count it as plain text
    return sum(1 for c in text if not c.isspace())


class Synthesizer:
    """Frontend + loaded voices. Build once per process (cold start), then call :meth:`synthesize` per request."""

    def __init__(self, store: ModelStore, frontend: Any, settings: Settings | None = None):
        self.store = store
        self.frontend = frontend
        self.settings = settings or get_settings()
        names = list(store.voice_names)
        if self.settings.voices:
            unknown = [v for v in self.settings.voices if v not in names]
            if unknown:
                raise UnknownVoice(f"TTS_VOICES names voices the model does not have: {', '.join(unknown)}")
            names = [v for v in names if v in self.settings.voices]
        self._voice_names = names
        default = self.settings.default_voice or store.default_voice
        if default not in names:
            default = names[0]
        self.default_voice = default
        self.lexicon: Lexicon | None = None
        if self.settings.lexicon_file:
            from sambert_lambda.frontend.lexicon import Lexicon

            self.lexicon = Lexicon.load(self.settings.lexicon_file)

    def request_lexicon(self, text: str | None) -> Lexicon | None:
        """The baked lexicon with a request's entries (the lexicon text format) on top; None when neither is set."""
        if not text:
            return self.lexicon
        from sambert_lambda.frontend.lexicon import MAX_REQUEST_BYTES, Lexicon

        extra = Lexicon.parse(text, where="lexicon", max_bytes=MAX_REQUEST_BYTES)
        return self.lexicon.merged(extra) if self.lexicon else extra

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Synthesizer:
        settings = settings or get_settings()
        from sambert_lambda.engine.voice import open_store
        from sambert_lambda.frontend.pipeline import get_frontend

        return cls(open_store(settings), get_frontend(settings.frontend_cache), settings)

    def load(self) -> None:
        """Load every configured voice now (cold start), so no request pays for it.

        The frontend's dictionaries, patterns and polyphone model are built at the same time, on a second thread:
        most of a voice load runs in ONNX Runtime (or torch) without holding the GIL, so the two overlap on a
        machine with more than one CPU. A frontend failure there is only logged: the first text it reads reports
        the real error."""
        warm = getattr(self.frontend, "warm_up", None)
        thread = None
        if callable(warm):
            thread = threading.Thread(target=_warm_frontend, args=(warm,), name="frontend-warm-up", daemon=True)
            thread.start()
        try:
            self.store.load_all(self._voice_names)
        finally:
            if thread is not None:
                thread.join()

    # the model directory's, read-only
    model_id: str = property(attrgetter("store.model_id"))  # type: ignore[assignment]
    model_revision: str = property(attrgetter("store.revision"))  # type: ignore[assignment]
    test_voice: bool = property(attrgetter("store.is_test_voice"))  # type: ignore[assignment]

    # ------------------------------------------------------------------ catalogue
    def voice_emotions(self, name: str) -> list[str]:
        return list(self.settings.voice_emotions.get(name, BASE_EMOTIONS))

    def voices(self) -> list[VoiceInfo]:
        out = []
        for name in self._voice_names:
            out.append(
                VoiceInfo(
                    name=name,
                    emotions=self.voice_emotions(name),
                    speakers=list(DEFAULT_VOICE_SPEAKERS.get(name, ["F7"])),
                    sample_rate=self.store.voice(name).sample_rate,
                    test_voice=self.test_voice,
                )
            )
        return out

    def resolve_voice(self, voice: str | None) -> str:
        name = voice or self.default_voice
        if name not in self._voice_names:
            raise UnknownVoice(f"unknown voice {name!r}; available: {', '.join(self._voice_names)}")
        return name

    def check_emotion(self, voice: str, emotion: str) -> str:
        allowed = self.voice_emotions(voice)
        if emotion not in allowed:
            raise UnknownEmotion(
                f"voice {voice} has no emotion {emotion!r}; available: {', '.join(allowed)}", code="unknown_emotion"
            )
        return emotion

    # ------------------------------------------------------------------ synthesis
    def validate(self, text: str, *, voice: str | None, emotion: str, speed: float, pitch: float, volume_db: float):
        """Check a request before any work (with the messages of :mod:`sambert_lambda.request`); returns
        (voice, Controls). Raises TTSError subclasses."""
        check_text(text, self.settings.max_chars)
        name = self.resolve_voice(voice)
        self.check_emotion(name, emotion)
        speed, pitch, volume_db = check_controls(speed, pitch, volume_db)
        return name, Controls(speed=speed, pitch=pitch, volume_db=volume_db)

    def synthesize(
        self,
        text: str,
        *,
        voice: str | None = None,
        emotion: str = "neutral",
        speed: float = 1.0,
        pitch: float = 0.0,
        volume_db: float = 0.0,
        ssml: bool = False,
        speaker: str | None = None,
        lexicon: str | None = None,
    ) -> SynthesisResult:
        """``lexicon``: extra entries in the lexicon text format (frontend/lexicon.py), on top of TTS_LEXICON_FILE."""
        t0 = time.perf_counter()
        name, segments = self.prepare(text, voice=voice, emotion=emotion, speed=speed, pitch=pitch,
                                      volume_db=volume_db, ssml=ssml, speaker=speaker, lexicon=lexicon)  # fmt: skip
        t1 = time.perf_counter()
        result = self.render(segments, name)
        result.characters = count_characters(text, ssml=ssml)
        result.emotion = emotion
        result.timings["frontend_s"] = t1 - t0
        result.timings["total_s"] = time.perf_counter() - t0
        return result

    def prepare(self, text: str, *, voice: str | None = None, emotion: str = "neutral", speed: float = 1.0,
                pitch: float = 0.0, volume_db: float = 0.0, ssml: bool = False, speaker: str | None = None,
                lexicon: str | None = None) -> tuple[str, list[Segment]]:  # fmt: skip
        """Validate and run the frontend: (voice name, segments). Every caller-facing error is raised here."""
        name, controls = self.validate(text, voice=voice, emotion=emotion, speed=speed, pitch=pitch, volume_db=volume_db)
        speaker = speaker or DEFAULT_VOICE_SPEAKERS.get(name, ["F7"])[0]
        lex = self.request_lexicon(lexicon)
        extra = {"lexicon": lex} if lex else {}
        try:
            segments = self.frontend.segments(text, ssml=ssml, emotion=emotion, speaker=speaker, controls=controls,
                                              **extra)  # fmt: skip
        except UnknownEmotion as e:  # an SSML <emotion category>: name the voice's own emotions
            if isinstance(e.detail, str):
                self.check_emotion(name, e.detail)
            raise
        segments = self._span_voices(segments, name)
        for seg in segments:  # SSML may switch voice and emotion per span: every emotion must exist for its voice
            for emo in set(_EMOTION_FIELD.findall(seg.symbols or "")):
                if emo != "none":
                    self.check_emotion(seg.voice or name, emo)
        return name, segments

    def _span_voices(self, segments: list[Segment], name: str) -> list[Segment]:
        """Segments whose SSML ``<voice name>`` is resolved to a loaded voice (the request's rules: any case, an
        OpenAI name is the default voice). An unknown name is ``400 unknown_voice``; a voice of another sample
        rate than ``name``'s is ``400 invalid_ssml`` (one request is one audio stream)."""
        if not any(seg.voice for seg in segments):
            return segments
        voices = {v.name: v for v in self.voices()}
        out = []
        for seg in segments:
            if seg.voice:
                try:
                    info = find_voice(voices, seg.voice, self.default_voice)
                except UnknownVoice as e:
                    raise UnknownVoice(f"<voice name={seg.voice!r}>: {e.message}") from None
                if info.sample_rate != voices[name].sample_rate:
                    raise SSMLError(f"<voice name={seg.voice!r}> speaks at {info.sample_rate} Hz and {name} at "
                                    f"{voices[name].sample_rate} Hz: one request has one sample rate")
                seg = replace(seg, voice=info.name)
            out.append(seg)
        return out

    def render(self, segments: list[Segment], voice: str) -> SynthesisResult:
        """Run the engine on ready-made segments (symbol lines + pauses) and join them into one waveform."""
        timings = {"acoustic_s": 0.0, "vocoder_s": 0.0, "engine_s": 0.0}
        parts: list[np.ndarray] = []
        rendered: list[Rendered] = []
        for audio, placed in self.render_iter(segments, voice, timings):
            parts.append(audio)
            if placed is not None:
                rendered.append(placed)
        return SynthesisResult(
            audio=np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32),
            sample_rate=self.store.voice(voice).sample_rate,
            characters=0,
            voice=voice,
            emotion="",
            test_voice=self.test_voice,
            timings=timings,
            segments=len(segments),
            rendered=rendered,
        )

    def render_iter(self, segments: list[Segment], voice: str, timings: dict[str, float] | None = None):
        """Yield (float32 audio, Rendered or None) as the engine computes it: each sentence in pieces (the first
        after a quarter of a vocoder chunk, so first audio does not wait for the whole sentence), and pauses. The
        first piece of a sentence comes with its Rendered (where the whole sentence sits, and its durations, for
        speech marks); later pieces and pauses with None. A pause that carries SSML marks comes with a Rendered of
        0 speech samples (where the marks sit). The joined waveform is the concatenation of the audio parts, so
        streaming and buffered output are the same samples. Each run of segments goes to its own voice
        (``Segment.voice``, SSML ``<voice name>``; None: ``voice``). On two or more threads the engine computes the
        next sentence's acoustic model while it vocodes this one."""
        timings = timings if timings is not None else {}
        at = 0
        for name, run in itertools.groupby(segments, key=lambda seg: seg.voice or voice):
            for audio, placed in self._render_voice(list(run), name, timings, at):
                at += len(audio)
                yield audio, placed

    def _render_voice(self, segments: list[Segment], voice: str, timings: dict[str, float], at: int):
        """render_iter for segments of one voice, the first placed at sample ``at``: the voice's chunks, in pieces,
        one unit per spoken segment, in order."""
        model = self.store.voice(voice)
        sr = model.sample_rate
        chunks = model.synthesize(((seg.symbols, seg.controls) for seg in segments if seg.symbols), stream=True)
        try:
            for seg in segments:
                if seg.symbols:
                    while True:
                        t = time.perf_counter()
                        chunk = next(chunks)
                        timings["engine_s"] = timings.get("engine_s", 0.0) + time.perf_counter() - t
                        for k, v in chunk.timings.items():  # acoustic_s, vocoder_s and their thread CPU seconds
                            timings[k] = timings.get(k, 0.0) + v
                        # the engine already applied seg.controls.volume_db; keep the joined waveform in [-1, 1]
                        wav = np.clip(chunk.audio, -1.0, 1.0)
                        placed = None
                        if chunk.offset == 0:
                            placed = Rendered(seg, at, chunk.unit_samples, tuple(int(d) for d in chunk.durations),
                                              chunk.hop_size)  # fmt: skip
                        yield wav, placed
                        at += len(wav)
                        if chunk.last:
                            break
                elif seg.marks:
                    placed = Rendered(seg, at, 0)
                    if seg.pause_after_ms <= 0:
                        yield np.zeros(0, dtype=np.float32), placed
                if seg.pause_after_ms > 0:
                    pause = np.zeros(int(sr * seg.pause_after_ms / 1000), dtype=np.float32)
                    yield pause, (placed if not seg.symbols and seg.marks else None)
                    at += len(pause)
        finally:
            chunks.close()

    def synthesize_symbols(
        self, lines: list[str], *, voice: str | None = None, controls: Controls | None = None
    ) -> SynthesisResult:
        """Synthesize pre-made KAN-TTS symbol lines (one sentence each), concatenated like ModelScope's pipeline."""
        name = self.resolve_voice(voice)
        ctl = controls or Controls()
        segs = [Segment(symbols=_strip_index(x), controls=ctl) for x in lines if x.strip()]
        if not segs:
            raise InvalidInput("no symbol lines given", code="empty_text")
        t0 = time.perf_counter()
        result = self.render(segs, name)
        result.timings["total_s"] = time.perf_counter() - t0
        return result


def _strip_index(line: str) -> str:
    """Drop a leading ``<idx>\\t`` as ttsfrd prints it."""
    line = line.strip()
    head, sep, tail = line.partition("\t")
    return tail.strip() if sep and head.strip().isdigit() else line
