"""The ONNX backend of :mod:`sambert_lambda.engine.voice`: linguistic units, acoustic model and vocoder on ONNX
Runtime + numpy, with no torch import.

The ONNX files are written at bake time by :func:`sambert_lambda.engine.torch.onnx_export.export_voice_onnx` into a
directory of their own (the ModelScope model directory stays read-only). Configs are still read from the voice
directory, so the two stay in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sambert_lambda.engine.modeldir import read_audio_config, read_yaml
from sambert_lambda.engine.onnx.acoustic import OnnxAcousticModel
from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
from sambert_lambda.engine.runtime import VOCODER_CHUNK_FRAMES
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import ModelError
from sambert_lambda.types import Controls


class OnnxVoice:
    def __init__(self, name: str, units: LinguisticUnits, am: OnnxAcousticModel, vocoder: OnnxVocoder,
                 sample_rate: int, hop_size: int):  # fmt: skip
        self.name, self.units, self.am, self.vocoder = name, units, am, vocoder
        self.sample_rate, self.hop_size = sample_rate, hop_size

    @classmethod
    def load(cls, voice_dir: str | Path, onnx_dir: str | Path, name: str, threads: int = 1) -> OnnxVoice:
        """``onnx_dir``: this voice's exported files."""
        voice_dir, onnx_dir = Path(voice_dir), Path(onnx_dir)
        sample_rate, hop = read_audio_config(voice_dir)
        units = LinguisticUnits.from_config(read_yaml(voice_dir / "am" / "config.yaml"))
        am = OnnxAcousticModel(onnx_dir, threads=threads)
        vocoder = OnnxVocoder(onnx_dir / "voc.onnx", threads=threads)
        if vocoder.hop_size != hop:
            raise ModelError(f"ONNX vocoder upsamples by {vocoder.hop_size} but hop_length is {hop}")
        if am.sizes != units.sizes:
            raise ModelError(
                f"ONNX acoustic model unit sizes {am.sizes} differ from the voice's {units.sizes}"
            )
        return cls(name, units, am, vocoder, sample_rate, hop)

    def acoustic(self, symbols: str, controls: Controls) -> tuple[np.ndarray, np.ndarray]:
        """(mel [T, 80] float32, frames per token int64) of one symbol line."""
        out = self.am.infer(self.units.encode(symbols), controls)
        return out.mel, out.dur_rounded

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        return self.vocoder.vocode(mel, chunk_frames=VOCODER_CHUNK_FRAMES)

    def vocode_pieces(self, mel: np.ndarray) -> Iterator[np.ndarray]:
        """:meth:`vocode`'s samples, piece by piece as they are computed."""
        return self.vocoder.pieces(mel, chunk_frames=VOCODER_CHUNK_FRAMES)
