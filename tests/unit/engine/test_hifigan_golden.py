"""HiFiGAN generator: golden parity (causal + non-causal), chunked vocoding, real shapes, loading errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml

from sambert_lambda.engine.chunking import stream_plan
from sambert_lambda.engine.pcm import to_pcm16
from sambert_lambda.engine.torch.hifigan import HifiGanGenerator, fold_weight_norm, generator_from_config
from sambert_lambda.engine.torch.voice import pick_checkpoint
from sambert_lambda.errors import ModelError
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
VOICES = ("zhitian_emo", "zhiyan_emo", "zhibei_emo")
LINES = range(4)


def _voc_config(voice: str) -> dict:
    return yaml.safe_load((FIXTURE / "MODEL" / "voices" / voice / "voc" / "config.yaml").read_text())


def _gen_state(voice: str) -> dict:
    ckpt = pick_checkpoint(FIXTURE / "MODEL" / "voices" / voice / "voc" / "ckpt")
    return torch.load(ckpt, map_location="cpu", weights_only=True)["model"]["generator"]


@pytest.fixture(scope="module")
def generators():
    torch.set_num_threads(1)
    gens = {}
    for v in VOICES:
        gen = generator_from_config(_voc_config(v))
        assert gen.load_generator_state(_gen_state(v)) == []
        gens[v] = gen
    return gens


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("line", LINES)
def test_vocoder_matches_golden(generators, golden, voice, line):
    mel = golden[f"{voice}__{line}__mel"]
    ref_wav = golden[f"{voice}__{line}__wav"]
    wav = generators[voice].vocode(mel)
    assert wav.dtype == np.float32 and wav.shape == (mel.shape[0] * 200,)
    np.testing.assert_allclose(wav, ref_wav, rtol=0, atol=5e-5)
    pcm = to_pcm16(wav)
    diff = np.abs(pcm.astype(np.int32) - golden[f"{voice}__{line}__pcm"].astype(np.int32))
    assert diff.max() <= 2


def test_causal_flag_comes_from_config(generators):
    assert generators["zhitian_emo"].causal is True
    assert generators["zhibei_emo"].causal is False
    # the non-causal checkpoint's 11-tap kernel does not fit a generator built with the causal kernels
    cfg = _voc_config("zhitian_emo")
    with pytest.raises(ModelError, match=r"transpose_upsamples\.1\.1\.deconv"):
        generator_from_config(cfg).load_generator_state(_gen_state("zhibei_emo"))


def test_wrong_causal_flag_gives_wrong_audio(golden):
    """Negative control: the same non-causal weights run causally are far from the golden."""
    cfg = _voc_config("zhibei_emo")
    cfg["Model"]["Generator"]["params"]["causal"] = True
    gen = generator_from_config(cfg)
    gen.load_generator_state(_gen_state("zhibei_emo"))
    wav = gen.vocode(golden["zhibei_emo__0__mel"])
    assert np.abs(wav - golden["zhibei_emo__0__wav"]).max() > 0.05


@pytest.mark.parametrize("voice", ["zhitian_emo", "zhibei_emo"])
@pytest.mark.parametrize("chunk", [5, 16, 64])
def test_chunked_vocoding_matches_one_shot(generators, golden, voice, chunk):
    gen = generators[voice]
    mel = np.concatenate([golden[f"{voice}__{i}__mel"] for i in LINES])  # a long mel (~500 frames)
    one_shot = gen.vocode(mel)
    chunked = gen.vocode(mel, chunk_frames=chunk)
    np.testing.assert_allclose(chunked, one_shot, rtol=0, atol=5e-5)


def test_context_covers_receptive_field(generators):
    left, right = generators["zhibei_emo"].context_frames()
    assert left >= 16 and right >= 16  # README: about 15.1 frames behind, 15.4 ahead
    assert generators["zhitian_emo"].context_frames()[0] >= 16


@pytest.mark.parametrize("voice", ["zhitian_emo", "zhibei_emo"])
def test_context_bound_measured_by_perturbation(generators, golden, voice):
    """Changing mel frame k changes only samples within [k - left, k + right] frames (and some do change)."""
    gen = generators[voice]
    left, right = gen.context_frames()
    mel = golden[f"{voice}__0__mel"].copy()
    base = gen.vocode(mel)
    k = 120
    mel[k] += 1.0
    changed = np.flatnonzero(np.abs(gen.vocode(mel) - base) > 1e-6) // gen.hop_size
    assert changed.size > 0
    assert changed.min() >= k - right and changed.max() <= k + left
    if gen.causal:
        assert changed.min() >= k  # no look-ahead


def test_chunking_without_enough_context_is_detectably_wrong(generators, golden, monkeypatch):
    """Negative control: proves the chunk test above can fail."""
    gen = generators["zhibei_emo"]
    mel = golden["zhibei_emo__0__mel"]
    one_shot = gen.vocode(mel)
    monkeypatch.setattr(gen, "context_frames", lambda: (1, 1))
    assert np.abs(gen.vocode(mel, chunk_frames=20) - one_shot).max() > 1e-3


def test_vocode_rejects_wrong_mel_shape(generators):
    with pytest.raises(ModelError, match="mel"):
        generators["zhitian_emo"].vocode(np.zeros((10, 79), dtype=np.float32))
    assert generators["zhitian_emo"].vocode(np.zeros((0, 80), dtype=np.float32)).shape == (0,)


@pytest.mark.parametrize(
    ("config", "shapes_key", "after_key"),
    [
        ("real_voc_config.yaml", "voc_generator_state_dict", "voc_generator_after_remove_weight_norm"),
        (
            "real_voc_noncausal_config.yaml",
            "voc_generator_state_dict_noncausal",
            "voc_generator_noncausal_after_remove_weight_norm",
        ),
    ],
)
def test_real_config_shapes(config, shapes_key, after_key):
    shapes = json.loads((FIXTURE / "real_shapes.json").read_text())
    gen = generator_from_config(yaml.safe_load((FIXTURE / config).read_text()))
    own = {k: list(v.shape) for k, v in gen.state_dict().items()}
    assert own == shapes[after_key]  # plain weights after weight-norm removal: key for key, shape for shape
    # a checkpoint in weight-norm form with exactly the real shapes loads strictly, nothing ignored
    state = {k: torch.rand(s) + 0.1 for k, s in shapes[shapes_key].items()}
    assert len(state) == 318
    assert gen.load_generator_state(state) == []
    assert gen.hop_size == 200


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_fold_matches_torch_weight_norm_for_conv_transpose():
    torch.manual_seed(0)
    layer = torch.nn.utils.weight_norm(torch.nn.ConvTranspose1d(6, 3, 4, 2))  # dim 0 = input channels
    with torch.no_grad():
        layer.weight_g.mul_(torch.rand_like(layer.weight_g) + 0.5)
    folded = fold_weight_norm(layer.weight_g.detach(), layer.weight_v.detach())
    torch.nn.utils.remove_weight_norm(layer)
    torch.testing.assert_close(folded, layer.weight.detach(), rtol=0, atol=1e-7)


def test_missing_key_is_named(generators):
    state = dict(_gen_state("zhitian_emo"))
    del state["conv_post.conv1d.weight_v"]
    with pytest.raises(ModelError, match=r"missing .*conv_post\.conv1d\.weight"):
        generator_from_config(_voc_config("zhitian_emo")).load_generator_state(state)


def test_shape_mismatch_is_named():
    state = dict(_gen_state("zhitian_emo"))
    state["conv_pre.conv1d.bias"] = torch.zeros(3)
    with pytest.raises(ModelError, match=r"conv_pre\.conv1d\.bias"):
        generator_from_config(_voc_config("zhitian_emo")).load_generator_state(state)


def test_unexpected_keys_ignored(golden, caplog):
    state = dict(_gen_state("zhitian_emo"))
    state["source_module.ffn.0.weight"] = torch.zeros(1)
    gen = generator_from_config(_voc_config("zhitian_emo"))
    assert gen.load_generator_state(state) == ["source_module.ffn.0.weight"]
    assert "unexpected" in caplog.text
    np.testing.assert_allclose(
        gen.vocode(golden["zhitian_emo__1__mel"]), golden["zhitian_emo__1__wav"], rtol=0, atol=5e-5
    )


def test_plain_weight_form_also_loads(generators, golden):
    plain = generators["zhitian_emo"].state_dict()
    gen = generator_from_config(_voc_config("zhitian_emo"))
    assert gen.load_generator_state(plain) == []
    np.testing.assert_allclose(
        gen.vocode(golden["zhitian_emo__2__mel"]), golden["zhitian_emo__2__wav"], rtol=0, atol=5e-5
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"nsf_params": {"nb_harmonics": 7, "sampling_rate": 16000}}, "nsf_params"),
        ({"nonlinear_activation": "Snake"}, "nonlinear_activation"),
        ({"nonlinear_activation_params": {"bogus": 1}}, "nonlinear_activation_params"),
        ({"frobnicate": True}, "frobnicate"),
        ({"repeat_upsample": False}, "repeat_upsample"),
        ({"upsample_scales": [10, 5, 2]}, "upsample_scales"),
        ({"kernel_size": 6}, "kernel_size"),
    ],
)
def test_unsupported_options_raise_model_error(change, match):
    params = dict(_voc_config("zhitian_emo")["Model"]["Generator"]["params"])
    params.update(change)
    with pytest.raises(ModelError, match=match):
        HifiGanGenerator(**params)


def test_config_without_generator_section():
    with pytest.raises(ModelError, match="Generator"):
        generator_from_config({"Model": {}})


@pytest.mark.parametrize("voice", VOICES)
def test_channels_last_path_equals_the_conv1d_reference(generators, golden, voice):
    gen = generators[voice]
    mel = torch.as_tensor(golden[f"{voice}__0__mel"]).t().unsqueeze(0)
    with torch.inference_mode():
        fast, ref = gen(mel), gen.forward_reference(mel)
    assert fast.shape == ref.shape and fast.is_contiguous()
    torch.testing.assert_close(fast, ref, rtol=0, atol=2e-6)


def test_other_activations_and_reloaded_weights_take_the_fast_path_correctly(golden):
    params = _voc_config("zhibei_emo")["Model"]["Generator"]["params"]
    gen = HifiGanGenerator(**{**params, "nonlinear_activation": "ELU", "nonlinear_activation_params": {}})
    state = _gen_state("zhibei_emo")
    gen.load_generator_state(state)
    mel = torch.as_tensor(golden["zhibei_emo__1__mel"]).t().unsqueeze(0)
    with torch.inference_mode():
        first = gen(mel)
        torch.testing.assert_close(first, gen.forward_reference(mel), rtol=0, atol=2e-6)
        # new weights must not be served from the cached channels-last kernels
        gen.load_generator_state({k: v * 0.5 if k.endswith("_g") else v for k, v in state.items()})
        second = gen(mel)
        torch.testing.assert_close(second, gen.forward_reference(mel), rtol=0, atol=2e-6)
    assert not torch.allclose(first, second)


@pytest.mark.parametrize("chunk", [1, 5, 16, 64, 128])
def test_causal_streaming_equals_the_one_shot_reference(generators, golden, chunk):
    gen = generators["zhitian_emo"]
    mel = np.concatenate([golden[f"zhitian_emo__{i}__mel"] for i in LINES])[
        :333
    ]  # not a multiple of any chunk
    with torch.inference_mode():
        one_shot = gen.forward_reference(torch.as_tensor(mel).t().unsqueeze(0)).reshape(-1).numpy()
    pieces = list(gen.stream(mel, chunk))
    assert [p.size for p in pieces] == [take * 200 for _, _, take in stream_plan(333, chunk)]
    np.testing.assert_allclose(np.concatenate(pieces), one_shot, rtol=0, atol=2e-6)
    np.testing.assert_allclose(gen.vocode(mel, chunk_frames=chunk), one_shot, rtol=0, atol=2e-6)


def test_streaming_without_carried_state_is_detectably_wrong(generators, golden):
    """Negative control for the test above: chunks vocoded independently differ at every chunk boundary."""
    gen = generators["zhitian_emo"]
    mel = torch.as_tensor(golden["zhitian_emo__0__mel"]).t().unsqueeze(0)
    with torch.inference_mode():
        whole = gen.forward_reference(mel).reshape(-1)
        parts = torch.cat([gen(mel[:, :, a : a + 32]).reshape(-1) for a in range(0, mel.shape[-1], 32)])
    assert (parts - whole).abs().max() > 1e-3


def test_streaming_runs_only_three_chunk_shapes_whatever_the_length(generators, golden):
    gen = generators["zhitian_emo"]
    mel = np.concatenate([golden[f"zhitian_emo__{i}__mel"] for i in LINES])
    shapes: set[tuple[int, ...]] = set()
    handle = gen.register_forward_pre_hook(lambda _m, args: shapes.add(tuple(args[0].shape)))
    try:
        for n in range(1, 300, 7):
            assert gen.vocode(mel[:n], chunk_frames=64).shape == (n * gen.hop_size,)
    finally:
        handle.remove()
    assert shapes == {(1, 80, 16), (1, 80, 32), (1, 80, 64)}


def test_streaming_needs_a_causal_generator(generators, golden):
    with pytest.raises(ModelError, match="causal"):
        next(generators["zhibei_emo"].stream(golden["zhibei_emo__0__mel"]))
