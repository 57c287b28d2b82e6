"""Cold-path imports, checked in fresh interpreters: HTTP/storage never pull torch; the engine never pulls boto3."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "module", ["sambert_lambda.api.app", "sambert_lambda.storage", "sambert_lambda.synthesizer"]
)
def test_http_storage_and_pipeline_do_not_import_torch(module):
    loaded = _modules_after_import(module)
    assert module in loaded
    assert "torch" not in loaded


@pytest.mark.parametrize(
    "module",
    ["sambert_lambda.engine.torch.voice", "sambert_lambda.engine.torch.sambert", "sambert_lambda.engine.onnx.vocoder"],
)
def test_engine_does_not_import_boto3(module):
    loaded = _modules_after_import(module)
    assert module in loaded
    assert not {"boto3", "botocore"} & loaded


def test_onnx_runtime_engine_does_not_import_torch():
    assert "torch" not in _modules_after_import("sambert_lambda.engine.onnx.vocoder")
