"""Every variable goes through the one settings model (one prefix), and the ones read at init are used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sambert_lambda.errors import ConfigInvalid
from sambert_lambda.settings import aws_endpoint, aws_region, load_settings
from tests.support.paths import REPO


def test_process_switches(monkeypatch):
    monkeypatch.setenv("TTS_WARMUP", "0")
    monkeypatch.setenv("TTS_EAGER_INIT", "false")
    monkeypatch.setenv("TTS_LOG_LEVEL", "debug")
    s = load_settings()
    assert (s.warmup, s.eager_init, s.log_level) == (False, False, "DEBUG")


def test_bad_log_level_is_named(monkeypatch):
    monkeypatch.setenv("TTS_LOG_LEVEL", "loud")
    with pytest.raises(ConfigInvalid) as e:
        load_settings()
    assert "TTS_LOG_LEVEL" in e.value.message


def test_endpoint_and_region_read_in_one_place(monkeypatch):
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(k, raising=False)
    assert aws_endpoint("s3") is None and aws_region() == "us-east-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert (aws_endpoint("s3"), aws_endpoint("sqs"), aws_region()) == ("http://127.0.0.1:1", "http://127.0.0.1:2",
                                                                       "eu-west-1")


@pytest.mark.parametrize("level,shown", [("ERROR", False), ("INFO", True)])
def test_log_level_is_applied_at_init(tmp_path, level, shown):
    """build_service applies TTS_LOG_LEVEL before loading: an INFO line of the failed load shows only at INFO."""
    code = ("from sambert_lambda.service import build_service\n"
            "from sambert_lambda.errors import TTSError\n"
            "try:\n    build_service()\nexcept TTSError:\n    pass\n"
            "from sambert_lambda.observability import logger\nlogger.info('probe-line')\n")
    env = {"PATH": "/usr/bin:/bin", "TTS_LOG_LEVEL": level, "TTS_BUCKET": "b", "TTS_MODEL_DIR": str(tmp_path / "none"),
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert ("probe-line" in out.stdout + out.stderr) is shown, out.stdout + out.stderr


def test_docs_table_lists_every_setting():

    from sambert_lambda.settings import Settings

    doc = (REPO / "docs" / "http-api.md").read_text(encoding="utf-8")
    section = doc.split("## Settings", 1)[1].split("\n## ", 1)[0]
    special = {"api_key": "API_KEY", "modelscope_cache": "MODELSCOPE_CACHE"}
    missing = [n for n in Settings.model_fields if f"`{special.get(n, 'TTS_' + n.upper())}`" not in section]
    assert missing == []


def test_frontend_cache_setting_reaches_the_frontend(monkeypatch, tmp_path):
    """TTS_FRONTEND_CACHE is read by the settings model only; the synthesizer hands it to the frontend."""
    from types import SimpleNamespace

    from sambert_lambda import synthesizer
    from sambert_lambda.engine import voice
    from sambert_lambda.frontend import dict_cache

    store = SimpleNamespace(voice_names=["zhitian_emo"], default_voice="zhitian_emo")
    monkeypatch.setattr(voice, "open_store", lambda settings: store)
    monkeypatch.setitem(dict_cache._state, "configured", None)
    assert dict_cache.default_path() != tmp_path / "fe.cache"  # the default: the temp directory
    monkeypatch.setenv("TTS_FRONTEND_CACHE", str(tmp_path / "fe.cache"))
    assert load_settings().frontend_cache == str(tmp_path / "fe.cache")
    synthesizer.Synthesizer.from_settings(load_settings())
    assert dict_cache.default_path() == tmp_path / "fe.cache"
    monkeypatch.setenv("TTS_FRONTEND_CACHE", "off")
    synthesizer.Synthesizer.from_settings(load_settings())
    assert dict_cache.default_path() is None


def test_the_frontend_does_not_import_the_settings_model():
    """A frontend-only process stays off pydantic-settings (about 0.17 s CPU of its cold start)."""
    probe = ("import sys; from sambert_lambda.frontend.pipeline import OpenFrontend; OpenFrontend().symbol_lines('你好');"
             " print('sambert_lambda.settings' in sys.modules, 'pydantic_settings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout


def test_one_prefix_for_the_package_s_own_variables():
    """The package names no variable of its own outside TTS_ (API_KEY and the tools' standard names aside)."""
    import re

    found = []
    for path in (REPO / "function" / "sambert_lambda").rglob("*.py"):
        found += [f"{path.name}: {m}" for m in re.findall(r"\bSAMBERT_[A-Z0-9_]+\b", path.read_text(encoding="utf-8"))]
    assert found == []


# Environment reads allowed outside settings.py, each with its reason: the engine's runtime reads the Lambda
# runtime's memory size and sets the native libraries' thread variables (facts of the host, not settings); the
# package root gives numpy's BLAS one thread before numpy loads (a default of the host library, not a setting).
ENV_READERS_OUTSIDE_SETTINGS = {"engine/runtime.py", "__init__.py"}


def _environment_reads(source: str) -> list[int]:
    """Lines of ``source`` that touch the process environment: ``os.environ``, ``os.getenv``, ``os.putenv``, or
    ``environ``/``getenv`` imported from os."""
    import ast

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "environb"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "getenv", "environb") for a in node.names):
                lines.append(node.lineno)
    return lines


def test_only_settings_reads_the_environment():
    """Every variable goes through settings.py (the model, or its aws_*/powertools_* helpers for the libraries'
    own names); a new ``os.environ`` read elsewhere in the package fails here."""
    package = REPO / "function" / "sambert_lambda"
    found = []
    for path in package.rglob("*.py"):
        rel = path.relative_to(package).as_posix()
        if rel == "settings.py" or rel in ENV_READERS_OUTSIDE_SETTINGS:
            continue
        found += [f"{rel}:{n}" for n in _environment_reads(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_environment_scan_sees_every_form():
    src = "import os\nfrom os import getenv\na = os.environ['X']\nb = os.getenv('Y')\nc = os.environ.get('Z')\n"
    assert sorted(_environment_reads(src)) == [2, 3, 4, 5]
    assert _environment_reads("import os\npath = os.path.join('a', 'b')\n") == []
