"""Helpers for tests that start a local server: a free loopback port, waiting for it, stopping it by its PID."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from infra.rie import free_port, stop_process
from tests.support.paths import REPO


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # loopback only
                return
        except urllib.error.HTTPError:
            return  # the server answers
        except OSError as e:
            last = e
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s: {last}")


@contextlib.contextmanager
def serve(env: dict[str, str], log_path: Path, timeout: float = 240.0):
    """``sambert-lambda serve`` (uvicorn on 127.0.0.1, a free port) with ``env``; yields its base URL once /healthz
    answers 200 (past the cold start). Output goes to ``log_path``; stopped by its PID."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sambert_lambda", "serve", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=5):  # loopback only
                        break
                except (urllib.error.HTTPError, OSError):
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"serve did not come up: {log_path.read_text()[-2000:]}") from None
                    time.sleep(0.5)
            yield base
        finally:
            stop_process(proc)


def local_serve_env(model_dir, environ=None) -> dict[str, str]:
    """The environment of a ``serve`` without S3 (local files): no TTS_*, AWS endpoint or API key from outside."""
    import os

    base = os.environ if environ is None else environ
    env = {k: v for k, v in base.items() if not k.startswith(("AWS_ENDPOINT", "TTS_")) and k != "API_KEY"}
    env.update({"TTS_MODEL_DIR": str(model_dir), "AWS_DEFAULT_REGION": "us-east-1"})
    return env
