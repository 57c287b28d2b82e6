"""bake-model contract test: a fake ``modelscope`` module stands in for the hub (unreachable here).

This checks OUR side of the contract (call signature, layout verification, error messages, the cache layout the
runtime finds); it cannot prove the real hub's behaviour.
"""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pytest

from sambert_lambda.cli import main
from sambert_lambda.engine.voice import open_store
from sambert_lambda.settings import load_settings
from tests.support.paths import GOLDEN_DIR

pytestmark = pytest.mark.contract

FIXTURE = GOLDEN_DIR
MODEL_ID = "iic/speech_sambert-hifigan_tts_zh-cn_16k"


def _fake_modelscope(monkeypatch, impl) -> list:
    calls: list = []

    def snapshot_download(model_id, revision=None, cache_dir=None, **kw):
        calls.append((model_id, revision, cache_dir, kw))
        return impl(model_id, revision, cache_dir)

    mod = types.ModuleType("modelscope")
    mod.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "modelscope", mod)
    return calls


def _write_layout(model_id, revision, cache_dir):
    owner, name = model_id.split("/")
    dst = Path(cache_dir) / owner / name
    shutil.copytree(FIXTURE / "MODEL", dst)
    (dst / ".mv").write_text(f"Revision:{revision},CreatedAt:1700000000")
    return str(dst)


def test_download_verify_and_runtime_finds_it(tmp_path, monkeypatch, capsys):
    calls = _fake_modelscope(monkeypatch, _write_layout)
    rc = main(["bake-model", "--cache", str(tmp_path), "--revision", "v1.0.2", "--load"])
    out = capsys.readouterr().out
    assert rc == 0
    assert calls == [(MODEL_ID, "v1.0.2", str(tmp_path), {})]
    assert "3 voice(s) verified and loaded" in out and "checkpoint_980000.pth" in out
    store = open_store(load_settings(modelscope_cache=str(tmp_path), threads=1, backend="torch"))
    assert store.revision == "v1.0.2" and store.voice_names == ["zhitian_emo", "zhiyan_emo", "zhibei_emo"]


def test_required_voice_missing(tmp_path, monkeypatch, capsys):
    _fake_modelscope(monkeypatch, _write_layout)
    assert main(["bake-model", "--cache", str(tmp_path), "--voices", "zhizhe_emo"]) == 1
    assert "zhizhe_emo" in capsys.readouterr().err


def test_broken_layout_is_reported(tmp_path, monkeypatch, capsys):
    def broken(model_id, revision, cache_dir):
        path = Path(_write_layout(model_id, revision, cache_dir))
        shutil.rmtree(path / "voices" / "zhiyan_emo" / "voc" / "ckpt")
        (path / "voices" / "zhiyan_emo" / "voc" / "ckpt").mkdir()
        return str(path)

    _fake_modelscope(monkeypatch, broken)
    assert main(["bake-model", "--cache", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint" in err and "zhiyan_emo" in err


def test_hub_unreachable(tmp_path, monkeypatch, capsys):
    def offline(*_a):
        raise ConnectionError("Name or service not known: modelscope.cn")

    _fake_modelscope(monkeypatch, offline)
    assert main(["bake-model", "--cache", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "hub reachable" in err and "ConnectionError" in err and "modelscope.cn" in err


def test_modelscope_not_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "modelscope", None)  # makes the import fail
    assert main(["bake-model", "--cache", str(tmp_path)]) == 1
    assert "modelscope is not installed" in capsys.readouterr().err


def test_test_voice_into_cache_layout(tmp_path, capsys):
    rc = main(
        [
            "bake-model",
            "--cache",
            str(tmp_path),
            "--test-voice",
            "--test-voice-size",
            "tiny",
            "--voices",
            "zhiyan_emo",
        ]
    )
    assert rc == 0
    assert (tmp_path / "iic" / "speech_sambert-hifigan_tts_zh-cn_16k" / "voices" / "voices.json").is_file()
    store = open_store(load_settings(modelscope_cache=str(tmp_path), threads=1, backend="torch"))
    assert store.is_test_voice and store.voice_names == ["zhitian_emo", "zhiyan_emo"]
    assert "1 voice(s) verified" in capsys.readouterr().out
