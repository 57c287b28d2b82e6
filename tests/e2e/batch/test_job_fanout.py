"""A long-form job (``POST /v1/jobs``) on LocalStack, fanned out to four parallel consumers.

- The API runs under the real Lambda Runtime Interface Emulator (Function URL events through Mangum). It writes the
  job's input to the bucket; LocalStack's S3 -> SQS notification of that upload gives the event S3 emits, which is
  handed to the same function with a 5 s time budget: it synthesizes what fits and fans the rest out to SQS.
- Four local pollers (``python -m infra.poller``, one process each, each its own function instance) drain the
  fan-out queue in parallel, as Lambda's event source mapping would. Their output goes to log files that a failure
  prints; a consumer that dies is a failure, never restarted behind the test's back.
- Checked: every part exactly once and in order (manifest, objects, done markers, fan-out messages each received
  once), every part's audio decoded back with the length the manifest says, and the sentence marks of all parts,
  placed with their ``text_offset``, giving back every sentence of the input once, in order.

The job is 100,000 characters in parts of 1,000 characters, at ``speed`` 2.0 (half the audio to synthesize on the
random-weight test voice, so it takes minutes, not an hour); ``JOB_FANOUT_CHARS`` and ``JOB_FANOUT_SPEED`` change
that (below 20,000 characters the parts are 250 characters, so a quick run still fans out). The wall time and
throughput are printed (``-s``) as one JSON line.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import soundfile as sf

from tests.support.events import function_url_event
from tests.support.paths import REPO

TIMEOUT_S = int(os.environ.get("JOB_FANOUT_TIMEOUT", "2700"))
pytestmark = [pytest.mark.localstack, pytest.mark.slow, pytest.mark.timeout(TIMEOUT_S)]

CHARS = int(os.environ.get("JOB_FANOUT_CHARS", "100000"))
SPEED = float(os.environ.get("JOB_FANOUT_SPEED", "2.0"))  # the job's speed field (2.0 halves the audio to make)
CONSUMERS = 4
PART_CHARS = 250 if CHARS < 20_000 else 1000
FUNCTION_TIMEOUT_S = 60
BUDGET_MARGIN_MS = 55_000  # the S3-event invocation stops starting units after 5 s


def sentences(chars: int) -> list[str]:
    out, n, i = [], 0, 0
    while n < chars:
        i += 1
        s = f"第{i}句，今天天气很好，我们去公园散步吧。"
        out.append(s)
        n += len(s)
    return out


@pytest.fixture(scope="module")
def stack(localstack_endpoint, test_voice_dir):
    from infra.setup_resources import clients, ensure_resources

    bucket = f"job-fanout-{uuid.uuid4().hex[:8]}"
    info = ensure_resources(localstack_endpoint, bucket, function_timeout=FUNCTION_TIMEOUT_S)
    s3, sqs = clients(localstack_endpoint)
    # A visibility timeout far beyond any unit's synthesis: a message is delivered again only if it failed.
    sqs.set_queue_attributes(QueueUrl=info["queue_url"], Attributes={"VisibilityTimeout": "900"})
    env = {**info["env"], "TTS_MODEL_DIR": str(test_voice_dir), "TTS_DLQ_URL": info["dlq_url"],
           "TTS_MAX_CHARS": str(PART_CHARS), "TTS_BATCH_MAX_TXT_CHARS": str(PART_CHARS), "TTS_THREADS": "1",
           "POWERTOOLS_SERVICE_NAME": "sambert-lambda"}  # fmt: skip
    env.pop("API_KEY", None)
    return SimpleNamespace(**info, s3=s3, sqs=sqs, fn_env=env)


def _http(rie, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    import base64

    out = rie.invoke(function_url_event(method, path, body))
    raw = out.get("body") or ""
    raw = base64.b64decode(raw) if out.get("isBase64Encoded") else raw.encode()
    return out["statusCode"], json.loads(raw or b"{}")


def _s3_event(stack, key: str, timeout: float = 60) -> dict:
    from urllib.parse import unquote_plus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = stack.sqs.receive_message(QueueUrl=stack.events_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for msg in resp.get("Messages", []):
            stack.sqs.delete_message(QueueUrl=stack.events_queue_url, ReceiptHandle=msg["ReceiptHandle"])
            event = json.loads(msg["Body"])
            if any(unquote_plus(r["s3"]["object"]["key"]) == key for r in event.get("Records", [])):
                return event
    raise AssertionError(f"no S3 notification for {key}")


def _objects(stack, prefix: str) -> list[str]:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix=prefix)
    return [o["Key"] for p in pages for o in p.get("Contents", [])]


def _depth(stack, url: str) -> int:
    a = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


class Consumers:
    """CONSUMERS poller processes on the fan-out queue; stopped with SIGINT, after which each prints its stats."""

    def __init__(self, stack, log_dir: Path):
        self.logs = [log_dir / f"consumer-{i}.log" for i in range(CONSUMERS)]
        argv = [sys.executable, "-m", "infra.poller", "--queue-url", stack.queue_url, "--handler",
                "sambert_lambda.handler:handler", "--batch-size", "1", "--timeout", "900"]  # the longest Lambda timeout
        env = {**os.environ, **stack.fn_env}
        self.procs = [subprocess.Popen(argv, env=env, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
                      for log in self.logs]  # fmt: skip

    def check_alive(self) -> None:
        for proc, log in zip(self.procs, self.logs, strict=True):
            assert proc.poll() is None, f"consumer {proc.pid} exited with {proc.returncode}:\n{self.tail(log)}"

    def stop(self) -> list[dict]:
        stats = []
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc, log in zip(self.procs, self.logs, strict=True):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
            lines = [x for x in log.read_text(errors="replace").splitlines() if x.startswith('{"batches"')]
            stats.append(json.loads(lines[-1]) if lines else {})
        return stats

    @staticmethod
    def tail(log: Path, n: int = 40) -> str:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])


def test_long_job_fans_out_to_four_consumers_nothing_lost_or_duplicated(stack, tmp_path):
    from infra.rie import RIE

    said = sentences(CHARS)
    text = "".join(said)
    env = {**stack.fn_env, "TTS_BATCH_TIME_MARGIN_MS": str(BUDGET_MARGIN_MS)}
    with RIE(env=env, log_path=tmp_path / "api.log", timeout_s=FUNCTION_TIMEOUT_S) as api:
        t0 = time.monotonic()
        status, created = _http(api, "POST", "/v1/jobs", {"text": text, "format": "wav", "speed": SPEED,
                                                   "speech_marks": ["sentence"]})
        assert status == 202, created
        job = created["id"]
        s3_result = api.invoke(_s3_event(stack, f"input/jobs/{job}.jsonl"))["batch"][0]
        assert s3_result["status"] == "fanned_out", s3_result  # the 5 s budget left most parts to the queue
        consumers = Consumers(stack, tmp_path)
        try:
            doc: dict = {}
            while True:
                # the job's own deadline comes before pytest's, so a stuck job fails with its last status
                assert time.monotonic() - t0 < TIMEOUT_S - 120, doc
                consumers.check_alive()
                status, doc = _http(api, "GET", f"/v1/jobs/{job}")
                assert status == 200, doc
                if doc["status"] in ("complete", "failed"):
                    break
                time.sleep(2)
            wall = time.monotonic() - t0
        finally:
            stats = consumers.stop()
    assert doc["status"] == "complete", doc
    logs = "\n\n".join(Consumers.tail(p) for p in consumers.logs)
    assert all(s for s in stats), f"a consumer printed no stats:\n{logs}"

    # every fan-out message received once and deleted once, by some consumer; nothing left in either queue
    messages = s3_result["messages"]
    assert sum(s["received"] for s in stats) == sum(s["deleted"] for s in stats) == messages, (stats, logs)
    assert sum(s["failed"] + s["function_errors"] for s in stats) == 0, (stats, logs)
    assert sum(1 for s in stats if s["received"]) >= 2  # the work really was shared
    assert _depth(stack, stack.queue_url) == 0 and _depth(stack, stack.dlq_url) == 0

    # every part once, in order: the manifest, the objects and the done markers agree
    import httpx

    manifest = httpx.get(doc["manifest_url"], timeout=60).json()
    n = len(manifest["items"])
    assert manifest["summary"] == {"total": n, "done": n, "failed": 0, "pending": 0}
    assert [i["id"] for i in manifest["items"]] == [f"part-{k:05d}" for k in range(1, n + 1)] and n == len(doc["parts"])
    root = f"output/jobs/{job}.jsonl/"
    listed = _objects(stack, root)
    audio_keys = sorted(k for k in listed if k.endswith(".wav"))
    assert audio_keys == [i["key"] for i in manifest["items"]] == [f"{root}{k:05d}.wav" for k in range(1, n + 1)]
    assert sorted(k for k in listed if k.endswith(".marks.jsonl")) == [f"{root}{k:05d}.marks.jsonl"
                                                                       for k in range(1, n + 1)]  # fmt: skip
    assert len([k for k in listed if "/.done/" in k]) == n
    assert s3_result["enqueued_units"] == messages and n - messages >= 0

    # the audio decoded back, and the sentences of all parts: the input's, each once, in order
    raw = text.encode()
    heard: list[str] = []
    seconds = 0.0
    for part, item in zip(doc["parts"], manifest["items"], strict=True):
        audio, rate = sf.read(io.BytesIO(httpx.get(part["url"], timeout=60).content), dtype="float32")
        assert rate == 16000 and round(len(audio) / rate, 3) == item["duration"] and float(abs(audio).max()) > 0.01
        seconds += len(audio) / rate
        for line in httpx.get(part["speech_marks_url"], timeout=60).content.decode().splitlines():
            mark = json.loads(line)
            at = part["text_offset"]
            assert raw[at + mark["start"]:at + mark["end"]].decode() == mark["value"]
            assert 0 <= mark["time"] <= len(audio) / rate * 1000 + 1
            heard.append(mark["value"])
    assert heard == said
    assert abs(seconds - doc["duration_seconds"]) < 0.01
    print(json.dumps({"characters": len(text), "parts": n, "consumers": CONSUMERS, "wall_s": round(wall, 1),
                      "chars_per_s": round(len(text) / wall, 1), "audio_s": round(seconds, 1),
                      "speed": SPEED, "units_in_s3_invocation": n - messages, "per_consumer": [s["received"] for s in stats],
                      "voice": "random-weight test voice"}, ensure_ascii=False))  # fmt: skip
