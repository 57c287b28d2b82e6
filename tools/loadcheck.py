"""Load checks of the HTTP API (dev tool, never shipped): one request mix, one report, two ways to drive it.

The mix: cache hits (a few fixed sentences, each synthesized once beforehand and then found in storage) and
distinct short texts (every one a synthesis), interleaved by ``hit_ratio``. The report: errors, p50/p95/p99
latency for hits and for syntheses, the serving process's RSS (start, end, peak, growth), and a cross-talk check:
every 200 answer must carry its own text's key and character count, all answers for one text must agree, a hit
text must come back cached and a distinct text synthesized, and (over HTTP) every returned URL must hold a WAV of
the announced length.

- :func:`run_load` sends the mix from N concurrent clients to a served app (``sambert-lambda serve``, uvicorn on
  127.0.0.1; :class:`ServedApp` starts one)::

      python -m tools.loadcheck serve --model-dir DIR --endpoint http://127.0.0.1:PORT --bucket B [--clients 8]
          [--requests 400] [--hit-ratio 0.5]

- :func:`api_load_check` sends it one request at a time (as a Lambda instance serves them) through the app in
  this process, on the configured model and bucket, or a tiny random-weight test voice and an in-process moto
  bucket when none is configured (the bench's ``api_load_check`` figures)::

      python -m tools.loadcheck inprocess [N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import wave
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.rie import free_port

Poster = Callable[[dict[str, Any]], tuple[int, bytes]]

HOST = "127.0.0.1"
MOTO_BUCKET = "sambert-loadcheck"
HIT_TEXTS = (
    "你好，欢迎使用语音合成服务。",
    "今天天气很好。",
    "请稍候，正在为您处理。",
    "谢谢您的耐心等待，再见！",
)
SENTENCES = (
    "我们一起去公园散步吧。",
    "请在下一个路口向右转。",
    "会议将于明天上午开始。",
    "祝您生活愉快，工作顺利。",
)


def synthesis_text(i: int) -> str:
    """A distinct short text (~15-20 characters): every one is a cache miss."""
    return f"第{i}位客户：{SENTENCES[i % len(SENTENCES)]}"


def characters(text: str) -> int:
    """The server's billable-character count (everything but whitespace)."""
    return sum(1 for c in text if not c.isspace())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(1000 * percentile(values, 0.50), 1),
        "p95_ms": round(1000 * percentile(values, 0.95), 1),
        "p99_ms": round(1000 * percentile(values, 0.99), 1),
        "max_ms": round(1000 * max(values), 1) if values else 0.0,
    }


def plan(requests: int, hit_ratio: float) -> list[tuple[str, str]]:
    """(kind, text) for every request, interleaved: ``hit`` texts repeat, ``synthesis`` texts are all distinct."""
    out: list[tuple[str, str]] = []
    hits = 0
    for i in range(requests):
        if hits < round((i + 1) * hit_ratio):
            out.append(("hit", HIT_TEXTS[hits % len(HIT_TEXTS)]))
            hits += 1
        else:
            out.append(("synthesis", synthesis_text(i)))
    return out


def _post(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - scheme checked above
                                 headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback URL built by us
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wav_frames(url: str, timeout: float = 30.0) -> tuple[int, int]:
    """(frames, rate) of the WAV behind a presigned URL, fetched over plain HTTP."""
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - presigned URL of the local endpoint
        data = r.read()
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes(), w.getframerate()


@dataclass
class _RSS:
    """Samples a process's RSS every ``every`` seconds on a thread; ``peak`` is the largest sample."""

    pid: int | None
    every: float = 0.25
    peak: int = 0
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def now(self) -> int:
        if self.pid is None:
            return 0
        import psutil

        return int(psutil.Process(self.pid).memory_info().rss)

    def __enter__(self) -> _RSS:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                rss = self.now()
                self.samples.append(rss)
                self.peak = max(self.peak, rss)
            except Exception:  # noqa: BLE001 - the process may be exiting; sampling is best effort
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def http_poster(base_url: str, api_key: str | None = None, timeout: float = 300.0) -> Poster:
    """POST /v1/tts over HTTP to ``base_url`` (a loopback server)."""
    headers = {"x-api-key": api_key} if api_key else {}
    url = base_url.rstrip("/") + "/v1/tts"
    return lambda body: _post(url, body, headers, timeout)


def run_load(
    target: str | Poster,
    *,
    clients: int = 8,
    requests: int = 400,
    hit_ratio: float = 0.5,
    api_key: str | None = None,
    server_pid: int | None = None,
    timeout: float = 300.0,
    verify_urls: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Send ``requests`` POST /v1/tts from ``clients`` threads and check every answer. Returns the report.

    ``target`` is a base URL, or a function that posts one JSON body and returns (status, body bytes)."""
    post = http_poster(target, api_key, timeout) if isinstance(target, str) else target
    for text in HIT_TEXTS:  # seed the cache: the hit texts are synthesized once, outside the measurement
        status, body = post({"text": text, "format": "wav"})
        if status != 200:
            raise RuntimeError(f"warm-up request failed: {status} {body[:200]!r}")
    work = plan(requests, hit_ratio)
    results: list[dict[str, Any] | None] = [None] * len(work)

    def one(i: int) -> None:
        kind, text = work[i]
        t = time.perf_counter()
        try:
            status, body = post({"text": text, "format": "wav"})
        except OSError as e:
            status, body = 0, repr(e).encode()
        res: dict[str, Any] = {"i": i, "kind": kind, "text": text, "status": status,
                               "seconds": time.perf_counter() - t}
        if status == 200:
            res["out"] = json.loads(body)
        else:
            res["body"] = body[:300].decode("utf-8", "replace")
        results[i] = res
        if on_result is not None:
            on_result(res)

    rss = _RSS(server_pid)
    rss_start = rss.now()
    t0 = time.perf_counter()
    with rss:
        if clients == 1:  # one request at a time, in this thread (an in-process client stays on its own thread)
            for i in range(len(work)):
                one(i)
        else:
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(one, range(len(work))))
    wall = time.perf_counter() - t0
    rss_end = rss.now()
    done = [r for r in results if r is not None]
    problems = check_cross_talk(done, verify_urls=verify_urls)
    errors = [r for r in done if r["status"] != 200]
    hits = [r["seconds"] for r in done if r["status"] == 200 and r["out"]["cached"]]
    synths = [r["seconds"] for r in done if r["status"] == 200 and not r["out"]["cached"]]
    return {
        "clients": clients,
        "requests": len(done),
        "wall_seconds": round(wall, 2),
        "throughput_rps": round(len(done) / wall, 2) if wall else 0.0,
        "errors": len(errors),
        "error_samples": [{"status": r["status"], "body": r.get("body")} for r in errors[:5]],
        "cross_talk": len(problems),
        "cross_talk_samples": problems[:5],
        "cache_hits": summary(hits),
        "syntheses": summary(synths),
        "distinct_texts": len({r["text"] for r in done}),
        "synthesis_text_chars": [min(map(characters, (r["text"] for r in done if r["kind"] == "synthesis")),
                                     default=0),
                                 max(map(characters, (r["text"] for r in done if r["kind"] == "synthesis")),
                                     default=0)],
        "rss_start_mb": round(rss_start / 2**20, 1),
        "rss_end_mb": round(rss_end / 2**20, 1),
        "rss_peak_mb": round(max(rss.peak, rss_end) / 2**20, 1),
        "rss_growth_mb": round((rss_end - rss_start) / 2**20, 1),
        "rss_mb_by_eighths": [round(rss.samples[min(len(rss.samples) - 1, k * len(rss.samples) // 8)] / 2**20, 1)
                              for k in range(1, 9)] if rss.samples else [],
        "results": done,
    }


def check_cross_talk(results: list[dict[str, Any]], *, verify_urls: bool = True) -> list[str]:
    """Every 200 answer belongs to its own request: one key per text and one text per key, the text's character
    count, the same duration for every answer of one text, and (``verify_urls``) a WAV behind each distinct URL
    of the announced length."""
    problems: list[str] = []
    by_text: dict[str, dict[str, Any]] = {}
    by_key: dict[str, str] = {}
    checked: set[str] = set()
    for r in results:
        if r["status"] != 200:
            continue
        out, text = r["out"], r["text"]
        if out["cached"] != (r["kind"] == "hit"):
            problems.append(f"request {r['i']}: a {r['kind']} text came back with cached={out['cached']}")
        if out["characters"] != characters(text):
            problems.append(f"request {r['i']}: characters {out['characters']} != {characters(text)}")
        first = by_text.setdefault(text, out)
        if (first["key"], first["duration_seconds"]) != (out["key"], out["duration_seconds"]):
            problems.append(f"request {r['i']}: answers for one text disagree")
        owner = by_key.setdefault(out["key"], text)
        if owner != text:
            problems.append(f"request {r['i']}: key shared by two texts")
        if verify_urls and out["key"] not in checked:
            checked.add(out["key"])
            frames, rate = wav_frames(out["url"])
            if frames != round(out["duration_seconds"] * rate):
                problems.append(f"request {r['i']}: object holds {frames} frames, answer says "
                                f"{out['duration_seconds']} s at {rate} Hz")
    return problems



class ServedApp:
    """``sambert-lambda serve`` (uvicorn, one process) on 127.0.0.1; stopped by its PID on exit."""

    def __init__(self, env: dict[str, str], *, log_path: Path | None = None, startup_timeout: float = 300.0):
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = log_path or Path(os.devnull)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> ServedApp:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "sambert_lambda", "serve", "--port", str(self.port)],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server did not answer /healthz within {self.startup_timeout} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def _environment(model_dir: str | None) -> Iterator[dict[str, str]]:
    """Model dir and S3 for the in-process check: the configured ones, else a test voice and an in-process moto
    bucket (moto is a dev dependency). The environment is restored afterwards."""
    overrides: dict[str, str] = {}
    moto = not os.environ.get("TTS_BUCKET")
    if moto:
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            overrides.setdefault(k, os.environ.get(k) or "loadcheck")
        overrides["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        overrides["TTS_BUCKET"] = MOTO_BUCKET
    saved = {k: os.environ.get(k) for k in (*overrides, "TTS_MODEL_DIR", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")}
    with contextlib.ExitStack() as stack:
        stack.callback(_restore, saved)
        if model_dir:
            overrides["TTS_MODEL_DIR"] = model_dir
        elif not (os.environ.get("TTS_MODEL_DIR") or os.environ.get("MODELSCOPE_CACHE")):
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="loadcheck-voice-"))
            subprocess.run(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "sambert_lambda", "make-test-voice", tmp, "--size", "tiny", "--voices", "1",
                 "--onnx"],  # the exported voice too, for the default (onnx) backend
                check=True, stdout=subprocess.DEVNULL,
            )
            overrides["TTS_MODEL_DIR"] = tmp
        if moto:
            os.environ.pop("AWS_ENDPOINT_URL", None)
            os.environ.pop("AWS_ENDPOINT_URL_S3", None)
        os.environ.update(overrides)
        if moto:
            import boto3
            from moto import mock_aws

            stack.enter_context(mock_aws())
            boto3.client("s3", region_name=overrides["AWS_DEFAULT_REGION"]).create_bucket(Bucket=MOTO_BUCKET)
        yield overrides


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def api_load_check(n: int = 200, *, model_dir: str | None = None, service: Any = None,
                   hit_ratio: float = 0.5) -> dict[str, Any]:
    """``n`` sequential requests of the mix through the app in this process (FastAPI's TestClient), after the
    hit texts are synthesized once. ``service`` replaces the configured one (tests pass a fake synthesizer)."""
    from fastapi.testclient import TestClient

    from sambert_lambda.api.app import create_app

    env_cm = _environment(model_dir) if service is None else contextlib.nullcontext({})
    with env_cm as env:
        if service is None:
            from sambert_lambda.service import build_service
            from sambert_lambda.settings import load_settings

            service = build_service(load_settings())
        app = create_app(lambda: service, settings_factory=lambda: service.settings)
        with TestClient(app, raise_server_exceptions=False) as client:

            def post(body: dict[str, Any]) -> tuple[int, bytes]:
                resp = client.post("/v1/tts", json=body)
                return resp.status_code, resp.content

            syntheses_before = service.stats.syntheses
            report = run_load(post, clients=1, requests=n, hit_ratio=hit_ratio, server_pid=os.getpid(),
                              verify_urls=False)
        done = [r for r in report.pop("results") if r["status"] == 200 and not r["out"]["cached"]]
        audio_s = sum(float(r["out"]["duration_seconds"]) for r in done)
        synth_s = sum(float(r["out"]["timings"].get("synthesis_s", 0.0)) for r in done)
        return {
            **report,
            "syntheses_run": service.stats.syntheses - syntheses_before - len(HIT_TEXTS),
            "rtf": round(synth_s / audio_s, 4) if audio_s else None,
            "test_voice": bool(service.test_voice),
            "model": service.model,
            "s3": "moto (in-process)" if env.get("TTS_BUCKET") == MOTO_BUCKET else "given/configured",
        }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.loadcheck", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    served = sub.add_parser("serve", help="N concurrent clients against `sambert-lambda serve` on 127.0.0.1")
    served.add_argument("--model-dir", required=True, help="TTS_MODEL_DIR for the server (e.g. a test voice)")
    served.add_argument("--endpoint", required=True, help="S3 endpoint (moto or LocalStack on 127.0.0.1)")
    served.add_argument("--bucket", required=True, help="an existing bucket on that endpoint")
    served.add_argument("--clients", type=int, default=8)
    served.add_argument("--requests", type=int, default=400)
    served.add_argument("--hit-ratio", type=float, default=0.5)
    inproc = sub.add_parser("inprocess", help="sequential requests through the app in this process")
    inproc.add_argument("requests", type=int, nargs="?", default=200)
    inproc.add_argument("--model-dir", help="TTS_MODEL_DIR (default: the configured one, else a test voice)")
    args = p.parse_args(argv)
    if args.mode == "serve":
        env = {"TTS_MODEL_DIR": args.model_dir, "TTS_BUCKET": args.bucket, "AWS_ENDPOINT_URL": args.endpoint}
        with ServedApp(env) as app:
            report = run_load(app.base_url, clients=args.clients, requests=args.requests,
                              hit_ratio=args.hit_ratio, server_pid=app.pid)
        report.pop("results")
    else:
        from sambert_lambda.errors import TTSError

        try:
            report = api_load_check(args.requests, model_dir=args.model_dir)
        except TTSError as e:
            print(f"error [{e.code}] {e.message}", file=sys.stderr)
            return 2
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["errors"] == 0 and report["cross_talk"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
