"""TTS_BACKEND / TTS_VOCODER_PRECISION select the engine the synthesizer runs on."""

from __future__ import annotations

import numpy as np
import pytest

from sambert_lambda.errors import ConfigInvalid
from sambert_lambda.settings import load_settings
from sambert_lambda.synthesizer import Synthesizer, build_store


def test_onnx_backend_needs_an_onnx_dir(test_voice_dir):
    with pytest.raises(ConfigInvalid, match="TTS_ONNX_DIR"):
        build_store(load_settings(model_dir=str(test_voice_dir), backend="onnx"))


def test_bf16_needs_the_torch_backend(test_voice_dir, tmp_path):
    with pytest.raises(ConfigInvalid, match="bf16"):
        build_store(load_settings(model_dir=str(test_voice_dir), backend="onnx", onnx_dir=str(tmp_path),
                                  vocoder_precision="bf16"))


def test_only_backends_that_run_here_are_accepted(test_voice_dir):
    with pytest.raises(ConfigInvalid, match="TTS_BACKEND"):  # ModelScope's own pipeline needs Python <= 3.10 + ttsfrd
        load_settings(model_dir=str(test_voice_dir), backend="modelscope")
    assert load_settings(model_dir=str(test_voice_dir), backend="native").backend == "torch"  # the former name


def test_onnx_backend_matches_native(test_voice_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    from sambert_lambda.engine.torch.onnx_export import export_voice_onnx

    export_voice_onnx(test_voice_dir / "voices" / "zhitian_emo", tmp_path / "onnx" / "zhitian_emo")
    native = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo"))
    onnx = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo",
                                                   backend="onnx", onnx_dir=str(tmp_path / "onnx")))
    assert type(onnx.store).__name__ == "OnnxModelStore"
    a = native.synthesize("今天天气真好。", emotion="happy")
    b = onnx.synthesize("今天天气真好。", emotion="happy")
    assert a.audio.shape == b.audio.shape
    assert np.abs(a.audio - b.audio).max() < 5e-4


def test_bf16_vocoder_is_opt_in_and_close(test_voice_dir):
    fp32 = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo"))
    bf16 = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo",
                                                   vocoder_precision="bf16"))
    assert type(bf16.store.voice("zhitian_emo").vocoder).__name__ == "Bf16Vocoder"
    assert type(fp32.store.voice("zhitian_emo").vocoder).__name__ == "HifiGanGenerator"
    a = fp32.synthesize("你好。").audio
    b = bf16.synthesize("你好。").audio
    assert a.shape == b.shape and not np.array_equal(a, b)
    snr = 10 * np.log10(np.sum(a.astype(np.float64) ** 2) / np.sum((a - b).astype(np.float64) ** 2))
    assert snr > 20
