"""``sambert-lambda make-test-voice DIR``: random-weight voices in the exact ModelScope layout.

The real voices cannot be downloaded here, so tests, benchmarks and offline image builds use these. They are
written exactly as the KAN-TTS trainer and ModelScope publish them (configs, ``checkpoint_<N>.pth`` dicts, the
generator in weight-norm form), so the real loading code runs on them. ``configuration.json`` carries
``"test_voice": true`` so the service can say it is not speaking with a real voice.

Two edits make random weights behave like a voice:

- the duration predictor's final Linear is scaled and biased so phones last about 3-8 frames (mean ~5);
- the vocoder's ``conv_post`` is scaled so the waveform peaks at ``TARGET_PEAK`` on a calibration line.
"""

from __future__ import annotations

import argparse
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import yaml

from sambert_lambda.engine.torch.hifigan import HifiGanGenerator
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import InvalidInput
from sambert_lambda.types import Controls

VOICE_NAMES = ("zhitian_emo", "zhiyan_emo", "zhizhe_emo", "zhibei_emo")
CONFIGS = {  # size -> (am config, vocoder config), package data in engine/configs/
    "tiny": ("tiny_am_config.yaml", "tiny_voc_config.yaml"),
    "real": ("real_am_config.yaml", "real_voc_config.yaml"),
}
AUDIO_CONFIG = "real_audio_config.yaml"
AM_CKPT, VOC_CKPT = "checkpoint_0.pth", "checkpoint_1.pth"  # names the published model is reported to use
CONFIGURATION = {
    "framework": "pytorch",
    "task": "text-to-speech",
    "model": {"type": "sambert-hifigan", "lang_type": "zhcn", "sample_rate": 16000},
    "pipeline": {"type": "sambert-hifigan-tts"},
    "test_voice": True,
}
TARGET_DUR_FRAMES = 5.0  # mean phone duration after calibration
DUR_LOG_STD = 0.15  # spread of log(1+d) across phones
CALIBRATION_ROUNDS = 3
TARGET_PEAK = 0.5  # |wav| peak on the calibration line (keeps int16 far from overflow)

# 北京今天天气怎么样 as real ttsfrd prints it (public sample), then the same with other emotions/speakers.
_BASE = (
    "{b_c$tone3$s_begin$word_begin$E$S} {ei_c$tone3$s_end$word_middle$E$S} {j_c$tone1$s_begin$word_middle$E$S} "
    "{ing_c$tone1$s_end$word_end$E$S} {#1$tone_none$s_none$word_none$emotion_none$S} "
    "{j_c$tone1$s_begin$word_begin$E$S} {in_c$tone1$s_end$word_middle$E$S} {t_c$tone1$s_begin$word_middle$E$S} "
    "{ian_c$tone1$s_end$word_end$E$S} {#1$tone_none$s_none$word_none$emotion_none$S} "
    "{t_c$tone1$s_begin$word_begin$E$S} {ian_c$tone1$s_end$word_middle$E$S} {q_c$tone4$s_begin$word_middle$E$S} "
    "{i_c$tone4$s_end$word_end$E$S} {#1$tone_none$s_none$word_none$emotion_none$S} "
    "{z_c$tone3$s_begin$word_begin$E$S} {en_c$tone3$s_end$word_middle$E$S} {m_c$tone5$s_begin$word_middle$E$S} "
    "{e_c$tone5$s_end$word_middle$E$S} {y_c$tone4$s_begin$word_middle$E$S} {ang_c$tone4$s_end$word_end$E$S} "
    "{#4$tone_none$s_none$word_none$emotion_none$S}"
)


def sample_line(emotion: str = "emotion_neutral", speaker: str = "F7") -> str:
    """A real-looking symbol line (22 tokens) with the given emotion and speaker."""
    return _BASE.replace("$E$", f"${emotion}$").replace("$S}", f"${speaker}}}")


CALIBRATION_LINE = " ".join(
    [
        sample_line(),
        sample_line("emotion_happy", "F74"),
        sample_line("emotion_sad", "M7"),
        sample_line("emotion_angry"),
    ]
)


def _config_text(name: str) -> str:
    return (resources.files("sambert_lambda.engine") / "configs" / name).read_text(encoding="utf-8")


def _calibrate_durations(am, ids: dict[str, np.ndarray]) -> None:
    """Scale/bias the duration predictor's final Linear so log(1+d) ~ N(log(1+TARGET), DUR_LOG_STD)."""
    fc = am.variance_adaptor.duration_predictor.fc
    target = math.log1p(TARGET_DUR_FRAMES)
    # log_dur is predicted before the speed control divides durations: a high speed makes the decoder cheap
    fast = Controls(speed=5.0)
    with torch.no_grad():
        fc.bias.fill_(target)
        for _ in range(CALIBRATION_ROUNDS):  # the predictor feeds its output back, so settle iteratively
            log_dur = am.infer(ids, fast).log_dur.double()
            std = float(log_dur.std())
            if std > 1e-6:
                fc.weight.mul_(min(DUR_LOG_STD / std, 10.0))
            fc.bias.add_(target - float(log_dur.mean()))


def _calibrate_vocoder(gen: HifiGanGenerator, mel: torch.Tensor) -> None:
    """Scale conv_post (weight and bias, i.e. the pre-tanh signal) so max |wav| = TARGET_PEAK on ``mel``."""
    seen: list[torch.Tensor] = []
    handle = gen.conv_post.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        with torch.inference_mode():
            gen.forward_reference(mel.t().unsqueeze(0))  # the conv1d path: it calls conv_post's hook
    finally:
        handle.remove()
    peak = float(seen[0].abs().max())
    scale = math.atanh(TARGET_PEAK) / peak if peak > 0 else 1.0
    with torch.no_grad():
        gen.conv_post.conv1d.weight.mul_(scale)
        gen.conv_post.conv1d.bias.mul_(scale)


def weight_norm_state(gen: HifiGanGenerator) -> dict[str, torch.Tensor]:
    """The generator's state dict in KAN-TTS's old-style weight-norm form (``weight_g`` [dim0,1,1], ``weight_v``)."""
    out: dict[str, torch.Tensor] = {}
    for name, tensor in gen.state_dict().items():
        if name.endswith(".weight"):
            v = tensor.clone()
            g = v.reshape(v.shape[0], -1).norm(dim=1).reshape((v.shape[0],) + (1,) * (v.dim() - 1))
            out[name + "_g"] = g
            out[name + "_v"] = v
        else:
            out[name] = tensor.clone()
    return out


def _write_voice(voice_dir: Path, size: str, seed: int) -> None:
    from sambert_lambda.engine.torch.sambert import SambertAcousticModel

    am_text, voc_text = (_config_text(n) for n in CONFIGS[size])
    am_config, voc_config = yaml.safe_load(am_text), yaml.safe_load(voc_text)
    units = LinguisticUnits.from_config(am_config)

    torch.manual_seed(seed)
    am = SambertAcousticModel(am_config["Model"]["KanTtsSAMBERT"]["params"], units.sizes)
    ids = units.encode(CALIBRATION_LINE)
    _calibrate_durations(am, ids)
    mel = am.infer(units.encode(sample_line())).mel

    torch.manual_seed(seed + 1)
    gen = HifiGanGenerator(**voc_config["Model"]["Generator"]["params"])
    _calibrate_vocoder(gen, mel)

    for sub in ("am/ckpt", "voc/ckpt"):
        (voice_dir / sub).mkdir(parents=True, exist_ok=True)
    (voice_dir / "audio_config.yaml").write_text(_config_text(AUDIO_CONFIG), encoding="utf-8")
    (voice_dir / "am" / "config.yaml").write_text(am_text, encoding="utf-8")
    (voice_dir / "voc" / "config.yaml").write_text(voc_text, encoding="utf-8")
    # exactly what the KAN-TTS trainer writes (without optimizer state, which loaders must not need)
    torch.save({"model": am.state_dict(), "steps": 0}, voice_dir / "am" / "ckpt" / AM_CKPT)
    torch.save(
        {"model": {"generator": weight_norm_state(gen)}, "steps": 1}, voice_dir / "voc" / "ckpt" / VOC_CKPT
    )


def make_test_voice(out_dir: str | Path, size: str = "tiny", voices: int = 4, seed: int = 0) -> list[str]:
    """Write ``voices`` random-weight voices (first N of VOICE_NAMES) under ``out_dir``; returns their names."""
    if size not in CONFIGS:
        raise InvalidInput(f"size must be one of {', '.join(CONFIGS)}, got {size!r}")
    if not 1 <= voices <= len(VOICE_NAMES):
        raise InvalidInput(f"voices must be between 1 and {len(VOICE_NAMES)}, got {voices}")
    out = Path(out_dir)
    names = list(VOICE_NAMES[:voices])
    for i, name in enumerate(names):
        _write_voice(out / "voices" / name, size, seed * 1000 + 10 * i)
    (out / "voices" / "voices.json").write_text(json.dumps({"voices": names}), encoding="utf-8")
    (out / "configuration.json").write_text(json.dumps(CONFIGURATION, indent=4), encoding="utf-8")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="model directory to write (ModelScope layout)")
    parser.add_argument(
        "--size", choices=sorted(CONFIGS), default="tiny", help="tiny (fast) or real (~70 MB/voice)"
    )
    parser.add_argument(
        "--voices", type=int, default=4, help=f"how many of {', '.join(VOICE_NAMES)} (in order)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (output is deterministic)")
    parser.add_argument(
        "--onnx", action="store_true", help="also export the voices for the ONNX engine into DIR/onnx/ (needs onnx)"
    )


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.engine.runtime import configure

    configure(1)  # small sequential work: one thread is fastest and does not fight other processes
    names = make_test_voice(args.dir, size=args.size, voices=args.voices, seed=args.seed)
    print(f"wrote {len(names)} {args.size} test voice(s) to {args.dir}: {', '.join(names)}")
    if args.onnx:
        from sambert_lambda.engine.torch.onnx_export import export_voice_onnx
        from sambert_lambda.engine.voice import ONNX_SUBDIR

        for name in names:
            export_voice_onnx(args.dir / "voices" / name, args.dir / ONNX_SUBDIR / name)
        print(f"exported them for the ONNX engine to {args.dir / ONNX_SUBDIR}")
    return 0
