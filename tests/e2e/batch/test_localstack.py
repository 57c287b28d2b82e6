"""Acceptance of the batch path and its faults on LocalStack S3 + SQS.

- The S3 event is the one S3 emits: LocalStack's S3 -> SQS notification of each upload (the capture queue made
  by ``infra.setup_resources``) gives the exact payload, which is handed to the function running under the real
  Lambda Runtime Interface Emulator (``infra.rie``).
- The fan-out queue is drained by the local-only poller (``infra.poller``), which invokes the function through
  the RIE with the SQS event payload, as Lambda's event source mapping would, honouring partial batch responses.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from infra.poller import Poller, via_rie
from sambert_lambda import audio
from tests.support.batch import jsonl_50_with_3_bad

pytestmark = [pytest.mark.localstack, pytest.mark.timeout(600)]  # LocalStack and the emulator start

MAX_INPUT = 100_000
VISIBILITY_S = 5


@pytest.fixture(scope="module")
def stack(localstack_endpoint):
    from infra.setup_resources import clients, ensure_resources

    bucket = f"batch-e2e-{uuid.uuid4().hex[:8]}"
    info = ensure_resources(localstack_endpoint, bucket)
    s3, sqs = clients(localstack_endpoint)
    # Short visibility so redelivery after a failure takes seconds, not the production 6 x timeout.
    sqs.set_queue_attributes(QueueUrl=info["queue_url"], Attributes={"VisibilityTimeout": str(VISIBILITY_S)})
    return SimpleNamespace(**info, s3=s3, sqs=sqs)


def function_env(stack, voice, **extra) -> dict[str, str]:
    return {**stack.env, "TTS_MODEL_DIR": str(voice), "TTS_DLQ_URL": stack.dlq_url, "TTS_BATCH_MAX_RECEIVE": "3",
            "TTS_BATCH_CHUNK_CHARS": "20", "TTS_MAX_INPUT_BYTES": str(MAX_INPUT),
            "POWERTOOLS_SERVICE_NAME": "sambert-lambda", **extra}


@pytest.fixture(scope="module")
def rie(stack, test_voice_dir, tmp_path_factory):
    from infra.rie import RIE

    with RIE(env=function_env(stack, test_voice_dir), log_path=tmp_path_factory.mktemp("rie") / "rie.log",
             timeout_s=300) as r:
        yield r


@pytest.fixture(scope="module")
def tight(stack, test_voice_dir, tmp_path_factory):
    """The same function with a tiny time budget: 60 s timeout, stop starting work 55 s before it. Its S3 and SQS
    traffic goes through ``infra.faultproxy`` so a test can slow S3 down: how many units fit in 5 s must not depend
    on how fast the machine synthesizes. One warm-up invoke first (a synthesis: the RIE initialises on the first
    invoke and the frontend loads its dictionaries on the first sentence), as a warm Lambda instance would be."""
    from infra.faultproxy import FaultProxy
    from infra.rie import RIE

    with FaultProxy(upstream=stack.endpoint) as proxy:
        env = function_env(stack, test_voice_dir, TTS_BATCH_TIME_MARGIN_MS="55000", AWS_ENDPOINT_URL=proxy.url)
        with RIE(env=env, log_path=tmp_path_factory.mktemp("rie-tight") / "rie.log", timeout_s=60) as r:
            assert "error" not in r.invoke({"text": "你好。", "format": "wav"})
            yield SimpleNamespace(rie=r, proxy=proxy)


def upload(stack, key: str, body: bytes, **meta) -> str:
    return stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=body, Metadata=meta)["ETag"].strip('"')


_EVENTS: dict[str, dict] = {}


def s3_event_for(stack, key: str, timeout: float = 60) -> dict:
    """The S3 notification LocalStack delivered for ``key`` (its key URL-encoded inside), from the capture queue."""
    from urllib.parse import unquote_plus

    deadline = time.monotonic() + timeout
    while key not in _EVENTS:
        assert time.monotonic() < deadline, f"no S3 notification for {key}"
        resp = stack.sqs.receive_message(QueueUrl=stack.events_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for msg in resp.get("Messages", []):
            stack.sqs.delete_message(QueueUrl=stack.events_queue_url, ReceiptHandle=msg["ReceiptHandle"])
            event = json.loads(msg["Body"])
            for rec in event.get("Records", []):  # s3:TestEvent has none
                _EVENTS[unquote_plus(rec["s3"]["object"]["key"])] = event
    return _EVENTS.pop(key)


def manifest(stack, root: str) -> dict:
    return json.loads(stack.s3.get_object(Bucket=stack.bucket, Key=root + "manifest.json")["Body"].read())


def objects(stack, prefix: str, with_time: bool = False) -> dict[str, object]:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix=prefix)
    return {o["Key"]: (o["ETag"], o["LastModified"]) if with_time else o["ETag"]
            for p in pages for o in p.get("Contents", [])}


def body(stack, key: str) -> bytes:
    return stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()


def queue_depth(stack, url: str) -> int:
    a = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture(scope="module")
def accepted(stack, rie):
    """A .txt, a .jsonl with 50 lines (3 bad) and an .ssml, each delivered once through the RIE."""
    text = "今天天气很好。我们去公园散步吧！你觉得怎么样？好的，那就这么定了。"
    lines, bad = jsonl_50_with_3_bad()
    keys = {"txt": "input/课程 一/chapter 1.txt", "jsonl": "input/prompts+50.jsonl", "ssml": "input/doc.ssml"}
    upload(stack, keys["txt"], text.encode(), format="wav", voice="zhizhe_emo")
    etag = upload(stack, keys["jsonl"], lines)
    upload(stack, keys["ssml"], "<speak>你好<break time=\"300ms\"/>世界</speak>".encode())
    events = {k: s3_event_for(stack, key) for k, key in keys.items()}
    results = {k: rie.invoke(e) for k, e in events.items()}
    return SimpleNamespace(keys=keys, events=events, results=results, text=text, bad=bad, jsonl_etag=etag,
                           lines=lines)


def test_notification_keys_arrive_url_encoded(accepted):
    raw = accepted.events["txt"]["Records"][0]["s3"]["object"]["key"]
    assert raw != accepted.keys["txt"] and " " not in raw  # percent-encoded (AWS writes spaces as '+')
    for kind, key in accepted.keys.items():
        assert accepted.results[kind]["batch"][0]["key"] == key
        assert accepted.results[kind]["batch"][0]["status"] == "complete"


def test_txt_gives_one_audio_and_manifest(stack, accepted):
    m = manifest(stack, "output/课程 一/chapter 1.txt/")
    assert m["status"] == "complete" and m["summary"] == {"total": 1, "done": 1, "failed": 0, "pending": 0}
    wave, rate = audio.decode(body(stack, "output/课程 一/chapter 1.txt/audio.wav"), "wav")
    parts = objects(stack, "output/课程 一/chapter 1.txt/.parts/")
    assert len(parts) > 1
    assert len(wave) == sum(len(audio.decode(body(stack, k), "wav")[0]) for k in sorted(parts))
    assert m["items"][0]["duration"] == round(len(wave) / rate, 3)


def test_jsonl_50_lines_3_bad(stack, accepted):
    m = manifest(stack, "output/prompts+50.jsonl/")
    assert m["source"]["etag"] == accepted.jsonl_etag and m["source"]["bucket"] == stack.bucket
    assert m["summary"] == {"total": 50, "done": 47, "failed": 3, "pending": 0}
    failed = {e["line"]: e["error"]["code"] for e in m["items"] if e["status"] == "failed"}
    assert failed == {7: "invalid_json", 23: "unknown_voice", 41: "invalid_ssml"}
    assert set(failed) == accepted.bad
    for entry in m["items"]:
        if entry["status"] != "done":
            continue
        assert entry["key"] == f"output/prompts+50.jsonl/{entry['line']:05d}.{entry['format']}"
        wave, rate = audio.decode(body(stack, entry["key"]), entry["format"])
        seconds = len(wave) / rate
        if entry["format"] == "wav":
            assert round(seconds, 3) == entry["duration"]
        else:  # MP3 adds encoder delay and frame padding (< 3 frames of 576 samples), never removes audio
            assert entry["duration"] - 0.01 <= seconds <= entry["duration"] + 0.15


def test_ssml_gives_audio(stack, accepted):
    m = manifest(stack, "output/doc.ssml/")
    assert m["items"][0]["status"] == "done" and m["items"][0]["key"] == "output/doc.ssml/audio.mp3"
    wave, rate = audio.decode(body(stack, "output/doc.ssml/audio.mp3"), "mp3")
    assert len(wave) / rate >= 0.3


def test_redelivery_three_times_changes_nothing(stack, rie, accepted):
    before = objects(stack, "output/")
    for _ in range(3):
        for event in accepted.events.values():
            rie.invoke(event)
    assert objects(stack, "output/") == before


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [("empty.txt", b"", "empty_file"), ("gbk.txt", "你好，世界。".encode("gbk"), "invalid_encoding"),
     ("binary.jsonl", bytes(range(256)) * 8, "binary_file"), ("huge.txt", b"a" * (MAX_INPUT + 1), "too_large")],
)
def test_bad_files_get_a_manifest(stack, rie, name, data, code):
    key = f"input/bad/{name}"
    etag = upload(stack, key, data)
    result = rie.invoke(s3_event_for(stack, key))
    assert result["batch"][0]["status"] == "failed"
    m = manifest(stack, f"output/bad/{name}/")
    assert m["error"]["code"] == code and m["source"]["etag"] == etag and m["items"] == []
    assert list(objects(stack, f"output/bad/{name}/")) == [f"output/bad/{name}/manifest.json"]


def test_forced_time_budget_completes_through_fanout(stack, tight):
    n = 40
    key = "input/tight/lines.jsonl"
    data = "\n".join(json.dumps({"id": i, "text": f"第{i}句，天气很好。"}, ensure_ascii=False) for i in range(1, n + 1))
    upload(stack, key, data.encode())
    event = s3_event_for(stack, key)
    # Every S3 PUT held 0.3 s: a unit writes its audio and its marker, so 40 units need >= 24 s of a 5 s budget
    # on any machine, however fast it synthesizes (CI once finished all 40 in 5 s without this).
    tight.proxy.set_fault("slow", delay=0.3, methods={"PUT"})
    try:
        result = tight.rie.invoke(event)["batch"][0]
    finally:
        tight.proxy.clear()
    assert result["status"] == "fanned_out", result
    assert 0 < result["enqueued_units"] < n
    first = manifest(stack, "output/tight/lines.jsonl/")  # consistent while the fan-out runs
    assert first["status"] == "in_progress"
    assert first["summary"]["done"] == n - result["enqueued_units"]
    assert first["summary"]["pending"] == result["enqueued_units"]
    assert all(e["status"] == "pending" or stack.s3.head_object(Bucket=stack.bucket, Key=e["key"])
               for e in first["items"])

    # One message per invoke: with a 5 s budget a batch of several could be deferred (and redelivered).
    poller = Poller(stack.sqs, stack.queue_url, via_rie(tight.rie.url), batch_size=1, wait_seconds=1)
    stats = poller.drain(idle_polls=2 + VISIBILITY_S, deadline_s=900)
    assert stats.function_errors == 0 and stats.failed == 0
    m = manifest(stack, "output/tight/lines.jsonl/")
    assert m["status"] == "complete" and m["summary"] == {"total": n, "done": n, "failed": 0, "pending": 0}
    audio_keys = sorted(k for k in objects(stack, "output/tight/lines.jsonl/") if k.endswith(".mp3"))
    assert audio_keys == [f"output/tight/lines.jsonl/{i:05d}.mp3" for i in range(1, n + 1)]
    assert queue_depth(stack, stack.queue_url) == 0 and queue_depth(stack, stack.dlq_url) == 0


def test_poison_message_lands_in_the_dlq_with_its_reason(stack, rie):
    assert queue_depth(stack, stack.queue_url) == 0
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody='{"v": 1, "units": "all of them"}')
    poller = Poller(stack.sqs, stack.queue_url, via_rie(rie.url), batch_size=5, wait_seconds=1)
    stats = poller.drain(idle_polls=2 + VISIBILITY_S, deadline_s=120)  # idle longer than a visibility timeout
    assert stats.received == 3 and stats.failed == 2 and stats.deleted == 1
    msgs = stack.sqs.receive_message(QueueUrl=stack.dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=2)
    dead = msgs["Messages"]
    assert len(dead) == 1 and dead[0]["Body"] == '{"v": 1, "units": "all of them"}'
    reason = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert reason["error_code"] == "invalid_message" and reason["receive_count"] == "3"
    assert "bucket, key or etag" in reason["error_message"]
    stack.sqs.delete_message(QueueUrl=stack.dlq_url, ReceiptHandle=dead[0]["ReceiptHandle"])


@pytest.mark.slow
def test_runtime_killed_mid_file_then_redelivered(stack, rie, test_voice_dir, tmp_path):
    from infra.rie import RIE

    n = 30
    key = "input/crash/lines.jsonl"
    data = "\n".join(json.dumps({"id": i, "text": f"第{i}句，今天天气很好。"}, ensure_ascii=False)
                     for i in range(1, n + 1))
    etag = upload(stack, key, data.encode())
    event = s3_event_for(stack, key)
    done_prefix = f"output/crash/lines.jsonl/.done/{etag}/"
    victim = RIE(env=function_env(stack, test_voice_dir), log_path=tmp_path / "victim.log", timeout_s=300)
    victim.start()
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("r", _try_invoke(victim, event)), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 600
        while len(objects(stack, done_prefix)) < 3:
            assert thread.is_alive(), f"the invocation ended before the kill: {outcome}"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(victim.proc.pid, signal.SIGKILL)  # the RIE and its runtime: the process group we started
        victim.stop()
    thread.join(timeout=60)
    at_kill = objects(stack, done_prefix, with_time=True)
    assert 3 <= len(at_kill) < n
    time.sleep(1.1)  # LastModified has one-second resolution: a redone marker would show a later time
    rie.invoke(event)  # re-delivery to a fresh runtime
    m = manifest(stack, "output/crash/lines.jsonl/")
    assert m["summary"] == {"total": n, "done": n, "failed": 0, "pending": 0}
    after = objects(stack, "output/crash/lines.jsonl/", with_time=True)
    assert sorted(k for k in after if k.endswith(".mp3")) == [
        f"output/crash/lines.jsonl/{i:05d}.mp3" for i in range(1, n + 1)]
    assert len([k for k in after if k.startswith(done_prefix)]) == n
    assert all(after[k] == v for k, v in at_kill.items())  # lines done before the kill were not redone


def _try_invoke(rie, event):
    try:
        return rie.invoke(event, timeout=600)
    except OSError as e:  # the runtime was killed under it
        return f"{type(e).__name__}"
