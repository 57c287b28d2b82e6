"""Session fixtures shared by every test layer.

- AWS credentials are fake and every client is pointed at a local endpoint: no test can reach real AWS.
- ``test_voice_dir``: a tiny random-weight voice in the real ModelScope layout, made by the project's own CLI.
- ``moto_endpoint``: a moto server on 127.0.0.1 (fast; validates no signatures).
- ``localstack_endpoint``: LocalStack in host mode on 127.0.0.1:4566 (validates SigV4, expires presigned URLs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import image_run
from tests.support.paths import GOLDEN_DIR, REPO
from tests.support.servers import free_port, stop_process, wait_http

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "sambert-lambda-tests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "sambert-lambda")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """The image tests run last: their ``scripts/image-test`` run goes on in the background meanwhile."""
    items[:] = [i for i in items if not image_run.is_image_test(i)] + [i for i in items if image_run.is_image_test(i)]


def pytest_collection_finish(session):
    if session.config.option.collectonly or not any(image_run.is_image_test(i) for i in session.items):
        return
    if image_run.unavailable_reason() is None:
        image_run.RUN.start()


def pytest_sessionfinish(session, exitstatus):
    image_run.RUN.stop()


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN_DIR


@pytest.fixture(scope="session")
def golden() -> dict:
    """Every array of the KAN-TTS golden reference (``<voice>__<line>__<name>``), loaded once per session."""
    import numpy as np

    with np.load(GOLDEN_DIR / "golden.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="session")
def test_voice_dir(tmp_path_factory) -> Path:
    """Tiny random-weight test voices (all four names) written by ``sambert-lambda make-test-voice``, with their ONNX
    export in ``onnx/`` (what the default engine runs)."""
    out = tmp_path_factory.mktemp("test-voice") / "model"
    subprocess.run(
        [sys.executable, "-m", "sambert_lambda", "make-test-voice", str(out), "--size", "tiny", "--voices", "4", "--onnx"],
        check=True,
        cwd=REPO,
    )
    return out


@pytest.fixture(scope="session")
def moto_endpoint():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/moto-api/", timeout=30)
        yield url
    finally:
        stop_process(proc, timeout=10)


@pytest.fixture(scope="session")
def localstack_endpoint():
    """LocalStack host mode on 127.0.0.1 (or AWS_ENDPOINT_URL if one is already running). Started once per session."""
    from infra import localstack

    url = localstack.start()
    try:
        yield url
    finally:
        localstack.stop()


@pytest.fixture(autouse=True)
def _ieee_floats_after_each_test():
    """A test that loads a torch voice applies the engine's runtime config, which flushes denormals to zero in this
    thread. Hypothesis refuses to generate floats in that state, so every test hands the next one IEEE behaviour."""
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_flush_denormal(False)


@pytest.fixture(scope="session")
def real_synth(test_voice_dir):
    """The real Synthesizer (frontend + Sambert + HiFiGAN) on the tiny random-weight test voice, loaded once."""
    from sambert_lambda.settings import load_settings
    from sambert_lambda.synthesizer import Synthesizer

    synth = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir)))
    synth.load()
    # Loading applies the engine's runtime config, which flushes denormals to zero (a speed setting). Hypothesis
    # (and schemathesis on top of it) refuses to generate floats in that state, so the suite restores IEEE
    # behaviour; synthesis results do not depend on it.
    import torch

    torch.set_flush_denormal(False)
    return synth
