"""One voice on ONNX Runtime + numpy: linguistic units, acoustic model and vocoder, with no torch import.

The ONNX files are written at bake time by :func:`sambert_lambda.engine.torch.onnx_export.export_voice_onnx` into a
directory of their own (the ModelScope model directory stays read-only). Configs are still read from the voice
directory, so the two stay in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sambert_lambda.engine.modeldir import read_yaml
from sambert_lambda.engine.onnx.acoustic import OnnxAcousticModel
from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
from sambert_lambda.engine.pcm import to_pcm16_safe
from sambert_lambda.engine.runtime import VOCODER_CHUNK_FRAMES
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import ModelError
from sambert_lambda.types import Controls


@dataclass
class OnnxEngineOutput:
    dur: np.ndarray  # int64 [N]
    mel: np.ndarray  # float32 [T, 80]
    wav: np.ndarray  # float32 [T * hop]
    pcm: np.ndarray  # int16


class OnnxVoice:
    def __init__(self, name: str, units: LinguisticUnits, am: OnnxAcousticModel, vocoder: OnnxVocoder,
                 sample_rate: int, hop_size: int):  # fmt: skip
        self.name, self.units, self.am, self.vocoder = name, units, am, vocoder
        self.sample_rate, self.hop_size = sample_rate, hop_size

    @classmethod
    def load(cls, voice_dir: str | Path, onnx_dir: str | Path, name: str, threads: int = 1) -> OnnxVoice:
        voice_dir, onnx_dir = Path(voice_dir), Path(onnx_dir)
        audio = read_yaml(voice_dir / "audio_config.yaml").get("audio_config") or {}
        try:
            sample_rate, hop = int(audio["sampling_rate"]), int(audio["hop_length"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(
                f"{voice_dir / 'audio_config.yaml'} needs integer sampling_rate and hop_length"
            ) from None
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
        """(mel [T, 80] float32, durations int64) for one symbol line."""
        out = self.am.infer(self.units.encode(symbols), controls)
        return out.mel, out.dur_rounded

    def synthesize(self, symbols: str, controls: Controls | None = None) -> OnnxEngineOutput:
        controls = controls or Controls()
        mel, dur = self.acoustic(symbols, controls)
        wav = self.vocoder.vocode(mel, chunk_frames=VOCODER_CHUNK_FRAMES)
        if controls.volume_db:
            wav = (wav * np.float32(10.0 ** (controls.volume_db / 20.0))).astype(np.float32)
        return OnnxEngineOutput(dur=dur, mel=mel, wav=wav, pcm=to_pcm16_safe(wav))


class OnnxModelStore:
    """The :class:`~sambert_lambda.engine.torch.voice.ModelStore` interface for the torch-free engine.

    ``model_dir`` is the (read-only) ModelScope model directory; ``onnx_root/<voice>/`` holds each voice's exported
    files (:func:`sambert_lambda.engine.torch.onnx_export.export_voice_onnx`, run at bake time).
    """

    def __init__(self, model_dir: str | Path, onnx_root: str | Path, *, voices=None, default_voice: str | None = None,
                 model_id: str | None = None, revision: str | None = None, threads: int = 1):  # fmt: skip
        import json
        import threading

        self.model_dir, self.onnx_root, self.threads = Path(model_dir), Path(onnx_root), threads
        try:
            configuration = json.loads((self.model_dir / "configuration.json").read_text(encoding="utf-8"))
            listed = json.loads((self.model_dir / "voices" / "voices.json").read_text(encoding="utf-8"))[
                "voices"
            ]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{self.model_dir} is not a model directory: {e}") from None
        if voices is not None:
            unknown = [v for v in voices if v not in listed]
            if unknown:
                raise ModelError(f"voice(s) {', '.join(unknown)} not in {self.model_dir}")
            listed = [v for v in listed if v in voices]
        if not listed:
            raise ModelError("no voices selected")
        self.voice_names: list[str] = list(listed)
        self.default_voice = default_voice or self.voice_names[0]
        self.is_test_voice = bool(configuration.get("test_voice", False))
        self.model_id = model_id or f"local/{self.model_dir.name}"
        self.revision = revision or "local"
        self._voices: dict[str, OnnxVoice] = {}
        self._lock = threading.Lock()

    def voice(self, name: str) -> OnnxVoice:
        from sambert_lambda.errors import UnknownVoice

        if name not in self.voice_names:
            raise UnknownVoice(f"unknown voice {name!r}; available: {', '.join(self.voice_names)}")
        with self._lock:
            if name not in self._voices:
                self._voices[name] = OnnxVoice.load(
                    self.model_dir / "voices" / name, self.onnx_root / name, name, threads=self.threads
                )
            return self._voices[name]

    def load_all(self, names=None) -> None:
        for name in names if names is not None else self.voice_names:
            self.voice(name)

    @property
    def loaded(self) -> list[str]:
        return [n for n in self.voice_names if n in self._voices]
