"""Sambert acoustic model vs the KAN-TTS golden reference (tiny random-weight voices), and the expressive controls.

Golden arrays come from the unmodified KAN-TTS model run by ModelScope's ``Voice.am_forward`` (see
tests/fixtures/kantts-golden/README.md); tolerances are the ones recommended there (about 100x the thread noise).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
import torch
import yaml

from sambert_lambda.engine.torch.sambert import (
    AMOutput,
    HybridAttentionDecoder,
    SambertAcousticModel,
    sinusoid_table,
)
from sambert_lambda.engine.units import STREAMS, LinguisticUnits
from sambert_lambda.errors import InvalidInput
from sambert_lambda.types import Controls

log = logging.getLogger(__name__)

VOICES = ("zhitian_emo", "zhiyan_emo", "zhibei_emo")
LINES = range(4)
EXACT = ("dur_rounded", "n_frames", "x_band_width")
FLOATS = ("text_hid", "pitch", "energy", "lr_text", "memory", "dec_out", "mel")
FIELDS = [f.name for f in dataclasses.fields(AMOutput)]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the golden was computed with one thread
    yield
    torch.set_num_threads(before)


def load_am(voice_dir) -> tuple[LinguisticUnits, SambertAcousticModel]:
    """Build the AM from ``am/config.yaml`` and load ``checkpoint_980000.pth``: missing keys or a shape mismatch
    fail, unexpected keys are logged and ignored (as the engine's loader does)."""
    config = yaml.safe_load((voice_dir / "am" / "config.yaml").read_text(encoding="utf-8"))
    units = LinguisticUnits.from_config(config)
    model = SambertAcousticModel(config["Model"]["KanTtsSAMBERT"]["params"], units.sizes)
    state = torch.load(
        voice_dir / "am" / "ckpt" / "checkpoint_980000.pth", map_location="cpu", weights_only=True
    )
    result = model.load_state_dict(
        state["model"], strict=False
    )  # shape mismatches raise even when not strict
    assert not result.missing_keys, f"checkpoint lacks {result.missing_keys}"
    if result.unexpected_keys:
        log.warning("ignoring unexpected AM keys %s", result.unexpected_keys)
    return units, model.eval()


@pytest.fixture(scope="module")
def golden(golden_dir):
    return np.load(golden_dir / "golden.npz", allow_pickle=False)


@pytest.fixture(scope="module")
def voices(golden_dir):
    return {v: load_am(golden_dir / "MODEL" / "voices" / v) for v in VOICES}


@pytest.fixture(scope="module")
def zhitian(voices):
    return voices["zhitian_emo"]


def line(golden, i: int) -> str:
    return str(golden[f"zhitian_emo__{i}__symbols"])


def np_(value) -> np.ndarray:
    return value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def assert_identical(a: AMOutput, b: AMOutput) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, torch.Tensor):
            assert x.dtype == y.dtype and torch.equal(x, y), name
        else:
            assert x == y, name


@pytest.mark.parametrize("decoding", ["fixed-point", "step-by-step"])
@pytest.mark.parametrize("i", LINES)
@pytest.mark.parametrize("voice", VOICES)
def test_matches_kantts_golden(voices, golden, monkeypatch, voice, i, decoding):
    if decoding == "step-by-step":
        monkeypatch.setattr(HybridAttentionDecoder, "jacobi_max_passes", 0)
    units, model = voices[voice]
    key = f"{voice}__{i}__"
    ids = units.encode(str(golden[key + "symbols"]))
    for stream in STREAMS:
        np.testing.assert_array_equal(ids[stream], golden[key + "ids_" + stream])

    out = model.infer(ids)

    for name in EXACT:
        assert np_(getattr(out, name)).tolist() == golden[key + name].tolist(), name
    assert out.dur_rounded.dtype == torch.int64
    ref = golden[key + "log_dur"]
    assert out.log_dur.shape == ref.shape
    np.testing.assert_allclose(np_(out.log_dur), ref, rtol=0, atol=1e-5, err_msg="log_dur")
    for name in FLOATS:
        got, ref = np_(getattr(out, name)), golden[key + name]
        assert got.dtype == np.float32 and got.shape == ref.shape, name
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4, err_msg=name)


def test_line_3_switches_emotion_per_token(golden):
    emotions = golden["zhitian_emo__3__ids_emotion"][:-1]
    assert {2, 6} <= set(
        emotions.tolist()
    )  # angry then sad, each token carries its own (golden test covers it)


def test_saved_tables_equal_the_formula(zhitian):
    _, model = zhitian
    table = model.text_encoder.ling_enc.position_enc.position_enc
    torch.testing.assert_close(table[0], sinusoid_table(table.size(1), table.size(2)), rtol=0, atol=1e-6)
    depth = model.params["encoder_projection_units"]
    scales = torch.tensor([10000 ** (2 * (i // 2) / depth) for i in range(depth)], dtype=torch.float32)
    torch.testing.assert_close(model.variance_adaptor.dur_position_encoder.inv_timescales, scales)


def test_loader_fails_on_missing_key_and_shape_mismatch(zhitian):
    _, model = zhitian
    state = model.state_dict()
    fresh = SambertAcousticModel(model.params, {k: model.params[k] for k in STREAMS})
    partial = {k: v for k, v in state.items() if k != "mel_postnet.fc.bias"}
    assert fresh.load_state_dict(partial, strict=False).missing_keys == ["mel_postnet.fc.bias"]
    bad = dict(state, **{"emo_tokenizer.weight": state["emo_tokenizer.weight"][:-1]})
    with pytest.raises(RuntimeError, match=r"emo_tokenizer\.weight"):
        fresh.load_state_dict(bad, strict=False)


# ------------------------------------------------------------------------------------------- controls


def test_default_controls_are_bit_exact(zhitian, golden):
    units, model = zhitian
    ids = units.encode(line(golden, 1))
    base = model.infer(ids)
    assert_identical(base, model.infer(ids, Controls()))
    assert_identical(base, model.infer(ids, Controls(emotion_intensity=1.0)))
    assert_identical(base, model.infer(ids, None, np.ones(len(ids["sy"]), dtype=np.float32)))
    # torch ids work as well as numpy ids
    assert_identical(base, model.infer({k: torch.from_numpy(v) for k, v in ids.items()}))


def test_speed_scales_durations_but_not_the_predictor_feedback(zhitian, golden):
    units, model = zhitian
    ids = units.encode(line(golden, 0))
    base = model.infer(ids)
    fast = model.infer(ids, Controls(speed=2.0))
    assert torch.equal(fast.log_dur, base.log_dur)  # the AR predictor still sees its own unscaled output
    d = (torch.exp(base.log_dur) - 1) / 2.0
    assert torch.equal(fast.dur_rounded, (d + 0.5).long())
    assert fast.n_frames == int(fast.dur_rounded.sum()) and fast.mel.shape == (fast.n_frames, 80)
    assert 0.4 * base.n_frames < fast.n_frames < 0.6 * base.n_frames
    slow = model.infer(ids, Controls(speed=0.5))
    assert 1.8 * base.n_frames < slow.n_frames < 2.2 * base.n_frames


def test_pitch_and_energy_shifts(zhitian, golden):
    units, model = zhitian
    ids = units.encode(line(golden, 2))
    base = model.infer(ids)
    up = model.infer(ids, Controls(pitch=0.5))
    assert torch.equal(up.pitch, base.pitch + 0.5) and torch.equal(up.energy, base.energy)
    assert torch.equal(up.text_hid, base.text_hid) and not torch.equal(up.lr_text, base.lr_text)
    loud = model.infer(ids, Controls(energy=-0.3))
    assert torch.equal(loud.energy, base.energy - 0.3) and torch.equal(loud.pitch, base.pitch)
    assert not torch.equal(loud.lr_text, base.lr_text)


def _with_emotion(symbols: str, old: str, new: str) -> str:
    assert f"${old}$" in symbols
    return symbols.replace(f"${old}$", f"${new}$")


def test_intensity_zero_is_the_neutral_line(zhitian, golden):
    units, model = zhitian
    happy = line(golden, 1)
    neutral = model.infer(units.encode(_with_emotion(happy, "emotion_happy", "emotion_neutral")))
    assert_identical(model.infer(units.encode(happy), Controls(emotion_intensity=0.0)), neutral)
    stronger = model.infer(units.encode(happy), Controls(emotion_intensity=2.0))
    assert not torch.equal(stronger.mel, model.infer(units.encode(happy)).mel)


def test_per_token_intensity(zhitian, golden):
    units, model = zhitian
    symbols = line(golden, 3)  # angry, then sad after the #3
    ids = units.encode(symbols)
    sad = ids["emotion"] == units.vocab["emotion"].index("emotion_sad")
    k = np.where(sad, 0.0, 1.0).astype(np.float32)  # neutralize the sad span only (EOS included, ignored)
    expected = model.infer(units.encode(_with_emotion(symbols, "emotion_sad", "emotion_neutral")))
    assert_identical(model.infer(ids, None, k), expected)
    assert_identical(model.infer(ids, Controls(emotion_intensity=0.3), k[:-1]), expected)  # array wins


def test_intensity_leaves_a_neutral_line_alone(zhitian, golden):
    units, model = zhitian
    ids = units.encode(line(golden, 0))  # neutral phones, emotion_none pauses
    assert_identical(model.infer(ids, Controls(emotion_intensity=0.4)), model.infer(ids))


def test_all_phones_rounding_to_zero_frames(zhitian, golden):
    units, model = zhitian
    out = model.infer(units.encode(line(golden, 1)), Controls(speed=1000.0))
    assert out.n_frames == 0 and int(out.dur_rounded.sum()) == 0
    assert out.mel.shape == (0, 80) and out.dec_out.shape == (0, 80) and out.memory.shape[0] == 0


@pytest.mark.parametrize(
    "controls",
    [
        Controls(speed=0.0),
        Controls(speed=float("nan")),
        Controls(emotion_intensity=2.5),
        Controls(pitch=float("inf")),
    ],
)
def test_invalid_controls(zhitian, golden, controls):
    units, model = zhitian
    with pytest.raises(InvalidInput):
        model.infer(units.encode(line(golden, 1)), controls)


def test_invalid_ids(zhitian, golden):
    units, model = zhitian
    ids = units.encode(line(golden, 1))
    with pytest.raises(InvalidInput, match="intensity"):
        model.infer(ids, None, np.ones(3, dtype=np.float32))
    with pytest.raises(InvalidInput, match="length"):
        model.infer({**ids, "tone": ids["tone"][:-1]})
    with pytest.raises(InvalidInput, match="speaker"):
        model.infer({**ids, "speaker": np.full_like(ids["speaker"], 99)})
    with pytest.raises(InvalidInput, match="missing"):
        model.infer({k: v for k, v in ids.items() if k != "emotion"})
    with pytest.raises(InvalidInput, match="no phones"):
        model.infer({k: v[-1:] for k, v in ids.items()})
