"""The torch backend of :mod:`sambert_lambda.engine.voice`: one voice loaded from its checkpoints.

Layout, as published for ``iic/speech_sambert-hifigan_tts_zh-cn_16k`` (older id ``damo/...``)::

    configuration.json                      ("test_voice": true marks a generated random-weight voice)
    voices/voices.json                      {"voices": [...]}, voices[0] is the default
    voices/<v>/audio_config.yaml            sampling_rate, hop_length
    voices/<v>/am/config.yaml + am/ckpt/checkpoint_<N>.pth     ckpt['model'] = KanTtsSAMBERT state
    voices/<v>/voc/config.yaml + voc/ckpt/checkpoint_<N>.pth   ckpt['model']['generator'] = Generator state

Loading follows the reference (ModelScope ``Voice``): the checkpoint with the largest file-name number, the AM's
state from ``ckpt['model']``, the generator's from ``ckpt['model']['generator']`` with weight norm removed. Unlike
the reference's ``strict=False`` AM load, missing keys fail loudly (a DDP ``module.`` prefix is stripped first);
unexpected keys are logged and ignored. The model directory is only ever read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from sambert_lambda.engine.modeldir import read_audio_config
from sambert_lambda.engine.modeldir import read_yaml as _read_yaml
from sambert_lambda.engine.runtime import VOCODER_CHUNK_FRAMES
from sambert_lambda.engine.torch.hifigan import HifiGanGenerator, generator_from_config
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import ModelError
from sambert_lambda.types import Controls

if TYPE_CHECKING:
    from sambert_lambda.engine.torch.sambert import SambertAcousticModel

log = logging.getLogger(__name__)

DDP_PREFIX = "module."


# --------------------------------------------------------------------------- small helpers
def pick_checkpoint(ckpt_dir: Path) -> Path:
    """The checkpoint the reference loads: names longer than 15 chars, ``checkpoint*.pth``; the largest
    ``int(name.split('.')[0].split('_')[-1])`` wins (not the internal 'steps', not text order)."""
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        raise ModelError(f"checkpoint directory {ckpt_dir} does not exist")
    found: dict[int, Path] = {}
    for p in ckpt_dir.iterdir():
        name = p.name
        if len(name) > 15 and name.startswith("checkpoint") and name.endswith(".pth") and p.is_file():
            try:
                found[int(name.split(".")[0].split("_")[-1])] = p
            except ValueError:
                log.warning("ignoring checkpoint with a non-numeric suffix: %s", p)
    if not found:
        raise ModelError(f"no checkpoint_<N>.pth file in {ckpt_dir}")
    return found[max(found)]


def load_checkpoint(path: Path) -> dict:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling/IO failure means an unusable checkpoint
        raise ModelError(f"cannot read checkpoint {path}: {type(e).__name__}: {e}") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), Mapping):
        raise ModelError(f"checkpoint {path} has no 'model' state dict")
    return ckpt


def strip_ddp_prefix(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove a DistributedDataParallel ``module.`` prefix when every key carries it."""
    if state and all(k.startswith(DDP_PREFIX) for k in state):
        log.info("stripping DDP '%s' prefix from %d checkpoint keys", DDP_PREFIX, len(state))
        return {k[len(DDP_PREFIX) :]: v for k, v in state.items()}
    return dict(state)


def load_module_state(module: torch.nn.Module, state: Mapping[str, torch.Tensor], what: str) -> list[str]:
    """Strict on missing keys and shapes (ModelError naming them), tolerant of unexpected keys (logged)."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        raise ModelError(f"{what} checkpoint is missing {len(missing)} key(s): {', '.join(missing[:8])}")
    bad = [
        f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(v.shape)}"
        for k, v in own.items()
        if tuple(state[k].shape) != tuple(v.shape)
    ]
    if bad:
        raise ModelError(f"{what} checkpoint shape mismatch: {'; '.join(bad[:8])}")
    unexpected = sorted(set(state) - set(own))
    if unexpected:
        log.warning("%s checkpoint: ignoring %d unexpected key(s): %s", what, len(unexpected), unexpected[:8])
    module.load_state_dict({k: state[k] for k in own}, strict=True)
    return unexpected


# --------------------------------------------------------------------------- one voice
class VoiceModel:
    """One voice: linguistic units, acoustic model and vocoder, ready for inference."""

    def __init__(
        self,
        name: str,
        units: LinguisticUnits,
        am: SambertAcousticModel,
        vocoder: HifiGanGenerator,
        sample_rate: int,
        hop_size: int,
        checkpoints: dict[str, Path] | None = None,
    ):
        self.name = name
        self.units = units
        self.am = am
        self.vocoder = vocoder
        self.sample_rate = sample_rate
        self.hop_size = hop_size
        self.checkpoints = checkpoints or {}

    @property
    def speakers(self) -> list[str]:
        return self.units.speakers

    @property
    def emotions(self) -> list[str]:
        return self.units.emotions

    @classmethod
    def load(cls, voice_dir: Path, name: str) -> VoiceModel:
        voice_dir = Path(voice_dir)
        if not voice_dir.is_dir():
            raise ModelError(f"voice directory {voice_dir} does not exist")
        sample_rate, hop_size = read_audio_config(voice_dir)

        am_config = _read_yaml(voice_dir / "am" / "config.yaml")
        units = LinguisticUnits.from_config(am_config)
        try:
            am_params = am_config["Model"]["KanTtsSAMBERT"]["params"]
        except (KeyError, TypeError):
            raise ModelError(f"{voice_dir / 'am/config.yaml'} has no Model.KanTtsSAMBERT.params") from None
        from sambert_lambda.engine.torch.sambert import (
            SambertAcousticModel,  # the AM module is the heavy part
        )

        am = SambertAcousticModel(am_params, units.sizes)
        am_ckpt = pick_checkpoint(voice_dir / "am" / "ckpt")
        load_module_state(am, strip_ddp_prefix(load_checkpoint(am_ckpt)["model"]), f"AM ({am_ckpt})")
        am.eval()

        vocoder = generator_from_config(_read_yaml(voice_dir / "voc" / "config.yaml"))
        if vocoder.hop_size != hop_size:
            raise ModelError(
                f"vocoder upsamples by {vocoder.hop_size} but audio_config hop_length is {hop_size}"
            )
        voc_ckpt = pick_checkpoint(voice_dir / "voc" / "ckpt")
        gen_state = load_checkpoint(voc_ckpt)["model"].get("generator")
        if not isinstance(gen_state, Mapping):
            raise ModelError(f"vocoder checkpoint {voc_ckpt} has no ['model']['generator'] state dict")
        vocoder.load_generator_state(strip_ddp_prefix(gen_state))
        log.info("loaded voice %s (am %s, voc %s)", name, am_ckpt.name, voc_ckpt.name)
        return cls(name, units, am, vocoder, sample_rate, hop_size, {"am": am_ckpt, "voc": voc_ckpt})

    def acoustic(self, symbols: str, controls: Controls) -> tuple[np.ndarray, np.ndarray]:
        """(mel [T, 80] float32, frames per token int64) of one symbol line."""
        ids = self.units.encode(symbols)
        with torch.inference_mode():
            out = self.am.infer(ids, controls)
        mel = np.ascontiguousarray(np.asarray(out.mel, dtype=np.float32))
        return mel, np.asarray(out.dur_rounded, dtype=np.int64)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.vocoder.vocode(mel, chunk_frames=VOCODER_CHUNK_FRAMES)

    def vocode_pieces(self, mel: np.ndarray) -> Iterator[np.ndarray]:
        """:meth:`vocode`'s samples, piece by piece as they are computed."""
        return self.vocoder.pieces(mel, chunk_frames=VOCODER_CHUNK_FRAMES)
