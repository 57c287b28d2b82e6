"""Run the acoustic model and the vocoder concurrently on two threads, pipelined across sentences.

The Sambert postnet (FSMN with look-ahead, then an LSTM over the whole line) needs every decoder frame before it
emits any mel, so the acoustic model does not expose incremental frames. The overlap is therefore across segments:
while the vocoder renders sentence *i*, the acoustic model already decodes sentence *i+1*. Each side runs torch
with one intra-op thread in its own Python thread (torch releases the GIL inside ops), so on two vCPUs both cores
stay busy. The output is bit-identical to the sequential path: the same ops run on the same inputs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from sambert_lambda.types import Controls

Vocode = Callable[[np.ndarray], np.ndarray]
_DONE = object()


@dataclass
class SegmentAudio:
    index: int
    wav: np.ndarray  # float32, vocoder output (volume not applied)
    dur: np.ndarray  # int64 frames per phone
    acoustic_s: float
    vocoder_s: float
    acoustic_cpu_s: float = 0.0  # CPU time of the calling thread (robust to other load; 1 torch thread only)
    vocoder_cpu_s: float = 0.0


def acoustic(voice, symbols: str, controls: Controls) -> tuple[np.ndarray, np.ndarray, float, float]:
    """One line through the acoustic model: (mel [T, 80] float32, durations int64, seconds, thread CPU seconds).

    A voice with its own ``acoustic(symbols, controls)`` (the ONNX engine) is used as is, without torch.
    """
    t, c = time.perf_counter(), time.thread_time()
    if hasattr(voice, "acoustic"):
        mel, dur = voice.acoustic(symbols, controls)
        return mel, np.asarray(dur, dtype=np.int64), time.perf_counter() - t, time.thread_time() - c
    import torch

    ids = voice.units.encode(symbols)
    with torch.inference_mode():
        out = voice.am.infer(ids, controls)
    mel = np.ascontiguousarray(np.asarray(out.mel, dtype=np.float32))
    return mel, np.asarray(out.dur_rounded, dtype=np.int64), time.perf_counter() - t, time.thread_time() - c


def _vocode(vocode: Vocode, mel: np.ndarray) -> tuple[np.ndarray, float, float]:
    t, c = time.perf_counter(), time.thread_time()
    wav = vocode(mel)
    return wav, time.perf_counter() - t, time.thread_time() - c


def pipelined(
    voice, lines: Iterable[tuple[str, Controls]], vocode: Vocode, *, max_ahead: int = 2
) -> Iterator[SegmentAudio]:
    """Yield each line's audio in order, with the acoustic model running ahead of the vocoder in a worker thread.

    ``voice`` is a loaded :class:`~sambert_lambda.engine.torch.voice.VoiceModel`; ``vocode(mel[T, 80]) -> wav``.
    Errors raised on the worker are re-raised here. ``max_ahead`` bounds the mels held in memory.
    """
    q: queue.Queue = queue.Queue(maxsize=max_ahead)
    stop = threading.Event()

    def produce() -> None:
        try:
            for i, (symbols, controls) in enumerate(lines):
                if stop.is_set():
                    return
                q.put((i, *acoustic(voice, symbols, controls)))
            q.put(_DONE)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer thread and re-raised there
            q.put(e)

    worker = threading.Thread(target=produce, name="sambert-am", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            i, mel, dur, t_am, c_am = item
            wav, t_voc, c_voc = _vocode(vocode, mel)
            yield SegmentAudio(i, wav, dur, t_am, t_voc, c_am, c_voc)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


def sequential(voice, lines: Iterable[tuple[str, Controls]], vocode: Vocode) -> Iterator[SegmentAudio]:
    """The same contract as :func:`pipelined` without a worker thread (the reference for parity)."""
    for i, (symbols, controls) in enumerate(lines):
        mel, dur, t_am, c_am = acoustic(voice, symbols, controls)
        wav, t_voc, c_voc = _vocode(vocode, mel)
        yield SegmentAudio(i, wav, dur, t_am, t_voc, c_am, c_voc)
