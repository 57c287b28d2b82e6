"""The batch path on the real S3 adapter (moto server on 127.0.0.1) with the real synthesizer on the tiny test
voice: audio decodes to the length the manifest states, re-delivery changes nothing, and a runtime process
killed mid-file followed by re-delivery leaves every line done exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import boto3
import pytest

from sambert_lambda import audio
from sambert_lambda.batch import aws, handle_s3_event
from sambert_lambda.settings import load_settings
from sambert_lambda.storage import Storage
from tests.support.batch import FakeContext, s3_event
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def env(moto_endpoint, test_voice_dir):
    bucket = f"batch-it-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        aws.clear()
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
        yield SimpleNamespace(endpoint=moto_endpoint, bucket=bucket, voice=test_voice_dir)
    aws.clear()


@pytest.fixture(scope="module")
def service(env):
    from sambert_lambda.synthesizer import Synthesizer

    settings = load_settings(bucket=env.bucket, model_dir=str(env.voice), batch_chunk_chars=20)
    synth = Synthesizer.from_settings(settings)
    synth.load()
    return SimpleNamespace(settings=settings, synthesizer=synth, storage=Storage(settings))


def put(service, key, body: bytes, **meta):
    service.storage.put(key, body, "application/octet-stream", meta)


def manifest(service, root):
    return json.loads(service.storage.get(root + "manifest.json")[0])


def objects(service, prefix="output/"):
    return {o["Key"]: o["ETag"] for o in service.storage.iter_objects(prefix)}


def test_txt_jsonl_ssml_on_real_voice(service):
    text = "今天天气很好。我们去公园散步吧！你觉得怎么样？好的。"
    lines = [{"id": "a", "text": "你好。", "format": "wav"}, {"text": "再见。", "emotion": "happy"},
             {"text": "坏", "voice": "nobody"}, {"text": "<speak>未闭合", "ssml": True},
             {"text": "<speak>一<break time=\"200ms\"/>二</speak>", "ssml": True, "format": "wav"}]
    put(service, "input/it/a.txt", text.encode(), format="wav")
    put(service, "input/it/b.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode())
    put(service, "input/it/c.ssml", "<speak>你好<break time=\"300ms\"/>世界</speak>".encode())
    for key in ("input/it/a.txt", "input/it/b.jsonl", "input/it/c.ssml"):
        handle_s3_event(s3_event(service.settings.bucket, key), FakeContext(), service)

    a = manifest(service, "output/it/a.txt/")
    assert a["status"] == "complete" and a["items"][0]["status"] == "done"
    wave, rate = audio.decode(service.storage.get("output/it/a.txt/audio.wav")[0], "wav")
    parts = [audio.decode(service.storage.get(k)[0], "wav")[0]
             for k in sorted(objects(service, "output/it/a.txt/.parts/"))]
    assert len(parts) > 1 and len(wave) == sum(len(p) for p in parts)
    assert a["items"][0]["duration"] == round(len(wave) / rate, 3)

    b = manifest(service, "output/it/b.jsonl/")
    assert [e["status"] for e in b["items"]] == ["done", "done", "failed", "failed", "done"]
    assert [e["error"]["code"] for e in b["items"] if e["error"]] == ["unknown_voice", "invalid_ssml"]
    for entry in (e for e in b["items"] if e["status"] == "done"):
        data, meta = service.storage.get(entry["key"])
        assert meta["source-etag"] == b["source"]["etag"]
        wave, rate = audio.decode(data, entry["format"])
        if entry["format"] == "wav":
            assert round(len(wave) / rate, 3) == entry["duration"]
        else:
            assert entry["duration"] - 0.01 <= len(wave) / rate <= entry["duration"] + 0.15  # MP3 padding

    c = manifest(service, "output/it/c.ssml/")
    assert c["items"][0]["status"] == "done" and c["items"][0]["duration"] > 0.3  # includes the 300 ms break

    before = objects(service)
    for _ in range(3):
        for key in ("input/it/a.txt", "input/it/b.jsonl", "input/it/c.ssml"):
            handle_s3_event(s3_event(service.settings.bucket, key), FakeContext(), service)
    assert objects(service) == before


CRASH_DRIVER = """
import json, sys
from infra.poller import LocalContext
from sambert_lambda.handler import handler
print(json.dumps(handler(json.load(open(sys.argv[1])), LocalContext(timeout_s=900))))
"""


@pytest.mark.slow
def test_runtime_killed_mid_file_then_redelivered(env, service, tmp_path):
    n = 30
    key = "input/crash/lines.jsonl"
    body = "\n".join(json.dumps({"id": i, "text": f"第{i}句，天气很好。"}, ensure_ascii=False) for i in range(1, n + 1))
    put(service, key, body.encode())
    etag = service.storage.head(key).etag
    done_prefix = f"output/crash/lines.jsonl/.done/{etag}/"
    event_file = tmp_path / "event.json"
    event = s3_event(env.bucket, key)
    event_file.write_text(json.dumps(event))
    child_env = {**os.environ, "AWS_ENDPOINT_URL": env.endpoint, "TTS_BUCKET": env.bucket,
                 "TTS_MODEL_DIR": str(env.voice), "PYTHONPATH": os.pathsep.join([str(REPO / "function"), str(REPO)])}
    proc = subprocess.Popen([sys.executable, "-c", CRASH_DRIVER, str(event_file)], env=child_env,
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "runtime.log").open("wb"),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while len(service.storage.list(done_prefix)) < 3:
            assert proc.poll() is None, "the runtime exited early: " + (tmp_path / "runtime.log").read_text()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group this test started
        proc.wait(timeout=30)
    done_at_kill = {k: v for k, v in objects(service, done_prefix).items()}
    assert 3 <= len(done_at_kill) < n, "the kill must land mid-file"
    assert service.storage.head("output/crash/lines.jsonl/manifest.json") is None

    calls = []
    original = service.synthesizer.synthesize
    service.synthesizer.synthesize = lambda text, **kw: calls.append(text) or original(text, **kw)
    try:
        handle_s3_event(event, FakeContext(), service)
    finally:
        service.synthesizer.synthesize = original
    m = manifest(service, "output/crash/lines.jsonl/")
    assert m["summary"] == {"total": n, "done": n, "failed": 0, "pending": 0}
    assert len(calls) == n - len(done_at_kill)  # finished lines were not redone
    assert len(calls) == len(set(calls))
    after = objects(service, "output/crash/lines.jsonl/")
    assert sorted(k for k in after if k.endswith(".mp3")) == [
        f"output/crash/lines.jsonl/{i:05d}.mp3" for i in range(1, n + 1)]
    assert len([k for k in after if k.startswith(done_prefix)]) == n
    assert all(after[k] == v for k, v in done_at_kill.items())
