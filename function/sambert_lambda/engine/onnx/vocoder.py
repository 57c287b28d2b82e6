"""ONNX Runtime vocoder: the exported HiFiGAN generator, with numpy in and out and no torch import.

Chunked vocoding mirrors :meth:`HifiGanGenerator.vocode`: each chunk is extended by the receptive field stored in
the model metadata, so the result equals the one-shot output up to float noise while memory stays bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sambert_lambda.errors import ModelError

META_KEY = "sambert_lambda"


class OnnxVocoder:
    def __init__(self, path: str | Path, threads: int = 1):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError("the ONNX vocoder needs the 'onnxruntime' package") from None
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"ONNX vocoder {path} does not exist (export it with engine.onnx_export)")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(f"cannot load ONNX vocoder {path}: {e}") from None
        raw = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        if not raw:
            raise ModelError(f"{path} lacks '{META_KEY}' metadata (not written by onnx_export)")
        meta = json.loads(raw)
        self.in_channels = int(meta["in_channels"])
        self.hop_size = int(meta["hop_size"])
        self.context = (int(meta["context_left"]), int(meta["context_right"]))

    def __call__(self, mel: np.ndarray) -> np.ndarray:
        """mel [1, C, T] -> wav [T * hop]."""
        return self.session.run(None, {"mel": mel})[0].reshape(-1)

    def vocode(self, mel: np.ndarray, chunk_frames: int | None = None) -> np.ndarray:
        """mel ``[T, C]`` -> float32 wav ``[T * hop]`` (optionally in chunks of ``chunk_frames``)."""
        m = np.asarray(mel, dtype=np.float32)
        if m.ndim != 2 or m.shape[1] != self.in_channels:
            raise ModelError(f"vocoder expects mel [T, {self.in_channels}], got {m.shape}")
        n = m.shape[0]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        x = np.ascontiguousarray(m.T[None])
        if not chunk_frames or chunk_frames >= n:
            return self(x)
        if chunk_frames < 1:
            raise ModelError(f"chunk_frames must be >= 1, got {chunk_frames}")
        left, right = self.context
        hop = self.hop_size
        out = np.empty(n * hop, dtype=np.float32)
        for start in range(0, n, chunk_frames):
            end = min(n, start + chunk_frames)
            a, b = max(0, start - left), min(n, end + right)
            y = self(np.ascontiguousarray(x[:, :, a:b]))
            out[start * hop : end * hop] = y[(start - a) * hop : (end - a) * hop]
        return out
