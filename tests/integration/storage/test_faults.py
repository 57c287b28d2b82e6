"""Storage fault injection: the app (real synthesizer on the tiny test voice) talks to a moto
S3 server over real HTTP through ``infra.faultproxy`` on 127.0.0.1, which throttles, fails, stalls or drops
requests on demand.

- throttling and 500s are retried (botocore standard mode: TTS_STORAGE_RETRIES retries with backoff), then the
  API answers 503 ``storage_unavailable``; a transient fault within the retry budget is absorbed (200);
- endpoint down -> 503; a stalled endpoint is cut by TTS_STORAGE_TIMEOUT -> 503 (the test proves the client gave
  up before the proxy answered, without timing assertions);
- after every fault the bucket, listed straight from moto (not through the proxy), holds no partial object and no
  object that was not handed out, no multipart upload is left open, and every URL returned with a 200 resolves
  to audio of the returned length.
"""

from __future__ import annotations

import io
import itertools
import json
import urllib.request
import wave

import pytest
from fastapi.testclient import TestClient

from infra.faultproxy import FaultProxy
from sambert_lambda.api.app import create_app
from sambert_lambda.errors import StorageUnavailable
from tests.support.real import new_bucket, raw_s3, real_service, real_settings

RETRIES = 2  # -> 3 attempts per S3 call
TIMEOUT = 1.0
_texts = (f"第{i}句，故障注入测试。" for i in itertools.count())


@pytest.fixture(scope="module")
def env(real_synth, test_voice_dir, moto_endpoint):
    with FaultProxy(upstream=moto_endpoint) as proxy:
        bucket = new_bucket(moto_endpoint, "faults")
        cfg = real_settings(test_voice_dir, bucket, storage_retries=RETRIES, storage_timeout=TIMEOUT)
        service = real_service(real_synth, cfg, proxy.url)
        app = create_app(lambda: service, settings_factory=lambda: cfg)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield {"proxy": proxy, "client": client, "raw": raw_s3(moto_endpoint), "bucket": bucket,
                   "service": service, "handed_out": {}}


@pytest.fixture(autouse=True)
def clean_proxy(env):
    env["proxy"].clear()
    env["proxy"].log.clear()
    yield
    env["proxy"].clear()
    assert_bucket_consistent(env)


def tts(env, text: str | None = None):
    resp = env["client"].post("/v1/tts", json={"text": text or next(_texts), "format": "wav"})
    if resp.status_code == 200:
        out = resp.json()
        env["handed_out"][out["key"]] = out
    return resp


def assert_503(resp) -> None:
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["error"]["code"] == "storage_unavailable"
    assert "url" not in body and "X-Amz" not in resp.text


def bucket_keys(env) -> set[str]:
    pages = env["raw"].get_paginator("list_objects_v2").paginate(Bucket=env["bucket"])
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def assert_bucket_consistent(env) -> None:
    """Only handed-out objects exist, each complete, each URL resolving; no open multipart upload."""
    keys = bucket_keys(env)
    assert keys <= set(env["handed_out"]) | env.get("late_puts", set()), keys - set(env["handed_out"])
    assert not env["raw"].list_multipart_uploads(Bucket=env["bucket"]).get("Uploads")
    for key, out in env["handed_out"].items():
        assert key in keys
        with urllib.request.urlopen(out["url"], timeout=10) as r:  # real HTTP, through the (cleared) proxy
            data = r.read()
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnframes() == round(out["duration_seconds"] * w.getframerate())


def attempts(env, method: str) -> int:
    return len([o for o in env["proxy"].outcomes(method) if o != "pass"])


def test_clean_path_works_through_the_proxy(env):
    resp = tts(env)
    assert resp.status_code == 200 and resp.json()["cached"] is False
    assert set(env["proxy"].outcomes()) == {"pass"}


@pytest.mark.parametrize("mode", ["throttle", "error500"])
def test_persistent_put_fault_is_retried_then_503(env, mode):
    before = bucket_keys(env)
    env["proxy"].set_fault(mode, methods={"PUT"})
    assert_503(tts(env))
    assert attempts(env, "PUT") == RETRIES + 1  # retried with backoff, then given up
    env["proxy"].clear()
    assert bucket_keys(env) == before  # nothing half-written or orphaned


@pytest.mark.parametrize("mode", ["throttle", "error500"])
def test_persistent_head_fault_is_503_before_any_synthesis(env, mode):
    syntheses = env["service"].stats.syntheses
    env["proxy"].set_fault(mode, methods={"HEAD"})
    assert_503(tts(env))
    assert attempts(env, "HEAD") == RETRIES + 1
    assert env["proxy"].outcomes("PUT") == []
    assert env["service"].stats.syntheses == syntheses  # failed fast: no CPU spent


@pytest.mark.parametrize("mode", ["throttle", "error500"])
def test_transient_fault_within_budget_is_absorbed(env, mode):
    env["proxy"].set_fault(mode, count=RETRIES, methods={"PUT"})
    resp = tts(env)
    assert resp.status_code == 200, resp.text
    assert env["proxy"].outcomes("PUT") == [mode] * RETRIES + ["pass"]


def test_all_requests_failing_then_recovery(env):
    text = next(_texts)
    env["proxy"].set_fault("error500")
    assert_503(tts(env, text))
    env["proxy"].clear()
    resp = tts(env, text)  # the same request after recovery: synthesized and stored once, complete
    assert resp.status_code == 200 and resp.json()["cached"] is False
    assert tts(env, text).json()["cached"] is True


def test_endpoint_down_is_503(env):
    syntheses = env["service"].stats.syntheses
    env["proxy"].set_fault("down")
    assert_503(tts(env))
    assert env["proxy"].outcomes("HEAD") == ["down"] * (RETRIES + 1)
    assert env["service"].stats.syntheses == syntheses  # the cache lookup failed first: no synthesis wasted


def test_endpoint_down_for_cache_hit_is_503(env):
    text = next(_texts)
    assert tts(env, text).status_code == 200
    env["proxy"].set_fault("down")
    assert_503(tts(env, text))


def test_stalled_endpoint_is_cut_by_the_timeout(env):
    """HEAD stalls 8 s per attempt; TTS_STORAGE_TIMEOUT=1 s. The 503 arrives while every stalled request is
    still held by the proxy (it logs a request only once it has forwarded it), so the client did not wait."""
    syntheses = env["service"].stats.syntheses
    env["proxy"].set_fault("slow", delay=8, methods={"HEAD"})
    assert_503(tts(env))
    assert env["proxy"].outcomes("HEAD") == []  # none of the stalled attempts had been answered yet
    assert env["service"].stats.syntheses == syntheses
    env["proxy"].clear()
    assert tts(env).status_code == 200  # recovers without a restart


def test_late_put_lands_complete_never_partial(env):
    """A PUT stalled past the timeout may still land after the API answered 503 (as on real S3). The object is
    content-addressed and arrives whole: it decodes to the right length and is a valid cache entry."""
    import time

    text = next(_texts)
    env["proxy"].set_fault("slow", delay=2, methods={"PUT"})
    assert_503(tts(env, text))
    deadline = time.monotonic() + 30
    while len(env["proxy"].outcomes("PUT")) < RETRIES + 1 and time.monotonic() < deadline:
        time.sleep(0.2)  # wait for the stalled attempts to be forwarded (polling, not a timing assertion)
    env["proxy"].clear()
    late = bucket_keys(env) - set(env["handed_out"])
    assert len(late) == 1
    env.setdefault("late_puts", set()).update(late)
    resp = tts(env, text)
    out = resp.json()
    assert resp.status_code == 200 and out["cached"] is True and out["key"] in late
    data, meta = env["service"].storage.get(out["key"])
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnframes() == round(float(meta["duration-seconds"]) * w.getframerate())


def test_multipart_part_failure_aborts_and_leaves_nothing(env):
    """A 17 MB body goes multipart; every part upload fails -> the upload is aborted, no object, no open upload."""
    store = env["service"].storage
    env["proxy"].set_fault("error500", methods={"PUT"})
    with pytest.raises(StorageUnavailable):
        store.put("output/faults/big.wav", b"\0" * (17 * 1024 * 1024), "audio/wav")
    env["proxy"].clear()
    assert "output/faults/big.wav" not in bucket_keys(env)
    assert "DELETE" in {m for m, _, _ in env["proxy"].log}  # AbortMultipartUpload was sent


def test_presign_needs_no_endpoint(env, moto_endpoint):
    """Presigning is local computation: a URL is minted even with the endpoint down, and it resolves once the
    endpoint is back (for an object that exists)."""
    text = next(_texts)
    out = tts(env, text).json()
    env["proxy"].set_fault("down")
    url, _ = env["service"].storage.presign(out["key"])
    env["proxy"].clear()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read(4) == b"RIFF"


def test_error_bodies_are_json_only(env):
    env["proxy"].set_fault("error500")
    resp = tts(env)
    assert resp.headers["content-type"].startswith("application/json")
    assert set(json.loads(resp.content)) == {"error"}
