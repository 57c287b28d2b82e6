"""Where the time goes: torch.profiler op tables for the acoustic model and the vocoder on one thread."""

from __future__ import annotations

import numpy as np

from sambert_lambda.types import Controls


def _table(prof, top: int) -> list[dict]:
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in rows) or 1
    return [
        {
            "op": e.key,
            "calls": e.count,
            "self_ms": round(e.self_cpu_time_total / 1000, 1),
            "self_pct": round(100 * e.self_cpu_time_total / total, 1),
        }
        for e in rows[:top]
    ]


def profile_engine(voice, symbol_lines: list[str], top: int = 12) -> dict:
    """Profile ``voice`` (a loaded VoiceModel) on ``symbol_lines``: top ops by self CPU time, per stage."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(1)
    mels = []
    with torch.inference_mode():
        for line in symbol_lines[:1]:  # warm-up
            voice.am.infer(voice.units.encode(line), Controls())
        with profile(activities=[ProfilerActivity.CPU]) as am_prof:
            for line in symbol_lines:
                out = voice.am.infer(voice.units.encode(line), Controls())
                mels.append(np.ascontiguousarray(out.mel.numpy()))
        with profile(activities=[ProfilerActivity.CPU]) as voc_prof:
            for mel in mels:
                voice.vocoder.vocode(mel)
    frames = sum(len(m) for m in mels)
    return {
        "frames": frames,
        "decoder_steps": sum(-(-len(m) // voice.am.r) for m in mels),
        "acoustic_top_ops": _table(am_prof, top),
        "vocoder_top_ops": _table(voc_prof, top),
    }
