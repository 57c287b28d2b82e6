"""Load check for the bench: N sequential warm requests through the HTTP app, half cache hits, half ~20-character
syntheses. Reports errors, RSS growth, and p50/p95 latency for each kind.

``api_load_check(n=200)`` uses the configured model (``TTS_MODEL_DIR`` / ModelScope cache) or, when none is
configured, a tiny random-weight test voice made on the spot. S3 is the configured endpoint, or an in-process moto
mock when no bucket is configured (moto is a dev dependency). ``python -m sambert_lambda.api.loadcheck [N]``
prints the result as JSON.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

SENTENCES = (
    "今天天气很好，我们一起去公园散步吧。",
    "请在下一个路口向右转，然后直行。",
    "欢迎使用语音合成服务，祝您生活愉快。",
    "会议将于明天上午准时开始，请勿迟到。",
)
HIT_BODY = {"text": "你好，欢迎使用语音合成服务。", "format": "wav"}


def short_text(i: int) -> str:
    """A distinct sentence of about 20 characters (distinct, so every one is a cache miss)."""
    return f"第{i}次：" + SENTENCES[i % len(SENTENCES)]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(1000 * _percentile(values, 0.50), 2),
        "p95_ms": round(1000 * _percentile(values, 0.95), 2),
        "max_ms": round(1000 * max(values), 2) if values else 0.0,
        "mean_ms": round(1000 * statistics.fmean(values), 2) if values else 0.0,
    }


@contextlib.contextmanager
def _environment(model_dir: str | None) -> Iterator[dict[str, str]]:
    """Model dir and S3 for the check: the configured ones, else a test voice and an in-process moto bucket."""
    overrides: dict[str, str] = {}
    stack = contextlib.ExitStack()
    with stack:
        if model_dir:
            overrides["TTS_MODEL_DIR"] = model_dir
        elif not (os.environ.get("TTS_MODEL_DIR") or os.environ.get("MODELSCOPE_CACHE")):
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="loadcheck-voice-"))
            subprocess.run(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "sambert_lambda", "make-test-voice", tmp, "--size", "tiny", "--voices", "1", "--onnx"],
                check=True, stdout=subprocess.DEVNULL,
            )
            overrides["TTS_MODEL_DIR"] = tmp
        if not os.environ.get("TTS_BUCKET"):
            from moto import mock_aws

            for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                overrides.setdefault(k, os.environ.get(k) or "loadcheck")
            overrides["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            overrides["TTS_BUCKET"] = "sambert-loadcheck"
            saved = {k: os.environ.get(k) for k in (*overrides, "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")}
            os.environ.pop("AWS_ENDPOINT_URL", None)
            os.environ.pop("AWS_ENDPOINT_URL_S3", None)
            os.environ.update(overrides)
            stack.callback(_restore, saved)
            stack.enter_context(mock_aws())
            import boto3

            boto3.client("s3", region_name=overrides["AWS_DEFAULT_REGION"]).create_bucket(Bucket="sambert-loadcheck")
        else:
            saved = {k: os.environ.get(k) for k in overrides}
            os.environ.update(overrides)
            stack.callback(_restore, saved)
        yield overrides


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def api_load_check(n: int = 200, *, model_dir: str | None = None, service: Any = None) -> dict[str, Any]:
    """Run ``n`` sequential warm requests through the app (after one warm-up of each kind) and report."""
    import psutil
    from fastapi.testclient import TestClient

    from sambert_lambda.api.app import create_app

    env_cm = _environment(model_dir) if service is None else contextlib.nullcontext({})
    with env_cm as env:
        if service is None:
            from sambert_lambda.service import build_service
            from sambert_lambda.settings import load_settings

            service = build_service(load_settings())
        app = create_app(lambda: service, settings_factory=lambda: service.settings)
        proc = psutil.Process()
        hits: list[float] = []
        misses: list[float] = []
        errors: list[dict[str, Any]] = []
        with TestClient(app, raise_server_exceptions=False) as client:
            for body in (HIT_BODY, HIT_BODY, {"text": short_text(-1)}):  # warm-up: not counted
                client.post("/v1/tts", json=body)
            gc.collect()
            rss_start = proc.memory_info().rss
            syntheses_before = service.stats.syntheses
            audio_s = 0.0
            synth_s = 0.0
            checkpoints: list[float] = []
            for i in range(n):
                if n >= 4 and i % (n // 4) == 0 and i:
                    checkpoints.append(round(proc.memory_info().rss / 2**20, 1))
                body = HIT_BODY if i % 2 == 0 else {"text": short_text(i)}
                t = time.perf_counter()
                resp = client.post("/v1/tts", json=body)
                dt = time.perf_counter() - t
                if resp.status_code != 200:
                    errors.append({"i": i, "status": resp.status_code, "body": resp.text[:200]})
                    continue
                out = resp.json()
                expected_cached = i % 2 == 0
                if out["cached"] != expected_cached:
                    errors.append({"i": i, "status": 200, "body": f"cached={out['cached']}"})
                (hits if out["cached"] else misses).append(dt)
                if not out["cached"]:
                    audio_s += float(out["duration_seconds"])
                    synth_s += float(out["timings"].get("synthesis_s", 0.0))
            gc.collect()
            rss_end = proc.memory_info().rss
        return {
            "requests": n,
            "errors": len(errors),
            "error_samples": errors[:5],
            "cache_hits": _summary(hits),
            "syntheses_20_chars": _summary(misses),
            "syntheses_run": service.stats.syntheses - syntheses_before,
            "short_text_chars": len(short_text(1)),
            "rtf": round(synth_s / audio_s, 4) if audio_s else None,
            "rss_start_mb": round(rss_start / 2**20, 1),
            "rss_end_mb": round(rss_end / 2**20, 1),
            "rss_growth_mb": round((rss_end - rss_start) / 2**20, 1),
            "rss_mb_at_quarters": [*checkpoints, round(rss_end / 2**20, 1)],
            "rss_growth_second_half_mb": round(rss_end / 2**20 - checkpoints[1], 1) if len(checkpoints) >= 2 else None,
            "test_voice": bool(service.test_voice),
            "model": service.model,
            "s3": "moto (in-process)" if env.get("TTS_BUCKET") == "sambert-loadcheck" else "given/configured",
        }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(api_load_check(count), ensure_ascii=False, indent=2))
