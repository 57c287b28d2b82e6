"""Streamed speech over real HTTP: time to the first body chunk and to the last, as a client sees them.

Starts ``sambert-lambda serve`` (uvicorn on 127.0.0.1, a free port, local-file storage, one thread) on the given model
directory, waits for ``/healthz``, then sends ``POST /v1/audio/speech`` (streamed, the route's default) for each text
and reads the body chunk by chunk. The server is stopped by its PID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from infra.rie import HOST, free_port, stop_process


def _env(model_dir: Path, onnx_dir: Path | None, backend: str, voice: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "TTS_")) and k != "API_KEY"}
    env.update({"TTS_MODEL_DIR": str(model_dir), "TTS_VOICES": voice, "TTS_THREADS": "1", "TTS_BACKEND": backend,
                "AWS_DEFAULT_REGION": "us-east-1"})  # fmt: skip
    if onnx_dir:
        env["TTS_ONNX_DIR"] = str(onnx_dir)
    return env


def _wait(base: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):  # noqa: S310 - loopback only
                return
        except (urllib.error.HTTPError, OSError):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("serve did not come up") from None
            time.sleep(0.3)


def _one(base: str, text: str, fmt: str) -> dict:
    import httpx

    t0 = time.perf_counter()
    first = None
    size = chunks = 0
    with httpx.stream("POST", base + "/v1/audio/speech", json={"input": text, "response_format": fmt},
                      timeout=600) as r:  # fmt: skip
        if r.status_code != 200:
            raise RuntimeError(f"speech answered {r.status_code}")
        for chunk in r.iter_raw():
            if chunk and first is None:
                first = time.perf_counter() - t0
            size += len(chunk)
            chunks += 1
    return {"first_chunk_ms": round(1000 * (first or 0.0), 1), "total_s": round(time.perf_counter() - t0, 3),
            "chunks": chunks, "bytes": size}  # fmt: skip


def measure(model_dir: Path, texts: dict[str, str], *, onnx_dir: Path | None = None, backend: str = "onnx",
            voice: str = "zhitian_emo", fmt: str = "pcm", repeats: int = 1, timeout: float = 300.0) -> dict:  # fmt: skip
    """{name: {chars, first_chunk_ms, total_s, audio_s, chunks}} for each text (the run with the median first
    chunk of ``repeats``, after one warm-up request)."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "sambert_lambda", "serve", "--port", str(port)]  # serve binds 127.0.0.1
    proc = subprocess.Popen(cmd, env=_env(model_dir, onnx_dir, backend, voice), stdout=subprocess.DEVNULL,  # noqa: S603
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait(base, proc, timeout)
        _one(base, "你好。", fmt)
        out = {}
        for name, text in texts.items():
            runs = sorted((_one(base, text, fmt) for _ in range(repeats)), key=lambda r: r["first_chunk_ms"])
            run = runs[len(runs) // 2]
            rate = 24000 if fmt == "pcm" else None  # the route's pcm is OpenAI's 24 kHz s16le
            if rate:
                run["audio_s"] = round(run["bytes"] / 2 / rate, 3)
            out[name] = {"chars": len(text), "format": fmt, **run}
        return out
    finally:
        stop_process(proc)
