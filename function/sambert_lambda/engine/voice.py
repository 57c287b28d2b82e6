"""The one voice API of the engine, on either backend.

``Voice.load(model_dir, name, backend=...)`` returns a :class:`Voice`; ``voice.synthesize(units)`` yields one
:class:`AudioChunk` per unit (one KAN-TTS symbol line, i.e. one sentence), in order, carrying its audio, the frames per
token (what speech marks are placed from) and the mel. With ``stream=True`` a unit's audio comes in several chunks, as
the vocoder computes it (the first after a quarter of a vocoder chunk, 0.4 s of audio at 16 kHz): joined, they are
the same samples as the one-chunk form. :class:`ModelStore` holds a model directory's voices on one backend, and
:func:`open_store` is the one factory that picks the backend from the settings (``TTS_BACKEND``, ``TTS_ONNX_DIR``,
``TTS_VOCODER_PRECISION``, ``TTS_THREADS``). Everything above the engine (the synthesizer, and so the API, batch, the
CLI, and the bench) goes through here.

Backends (each a class with ``units``, ``sample_rate``, ``hop_size``, ``acoustic(symbols, controls) -> (mel, dur)``,
``vocode(mel) -> wav`` and ``vocode_pieces(mel) -> iterator of wav pieces``, the same samples):

- ``onnx``: :class:`~sambert_lambda.engine.onnx.voice.OnnxVoice`, ONNX Runtime + numpy, never imports torch; needs the
  voice exported by ``sambert-lambda export-onnx`` (``onnx_dir/<voice>/``).
- ``torch``: :class:`~sambert_lambda.engine.torch.voice.VoiceModel`, reads the checkpoints directly; the reference
  for parity, the exporter, and the only one with the opt-in lossy ``bf16`` vocoder.

With two or more threads :meth:`Voice.synthesize` computes that many units at once, each whole on its own worker
thread (acoustic model, then vocoder), and hands them out in order: while the caller streams unit *i*, unit *i+1*
is already being computed (the Sambert postnet needs a whole line before it emits any mel, so the overlap is across
sentences). The backends' sessions then run one thread per call, so the units do not compete for the same cores.
The same ops run on the same inputs, so the audio is identical to the sequential order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Protocol

import numpy as np

from sambert_lambda.engine.modeldir import read_json, read_revision, resolve
from sambert_lambda.engine.pcm import to_pcm16_safe
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import ConfigInvalid, ModelError, UnknownVoice
from sambert_lambda.types import Controls

log = logging.getLogger(__name__)

BACKENDS = ("onnx", "torch")  # the first is the default
ONNX_SUBDIR = "onnx"  # a model directory's own export, the default TTS_ONNX_DIR
PRECISIONS = ("fp32", "bf16")
_DONE = object()

Unit = str | tuple[str, Controls]


@dataclass
class AudioChunk:
    """One unit (sentence) through the engine, or, streamed, one piece of it (``offset`` and ``last`` say which)."""

    index: int  # position in the units given to :meth:`Voice.synthesize`
    audio: np.ndarray  # float32 mono at ``sample_rate``, volume applied, not clipped
    durations: np.ndarray  # int64 frames per token (``hop_size`` samples each), of the whole unit
    mel: np.ndarray  # float32 [frames, 80], of the whole unit
    sample_rate: int
    hop_size: int
    timings: dict[str, float] = field(default_factory=dict)  # acoustic_s, vocoder_s and their thread CPU seconds
    offset: int = 0  # where ``audio`` starts in the unit's samples
    last: bool = True  # the unit's last piece (always, unstreamed)

    @property
    def unit_samples(self) -> int:
        """The whole unit's length in samples (``frames * hop_size``), known from its first piece on."""
        return int(self.mel.shape[0]) * self.hop_size

    @property
    def pcm(self) -> np.ndarray:
        """int16, clipped (:func:`~sambert_lambda.engine.pcm.to_pcm16_safe`)."""
        return to_pcm16_safe(self.audio)

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / float(self.sample_rate)


class BackendVoice(Protocol):
    name: str
    units: LinguisticUnits
    sample_rate: int
    hop_size: int

    def acoustic(self, symbols: str, controls: Controls) -> tuple[np.ndarray, np.ndarray]: ...

    def vocode(self, mel: np.ndarray) -> np.ndarray: ...

    def vocode_pieces(self, mel: np.ndarray) -> Iterator[np.ndarray]: ...


class Voice:
    """A loaded voice on one backend; build with :meth:`load` (or :meth:`ModelStore.voice`)."""

    def __init__(self, impl: BackendVoice, *, backend: str, precision: str = "fp32", threads: int = 1):
        self.impl = impl
        self.backend = backend
        self.precision = precision
        self.threads = max(1, int(threads))
        self.pipelined: bool | None = None  # None: pipeline when on two or more threads

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        name: str,
        *,
        backend: str = "onnx",
        onnx_dir: str | Path | None = None,
        threads: int = 1,
        precision: str = "fp32",
    ) -> Voice:
        """Voice ``name`` of the model directory ``model_dir`` (ModelScope layout) on ``backend``.

        ``onnx_dir`` (backend ``onnx``) is the export root with one sub-directory per voice (default: the model
        directory's own ``onnx/``, when it has one, as ``make-test-voice --onnx`` writes it). ``threads``: how many
        units :meth:`synthesize` computes at once; the ONNX sessions run one thread per call (two units on two
        cores, not two threads for each), torch runs what the process was configured with
        (:func:`runtime.configure`).
        """
        onnx_dir = onnx_root(model_dir, onnx_dir)
        check_backend(backend, onnx_dir, precision)
        voice_dir = Path(model_dir) / "voices" / name
        if backend == "onnx":
            from sambert_lambda.engine.onnx.voice import OnnxVoice

            impl: BackendVoice = OnnxVoice.load(voice_dir, Path(onnx_dir) / name, name, threads=1)  # type: ignore[arg-type]
        else:
            from sambert_lambda.engine.torch.voice import VoiceModel

            impl = VoiceModel.load(voice_dir, name)
            if precision == "bf16":
                from sambert_lambda.engine.torch.quantize import Bf16Vocoder

                impl.vocoder = Bf16Vocoder(impl.vocoder)  # type: ignore[attr-defined]
        return cls(impl, backend=backend, precision=precision, threads=threads)

    # ------------------------------------------------------------------ description (the backend's, read-only)
    name: str = property(attrgetter("impl.name"))  # type: ignore[assignment]
    units: LinguisticUnits = property(attrgetter("impl.units"))  # type: ignore[assignment]
    sample_rate: int = property(attrgetter("impl.sample_rate"))  # type: ignore[assignment]
    hop_size: int = property(attrgetter("impl.hop_size"))  # type: ignore[assignment]
    speakers: list[str] = property(attrgetter("impl.units.speakers"))  # type: ignore[assignment]
    emotions: list[str] = property(attrgetter("impl.units.emotions"))  # type: ignore[assignment]

    # ------------------------------------------------------------------ synthesis
    def acoustic(self, symbols: str, controls: Controls | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mel [T, 80] float32, frames per token int64) of one symbol line."""
        mel, dur = self.impl.acoustic(symbols, controls or Controls())
        return np.ascontiguousarray(mel, dtype=np.float32), np.asarray(dur, dtype=np.int64)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        return self.impl.vocode(mel)

    def synthesize(
        self, units: Iterable[Unit], controls: Controls | None = None, *, pipelined: bool | None = None,
        stream: bool = False,
    ) -> Iterator[AudioChunk]:
        """One :class:`AudioChunk` per unit, in order. A unit is a symbol line, or (symbol line, its own Controls);
        ``controls`` applies to bare lines. ``pipelined``: None = :attr:`pipelined`, whose None means when this voice
        runs on two or more threads. ``stream``: each unit in pieces as the vocoder computes them (the first with
        ``offset`` 0, the last with ``last``), the same samples as unstreamed."""
        base = controls or Controls()
        lines = ((u, base) if isinstance(u, str) else u for u in units)
        if pipelined is None:
            pipelined = self.pipelined if self.pipelined is not None else self.threads >= 2
        return self._pipelined(lines, stream) if pipelined else self._sequential(lines, stream)

    def synthesize_line(self, symbols: str, controls: Controls | None = None) -> AudioChunk:
        """One symbol line -> its chunk (the sequential path)."""
        return next(self._sequential(iter([(symbols, controls or Controls())])))

    def _acoustic_timed(self, i: int, symbols: str, controls: Controls):
        t, c = time.perf_counter(), time.thread_time()
        mel, dur = self.acoustic(symbols, controls)
        return i, controls, mel, dur, time.perf_counter() - t, time.thread_time() - c

    def _pieces(self, i, controls, mel, dur, t_am, c_am) -> Iterator[AudioChunk]:
        """The vocoded pieces of one unit; the first carries the acoustic model's timings, each its own vocoder's."""
        total = int(mel.shape[0]) * self.hop_size
        gain = np.float32(10.0 ** (controls.volume_db / 20.0)) if controls.volume_db else None
        timings = {"acoustic_s": t_am, "acoustic_cpu_s": c_am}
        pieces = iter(self.impl.vocode_pieces(mel)) if total else iter(())
        at = 0
        while True:
            t, c = time.perf_counter(), time.thread_time()
            wav = next(pieces, None)
            timings["vocoder_s"] = timings.get("vocoder_s", 0.0) + time.perf_counter() - t
            timings["vocoder_cpu_s"] = timings.get("vocoder_cpu_s", 0.0) + time.thread_time() - c
            if wav is None:
                if at != total:
                    raise ModelError(f"the vocoder gave {at} samples where {total} were due")
                if at == 0:  # an empty unit still comes out, as one empty chunk
                    yield AudioChunk(i, np.zeros(0, np.float32), dur, mel, self.sample_rate, self.hop_size, timings)
                return
            wav = np.asarray(wav, dtype=np.float32)
            if gain is not None:
                wav = (wav * gain).astype(np.float32)
            yield AudioChunk(i, wav, dur, mel, self.sample_rate, self.hop_size, timings, at, at + wav.size >= total)
            at += wav.size
            timings = {}

    def _finish(self, i, controls, mel, dur, t_am, c_am) -> AudioChunk:
        """A unit as one chunk: its pieces joined, their timings summed."""
        parts = list(self._pieces(i, controls, mel, dur, t_am, c_am))
        timings: dict[str, float] = {}
        for p in parts:
            for k, v in p.timings.items():
                timings[k] = timings.get(k, 0.0) + v
        audio = parts[0].audio if len(parts) == 1 else np.concatenate([p.audio for p in parts])
        return AudioChunk(i, audio, dur, mel, self.sample_rate, self.hop_size, timings)

    def _unit(self, item, stream: bool) -> Iterator[AudioChunk]:
        if stream:
            yield from self._pieces(*item)
        else:
            yield self._finish(*item)

    def _sequential(self, lines: Iterator[tuple[str, Controls]], stream: bool = False) -> Iterator[AudioChunk]:
        for i, (symbols, controls) in enumerate(lines):
            yield from self._unit(self._acoustic_timed(i, symbols, controls), stream)

    def _pipelined(self, lines: Iterator[tuple[str, Controls]], stream: bool = False) -> Iterator[AudioChunk]:
        """Units computed whole (acoustic model, then vocoder) by :attr:`threads` (at least two) worker threads at
        once, each unit on one thread; the caller gets them in order, each unit's pieces as soon as they are ready.
        At most that many units are in flight, so memory stays bounded; a worker's error is raised here, in order;
        closing the generator early stops the workers at their next piece."""
        workers = max(2, self.threads)
        stop = threading.Event()
        todo = enumerate(lines)
        flight: deque[tuple[queue.SimpleQueue, threading.Thread]] = deque()

        def work(i: int, symbols: str, controls: Controls, q: queue.SimpleQueue) -> None:
            try:
                for chunk in self._unit(self._acoustic_timed(i, symbols, controls), stream):
                    if stop.is_set():
                        return
                    q.put(chunk)
                q.put(_DONE)
            except BaseException as e:  # noqa: BLE001 - handed to the consumer thread and re-raised there
                q.put(e)

        def launch() -> None:
            while len(flight) < workers:
                nxt = next(todo, None)
                if nxt is None:
                    return
                i, (symbols, controls) = nxt
                q: queue.SimpleQueue = queue.SimpleQueue()
                t = threading.Thread(target=work, args=(i, symbols, controls, q), name=f"sambert-unit-{i}", daemon=True)
                t.start()
                flight.append((q, t))

        try:
            launch()
            while flight:
                q, _t = flight[0]
                item = q.get()
                if item is _DONE:
                    flight.popleft()
                    launch()
                    continue
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            for _q, t in flight:
                t.join()


def onnx_root(model_dir: str | Path, onnx_dir: str | Path | None) -> Path | None:
    """``onnx_dir`` (TTS_ONNX_DIR) if given, else ``<model_dir>/onnx`` if that directory exists, else None."""
    if onnx_dir:
        return Path(onnx_dir)
    own = Path(model_dir) / ONNX_SUBDIR
    return own if own.is_dir() else None


def check_backend(backend: str, onnx_dir: str | Path | None, precision: str) -> None:
    if backend not in BACKENDS:
        raise ConfigInvalid(f"TTS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if precision not in PRECISIONS:
        raise ConfigInvalid(f"TTS_VOCODER_PRECISION must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if backend == "onnx":
        if not onnx_dir:
            raise ConfigInvalid(
                "TTS_BACKEND=onnx needs the exported voices: set TTS_ONNX_DIR (written by 'sambert-lambda "
                "export-onnx MODEL_DIR OUT'), or give the model directory an onnx/ sub-directory, or set "
                "TTS_BACKEND=torch"
            )
        if precision != "fp32":
            raise ConfigInvalid("TTS_VOCODER_PRECISION=bf16 needs TTS_BACKEND=torch")


# --------------------------------------------------------------------------- the model directory
class ModelStore:
    """A model directory and its voices on one backend; each voice is loaded once per process (thread-safe)."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        backend: str = "onnx",
        onnx_dir: str | Path | None = None,
        precision: str = "fp32",
        threads: int = 1,
        voices: Iterable[str] | None = None,
        default_voice: str | None = None,
        model_id: str | None = None,
        revision: str | None = None,
    ):
        self.model_dir = Path(model_dir)
        onnx_dir = onnx_root(self.model_dir, onnx_dir)
        check_backend(backend, onnx_dir, precision)
        self.backend, self.onnx_dir, self.precision, self.threads = backend, onnx_dir, precision, threads
        configuration = read_json(self.model_dir / "configuration.json")
        listed = read_json(self.model_dir / "voices" / "voices.json").get("voices")
        if not isinstance(listed, list) or not listed or not all(isinstance(v, str) for v in listed):
            raise ModelError(f"{self.model_dir / 'voices/voices.json'} must list at least one voice name")
        if voices is not None:
            wanted = list(voices)
            unknown = [v for v in wanted if v not in listed]
            if unknown:
                raise ModelError(f"voice(s) {', '.join(unknown)} not in {self.model_dir} (has {', '.join(listed)})")
            listed = [v for v in listed if v in wanted]
            if not listed:
                raise ModelError("no voices selected")
        self.voice_names: list[str] = listed
        self.default_voice = default_voice or listed[0]
        if self.default_voice not in listed:
            raise ModelError(f"default voice {self.default_voice!r} is not one of {', '.join(listed)}")
        self.is_test_voice = bool(configuration.get("test_voice", False))
        self.model_id = model_id or f"local/{self.model_dir.name}"
        self.revision = revision or read_revision(self.model_dir) or "local"
        self._voices: dict[str, Voice] = {}
        self._lock = threading.Lock()

    def voice(self, name: str) -> Voice:
        if name not in self.voice_names:
            raise UnknownVoice(f"unknown voice {name!r}; available: {', '.join(self.voice_names)}")
        cached = self._voices.get(name)
        if cached is not None:
            return cached
        with self._lock:
            if name not in self._voices:
                self._voices[name] = Voice.load(self.model_dir, name, backend=self.backend, onnx_dir=self.onnx_dir,
                                                threads=self.threads, precision=self.precision)  # fmt: skip
                log.info("loaded voice %s (%s, %s)", name, self.backend, self.precision)
            return self._voices[name]

    def load_all(self, names: Iterable[str] | None = None) -> None:
        for name in names if names is not None else self.voice_names:
            self.voice(name)

    @property
    def loaded(self) -> list[str]:
        return [n for n in self.voice_names if n in self._voices]


def open_store(settings) -> ModelStore:
    """The one factory: the model :func:`~sambert_lambda.engine.modeldir.resolve` finds, on ``settings.backend``,
    with the thread count :func:`~sambert_lambda.engine.runtime.configure` decides (applied to torch only when the
    torch backend runs, so the ONNX path never imports torch)."""
    from sambert_lambda.engine.runtime import configure

    found = resolve(settings)
    if not Path(found.path).is_dir():  # before the backend check: a missing model is not a settings mistake
        raise ModelError(f"the model failed to load (no model directory at {found.path})")
    check_backend(settings.backend, onnx_root(found.path, settings.onnx_dir), settings.vocoder_precision)
    threads = configure(settings.threads, apply=settings.backend == "torch").threads
    return ModelStore(found.path, backend=settings.backend, onnx_dir=settings.onnx_dir,
                      precision=settings.vocoder_precision, threads=threads, voices=settings.voices,
                      default_voice=settings.default_voice, model_id=found.model_id, revision=found.revision)  # fmt: skip
