"""Arithmetic cost of the HiFiGAN generator, computed from its config alone (no weights, no torch).

Every Conv1d / ConvTranspose1d is counted as multiply-accumulates (MACs) per second of output audio; FLOPs = 2 x MACs.
Element-wise work (sin, LeakyReLU, adds, nearest upsampling, tanh) is not counted: it is memory-bound and small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sambert_lambda.errors import ModelError


def vocoder_macs_per_audio_second(params: Mapping, sample_rate: int) -> dict[str, float]:
    """MACs per audio second by layer group for ``voc_config['Model']['Generator']['params']``.

    Returns ``{"conv_pre", "upsample_transposed", "upsample_repeat", "resblocks", "conv_post", "total"}``.
    """
    try:
        cin0 = int(params.get("in_channels", 80))
        cout_final = int(params.get("out_channels", 1))
        channels = int(params.get("channels", 512))
        k = int(params.get("kernel_size", 7))
        scales = [int(s) for s in params.get("upsample_scales", (8, 8, 2, 2))]
        up_kernels = [int(s) for s in params.get("upsample_kernal_sizes", (16, 16, 4, 4))]
        rb_kernels = [int(s) for s in params.get("resblock_kernel_sizes", (3, 7, 11))]
        rb_dilations = [list(d) for d in params.get("resblock_dilations", ((1, 3, 5),) * 3)]
    except (TypeError, ValueError) as e:
        raise ModelError(f"vocoder config not understood for FLOP counting: {e}") from None
    hop = math.prod(scales)
    if sample_rate % hop:
        raise ModelError(f"sample rate {sample_rate} is not a multiple of the vocoder hop {hop}")
    rate = sample_rate / hop  # samples per second at the current stage (starts at the mel frame rate)
    out = {"conv_pre": rate * cin0 * channels * k}
    tr = rep = rb = 0.0
    for i, (s, uk) in enumerate(zip(scales, up_kernels, strict=True)):
        cin, cout = channels // 2**i, channels // 2 ** (i + 1)
        tr += rate * cin * cout * uk  # transposed conv: every input sample scatters cin*cout*k MACs
        rate *= s
        rep += rate * cin * cout * k  # nearest-upsample then conv(k) at the new rate
        for rk, dils in zip(rb_kernels, rb_dilations, strict=True):
            rb += rate * cout * cout * rk * 2 * len(dils)  # convs1 (dilated) + convs2, one pair per dilation
    out["upsample_transposed"] = tr
    out["upsample_repeat"] = rep
    out["resblocks"] = rb
    out["conv_post"] = rate * (channels // 2 ** len(scales)) * cout_final * k
    out["total"] = sum(out.values())
    return out


def vocoder_gflop_per_audio_second(params: Mapping, sample_rate: int) -> float:
    return 2.0 * vocoder_macs_per_audio_second(params, sample_rate)["total"] / 1e9
