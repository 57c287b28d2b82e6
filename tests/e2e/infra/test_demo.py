"""The README's first command, ``./scripts/demo``, as a user runs it: it sets up, synthesizes through the Lambda
runtime loop on LocalStack, and prints a presigned URL that downloads and decodes (test-voice audio, labelled)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import urllib.request

import pytest
import soundfile as sf

from tests.support.paths import REPO

pytestmark = [pytest.mark.localstack, pytest.mark.timeout(900)]  # first run: the test voice and its ONNX export


def test_demo_prints_a_presigned_url_that_works(localstack_endpoint):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TTS_MODEL_DIR", "MODELSCOPE_CACHE", "TTS_BACKEND", "TTS_ONNX_DIR")}
    proc = subprocess.run([str(REPO / "scripts" / "demo"), "--no-wait"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=840, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    out = proc.stdout
    assert "presigned URL [TEST-VOICE AUDIO: random weights, not speech]:" in out, out
    url = re.search(r"^(http://127\.0\.0\.1:\d+/\S+X-Amz-Signature=\S+)$", out, re.M)
    assert url, out
    assert "Traceback" not in proc.stderr
    # The URL keeps working while LocalStack runs (here the suite's own LocalStack stays up).
    with urllib.request.urlopen(url.group(1), timeout=30) as resp:
        assert resp.status == 200
        audio, rate = sf.read(io.BytesIO(resp.read()), dtype="float32")
    assert rate == 16000 and 0.5 < len(audio) / rate < 30
    assert re.search(r"fetched \d+ bytes over HTTP: WAV 16000 Hz, [\d.]+ s \[TEST-VOICE AUDIO", out), out
    assert "cached True" in out  # the direct invoke of the same request hit the content-addressed cache
