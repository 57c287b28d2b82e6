"""The HiFiGAN generator accepts what the reference architecture accepts (channels halved by floor division, any
``torch.nn`` activation, one instance per use, odd or even ``kernel - scale``), on configs and seeds other than the
fixture's, on both backends: the fast path equals the reference layout, chunks equal one shot, ONNX equals torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sambert_lambda.engine.torch.hifigan import HifiGanGenerator
from sambert_lambda.errors import ModelError

BASE = {"in_channels": 80, "kernel_size": 5, "resblock_kernel_sizes": [3, 5], "resblock_dilations": [[1, 2], [1, 3]]}
CONFIGS = {
    # 100 -> 50 -> 25 -> 12 channels: not a multiple of 2**3, the reference halves by floor division
    "floor-channels-causal": ({"channels": 100, "upsample_scales": [5, 2, 2], "upsample_kernal_sizes": [10, 4, 4],
                               "causal": True}, 1),
    # kernel - scale odd (5 - 2, 3 - 2): the transposed conv gives one sample more, cut like the reference
    "floor-channels-odd-kernels": ({"channels": 90, "upsample_scales": [4, 2, 2], "upsample_kernal_sizes": [8, 5, 3],
                                    "causal": False}, 2),
    # a parametric activation: one set of weights per use, as the reference builds them
    "prelu-causal": ({"channels": 48, "upsample_scales": [4, 4], "upsample_kernal_sizes": [8, 8], "causal": True,
                      "nonlinear_activation": "PReLU", "nonlinear_activation_params": {}}, 3),
    "hardswish-noncausal": ({"channels": 36, "upsample_scales": [3, 5], "upsample_kernal_sizes": [6, 7],
                             "causal": False, "nonlinear_activation": "Hardswish",
                             "nonlinear_activation_params": {}}, 4),
}  # fmt: skip


def _generator(name: str) -> HifiGanGenerator:
    params, seed = CONFIGS[name]
    torch.manual_seed(seed)
    gen = HifiGanGenerator(**BASE, **params)
    with torch.no_grad():  # livelier than the default init, so the checks below compare real signals
        for p in gen.parameters():
            p.mul_(1.5)
    return gen


def _mel(seed: int, frames: int = 53) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (frames, 80)).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fast_path_and_chunks_equal_the_reference_layout(name):
    gen = _generator(name)
    params, seed = CONFIGS[name]
    mel = _mel(seed)
    assert gen.hop_size == int(np.prod(params["upsample_scales"]))
    with torch.inference_mode():
        ref = gen.forward_reference(torch.from_numpy(mel).t().unsqueeze(0)).squeeze().numpy()
    one_shot = gen.vocode(mel)
    assert one_shot.shape == (len(mel) * gen.hop_size,) and float(np.abs(one_shot).max()) > 1e-3
    np.testing.assert_allclose(one_shot, ref, rtol=0, atol=1e-5)  # float summation order only
    for chunk in (7, 16):
        np.testing.assert_allclose(gen.vocode(mel, chunk_frames=chunk), one_shot, rtol=0, atol=5e-5)


def test_channels_halve_by_floor_division():
    gen = _generator("floor-channels-causal")
    outs = [seq[1].deconv.out_channels for seq in gen.transpose_upsamples]
    assert outs == [50, 25, 12] and gen.conv_post.conv1d.in_channels == 12


def test_parametric_activations_are_one_per_use():
    gen = _generator("prelu-causal")
    keys = [k for k in gen.state_dict() if k.endswith(".weight") and "conv" not in k.split(".")[-2]]
    prelus = [m for m in gen.modules() if isinstance(m, torch.nn.PReLU)]
    assert len(prelus) == 2 * 2 + 2 * 2 and len({id(m) for m in prelus}) == len(prelus)
    assert "transpose_upsamples.0.0.weight" in keys and "conv_blocks.0.activation.weight" in keys


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_onnx_backend_equals_torch(name, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
    from sambert_lambda.engine.torch.onnx_export import export_vocoder

    gen = _generator(name)
    mel = _mel(CONFIGS[name][1] + 10, frames=71)
    voc = OnnxVocoder(export_vocoder(gen, tmp_path / "voc.onnx"), threads=1)
    want = gen.vocode(mel)
    np.testing.assert_allclose(voc.vocode(mel), want, rtol=0, atol=1e-4)
    np.testing.assert_allclose(voc.vocode(mel, chunk_frames=16), want, rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"causal": True, "upsample_kernal_sizes": [5, 4, 4]}, "upsample_kernal_sizes"),  # k == s: no samples
        ({"causal": False, "upsample_kernal_sizes": [4, 4, 4]}, "upsample_kernal_sizes"),  # k < s: negative padding
        ({"nonlinear_activation": "Snake"}, "not a torch.nn module"),
        ({"nonlinear_activation": "functional"}, "not a torch.nn module"),
    ],
)
def test_what_the_reference_cannot_build_or_run_is_refused(change, match):
    params = {**BASE, **CONFIGS["floor-channels-causal"][0], **change}
    with pytest.raises(ModelError, match=match):
        HifiGanGenerator(**params)


def test_equal_kernel_and_scale_is_fine_without_causality():
    params = {**BASE, **CONFIGS["floor-channels-causal"][0], "causal": False, "upsample_kernal_sizes": [5, 2, 2]}
    gen = HifiGanGenerator(**params)
    assert gen.vocode(_mel(5)).shape == (53 * 20,)
