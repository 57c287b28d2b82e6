"""The synthesis pipeline and the one entry point every interface uses.

text or SSML (+ voice, emotion, controls) -> frontend segments -> engine (acoustic model + vocoder) -> one waveform.

It sits above both the frontend and the engine, so neither imports the other. It knows nothing of HTTP or S3.
torch is imported only when a voice is loaded (through the engine), never by importing this module.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sambert_lambda.errors import InvalidInput, TooLarge, UnknownEmotion, UnknownVoice
from sambert_lambda.settings import BASE_EMOTIONS, DEFAULT_VOICE_SPEAKERS, Settings, get_settings
from sambert_lambda.types import Controls, Segment

if TYPE_CHECKING:  # pragma: no cover
    from sambert_lambda.engine.torch.voice import ModelStore

log = logging.getLogger(__name__)

SPEED_RANGE = (0.5, 2.0)
PITCH_RANGE = (-4.0, 4.0)
VOLUME_DB_RANGE = (-30.0, 12.0)
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


def count_characters(text: str) -> int:
    """Billable characters: everything but whitespace (as Polly counts, near enough for SSML-free text)."""
    return sum(1 for c in text if not c.isspace())


def _check_range(name: str, value: float, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number", code=f"invalid_{name}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InvalidInput(f"{name} must be between {lo} and {hi}, got {value!r}", code=f"invalid_{name}")
    return v


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

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Synthesizer:
        settings = settings or get_settings()
        from sambert_lambda.frontend.pipeline import get_frontend

        return cls(build_store(settings), get_frontend(settings.frontend), settings)

    def load(self) -> None:
        """Load every configured voice now (cold start), so no request pays for it."""
        self.store.load_all(self._voice_names)

    @property
    def model_id(self) -> str:
        return self.store.model_id

    @property
    def model_revision(self) -> str:
        return self.store.revision

    @property
    def test_voice(self) -> bool:
        return bool(self.store.is_test_voice)

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
        """Check a request before any work; returns (voice, Controls). Raises TTSError subclasses."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("text is empty", code="empty_text")
        if len(text) > self.settings.max_chars:
            raise TooLarge(
                f"text has {len(text)} characters; the limit is {self.settings.max_chars} (TTS_MAX_CHARS)",
                code="text_too_long",
            )
        name = self.resolve_voice(voice)
        self.check_emotion(name, emotion)
        controls = Controls(
            speed=_check_range("speed", speed, *SPEED_RANGE),
            pitch=_check_range("pitch", pitch, *PITCH_RANGE),
            volume_db=_check_range("volume", volume_db, *VOLUME_DB_RANGE),
        )
        return name, controls

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
    ) -> SynthesisResult:
        t0 = time.perf_counter()
        name, controls = self.validate(text, voice=voice, emotion=emotion, speed=speed, pitch=pitch, volume_db=volume_db)
        speaker = speaker or DEFAULT_VOICE_SPEAKERS.get(name, ["F7"])[0]
        segments = self.frontend.segments(text, ssml=ssml, emotion=emotion, speaker=speaker, controls=controls)
        for seg in segments:  # SSML may switch emotion per span: every one must exist for this voice
            for emo in set(_EMOTION_FIELD.findall(seg.symbols or "")):
                if emo != "none":
                    self.check_emotion(name, emo)
        t1 = time.perf_counter()
        result = self.render(segments, name)
        result.characters = count_characters(text)
        result.emotion = emotion
        result.timings["frontend_s"] = t1 - t0
        result.timings["total_s"] = time.perf_counter() - t0
        return result

    def render(self, segments: list[Segment], voice: str) -> SynthesisResult:
        """Run the engine on ready-made segments (symbol lines + pauses) and join them into one waveform."""
        model = self.store.voice(voice)
        sr = model.sample_rate
        parts: list[np.ndarray] = []
        timings = {"acoustic_s": 0.0, "vocoder_s": 0.0, "engine_s": 0.0}
        for seg in segments:
            if seg.symbols:
                t = time.perf_counter()
                out = model.synthesize(seg.symbols, seg.controls)
                timings["engine_s"] += time.perf_counter() - t
                for k in ("acoustic_s", "vocoder_s"):
                    timings[k] += float(getattr(out, "timings", {}).get(k, 0.0))
                # the engine already applied seg.controls.volume_db; keep the joined waveform in [-1, 1]
                parts.append(np.clip(np.asarray(out.wav, dtype=np.float32), -1.0, 1.0))
            if seg.pause_after_ms > 0:
                parts.append(np.zeros(int(sr * seg.pause_after_ms / 1000), dtype=np.float32))
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return SynthesisResult(
            audio=audio,
            sample_rate=sr,
            characters=0,
            voice=voice,
            emotion="",
            test_voice=self.test_voice,
            timings=timings,
            segments=len(segments),
        )

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


def build_store(settings: Settings):
    """The voices for ``TTS_BACKEND``: ``native`` (torch, the default) or ``onnx`` (ONNX Runtime, no torch import)."""
    from sambert_lambda.errors import ConfigInvalid

    if settings.backend == "onnx":
        from sambert_lambda.engine.modeldir import resolve
        from sambert_lambda.engine.onnx.voice import OnnxModelStore
        from sambert_lambda.engine.runtime import configure

        if not settings.onnx_dir:
            raise ConfigInvalid("TTS_ONNX_DIR is required with TTS_BACKEND=onnx (see 'sambert-lambda export-onnx')")
        if settings.vocoder_precision != "fp32":
            raise ConfigInvalid("TTS_VOCODER_PRECISION=bf16 needs TTS_BACKEND=native")
        found = resolve(settings)
        threads = configure(settings.threads, apply=False).threads
        return OnnxModelStore(found.path, settings.onnx_dir, voices=settings.voices, default_voice=settings.default_voice,
                              model_id=found.model_id, revision=found.revision, threads=threads)  # fmt: skip
    if settings.backend == "modelscope":
        raise ConfigInvalid(
            "TTS_BACKEND=modelscope runs ModelScope's own pipeline (Python <= 3.10 + ttsfrd); use "
            "sambert_lambda.engine.modelscope_backend.ModelScopeBackend directly, see README"
        )
    from sambert_lambda.engine.torch.voice import ModelStore

    store = ModelStore.from_settings(settings)
    if settings.vocoder_precision == "bf16":
        store.vocoder_wrapper = _bf16_vocoder
    return store


def _bf16_vocoder(generator):
    from sambert_lambda.engine.torch.quantize import Bf16Vocoder

    return Bf16Vocoder(generator)


def _strip_index(line: str) -> str:
    """Drop a leading ``<idx>\\t`` as ttsfrd prints it."""
    line = line.strip()
    head, sep, tail = line.partition("\t")
    return tail.strip() if sep and head.strip().isdigit() else line


# ---------------------------------------------------------------------- CLI: sambert-lambda synth
def add_arguments(p) -> None:
    p.add_argument("text", nargs="?", help="text to speak (or SSML with --ssml); '-' or omitted reads stdin")
    p.add_argument("-o", "--out", required=True, help="output file; the format follows --format or the extension")
    p.add_argument("--voice", default=None)
    p.add_argument("--emotion", default="neutral")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--pitch", type=float, default=0.0)
    p.add_argument("--volume", type=float, default=0.0, help="gain in dB")
    p.add_argument("--format", default=None, help="wav|mp3|ogg|flac|pcm (default: from the extension, else wav)")
    p.add_argument("--sample-rate", type=int, default=None)
    p.add_argument("--ssml", action="store_true", help="the text is SSML")
    p.add_argument("--symbols", action="store_true", help="the input is KAN-TTS symbol lines, one per line")
    p.add_argument("--model-dir", default=None, help="plain model directory (default: TTS_MODEL_DIR / ModelScope cache)")


def run(args) -> int:
    import pathlib
    import sys

    from sambert_lambda.audio import encode
    from sambert_lambda.settings import load_settings

    text = args.text if args.text not in (None, "-") else sys.stdin.read()
    overrides = {"model_dir": args.model_dir} if args.model_dir else {}
    settings = load_settings(**overrides)
    synth = Synthesizer.from_settings(settings)
    if args.symbols:
        result = synth.synthesize_symbols(text.splitlines(), voice=args.voice)
    else:
        result = synth.synthesize(
            text,
            voice=args.voice,
            emotion=args.emotion,
            speed=args.speed,
            pitch=args.pitch,
            volume_db=args.volume,
            ssml=args.ssml,
        )
    out = pathlib.Path(args.out)
    fmt = (args.format or out.suffix.lstrip(".") or "wav").lower()
    out.write_bytes(encode(result.audio, result.sample_rate, fmt, target_rate=args.sample_rate))
    label = " (TEST VOICE: random weights, not speech)" if result.test_voice else ""
    print(
        f"wrote {out} ({result.duration_seconds:.2f} s, {result.voice}, "
        f"{result.timings.get('total_s', 0):.2f} s to synthesize){label}",
        file=sys.stderr,
    )
    return 0
