"""ONNX Runtime vocoder: the exported HiFiGAN generator, with numpy in and out and no torch import.

- Causal generators run the streaming graph (see :func:`engine.torch.onnx_export.export_vocoder`): fixed-size chunks of
  mel, each conv's history carried from one chunk to the next as graph inputs and outputs. The result equals
  the one-shot output up to float noise, and only a bounded set of input shapes ever runs (a quarter of
  ``chunk_frames``, half of it and all of it, and for the last piece of a line the multiples of a sixteenth of
  it: :mod:`sambert_lambda.engine.chunking`'s fine grain), so the per-request cost and the resident memory stay
  flat under traffic of every length, and less than 8 frames are ever padded.
- Causal generators' graphs also come in ONNX Runtime's blocked channel layout, one file per block size
  (:mod:`engine.torch.onnx_nchwc`): the activations stay blocked from conv to conv instead of being converted in
  and out around every conv. The same function with the same kernels, so the same samples; :func:`nchwc_block`
  asks ONNX Runtime which block size this CPU uses, and the plain graph runs where no file matches (arm64, or a
  CPU without AVX2).
- Non-causal generators run the one-shot graph; ``chunk_frames`` pieces are extended by the receptive field stored
  in the model metadata, so the result equals the one-shot output while memory stays bounded.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sambert_lambda.engine.chunking import join, stream_plan, window_plan
from sambert_lambda.engine.runtime import release_free_heap
from sambert_lambda.errors import ModelError

META_KEY = "sambert_lambda"
PLAIN_FILE = "voc.onnx"  # the exported streaming graph; its blocked-layout copies and the probe lie beside it
PROBE_FILE = "nchwc_probe.onnx"
LAYOUTS = ("auto", "plain")


def blocked_file(block: int) -> str:
    """The blocked-layout copy of the streaming graph for ``block`` channels (engine.torch.onnx_nchwc)."""
    return f"voc.nchwc{int(block)}.onnx"


def weights_file(graph: str) -> str:
    """The external weights of a blocked-layout copy ``graph``, beside it."""
    return graph.removesuffix(".onnx") + ".weights"


@functools.cache
def nchwc_block(probe: Path) -> int | None:
    """The channel block of ONNX Runtime's blocked layout on this CPU, read off the probe graph (a
    ``ReorderInput`` of ``c + 1000 * t``): ``None`` where the probe is missing or the layout is not available."""
    try:
        import onnxruntime as ort

        session = ort.InferenceSession(str(probe), session_options(1), providers=["CPUExecutionProvider"])
        shape = session.get_inputs()[0].shape
        c, t = int(shape[1]), int(shape[3])
        x = (np.arange(c)[:, None] + 1000 * np.arange(t)[None]).astype(np.float32).reshape(1, c, 1, t)
        y = np.asarray(session.run(None, {session.get_inputs()[0].name: x})[0]).reshape(-1)
    except Exception:  # noqa: BLE001 - no probe, or no blocked kernels in this build: the plain graph runs
        return None
    block = int(np.argmax(y >= 1000)) if (y >= 1000).any() else 0
    if not block or c % block or y.size != x.size:
        return None
    blocked = x.reshape(1, c // block, block, 1, t).transpose(0, 1, 3, 4, 2).reshape(-1)  # [N, C/b, H, W, b]
    return block if np.array_equal(y, blocked) else None


def session_options(threads: int = 1, optimize: str = "all"):
    """The ONNX Runtime session options every engine graph uses: ``threads`` intra-op threads, no inter-op pool.
    ``optimize``: ONNX Runtime's graph optimization level, ``all`` (with its layout pass, for convs) or ``basic``
    (constant folding and node eliminations)."""
    import onnxruntime as ort

    levels = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = levels[optimize]
    return opts


class OnnxVocoder:
    """``layout``: ``auto`` runs the blocked-layout copy of an exported ``voc.onnx`` that matches this CPU when
    there is one (:func:`nchwc_block`); ``plain``, and any other file name (an int8 copy, say), run the file at
    ``path``. :attr:`graph` names the file that runs."""

    def __init__(self, path: str | Path, threads: int = 1, layout: str = "auto"):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError("the ONNX vocoder needs the 'onnxruntime' package") from None
        if layout not in LAYOUTS:
            raise ModelError(f"vocoder layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"ONNX vocoder {path} does not exist (export it with engine.torch.onnx_export)")
        if layout == "auto" and path.name == PLAIN_FILE:
            block = nchwc_block(path.parent / PROBE_FILE)
            if block and (path.parent / blocked_file(block)).is_file():
                path = path.parent / blocked_file(block)
        self.graph = path.name
        opts = session_options(threads)
        # The memory pattern pre-plans one block for every intermediate of a shape, with little reuse: +150 MB of
        # RSS for the 128-frame chunk, and no measurable speed (in-process A/B: 0.185 without vs 0.193 with).
        opts.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(f"cannot load ONNX vocoder {path}: {e}") from None
        release_free_heap()
        raw = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        if not raw:
            raise ModelError(f"{path} lacks '{META_KEY}' metadata (not written by onnx_export)")
        meta = json.loads(raw)
        self.in_channels = int(meta["in_channels"])
        self.hop_size = int(meta["hop_size"])
        self.context = (int(meta["context_left"]), int(meta["context_right"]))
        stream = meta.get("stream")
        self.causal = bool(meta.get("causal", False))
        if stream:
            self.chunk_frames = int(stream["chunk_frames"])
            # [1, C, 1, L], or [1, C / b, 1, L, b] in a blocked-layout graph: the graph's own declared shapes
            shapes = {i.name: i.shape for i in self.session.get_inputs()}
            self._zero_states = {
                f"state{i}": np.zeros(tuple(int(d) for d in shapes[f"state{i}"]), np.float32)
                for i in range(len(stream["states"]))
            }
        else:
            self.chunk_frames = 0
            self._zero_states = {}

    @property
    def streaming(self) -> bool:
        """True when the graph carries state between fixed-size chunks (causal generators)."""
        return bool(self.chunk_frames)

    def __call__(self, mel: np.ndarray) -> np.ndarray:
        """mel [1, C, T] -> wav [T * hop] (one-shot graph)."""
        return self.session.run(None, {"mel": mel})[0].reshape(-1)

    def _mel(self, mel: np.ndarray) -> np.ndarray:
        m = np.asarray(mel, dtype=np.float32)
        if m.ndim != 2 or m.shape[1] != self.in_channels:
            raise ModelError(f"vocoder expects mel [T, {self.in_channels}], got {m.shape}")
        return m

    def stream(self, mel: np.ndarray, chunk_frames: int | None = None) -> Iterator[np.ndarray]:
        """Streaming graph: yield the waveform of mel ``[T, C]`` piece by piece
        (:func:`~sambert_lambda.engine.chunking.stream_plan` with chunks of ``chunk_frames`` at most)."""
        if not self.streaming:
            raise ModelError("streaming vocoding needs a causal generator's streaming graph")
        m = self._mel(mel)
        chunk = self.chunk_frames if not chunk_frames else min(int(chunk_frames), self.chunk_frames)
        x = np.ascontiguousarray(m.T[None])
        feeds = dict(self._zero_states)
        names = list(feeds)
        hop = self.hop_size
        for start, size, take in stream_plan(m.shape[0], chunk, fine=True):
            piece = x[:, :, start : start + take]
            if take < size:
                piece = np.concatenate(
                    [piece, np.zeros((1, self.in_channels, size - take), np.float32)], axis=2
                )
            feeds["mel"] = np.ascontiguousarray(piece)
            wav, *nxt = self.session.run(None, feeds)
            feeds.update(zip(names, nxt, strict=True))
            yield wav.reshape(-1)[: take * hop]

    def pieces(self, mel: np.ndarray, chunk_frames: int | None = None) -> Iterator[np.ndarray]:
        """The waveform of mel ``[T, C]`` piece by piece, in order. The streaming graph always streams (chunks of
        ``min(chunk_frames, metadata chunk_frames)``); the one-shot graph runs whole, or in ``chunk_frames``
        windows extended by the receptive field."""
        m = self._mel(mel)
        if self.streaming:
            yield from self.stream(m, chunk_frames)
            return
        n = m.shape[0]
        x = np.ascontiguousarray(m.T[None])
        left, right = self.context if chunk_frames and chunk_frames < n else (0, 0)
        hop = self.hop_size
        for start, end, a, b in window_plan(n, chunk_frames, left, right):
            y = self(np.ascontiguousarray(x[:, :, a:b]))
            yield y[(start - a) * hop : (end - a) * hop]

    def vocode(self, mel: np.ndarray, chunk_frames: int | None = None) -> np.ndarray:
        """mel ``[T, C]`` -> float32 wav ``[T * hop]``: :meth:`pieces` joined, so buffered and streamed callers get
        the same samples."""
        m = self._mel(mel)
        return join(self.pieces(m, chunk_frames), m.shape[0] * self.hop_size)
