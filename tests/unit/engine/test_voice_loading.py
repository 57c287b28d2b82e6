"""Model directory -> voices: checkpoint choice, strict loading, DDP prefix, cache layouts, read-only dirs."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from sambert_lambda.engine.modeldir import cache_candidates
from sambert_lambda.engine.pcm import to_pcm16, to_pcm16_safe
from sambert_lambda.engine.torch.voice import VoiceModel, pick_checkpoint
from sambert_lambda.engine.voice import ModelStore, Voice, open_store
from sambert_lambda.errors import ModelError, UnknownVoice
from sambert_lambda.settings import load_settings
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
MODEL = FIXTURE / "MODEL"
MODEL_ID = "iic/speech_sambert-hifigan_tts_zh-cn_16k"


@pytest.fixture
def model_copy(tmp_path) -> Path:
    dst = tmp_path / "model"
    shutil.copytree(MODEL, dst)
    return dst


def _rewrite(ckpt_path: Path, edit) -> None:
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    edit(ckpt)
    torch.save(ckpt, ckpt_path)


# ------------------------------------------------------------------ checkpoint choice
def test_largest_number_wins_over_text_order_and_steps():
    chosen = pick_checkpoint(MODEL / "voices/zhitian_emo/am/ckpt")
    assert chosen.name == "checkpoint_980000.pth"  # decoys: 99000 (sorts after as text) and 1000


def test_pick_rules(tmp_path):
    for name in (
        "checkpoint_0.pth",
        "checkpoint_7.pt",
        "ckpt_123456789.pth",
        "checkpoint_5.pth.bak",
        "model.pth",
    ):
        (tmp_path / name).write_bytes(b"")
    assert pick_checkpoint(tmp_path).name == "checkpoint_0.pth"  # 16 characters: counts
    (tmp_path / "checkpoint_12.pth").write_bytes(b"")
    assert pick_checkpoint(tmp_path).name == "checkpoint_12.pth"


def test_empty_ckpt_dir(tmp_path):
    with pytest.raises(ModelError, match="no checkpoint"):
        pick_checkpoint(tmp_path)
    with pytest.raises(ModelError, match="does not exist"):
        pick_checkpoint(tmp_path / "missing")


def test_decoy_choice_matters(model_copy, golden):
    """Negative control: loading the 99000 decoy gives different durations than the golden."""
    ckpt = model_copy / "voices/zhitian_emo/am/ckpt"
    (ckpt / "checkpoint_980000.pth").unlink()
    out = Voice.load(model_copy, "zhitian_emo", backend="torch").synthesize_line(
        str(golden["zhitian_emo__0__symbols"])
    )
    assert not np.array_equal(out.durations, golden["zhitian_emo__0__dur_rounded"])


# ------------------------------------------------------------------ strict loading
def test_missing_am_key_is_named(model_copy):
    path = pick_checkpoint(model_copy / "voices/zhiyan_emo/am/ckpt")
    _rewrite(path, lambda c: c["model"].pop("text_encoder.sy_emb.weight"))
    with pytest.raises(ModelError, match=r"missing .*text_encoder\.sy_emb\.weight"):
        VoiceModel.load(model_copy / "voices/zhiyan_emo", "zhiyan_emo")


def test_am_shape_mismatch_is_named(model_copy):
    path = pick_checkpoint(model_copy / "voices/zhiyan_emo/am/ckpt")
    key = {}

    def edit(c):
        k = next(k for k, v in c["model"].items() if v.dim() == 2)
        key["k"] = k
        c["model"][k] = torch.zeros(3, 3)

    _rewrite(path, edit)
    with pytest.raises(ModelError, match="shape mismatch") as e:
        VoiceModel.load(model_copy / "voices/zhiyan_emo", "zhiyan_emo")
    assert key["k"] in str(e.value)


def test_unexpected_keys_ignored_and_ddp_prefix_stripped(model_copy, golden, caplog):
    voice = "zhiyan_emo"
    am_path = pick_checkpoint(model_copy / f"voices/{voice}/am/ckpt")
    voc_path = pick_checkpoint(model_copy / f"voices/{voice}/voc/ckpt")

    def am_edit(c):
        c["model"] = {"module." + k: v for k, v in c["model"].items()}
        c["model"]["module.align_attention.w"] = torch.zeros(2)

    def voc_edit(c):
        c["model"]["generator"] = {"module." + k: v for k, v in c["model"]["generator"].items()}

    _rewrite(am_path, am_edit)
    _rewrite(voc_path, voc_edit)
    out = Voice.load(model_copy, voice, backend="torch").synthesize_line(
        str(golden[f"{voice}__2__symbols"])
    )
    np.testing.assert_array_equal(out.durations, golden[f"{voice}__2__dur_rounded"])
    np.testing.assert_allclose(out.audio, golden[f"{voice}__2__wav"], rtol=0, atol=5e-5)
    assert "align_attention.w" in caplog.text


def test_checkpoint_without_generator(model_copy):
    path = pick_checkpoint(model_copy / "voices/zhiyan_emo/voc/ckpt")
    _rewrite(path, lambda c: c["model"].pop("generator"))
    with pytest.raises(ModelError, match="generator"):
        VoiceModel.load(model_copy / "voices/zhiyan_emo", "zhiyan_emo")


def test_corrupt_checkpoint(model_copy):
    path = pick_checkpoint(model_copy / "voices/zhiyan_emo/am/ckpt")
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot read checkpoint"):
        VoiceModel.load(model_copy / "voices/zhiyan_emo", "zhiyan_emo")


def test_hop_mismatch(model_copy):
    cfg = model_copy / "voices/zhiyan_emo/audio_config.yaml"
    cfg.write_text(cfg.read_text().replace("hop_length: 200", "hop_length: 256"))
    with pytest.raises(ModelError, match="hop_length"):
        VoiceModel.load(model_copy / "voices/zhiyan_emo", "zhiyan_emo")


# ------------------------------------------------------------------ the store
def test_store_from_dir():
    store = ModelStore(MODEL, backend="torch")
    assert store.voice_names == ["zhitian_emo", "zhiyan_emo", "zhibei_emo"]
    assert store.default_voice == "zhitian_emo"
    assert store.is_test_voice is False
    with pytest.raises(UnknownVoice, match="nope"):
        store.voice("nope")


def test_store_caches_and_is_thread_safe():
    store = ModelStore(MODEL, voices=["zhiyan_emo"], backend="torch")
    got: list[Voice] = []
    threads = [threading.Thread(target=lambda: got.append(store.voice("zhiyan_emo"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(v is got[0] for v in got)
    assert store.loaded == ["zhiyan_emo"]
    v = got[0]
    assert (v.sample_rate, v.hop_size) == (16000, 200)
    assert "F7" in v.speakers and "emotion_neutral" in v.emotions


def test_store_voice_selection_errors():
    with pytest.raises(ModelError, match="zhizhe_emo"):
        ModelStore(MODEL, voices=["zhizhe_emo"], backend="torch")
    with pytest.raises(ModelError, match="default voice"):
        ModelStore(MODEL, voices=["zhiyan_emo"], default_voice="zhitian_emo", backend="torch")


def test_missing_voices_json(tmp_path):
    (tmp_path / "configuration.json").write_text("{}")
    with pytest.raises(ModelError, match=r"voices\.json"):
        ModelStore(tmp_path, backend="torch")


@pytest.mark.parametrize(
    "layout",
    [
        "{c}/iic/speech_sambert-hifigan_tts_zh-cn_16k",  # snapshot_download(cache_dir=C)
        "{c}/models/iic/speech_sambert-hifigan_tts_zh-cn_16k",  # MODELSCOPE_CACHE=C, current modelscope
        "{c}/hub/damo/speech_sambert-hifigan_tts_zh-cn_16k",  # legacy hub dir, older owner
    ],
)
def test_from_settings_finds_cache_layouts(tmp_path, layout, monkeypatch):
    target = Path(layout.format(c=tmp_path))
    shutil.copytree(MODEL, target)
    (target / ".mv").write_text("Revision:v1.0.2,CreatedAt:1700000000")
    monkeypatch.delenv("TTS_MODEL_DIR", raising=False)
    settings = load_settings(modelscope_cache=str(tmp_path), model_id=MODEL_ID, threads=1, backend="torch")
    store = open_store(settings)
    assert store.model_dir == target and store.revision == "v1.0.2" and store.model_id == MODEL_ID
    assert torch.get_num_threads() == 1


def test_from_settings_not_found(tmp_path):
    settings = load_settings(modelscope_cache=str(tmp_path), threads=1, backend="torch")
    with pytest.raises(ModelError, match="bake-model"):
        open_store(settings)
    with pytest.raises(ModelError, match="TTS_MODEL_DIR"):
        open_store(load_settings(threads=1, model_dir=None, modelscope_cache=None, backend="torch"))


def test_from_settings_model_dir():
    store = open_store(load_settings(model_dir=str(MODEL), voices="zhibei_emo", threads=1, backend="torch"))
    assert store.voice_names == ["zhibei_emo"] and store.default_voice == "zhibei_emo"


def test_cache_candidates_escape_dots(tmp_path):
    c = cache_candidates(tmp_path, "owner/model.v2")
    assert tmp_path / "owner" / "model___v2" in c and tmp_path / "models" / "owner" / "model.v2" in c


def test_read_only_model_dir(model_copy, golden):
    for root, dirs, files in os.walk(model_copy):
        for n in dirs + files:
            p = Path(root) / n
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    model_copy.chmod(0o555)
    before = sorted(str(p) for p in model_copy.rglob("*"))
    try:
        store = ModelStore(model_copy, backend="torch")
        store.load_all()
        out = store.voice("zhibei_emo").synthesize_line(str(golden["zhibei_emo__1__symbols"]))
        np.testing.assert_allclose(out.audio, golden["zhibei_emo__1__wav"], rtol=0, atol=5e-5)
        assert sorted(str(p) for p in model_copy.rglob("*")) == before
    finally:
        for root, dirs, _files in os.walk(model_copy):
            for n in dirs:
                (Path(root) / n).chmod(0o755)
        model_copy.chmod(0o755)


# ------------------------------------------------------------------ pcm
def test_pcm_conversion_reference_and_safe():
    wav = np.array([0.0, 0.5, -0.5, 0.99999, -1.0, 1.0, 1.5, np.nan], dtype=np.float32)
    ref = to_pcm16(wav[:6])
    assert ref[:5].tolist() == [0, 16384, -16384, 32767, -32768]
    assert ref[5] == -32768  # documented overflow of the reference conversion: wraps
    safe = to_pcm16_safe(wav)
    assert safe.tolist() == [0, 16384, -16384, 32767, -32768, 32767, 32767, 0]
    x = np.float32(0.3) + np.zeros(3, np.float32)
    assert to_pcm16(-x).tolist() == [-9830] * 3  # truncation toward zero, not floor (-9830.4)


def test_volume_control(golden):
    from sambert_lambda.types import Controls

    v = ModelStore(MODEL, backend="torch").voice("zhitian_emo")
    sym = str(golden["zhitian_emo__1__symbols"])
    base, quiet = v.synthesize_line(sym), v.synthesize_line(sym, Controls(volume_db=-6.0))
    np.testing.assert_allclose(quiet.audio, base.audio * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(quiet.mel, base.mel)
