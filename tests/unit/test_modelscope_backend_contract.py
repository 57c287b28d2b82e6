"""Contract test of the optional ModelScope backend against a FAKE pipeline (no ttsfrd/modelscope here).

It checks our side: how the pipeline is built (task, model dir, compat shims applied first), the read-only model
dir workaround, the WAV-bytes output parsing and error mapping. It cannot prove the real pipeline's behaviour.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import types
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sambert_lambda.engine.modelscope_backend import ModelScopeBackend, wav_bytes_to_pcm, writable_model_dir
from sambert_lambda.errors import InvalidInput, ModelError, UnknownVoice

pytestmark = pytest.mark.contract

FIXTURE_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "kantts-golden" / "MODEL"


def _wav(samples: np.ndarray, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


class FakePipeline:
    """Behaves like TextToSpeechSambertHifiganPipeline: extracts resource.zip into the model dir on load."""

    def __init__(self, model_dir: str):
        import scipy.signal

        assert hasattr(scipy.signal, "kaiser"), "compat.apply() must run before the pipeline is built"
        with zipfile.ZipFile(Path(model_dir) / "resource.zip") as z:
            z.extractall(model_dir)  # what SambertHifigan does: fails on a read-only dir
        self.model_dir = model_dir
        self.calls: list[tuple[str, str]] = []

    def __call__(self, input: str, voice: str | None = None):
        self.calls.append((input, voice))
        n = 200 * len(input)
        return {"output_wav": _wav(np.arange(n, dtype=np.int16) % 1000 - 500)}


@pytest.fixture
def model_dir(tmp_path) -> Path:
    dst = tmp_path / "model"
    shutil.copytree(FIXTURE_MODEL, dst)
    with zipfile.ZipFile(dst / "resource.zip", "w") as z:
        z.writestr("resource/frontend.cfg", "lang=zhcn")
    return dst


@pytest.fixture
def fake_modelscope(monkeypatch):
    built: list[dict] = []

    def pipeline(task=None, model=None, **kw):
        built.append({"task": task, "model": model, **kw})
        return FakePipeline(model)

    mods = {
        "modelscope": types.ModuleType("modelscope"),
        "modelscope.pipelines": types.ModuleType("modelscope.pipelines"),
        "modelscope.utils": types.ModuleType("modelscope.utils"),
        "modelscope.utils.constant": types.ModuleType("modelscope.utils.constant"),
    }
    mods["modelscope.pipelines"].pipeline = pipeline
    mods["modelscope.utils.constant"].Tasks = types.SimpleNamespace(text_to_speech="text-to-speech")
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    return built


def test_builds_stock_pipeline_and_parses_wav(model_dir, fake_modelscope):
    backend = ModelScopeBackend(model_dir, ["zhitian_emo", "zhiyan_emo"])
    assert fake_modelscope == [{"task": "text-to-speech", "model": str(model_dir.resolve())}]
    pcm, rate = backend.synthesize("北京今天天气怎么样", "zhiyan_emo")
    assert rate == 16000 and pcm.dtype == np.int16 and pcm.size == 200 * 9
    np.testing.assert_array_equal(pcm[:3], [-500, -499, -498])
    assert backend._pipeline.calls == [("北京今天天气怎么样", "zhiyan_emo")]
    backend.synthesize("你好")
    assert backend._pipeline.calls[-1] == ("你好", "zhitian_emo")  # voices[0] is the default


def test_read_only_model_dir_uses_symlink_farm(model_dir, fake_modelscope, tmp_path, monkeypatch):
    """Simulated read-only image (tests may run as root, which ignores file modes)."""
    read_only = model_dir.resolve()
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).resolve() != read_only)
    real_extract = zipfile.ZipFile.extractall

    def guarded_extract(self, path=None, *a, **k):
        if Path(path).resolve() == read_only:
            raise PermissionError(f"[Errno 30] Read-only file system: {path}")
        return real_extract(self, path, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "extractall", guarded_extract)
    backend = ModelScopeBackend(model_dir, ["zhitian_emo"], tmp_root=tmp_path / "tmp")
    farm = Path(fake_modelscope[0]["model"])
    assert farm.parent == tmp_path / "tmp"
    assert (farm / "resource" / "frontend.cfg").is_file() and not (farm / "resource").is_symlink()
    assert (farm / "voices").is_symlink() and not (model_dir / "resource").exists()
    assert backend.synthesize("好")[0].size == 200
    with pytest.raises(PermissionError):  # negative control: the guard does bite on the original dir
        FakePipeline(str(model_dir))


def test_symlink_farm_directly(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)  # treat every dir as read-only
    farm = writable_model_dir(model_dir, tmp_path / "t")
    assert sorted(p.name for p in farm.iterdir()) == sorted(p.name for p in model_dir.iterdir())
    assert all((farm / p.name).resolve() == p.resolve() for p in model_dir.iterdir())
    assert writable_model_dir(model_dir, tmp_path / "t") == farm  # idempotent


def test_input_errors(model_dir, fake_modelscope):
    backend = ModelScopeBackend(model_dir, ["zhitian_emo"])
    with pytest.raises(UnknownVoice, match="zhibei_emo"):
        backend.synthesize("你好", "zhibei_emo")
    with pytest.raises(InvalidInput):
        backend.synthesize("   ")


def test_modelscope_missing(model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "modelscope", None)
    monkeypatch.setitem(sys.modules, "modelscope.pipelines", None)
    with pytest.raises(ModelError, match="ttsfrd"):
        ModelScopeBackend(model_dir, ["zhitian_emo"])


def test_python_version_refusal_is_reported(model_dir):
    def refuse(_dir):
        raise ImportError("Python version needs to be <= 3.10")

    with pytest.raises(ModelError, match=r"Python version needs to be <= 3\.10"):
        ModelScopeBackend(model_dir, ["zhitian_emo"], pipeline_factory=refuse)


def test_bad_pipeline_output(model_dir):
    backend = ModelScopeBackend(model_dir, ["zhitian_emo"], pipeline_factory=lambda _d: lambda **_k: {"x": 1})
    with pytest.raises(ModelError, match="output_wav"):
        backend.synthesize("你好")
    with pytest.raises(ModelError, match="invalid WAV"):
        wav_bytes_to_pcm(b"RIFF....garbage")
