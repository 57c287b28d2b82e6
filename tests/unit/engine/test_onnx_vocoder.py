"""ONNX Runtime vocoder: export of the golden voices' generators, parity with the golden waveforms, no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from sambert_lambda.engine.chunking import stream_sizes
from sambert_lambda.engine.onnx.vocoder import OnnxVocoder
from sambert_lambda.engine.torch.onnx_export import export_voice
from sambert_lambda.errors import ModelError
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
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


def _torch_generator(voice):
    import torch

    from sambert_lambda.engine.modeldir import read_yaml
    from sambert_lambda.engine.torch.hifigan import generator_from_config
    from sambert_lambda.engine.torch.voice import (
        load_checkpoint,
        pick_checkpoint,
        strip_ddp_prefix,
    )

    d = FIXTURE / "MODEL" / "voices" / voice / "voc"
    gen = generator_from_config(read_yaml(d / "config.yaml"))
    gen.load_generator_state(
        strip_ddp_prefix(load_checkpoint(pick_checkpoint(d / "ckpt"))["model"]["generator"])
    )
    return gen, torch


def test_causal_export_is_the_streaming_graph(onnx_voices):
    voc = onnx_voices["zhitian_emo"]
    assert voc.streaming and voc.chunk_frames == 128
    inputs = {i.name: i.shape for i in voc.session.get_inputs()}
    outputs = {o.name: o.shape for o in voc.session.get_outputs()}
    n = len(voc._zero_states)
    assert n > 0 and set(inputs) == {"mel"} | {f"state{i}" for i in range(n)}
    assert set(outputs) == {"wav"} | {f"next{i}" for i in range(n)}
    for i in range(n):  # every carried history has a fixed shape, the same going in and out
        assert inputs[f"state{i}"] == outputs[f"next{i}"] == list(voc._zero_states[f"state{i}"].shape)
    assert not onnx_voices["zhibei_emo"].streaming  # non-causal: one-shot graph
    with pytest.raises(ModelError, match="causal"):
        next(onnx_voices["zhibei_emo"].stream(np.zeros((4, 80), np.float32)))


def test_streamed_onnx_equals_one_shot_torch(onnx_voices, golden):
    """The chunked, state-carrying ONNX graph gives the one-shot output of the reference-layout torch graph."""
    gen, torch = _torch_generator("zhitian_emo")
    mel = np.concatenate([golden[f"zhitian_emo__{i}__mel"] for i in range(4)])
    with torch.inference_mode():
        one_shot = gen.forward_reference(torch.from_numpy(mel.T[None].copy())).reshape(-1).numpy()
    voc = onnx_voices["zhitian_emo"]
    assert mel.shape[0] > 3 * voc.chunk_frames  # several full chunks, then a padded tail
    for chunk in (None, 128, 64, 40):
        np.testing.assert_allclose(voc.vocode(mel, chunk_frames=chunk), one_shot, rtol=0, atol=2e-6)
    pieces = list(voc.stream(mel))
    # the ramp (a quarter chunk, a half), then whole chunks, then the tail
    assert [p.size // 200 for p in pieces[:-1]] == [32, 64] + [128] * (len(pieces) - 3)
    np.testing.assert_array_equal(np.concatenate(pieces), voc.vocode(mel))


def test_torch_forward_stream_equals_one_shot(golden):
    gen, torch = _torch_generator("zhitian_emo")
    mel = torch.from_numpy(golden["zhitian_emo__1__mel"].T[None].copy())
    states = [torch.zeros(1, c, 1, n) for c, n in gen.stream_state_shapes()]
    with torch.inference_mode():
        one_shot = gen.forward_reference(mel)
        parts = []
        for a in range(0, mel.shape[-1], 50):
            wav, states = gen.forward_stream(mel[:, :, a : a + 50], states)
            parts.append(wav)
    torch.testing.assert_close(torch.cat(parts, dim=-1), one_shot, rtol=0, atol=2e-6)
    with pytest.raises(ModelError, match="more state"):
        gen.forward_stream(mel[:, :, :8], [*states, states[0]])


def test_only_a_bounded_set_of_shapes_runs(onnx_voices, monkeypatch):
    """Requests of every length from 1 to 700 frames run the graph with the plan's input lengths, nothing else."""
    voc = onnx_voices["zhitian_emo"]
    seen: set[tuple] = set()
    real_run = voc.session.run

    def run(names, feeds):
        seen.update((k, v.shape) for k, v in feeds.items())
        return real_run(names, feeds)

    monkeypatch.setattr(voc.session, "run", run)
    rng = np.random.default_rng(3)
    lengths = [1, 2, 31, 32, 33, 64, 65, 127, 128, 129, 500, 700, *rng.integers(1, 700, 30).tolist()]
    for n in lengths:
        wav = voc.vocode(rng.standard_normal((n, 80)).astype(np.float32) * 0.3, chunk_frames=500)
        assert wav.shape == (n * 200,)
    mel_shapes = {shape for name, shape in seen if name == "mel"}
    assert mel_shapes <= {(1, 80, size) for size in stream_sizes(128, fine=True)}
    assert {(1, 80, 32), (1, 80, 64), (1, 80, 128)} <= mel_shapes and len(mel_shapes) <= 16
    state_shapes = {name: shape for name, shape in seen if name != "mel"}
    assert len(seen) == len(mel_shapes) + len(state_shapes)  # each state input only ever had its one declared shape
    assert state_shapes == {k: v.shape for k, v in voc._zero_states.items()}


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
