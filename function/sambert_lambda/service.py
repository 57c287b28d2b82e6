"""The TTS service: validate -> cache lookup (HEAD) -> synthesize -> encode -> upload -> presign.

Used by the HTTP API, direct invokes and (for its synthesizer and storage) the batch path. No torch and no HTTP
here: the synthesizer brings the engine, the storage brings boto3.

Content-addressed cache: the object key is the SHA-256 of the normalized request (NFC-normalized, stripped text,
resolved voice, emotion, speed, pitch, volume, format, sample rate, ssml) plus the model id, revision and engine
version, under ``TTS_OUTPUT_PREFIX``: ``<prefix>tts/<h[:2]>/<h>.<fmt>``. Raw text never appears in a key or a log.
A HEAD hit counts only while the object will outlive the URL handed out (age + URL expiry < lifecycle expiry).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from sambert_lambda import ENGINE_VERSION, __version__
from sambert_lambda.audio import Resampler, content_type, encode
from sambert_lambda.audiostream import StreamEncoder
from sambert_lambda.audiostream import content_type as stream_content_type
from sambert_lambda.errors import ModelError, TooLarge, TTSError
from sambert_lambda.marks import (
    JSONL_TYPE,
    captions,
    check_caption_format,
    check_types,
    speech_marks,
    to_jsonl,
)
from sambert_lambda.observability import logger, record_request
from sambert_lambda.request import TTSRequest, check_emotion, find_voice
from sambert_lambda.settings import Settings
from sambert_lambda.storage import Storage
from sambert_lambda.synthesizer import count_characters

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
# Mangum base64-encodes binary bodies (4/3 larger) inside a JSON envelope: keep raw audio under this.
SPEECH_MAX_BYTES = (LAMBDA_RESPONSE_LIMIT - 64 * 1024) * 3 // 4


class SynthesizerLike(Protocol):  # the contract of sambert_lambda.synthesizer.Synthesizer used here
    model_id: str
    model_revision: str
    default_voice: str

    def voices(self) -> list[Any]: ...

    def synthesize(self, text: str, **kwargs: Any) -> Any: ...

    def prepare(self, text: str, **kwargs: Any) -> tuple[str, list[Any]]: ...

    def render_iter(self, segments: list[Any], voice: str) -> Iterator[tuple[Any, Any]]: ...


@dataclass
class Stats:
    requests: int = 0
    syntheses: int = 0
    cache_hits: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.__dict__.items()}


@dataclass
class TTSService:
    settings: Settings
    synthesizer: SynthesizerLike
    storage: Storage
    init_seconds: float = 0.0
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        # One synthesis at a time per instance: the engine's CPU threads are shared, and Lambda runs one
        # request per instance anyway. Cache hits do not take the lock.
        self._lock = threading.Lock()
        self._voices = {v.name: v for v in self.synthesizer.voices()}

    # ---------------------------------------------------------------- catalogue
    @property
    def model(self) -> dict[str, str]:
        return {"id": self.synthesizer.model_id, "revision": self.synthesizer.model_revision}

    @property
    def test_voice(self) -> bool:
        return any(v.test_voice for v in self._voices.values())

    def voices(self) -> dict[str, Any]:
        default = self.synthesizer.default_voice
        return {
            "voices": [
                {
                    "name": v.name,
                    "emotions": list(v.emotions),
                    "speakers": list(v.speakers),
                    "sample_rate": int(v.sample_rate),
                    "test_voice": bool(v.test_voice),
                    "default": v.name == default,
                }
                for v in self._voices.values()
            ],
            "default_voice": default,
            "model": self.model,
        }

    # ---------------------------------------------------------------- validation
    def resolve(self, req: TTSRequest | dict) -> TTSRequest:
        """The request checked against the loaded voices and limits (see :mod:`sambert_lambda.request`)."""
        if not isinstance(req, TTSRequest):
            req = TTSRequest.from_dict(req)
        return req.resolve(self._voices, self.synthesizer.default_voice, self.settings.max_chars)

    def cache_key(self, req: TTSRequest) -> str:
        """Key of a resolved request."""
        doc = {
            "text": req.text,
            "voice": req.voice,
            "emotion": req.emotion,
            "speed": round(float(req.speed), 4),
            "pitch": round(float(req.pitch), 4),
            "volume": round(float(req.volume), 4),
            "format": req.format,
            "sample_rate": int(req.sample_rate or 0),
            "ssml": bool(req.ssml),
            **({"lexicon": req.lexicon} if req.lexicon else {}),
            **({"baked_lexicon": baked.digest} if (baked := getattr(self.synthesizer, "lexicon", None)) else {}),
            "model_id": self.synthesizer.model_id,
            "model_revision": self.synthesizer.model_revision,
            "engine": ENGINE_VERSION,
            # lossy engines (bf16 vocoder) must never answer a request made for another engine's audio
            "backend": self.settings.backend,
            "precision": self.settings.vocoder_precision,
        }
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        return f"{self.settings.output_prefix}tts/{digest[:2]}/{digest}.{req.format}"

    def _fresh_enough(self, last_modified: datetime) -> bool:
        age = (datetime.now(timezone.utc) - last_modified).total_seconds()
        return age + self.settings.url_expires < self.settings.lifecycle_days * 86400

    # ---------------------------------------------------------------- synthesis
    def _synthesize(self, req: TTSRequest):
        """Synthesize a resolved request."""
        voice = req.voice
        with self._lock:
            try:
                return self.synthesizer.synthesize(
                    req.text, voice=voice, emotion=req.emotion, speed=req.speed, pitch=req.pitch,
                    volume_db=req.volume, ssml=bool(req.ssml),
                    **({"lexicon": req.lexicon} if req.lexicon else {}),
                )
            except TTSError:
                raise
            except (RuntimeError, ValueError, MemoryError, OSError) as e:
                logger.exception("synthesis failed", extra={"voice": voice})
                raise ModelError(f"synthesis failed ({type(e).__name__})", code="synthesis_failed") from None

    def tts(self, req: TTSRequest | dict) -> dict[str, Any]:
        """The ``POST /v1/tts`` answer: synthesize (or find in the cache), store, presign."""
        t0 = time.perf_counter()
        self.stats.requests += 1
        req = self.resolve(req)
        voice, rate = str(req.voice), int(req.sample_rate or 0)
        key = self.cache_key(req)
        timings: dict[str, float] = {}
        synth_s = 0.0

        t = time.perf_counter()
        head = self.storage.head(key)
        timings["cache_lookup_s"] = time.perf_counter() - t
        cached = head is not None and self._fresh_enough(head.last_modified)
        extras = sidecar_keys(key, req.speech_marks, req.captions)
        if cached and any(self.storage.head(k) is None for k in extras.values()):
            cached = False  # the audio is stored but not these marks/captions: render again, same bytes
        if cached:
            assert head is not None
            meta = head.metadata
            duration = float(meta.get("duration-seconds", 0.0))
            characters = int(meta.get("characters", 0))
            test_voice = meta.get("test-voice", "false") == "true"
            self.stats.cache_hits += 1
        else:
            result = self._synthesize(req)
            self.stats.syntheses += 1
            timings.update({k: float(v) for k, v in result.timings.items()})
            synth_s = float(result.timings.get("total_s", 0.0))
            timings["synthesis_s"] = synth_s
            t = time.perf_counter()
            body = encode(result.audio, result.sample_rate, req.format, target_rate=rate)
            timings["encode_s"] = time.perf_counter() - t
            duration = round(float(result.duration_seconds), 6)
            characters = int(result.characters)
            test_voice = bool(result.test_voice)
            meta = {
                "model-id": self.synthesizer.model_id,
                "model-revision": self.synthesizer.model_revision,
                "engine-version": ENGINE_VERSION,
                "app-version": __version__,
                "voice": voice,
                "emotion": req.emotion,
                "characters": str(characters),
                "duration-seconds": f"{duration:.6f}",
                "sample-rate": str(rate),
                "test-voice": "true" if test_voice else "false",
            }
            t = time.perf_counter()
            self.storage.put(key, body, content_type(req.format, rate), meta)
            for what, k in extras.items():
                data, ctype = sidecar_body(what, req, result)  # offsets count into the text as sent
                self.storage.put(k, data, ctype, meta)
            timings["upload_s"] = time.perf_counter() - t

        t = time.perf_counter()
        url, expires_at = self.storage.presign(key)
        extra_urls = {f"{what}_url": self.storage.presign(k)[0] for what, k in extras.items()}
        timings["presign_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - t0
        record_request(cached=cached, characters=characters, synthesis_s=synth_s, audio_s=duration)
        logger.info(
            "tts",
            extra={"key": key, "voice": voice, "emotion": req.emotion, "format": req.format, "sample_rate": rate,
                   "characters": characters, "cached": cached, "duration_seconds": duration,
                   "total_s": round(timings["total_s"], 4)},
        )
        return {
            "url": url,
            "expires_at": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "bucket": self.storage.bucket,
            "key": key,
            "format": req.format,
            "sample_rate": rate,
            "duration_seconds": duration,
            "characters": characters,
            "voice": voice,
            "emotion": req.emotion,
            "model": self.model,
            "cached": cached,
            "test_voice": test_voice,
            "timings": {k: round(v, 4) for k, v in timings.items()},
            **extra_urls,
        }

    def check_voice(self, voice: str | None, emotion: str) -> str:
        """The resolved voice name for ``voice`` and ``emotion`` (the request's rules and messages)."""
        info = find_voice(self._voices, voice, self.synthesizer.default_voice)
        check_emotion(info, emotion)
        return info.name

    def speech_stream(self, req: TTSRequest | dict, *, sse: bool = False) -> tuple[str, Iterator[bytes]]:
        """Validate and run the frontend now (so errors are still 4xx), then (content type, body chunks): the
        engine's pieces as it computes them (several per sentence). ``sse``: OpenAI's ``speech.audio.delta`` events
        instead. A sample rate other than the voice's goes through one streaming resampler, so the body is the same
        samples as the buffered answer."""
        req = self.resolve(req)
        if sse and req.format == "flac":  # FLAC cannot be cut into pieces: one event with the whole file
            return "text/event-stream", self._sse_whole(req)
        self.stats.requests += 1
        synth = self.synthesizer
        voice_rate = int(self._voices[str(req.voice)].sample_rate)
        rate = int(req.sample_rate or voice_rate)
        encoder = StreamEncoder(req.format, rate)  # raises invalid_response_format for flac
        try:
            name, segments = synth.prepare(req.text, voice=req.voice, emotion=req.emotion, speed=req.speed,
                                           pitch=req.pitch, volume_db=req.volume, ssml=bool(req.ssml),
                                           **({"lexicon": req.lexicon} if req.lexicon else {}))  # fmt: skip
        except TTSError:
            raise
        except (RuntimeError, ValueError) as e:
            raise ModelError(f"synthesis failed ({type(e).__name__})", code="synthesis_failed") from None
        characters = count_characters(req.text, ssml=bool(req.ssml))

        def event(data: bytes) -> bytes:
            return _sse({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()}) if sse else data

        def chunks() -> Iterator[bytes]:
            parts = synth.render_iter(segments, name)
            resampler = Resampler(voice_rate, rate)
            n = samples = 0
            while True:
                try:
                    with self._lock:
                        item = next(parts, None)
                except Exception as e:  # noqa: BLE001 - after the 200 went out: say so in-band, never a clean end
                    err = e if isinstance(e, TTSError) else ModelError(
                        f"synthesis failed ({type(e).__name__})", code="synthesis_failed")
                    logger.error("speech stream failed", extra={"code": err.code, "after_samples": samples,
                                                                "error": type(e).__name__})  # fmt: skip
                    if sse:  # an SSE client reads the error as an event
                        yield _sse({"type": "error", "error": err.to_dict()["error"]})
                        return
                    raise StreamAborted(err) from None  # the server drops the connection: an incomplete body
                if item is None:
                    break
                audio, placed = item
                samples += len(audio)
                if placed is not None and placed.samples:  # when each sentence is ready (the streaming tests read this order)
                    logger.info("speech chunk", extra={"chunk": n, "monotonic": time.monotonic()})
                    n += 1
                if not len(audio):  # a pause-only segment that carries SSML marks
                    continue
                data = encoder.feed(resampler.feed(audio))
                if data:
                    yield event(data)
            tail = encoder.feed(resampler.close()) + encoder.close()
            if tail:
                yield event(tail)
            if sse:
                yield _sse({"type": "speech.audio.done",
                            "usage": {"input_tokens": characters, "output_tokens": samples, "total_tokens":
                                      characters + samples}})  # fmt: skip
            self.stats.syntheses += 1
            record_request(cached=False, characters=characters, synthesis_s=0.0, audio_s=samples / voice_rate)
            logger.info("speech", extra={"voice": name, "emotion": req.emotion, "format": req.format,
                                         "sample_rate": rate, "streamed": True, "chunks": n})  # fmt: skip

        ctype = "text/event-stream" if sse else stream_content_type(req.format, rate)
        return ctype, chunks()

    def _sse_whole(self, req: TTSRequest) -> Iterator[bytes]:
        result = self._synthesize(req)
        body = self.speech(req, result=result)
        yield _sse({"type": "speech.audio.delta", "audio": base64.b64encode(body).decode()})
        samples = round(len(result.audio) * int(req.sample_rate or result.sample_rate) / result.sample_rate)
        yield _sse({"type": "speech.audio.done", "usage": {"input_tokens": int(result.characters),
                    "output_tokens": samples, "total_tokens": int(result.characters) + samples}})

    def speech(self, req: TTSRequest | dict, *, result: Any = None) -> bytes:
        """The ``POST /v1/audio/speech`` body: encoded audio bytes, no storage. TooLarge over the 6 MB limit."""
        self.stats.requests += 1
        req = self.resolve(req)
        result = result if result is not None else self._synthesize(req)
        self.stats.syntheses += 1
        body = encode(result.audio, result.sample_rate, req.format, target_rate=req.sample_rate)
        record_request(cached=False, characters=int(result.characters),
                       synthesis_s=float(result.timings.get("total_s", 0.0)),
                       audio_s=float(result.duration_seconds))
        check_response_size(body)
        logger.info("speech", extra={"voice": req.voice, "emotion": req.emotion, "format": req.format,
                                     "sample_rate": req.sample_rate, "bytes": len(body)})
        return body


class StreamAborted(RuntimeError):
    """Raised inside a streamed body after its 200 went out: the server closes the connection without the final
    chunk, so the client sees an incomplete response instead of audio that simply stops. ``error`` is the cause
    (what a caller that joins the body before answering, ``stream: false``, answers with)."""

    def __init__(self, error: TTSError):
        super().__init__(error.code)
        self.error = error


def check_response_size(body: bytes) -> bytes:
    """A whole (buffered) speech answer must fit a Lambda response: TooLarge ``response_too_large`` otherwise."""
    if len(body) > SPEECH_MAX_BYTES:
        raise TooLarge(
            f"the audio is {len(body)} bytes, over what a Lambda response can carry (6 MB with encoding); "
            "use POST /v1/tts, which returns a presigned URL instead of the bytes",
            code="response_too_large",
        )
    return body


def _sse(event: dict) -> bytes:
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def sidecar_keys(key: str, types: tuple[str, ...] | None, captions: str | None) -> dict[str, str]:
    """Keys of the speech marks / captions stored beside the audio ``key`` (only those asked for)."""
    stem = key.rsplit(".", 1)[0]
    out = {}
    if types:
        out["speech_marks"] = f"{stem}.marks-{'-'.join(check_types(types))}.jsonl"
    if captions:
        out["captions"] = f"{stem}.{check_caption_format(captions)}"
    return out


def sidecar_body(what: str, req: TTSRequest, result: Any) -> tuple[bytes, str]:
    text = req.sent_text or req.text
    if what == "speech_marks":
        marks = speech_marks(text, result.rendered, result.sample_rate, check_types(req.speech_marks))
        return to_jsonl(marks), JSONL_TYPE
    body = captions(text, result.rendered, result.sample_rate, req.captions or "vtt").encode("utf-8")
    return body, ("text/vtt" if req.captions == "vtt" else "application/x-subrip") + "; charset=utf-8"


def build_service(settings: Settings | None = None, storage: Any = None) -> TTSService:
    """Cold start: validate settings, open storage, load the model and every configured voice once.
    ``storage``: anything with the S3 adapter's methods (``sambert-lambda serve`` passes local files)."""
    from sambert_lambda.settings import get_settings

    t0 = time.perf_counter()
    settings = settings or get_settings()  # raises ConfigInvalid naming the setting
    if settings.log_level:
        logger.setLevel(settings.log_level)
    storage = storage if storage is not None else Storage(settings)  # ConfigInvalid when TTS_BUCKET is missing
    from sambert_lambda.synthesizer import Synthesizer

    try:
        synth = Synthesizer.from_settings(settings)
        synth.load()
    except TTSError:
        raise
    except Exception as e:  # noqa: BLE001 - any load failure must become a clean 503, never a crash loop
        logger.exception("model load failed")
        raise ModelError(f"the model failed to load ({type(e).__name__}: {e})") from None
    if settings.warmup:
        _warm_up(synth)
    service = TTSService(settings, synth, storage, init_seconds=time.perf_counter() - t0)
    logger.info("service ready", extra={"model": service.model, "voices": list(service._voices),
                                        "test_voice": service.test_voice,
                                        "init_seconds": round(service.init_seconds, 3)})
    return service


def _warm_up(synth: SynthesizerLike) -> None:
    """One short synthesis at init, so what the first run builds (the engine's first kernels and buffers, and
    whatever of the frontend :meth:`Synthesizer.load` did not build) is paid for by the cold start, not by the
    first request. Off with ``TTS_WARMUP=0``. A failure here is logged, not fatal."""
    t = time.perf_counter()
    try:
        synth.synthesize("你好。", voice=synth.default_voice)
    except Exception:  # noqa: BLE001 - the real requests will report the real error
        logger.exception("warm-up synthesis failed")
        return
    logger.info("warm-up done", extra={"seconds": round(time.perf_counter() - t, 3)})


class ServiceHolder:
    """Process-wide lazy singleton: builds the service once; a failed build is remembered (and answered as its
    503 error) and retried at most every ``retry_after`` seconds, so a bad deploy never crash-loops."""

    def __init__(self, factory=build_service, retry_after: float = 60.0) -> None:
        self._factory = factory
        self._retry_after = retry_after
        self._service: TTSService | None = None
        self._error: TTSError | None = None
        self._failed_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> TTSService:
        if self._service is not None:
            return self._service
        with self._lock:
            if self._service is not None:
                return self._service
            if self._error is not None and time.monotonic() - self._failed_at < self._retry_after:
                raise self._error
            try:
                self._service = self._factory()
                self._error = None
            except TTSError as e:
                logger.error("init failed", extra={"code": e.code, "reason": e.message})
                self._error, self._failed_at = e, time.monotonic()
                raise
            return self._service

    @property
    def error(self) -> TTSError | None:
        return self._error
