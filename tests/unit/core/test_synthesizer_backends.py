"""TTS_BACKEND / TTS_ONNX_DIR / TTS_VOCODER_PRECISION select the engine the synthesizer runs on; onnx is the default."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from sambert_lambda.engine.voice import open_store
from sambert_lambda.errors import ConfigInvalid
from sambert_lambda.settings import load_settings
from sambert_lambda.synthesizer import Synthesizer
from tests.support.paths import GOLDEN_DIR

GOLDEN_MODEL = GOLDEN_DIR / "MODEL"  # no onnx/ inside


def test_onnx_is_the_default_backend(test_voice_dir):
    s = load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo")
    assert s.backend == "onnx" and s.onnx_dir is None
    store = open_store(s)  # the model directory's own onnx/ (make-test-voice --onnx)
    assert store.backend == "onnx" and store.onnx_dir == test_voice_dir / "onnx"
    assert type(store.voice("zhitian_emo").impl).__name__ == "OnnxVoice"


def test_onnx_backend_needs_the_exported_voices():
    with pytest.raises(ConfigInvalid, match="TTS_ONNX_DIR"):
        open_store(load_settings(model_dir=str(GOLDEN_MODEL)))
    assert open_store(load_settings(model_dir=str(GOLDEN_MODEL), backend="torch")).backend == "torch"


def test_an_explicit_onnx_dir_wins_over_the_model_dirs_own(test_voice_dir, tmp_path):
    root = tmp_path / "elsewhere"
    shutil.copytree(test_voice_dir / "onnx" / "zhiyan_emo", root / "zhiyan_emo")
    store = open_store(load_settings(model_dir=str(test_voice_dir), voices="zhiyan_emo", onnx_dir=str(root)))
    assert store.onnx_dir == root and store.voice("zhiyan_emo").sample_rate == 16000
    with pytest.raises(Exception, match="missing"):  # the other voices are not in that root
        open_store(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo", onnx_dir=str(root))).voice(
            "zhitian_emo"
        )


def test_bf16_needs_the_torch_backend(test_voice_dir):
    with pytest.raises(ConfigInvalid, match="bf16"):
        open_store(load_settings(model_dir=str(test_voice_dir), vocoder_precision="bf16"))


def test_only_backends_that_run_here_are_accepted(test_voice_dir):
    with pytest.raises(ConfigInvalid, match="TTS_BACKEND"):  # ModelScope's own pipeline needs Python <= 3.10 + ttsfrd
        load_settings(model_dir=str(test_voice_dir), backend="modelscope")
    assert load_settings(model_dir=str(test_voice_dir), backend="native").backend == "torch"  # the former name


def test_onnx_backend_matches_torch(test_voice_dir):
    pytest.importorskip("onnxruntime")
    torch_ = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo",
                                                     backend="torch"))  # fmt: skip
    onnx = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo"))
    assert (torch_.store.backend, onnx.store.backend) == ("torch", "onnx")
    a = torch_.synthesize("今天天气真好。我们去公园吧！", emotion="happy")
    b = onnx.synthesize("今天天气真好。我们去公园吧！", emotion="happy")
    assert a.segments == b.segments == 2
    assert a.audio.shape == b.audio.shape
    assert np.abs(a.audio - b.audio).max() < 5e-4


def test_bf16_vocoder_is_opt_in_and_close(test_voice_dir):
    fp32 = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo",
                                                   backend="torch"))  # fmt: skip
    bf16 = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhitian_emo",
                                                   backend="torch", vocoder_precision="bf16"))  # fmt: skip
    assert type(bf16.store.voice("zhitian_emo").impl.vocoder).__name__ == "Bf16Vocoder"
    assert type(fp32.store.voice("zhitian_emo").impl.vocoder).__name__ == "HifiGanGenerator"
    a = fp32.synthesize("你好。").audio
    b = bf16.synthesize("你好。").audio
    assert a.shape == b.shape and not np.array_equal(a, b)
    snr = 10 * np.log10(np.sum(a.astype(np.float64) ** 2) / np.sum((a - b).astype(np.float64) ** 2))
    assert snr > 20
