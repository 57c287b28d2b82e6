"""Dynamic int8 quantization helpers: SNR metric, which AM layers are quantized, ONNX vocoder int8 copy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sambert_lambda.engine.torch.quantize import (
    AM_RAW_WEIGHT_PREFIXES,
    am_quantizable_modules,
    log_mel_distance_db,
    quantize_am_dynamic,
    snr_db,
    vocoder_fidelity,
)
from sambert_lambda.engine.torch.voice import VoiceModel
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR


def test_snr_db():
    ref = np.array([1.0, -1.0, 1.0, -1.0])
    assert snr_db(ref, ref) == math.inf
    assert snr_db(ref, ref * 1.1) == pytest.approx(20.0)
    assert snr_db(ref, ref + 0.01) == pytest.approx(40.0)
    with pytest.raises(ValueError):
        snr_db(ref, ref[:2])


@pytest.fixture(scope="module")
def voice():
    return VoiceModel.load(FIXTURE / "MODEL" / "voices" / "zhitian_emo", "zhitian_emo")


def test_am_quantization_skips_raw_weight_loops_and_keeps_the_original(voice):
    names = am_quantizable_modules(voice.am)
    assert names and not any(n.startswith(AM_RAW_WEIGHT_PREFIXES) for n in names)
    assert any(n.startswith("mel_postnet") for n in names)
    before = {k: v.clone() for k, v in voice.am.state_dict().items()}
    q = quantize_am_dynamic(voice.am)
    assert all(torch.equal(before[k], v) for k, v in voice.am.state_dict().items())  # fp32 model untouched
    quantized = {type(m).__module__ for m in q.modules()}
    assert any("quantized" in mod for mod in quantized)
    with np.load(FIXTURE / "golden.npz") as z:
        symbols = str(z["zhitian_emo__0__symbols"])
    ids = voice.units.encode(symbols)
    with torch.inference_mode():
        out = q.infer(ids)
    assert out.mel.shape[1] == 80 and out.n_frames > 0 and torch.isfinite(out.mel).all()


def test_onnx_vocoder_int8_copy_runs_with_metadata(tmp_path):
    pytest.importorskip("onnxruntime")
    from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
    from sambert_lambda.engine.torch.onnx_export import export_vocoder
    from sambert_lambda.engine.torch.quantize import quantize_vocoder_onnx

    src = export_vocoder(voice_vocoder(), tmp_path / "voc.onnx")
    dst = quantize_vocoder_onnx(src, tmp_path / "voc_int8.onnx")
    fp32, int8 = OnnxVocoder(src), OnnxVocoder(dst)
    assert int8.context == fp32.context and int8.hop_size == 200
    with np.load(FIXTURE / "golden.npz") as z:
        mel = z["zhitian_emo__1__mel"]
    ref, got = fp32.vocode(mel), int8.vocode(mel)
    assert got.shape == ref.shape and np.isfinite(got).all()
    assert not np.array_equal(got, ref)  # really quantized
    assert snr_db(ref, got) > 10.0  # coarse sanity bound; the measured budget check lives in the bench/docs
    report = vocoder_fidelity(ref, got, 16000)
    assert report["wav_snr_db"] == round(snr_db(ref, got), 2)
    assert report["log_mel_distance_db"] > 0
    assert fp32.streaming and int8.streaming  # the int8 copy keeps the fixed-shape streaming graph


def test_log_mel_distance_grows_with_the_error():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    ref = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    assert log_mel_distance_db(ref, ref, 16000) == 0.0
    noise = rng.standard_normal(t.size)
    small, large = (log_mel_distance_db(ref, ref + a * noise, 16000) for a in (0.001, 0.05))
    assert 0 < small < large
    with pytest.raises(ValueError, match="shape"):
        log_mel_distance_db(ref, ref[:-1], 16000)
    with pytest.raises(ValueError, match="at least"):
        log_mel_distance_db(ref[:100], ref[:100], 16000)


def voice_vocoder():
    return VoiceModel.load(FIXTURE / "MODEL" / "voices" / "zhitian_emo", "zhitian_emo").vocoder


def test_bf16_vocoder_keeps_the_fp32_contract(voice):
    from sambert_lambda.engine.torch.quantize import Bf16Vocoder

    with np.load(FIXTURE / "golden.npz") as z:
        mel = z["zhitian_emo__2__mel"]
    bf16 = Bf16Vocoder(voice.vocoder)
    ref = voice.vocoder.vocode(mel)
    got = bf16.vocode(mel)
    assert got.dtype == np.float32 and got.shape == ref.shape
    assert not np.array_equal(got, ref)
    assert (
        snr_db(ref, got) > 20.0
    )  # coarse bound on a tiny random voice; real-size figure: see docs/performance.md
    np.testing.assert_allclose(bf16.vocode(mel, chunk_frames=100), got, rtol=0, atol=2e-2)
    assert bf16.vocode(np.zeros((0, 80), np.float32)).shape == (0,)
    assert next(voice.vocoder.parameters()).dtype == torch.float32  # the fp32 generator is untouched
