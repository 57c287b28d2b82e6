"""ONNX Runtime vocoder: export of the golden voices' generators, parity with the golden waveforms, no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
from sambert_lambda.engine.torch.onnx_export import export_voice
from sambert_lambda.errors import ModelError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "kantts-golden"
VOICES = ("zhitian_emo", "zhibei_emo")  # causal and non-causal generators


@pytest.fixture(scope="module")
def onnx_dirs(tmp_path_factory):
    return {
        v: export_voice(FIXTURE / "MODEL" / "voices" / v, tmp_path_factory.mktemp(f"onnx-{v}"))
        for v in VOICES
    }


@pytest.fixture(scope="module")
def onnx_voices(onnx_dirs):
    return {v: OnnxVocoder(d / "voc.onnx", threads=1) for v, d in onnx_dirs.items()}


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("line", range(4))
def test_onnx_vocoder_matches_golden(onnx_voices, golden, voice, line):
    mel = golden[f"{voice}__{line}__mel"]
    wav = onnx_voices[voice].vocode(mel)
    assert wav.dtype == np.float32 and wav.shape == (mel.shape[0] * 200,)
    np.testing.assert_allclose(wav, golden[f"{voice}__{line}__wav"], rtol=0, atol=5e-5)


@pytest.mark.parametrize("voice", VOICES)
def test_chunked_equals_one_shot(onnx_voices, golden, voice):
    mel = np.concatenate([golden[f"{voice}__{i}__mel"] for i in range(4)])
    voc = onnx_voices[voice]
    whole = voc.vocode(mel)
    for chunk in (17, 64):
        np.testing.assert_allclose(voc.vocode(mel, chunk_frames=chunk), whole, rtol=0, atol=1e-5)


def test_export_is_reused_until_the_checkpoint_changes(onnx_dirs):
    d = onnx_dirs["zhibei_emo"]
    before = (d / "voc.onnx").stat().st_mtime_ns
    assert export_voice(FIXTURE / "MODEL" / "voices" / "zhibei_emo", d) == d
    assert (d / "voc.onnx").stat().st_mtime_ns == before


def test_metadata_and_errors(onnx_voices, tmp_path):
    voc = onnx_voices["zhitian_emo"]
    assert voc.hop_size == 200 and voc.in_channels == 80 and voc.context[0] > 0
    assert voc.vocode(np.zeros((0, 80), np.float32)).shape == (0,)
    with pytest.raises(ModelError, match="expects mel"):
        voc.vocode(np.zeros((10, 79), np.float32))
    with pytest.raises(ModelError, match="does not exist"):
        OnnxVocoder(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load"):
        OnnxVocoder(bad)


def test_runtime_side_does_not_import_torch(onnx_dirs, golden, tmp_path):
    d = onnx_dirs["zhitian_emo"]
    np.save(tmp_path / "mel.npy", golden["zhitian_emo__0__mel"])
    code = (
        "import sys, numpy as np\n"
        "from sambert_lambda.engine.onnx.vocoder import OnnxVocoder\n"
        f"w = OnnxVocoder(r'{d / 'voc.onnx'}').vocode(np.load(r'{tmp_path / 'mel.npy'}'))\n"
        "print(len(w), 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(golden["zhitian_emo__0__mel"].shape[0] * 200), "False"]
