"""make-test-voice: ModelScope layout, trainer-style checkpoints, determinism, calibrated durations and peaks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sambert_lambda.engine import testvoice as tv
from sambert_lambda.engine.pcm import to_pcm16
from sambert_lambda.engine.torch.voice import pick_checkpoint
from sambert_lambda.engine.voice import ModelStore
from sambert_lambda.errors import InvalidInput
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
LONG_LINE = " ".join(
    tv.sample_line(e, s)
    for e, s in [
        ("emotion_neutral", "F7"),
        ("emotion_sad", "F74"),
        ("emotion_angry", "F7"),
        ("emotion_happy", "M7"),
        ("emotion_fear", "F7"),
        ("emotion_surprise", "FBYN"),
    ]
)


def _load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_layout(test_voice_dir):
    conf = json.loads((test_voice_dir / "configuration.json").read_text())
    fixture_conf = json.loads((FIXTURE / "MODEL" / "configuration.json").read_text())
    assert conf.pop("test_voice") is True
    assert conf == fixture_conf
    assert json.loads((test_voice_dir / "voices" / "voices.json").read_text()) == {
        "voices": list(tv.VOICE_NAMES)
    }
    for name in tv.VOICE_NAMES:
        v = test_voice_dir / "voices" / name
        for rel in ("audio_config.yaml", "am/config.yaml", "voc/config.yaml"):
            assert (v / rel).is_file(), rel
        assert pick_checkpoint(v / "am" / "ckpt").name == "checkpoint_0.pth"
        assert pick_checkpoint(v / "voc" / "ckpt").name == "checkpoint_1.pth"
    assert (test_voice_dir / "voices/zhitian_emo/am/config.yaml").read_text() == (
        FIXTURE / "MODEL/voices/zhitian_emo/am/config.yaml"
    ).read_text()


def test_checkpoints_are_trainer_style_and_match_fixture_shapes(test_voice_dir):
    am = _load(test_voice_dir / "voices/zhiyan_emo/am/ckpt/checkpoint_0.pth")
    voc = _load(test_voice_dir / "voices/zhiyan_emo/voc/ckpt/checkpoint_1.pth")
    assert (
        set(am) == {"model", "steps"}
        and set(voc) == {"model", "steps"}
        and set(voc["model"]) == {"generator"}
    )
    ref_am = _load(pick_checkpoint(FIXTURE / "MODEL/voices/zhitian_emo/am/ckpt"))["model"]
    ref_gen = _load(pick_checkpoint(FIXTURE / "MODEL/voices/zhitian_emo/voc/ckpt"))["model"]["generator"]
    assert {k: tuple(v.shape) for k, v in am["model"].items()} == {
        k: tuple(v.shape) for k, v in ref_am.items()
    }
    gen = voc["model"]["generator"]
    assert {k: tuple(v.shape) for k, v in gen.items()} == {k: tuple(v.shape) for k, v in ref_gen.items()}
    assert any(k.endswith("weight_g") for k in gen)  # weight-norm form, as published


def test_synthesizes_with_realistic_durations_and_safe_peaks(test_voice_dir):
    torch.set_num_threads(1)
    store = ModelStore(test_voice_dir, backend="torch")
    assert store.is_test_voice is True
    for name in store.voice_names:
        out = store.voice(name).synthesize_line(LONG_LINE)  # 132 tokens, emotions/speakers unlike calibration's
        d = out.durations
        assert 4.0 <= d.mean() <= 6.5, (name, d.mean())
        lo, hi = np.percentile(d, [5, 95])
        assert lo >= 3 and hi <= 8, (name, lo, hi)
        peak = float(np.abs(out.audio).max())
        assert 0.2 < peak < 0.7, (name, peak)
        np.testing.assert_array_equal(out.pcm, to_pcm16(out.audio))  # no overflow: the reference conversion


def test_deterministic_with_seed(tmp_path):
    a, b, c = (tmp_path / n for n in "abc")
    tv.make_test_voice(a, voices=1, seed=7)
    tv.make_test_voice(b, voices=1, seed=7)
    tv.make_test_voice(c, voices=1, seed=8)
    for rel in ("am/ckpt/checkpoint_0.pth", "voc/ckpt/checkpoint_1.pth"):
        sa, sb, sc = (_load(d / "voices/zhitian_emo" / rel)["model"] for d in (a, b, c))
        if "generator" in sa:
            sa, sb, sc = sa["generator"], sb["generator"], sc["generator"]
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
        assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert json.loads((a / "voices/voices.json").read_text()) == {"voices": ["zhitian_emo"]}


@pytest.mark.parametrize(("kwargs", "match"), [({"size": "huge"}, "size"), ({"voices": 5}, "voices")])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        tv.make_test_voice(tmp_path, **kwargs)


@pytest.mark.slow
def test_real_size_matches_published_shapes(tmp_path):
    shapes = json.loads((FIXTURE / "real_shapes.json").read_text())
    tv.make_test_voice(tmp_path, size="real", voices=1)
    v = tmp_path / "voices" / "zhitian_emo"
    am = _load(v / "am/ckpt/checkpoint_0.pth")["model"]
    gen = _load(v / "voc/ckpt/checkpoint_1.pth")["model"]["generator"]
    assert {k: list(t.shape) for k, t in am.items()} == shapes["am_state_dict"]
    assert {k: list(t.shape) for k, t in gen.items()} == shapes["voc_generator_state_dict"]
    out = ModelStore(tmp_path, backend="torch").voice("zhitian_emo").synthesize_line(tv.sample_line())
    assert 3 <= out.durations.mean() <= 8 and np.abs(out.audio).max() < 0.7
