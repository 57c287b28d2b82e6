"""Torch-free engine (ONNX graphs + numpy loops): golden parity on every fixture voice and line, no torch import."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from sambert_lambda.engine.torch.onnx_export import export_voice_onnx
from sambert_lambda.engine.voice import Voice
from sambert_lambda.errors import InvalidInput, ModelError, UnknownSymbol
from sambert_lambda.types import Controls
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
VOICES = ("zhitian_emo", "zhiyan_emo", "zhibei_emo")


@pytest.fixture(scope="module")
def onnx_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    for v in VOICES:
        export_voice_onnx(FIXTURE / "MODEL" / "voices" / v, root / v)
    return root


@pytest.fixture(scope="module")
def voices(onnx_root):
    return {v: Voice.load(FIXTURE / "MODEL", v, backend="onnx", onnx_dir=onnx_root) for v in VOICES}


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("line", range(4))
def test_onnx_engine_matches_golden(voices, golden, voice, line):
    out = voices[voice].synthesize_line(str(golden[f"{voice}__{line}__symbols"]))
    np.testing.assert_array_equal(out.durations, golden[f"{voice}__{line}__dur_rounded"])
    np.testing.assert_allclose(out.mel, golden[f"{voice}__{line}__mel"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(out.audio, golden[f"{voice}__{line}__wav"], rtol=0, atol=5e-5)
    diff = np.abs(out.pcm.astype(np.int32) - golden[f"{voice}__{line}__pcm"].astype(np.int32))
    assert diff.max() <= 2


def test_controls_change_the_output_like_the_torch_engine(voices, golden):
    import torch

    from sambert_lambda.engine.torch.voice import VoiceModel

    ref = VoiceModel.load(FIXTURE / "MODEL" / "voices" / "zhitian_emo", "zhitian_emo")
    symbols = str(golden["zhitian_emo__1__symbols"])
    for controls in (Controls(speed=1.3), Controls(pitch=0.5, energy=-0.3), Controls(emotion_intensity=1.6)):
        with torch.inference_mode():
            want = ref.am.infer(ref.units.encode(symbols), controls)
        mel, dur = voices["zhitian_emo"].acoustic(symbols, controls)
        np.testing.assert_array_equal(dur, want.dur_rounded.numpy())
        np.testing.assert_allclose(mel, want.mel.numpy(), rtol=0, atol=1e-4)
    fast, _ = voices["zhitian_emo"].acoustic(symbols, Controls(speed=1.5))
    assert len(fast) < len(golden["zhitian_emo__1__mel"])


def test_errors_are_clear(voices, golden, tmp_path):
    v = voices["zhitian_emo"]
    with pytest.raises(UnknownSymbol):
        v.synthesize_line("{not_a_phone$tone1$s_begin$word_begin$emotion_neutral$F7}")
    with pytest.raises(InvalidInput):
        v.acoustic(str(golden["zhitian_emo__0__symbols"]), Controls(speed=0))
    with pytest.raises(ModelError, match="missing"):
        Voice.load(FIXTURE / "MODEL", "zhitian_emo", backend="onnx", onnx_dir=tmp_path)


def test_loop_weights_read_back_exactly_and_a_damaged_file_is_refused(tmp_path):
    from sambert_lambda.engine.onnx.acoustic import load_loop_weights, save_loop_weights

    rng = np.random.default_rng(3)
    arrays = {"m": rng.standard_normal((5, 7)), "v": rng.standard_normal(3).astype(np.float32),
              "t": rng.standard_normal((2, 3, 4)).astype(np.float32), "one": np.ones(1, np.float32)}  # fmt: skip
    index = save_loop_weights(tmp_path / "w.bin", arrays)
    back = load_loop_weights(tmp_path / "w.bin", json.loads(json.dumps(index)))  # the index lives in am.json
    assert list(back) == list(arrays)
    for k, a in arrays.items():
        assert back[k].dtype == np.float32 and back[k].shape == a.shape
        np.testing.assert_array_equal(back[k], a.astype(np.float32))
        assert back[k].ctypes.data % 64 == back["m"].ctypes.data % 64  # every array on the same alignment
    data = (tmp_path / "w.bin").read_bytes()
    (tmp_path / "w.bin").write_bytes(data[: len(data) - 64])
    with pytest.raises(ModelError, match="shorter than its index"):
        load_loop_weights(tmp_path / "w.bin", index)


def test_an_export_of_another_format_is_refused_at_load_and_written_again(tmp_path):
    from sambert_lambda.engine.onnx.acoustic import AM_FORMAT, META_FILE

    out = export_voice_onnx(FIXTURE / "MODEL" / "voices" / "zhiyan_emo", tmp_path / "zhiyan_emo")
    meta_path = out / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["format"] == AM_FORMAT and set(meta["loops"]) >= {"dur_fc_w", "dec0_qkv_wt", "dec_out_wt"}
    stale = {k: v for k, v in meta.items() if k not in ("format", "loops")}
    meta_path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ModelError, match="another export format"):
        Voice.load(FIXTURE / "MODEL", "zhiyan_emo", backend="onnx", onnx_dir=tmp_path)
    export_voice_onnx(FIXTURE / "MODEL" / "voices" / "zhiyan_emo", out)  # newer than the checkpoint, but stale
    assert json.loads(meta_path.read_text(encoding="utf-8"))["format"] == AM_FORMAT
    assert Voice.load(FIXTURE / "MODEL", "zhiyan_emo", backend="onnx", onnx_dir=tmp_path).impl.am.w


def test_a_line_longer_than_the_position_table_is_a_clear_400(voices, golden):
    """The encoder graph adds a fixed table of positions: a longer symbol line is refused by name (400
    sentence_too_long), never an ONNX Runtime failure; a line of exactly that many symbols runs."""
    v = voices["zhitian_emo"]
    limit = v.impl.am.max_positions
    toks = str(golden["zhitian_emo__0__symbols"]).split()
    body = (toks * (limit // len(toks) + 2))[:limit]  # limit symbols; the engine adds the EOS
    mel, _ = v.acoustic(" ".join(body))
    assert mel.shape[0] > 0
    with pytest.raises(InvalidInput) as e:
        v.acoustic(" ".join(body + toks[:1]))
    assert e.value.code == "sentence_too_long" and e.value.status == 400 and str(limit) in e.value.message


def test_onnx_engine_runs_without_torch(onnx_root, golden):
    code = (
        "import sys\n"
        "from sambert_lambda.engine.voice import Voice\n"
        f"v = Voice.load(r'{FIXTURE / 'MODEL'}', 'zhibei_emo', backend='onnx', onnx_dir=r'{onnx_root}')\n"
        f"out = v.synthesize_line({str(golden['zhibei_emo__0__symbols'])!r})\n"
        "print(len(out.audio), 'torch' in sys.modules, 'boto3' in sys.modules)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == [str(len(golden["zhibei_emo__0__wav"])), "False", "False"]


def test_synthesizer_runs_on_the_onnx_store_without_torch(onnx_root, golden):
    """The Synthesizer on an ONNX ModelStore (what TTS_BACKEND=onnx builds), in a torch-free process."""
    root = onnx_root
    lines = [str(golden[f"zhiyan_emo__{i}__symbols"]) for i in range(2)]
    code = (
        "import sys\n"
        "from sambert_lambda.engine.voice import ModelStore\n"
        "from sambert_lambda.settings import load_settings\n"
        "from sambert_lambda.synthesizer import Synthesizer\n"
        f"store = ModelStore(r'{FIXTURE / 'MODEL'}', backend='onnx', onnx_dir=r'{root}', voices=['zhiyan_emo'])\n"
        "s = Synthesizer(store, None, load_settings())\n"
        "s.load()\n"
        f"r = s.synthesize_symbols({lines!r}, voice='zhiyan_emo')\n"
        "print(len(r.audio), r.sample_rate, 'torch' in sys.modules, store.loaded)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n = sum(len(golden[f"zhiyan_emo__{i}__wav"]) for i in range(2))
    assert res.stdout.split() == [str(n), "16000", "False", "['zhiyan_emo']"]


def test_both_backends_bound_the_vocoder_by_the_same_frame_count(voices, golden, monkeypatch):
    from sambert_lambda.engine.runtime import VOCODER_CHUNK_FRAMES
    ref = Voice.load(FIXTURE / "MODEL", "zhitian_emo", backend="torch")
    symbols = str(golden["zhitian_emo__1__symbols"])
    seen = {}
    for name, vocoder in (("torch", ref.impl.vocoder), ("onnx", voices["zhitian_emo"].impl.vocoder)):
        real = vocoder.pieces

        def spy(mel, chunk_frames=None, _real=real, _name=name):
            seen[_name] = chunk_frames
            return _real(mel, chunk_frames=chunk_frames)

        monkeypatch.setattr(vocoder, "pieces", spy)
    ref.synthesize_line(symbols)
    voices["zhitian_emo"].synthesize_line(symbols)
    assert seen == {"torch": VOCODER_CHUNK_FRAMES, "onnx": VOCODER_CHUNK_FRAMES}


@pytest.mark.parametrize("passes", [0, 1, 2])
def test_fixed_point_decoder_equals_step_by_step(voices, golden, monkeypatch, passes):
    """Jacobi passes over all steps (the default), cut short so the step-by-step tail takes over, or none at all:
    the same mel, and the golden one."""
    v = voices["zhibei_emo"]
    am = v.impl.am
    symbols = str(golden["zhibei_emo__3__symbols"])
    default = v.acoustic(symbols)[0]
    monkeypatch.setattr(am, "jacobi_max_passes", passes)
    np.testing.assert_allclose(v.acoustic(symbols)[0], default, rtol=0, atol=1e-5)
    np.testing.assert_allclose(default, golden["zhibei_emo__3__mel"], rtol=0, atol=1e-4)
