"""Sambert structure: the real-size state dict key-for-key, option validation, and the decoder's two paths
(step by step with cached keys/values; fixed-point passes) checked against a teacher-forced full-sequence pass,
also at real size, where the golden tiny models cannot reach."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import yaml

from sambert_lambda.engine.torch.sambert import HybridAttentionDecoder, SambertAcousticModel, _DecodePlan
from sambert_lambda.engine.units import LinguisticUnits
from sambert_lambda.errors import ModelError
from sambert_lambda.types import Controls

REAL_AM_ELEMENTS = 12_706_947


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)




@pytest.fixture(scope="module")
def tiny_config(golden_dir):
    path = golden_dir / "MODEL" / "voices" / "zhitian_emo" / "am" / "config.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def params_of(config: dict) -> dict:
    return config["Model"]["KanTtsSAMBERT"]["params"]


def build(config: dict, seed: int = 0, frames_per_phone: float | None = None) -> SambertAcousticModel:
    torch.manual_seed(seed)
    model = SambertAcousticModel(params_of(config), LinguisticUnits.from_config(config).sizes)
    if frames_per_phone is not None:  # random weights give tiny durations: center log(1+d) on the target
        fc = model.variance_adaptor.duration_predictor.fc
        with torch.no_grad():
            fc.weight.mul_(0.05)
            fc.bias.fill_(math.log1p(frames_per_phone))
    return model


def test_real_state_dict_matches_kantts(real_config, real_shapes):
    model = SambertAcousticModel(params_of(real_config), real_shapes["ling_unit_sizes"])
    state = model.state_dict()
    assert [(k, list(v.shape)) for k, v in state.items()] == list(real_shapes["am_state_dict"].items())
    assert sum(v.numel() for v in state.values()) == REAL_AM_ELEMENTS == real_shapes["am_num_elements"]
    assert all(v.dtype == torch.float32 for v in state.values())


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"FP": True}, "FP"),
        ({"SE": True}, "SE"),
        ({"NSF": True, "num_mels": 82}, "NSF"),
        ({"using_byte": True}, "using_byte"),
        ({"nsf_norm_type": "global"}, "nsf_norm_type"),
        ({"decoder_num_heads": 3}, "decoder_num_heads"),
        ({"postnet_shift": 30}, "shift"),
        ({"decoder_prenet_units": []}, "decoder_prenet_units"),
        ({"outputs_per_step": 0}, "outputs_per_step"),
        ({"sy": 146}, "sy"),  # disagrees with the unit size (an ignore_mask=True style table)
    ],
)
def test_unsupported_or_bad_options_fail_at_construction(tiny_config, change, named):
    params = {**params_of(tiny_config), **change}
    with pytest.raises(ModelError, match=named):
        SambertAcousticModel(params, LinguisticUnits.from_config(tiny_config).sizes)


def test_missing_option_is_named(tiny_config):
    params = {k: v for k, v in params_of(tiny_config).items() if k != "postnet_lstm_units"}
    with pytest.raises(ModelError, match="postnet_lstm_units"):
        SambertAcousticModel(params, LinguisticUnits.from_config(tiny_config).sizes)


def test_mas_is_training_only_and_accepted(tiny_config):
    sizes = LinguisticUnits.from_config(tiny_config).sizes
    with_mas = SambertAcousticModel({**params_of(tiny_config), "MAS": True}, sizes)
    without = SambertAcousticModel({**params_of(tiny_config), "MAS": False}, sizes)
    assert list(with_mas.state_dict()) == list(without.state_dict())  # no inference module depends on it


def test_false_flags_and_dropouts_are_accepted(tiny_config):
    params = {
        **params_of(tiny_config),
        "MAS": False,
        "FP": False,
        "SE": False,
        "NSF": False,
        "decoder_dropout": 0.5,
    }
    SambertAcousticModel(params, LinguisticUnits.from_config(tiny_config).sizes)


def teacher_forced(
    model: SambertAcousticModel, memory: torch.Tensor, band: int, dec: torch.Tensor
) -> torch.Tensor:
    """KAN-TTS's full-sequence (training-mode) decoder pass fed the AR run's own frames: [S, r*mel]."""
    mel_dec, d_mel = model.mel_decoder.mel_dec, model.num_mels
    n = memory.size(0)
    frames = torch.cat([memory.new_zeros(1, d_mel), dec[:-1, -d_mel:]])
    linears = mel_dec.prenet.linears()
    for lin in linears[:-1]:
        frames = F.relu(lin(frames))
    x = mel_dec.dec_in_proj(torch.cat([memory, linears[-1](frames)], -1)) * mel_dec.d_model**0.5
    t = torch.arange(n)
    x_mask = ~((t[None, :] <= t[:, None]) & (t[None, :] >= t[:, None] - band))  # True = masked
    h_mask = ~((t[None, :] >= t[:, None]) & (t[None, :] <= t[:, None] + band))

    def attend(q, k, v, mask):  # [H, n, dh] each
        score = torch.bmm(q, k.transpose(1, 2)) / q.size(-1) ** 0.5
        weights = torch.softmax(score.masked_fill(mask, -math.inf), -1)
        return torch.bmm(weights, v).transpose(0, 1).reshape(n, -1)

    for block in mel_dec.pnca:
        att, ffn = block.pnca_attn, block.pos_ffn
        q, k, v = att.w_x_qkv(att.layer_norm(x)).view(n, 3, att.n_head, att.d_head).permute(1, 2, 0, 3)
        hk, hv = att.w_h_kv(memory).view(n, 2, att.n_head, att.d_head).permute(1, 2, 0, 3)
        x = att.fc_x(attend(q, k, v, x_mask)) + att.fc_h(attend(q, hk, hv, h_mask)) + x
        y = ffn.w_2(F.relu(ffn.w_1(ffn.layer_norm(x).t().unsqueeze(0))))
        x = y[0].t() + x
    return mel_dec.dec_out_proj(mel_dec.ln(x))


SYMBOLS = " ".join(
    f"{{{p}$tone{t}$s_{s}$word_middle$emotion_{e}$F7}}"
    for i, (p, t, s) in enumerate(
        [("zh_c", 1, "begin"), ("ong_c", 1, "end"), ("g_c", 2, "begin"), ("uo_c", 2, "end")] * 4
    )
    for e in [("happy" if i < 8 else "sad")]
)


@pytest.mark.parametrize(
    ("size", "frames_per_phone", "speed", "band"),
    [("tiny", 0.9, 1.0, 0), ("tiny", 9.0, 1.0, 3), ("real", 5.0, 0.6, 3)],
)
def test_decoder_paths_agree_with_teacher_forcing(
    real_config, tiny_config, monkeypatch, size, frames_per_phone, speed, band
):
    config = real_config if size == "real" else tiny_config
    model = build(config, seed=7, frames_per_phone=frames_per_phone)
    units = LinguisticUnits.from_config(config)
    mel_dec, d_mel = model.mel_decoder.mel_dec, model.num_mels
    runs: list[int] = []
    run = _DecodePlan.run
    monkeypatch.setattr(
        _DecodePlan, "run", lambda self, f, lo, hi, o: runs.append(hi - lo) or run(self, f, lo, hi, o)
    )
    with torch.inference_mode():
        out = model.infer(units.encode(SYMBOLS), Controls(speed=speed))
        memory, n_steps = out.memory, out.memory.size(0)
        assert out.x_band_width == band and n_steps == math.ceil(out.n_frames / model.r) > 3 * (band + 1)
        runs.clear()
        steps = mel_dec.decode(memory, band, d_mel, parallel=False)
        assert runs == [1] * n_steps
        expected = teacher_forced(model, memory, band, steps)
        runs.clear()
        parallel = mel_dec.decode(memory, band, d_mel)
        assert runs[0] == n_steps and max(runs[1:], default=n_steps) > 1  # settled by passes over all steps
        monkeypatch.setattr(HybridAttentionDecoder, "jacobi_max_passes", 2)
        runs.clear()
        mixed = mel_dec.decode(memory, band, d_mel)  # two passes, then the rest step by step
        assert runs[:2] == [n_steps, n_steps - 1] and set(runs[2:]) == {1}
    # step by step reproduces the full-sequence pass fed its own frames; the fixed point is the same sequence
    torch.testing.assert_close(steps, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(parallel, steps, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(mixed, steps, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.dec_out[: out.n_frames], parallel.view(-1, d_mel)[: out.n_frames])
    assert torch.all(out.dec_out[out.n_frames :] == 0) and out.mel.shape == (out.n_frames, d_mel)
