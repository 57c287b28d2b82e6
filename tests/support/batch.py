"""Test doubles and helpers for the batch tests (tests/*/test_batch_*.py).

``FakeSynth`` stands in for the synthesizer where the batch logic, not the voice, is under test: it returns a
deterministic tone whose length follows the text (0.05 s per character), and raises the same TTSError subclasses
as the real one for unknown voices and malformed SSML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from moto import mock_aws

from sambert_lambda.batch import aws
from sambert_lambda.errors import SSMLError, UnknownVoice
from tests.support.fakes import clean_aws_env
from tests.support.paths import EVENTS

RATE = 16000
SAMPLES_PER_CHAR = 800
VOICES = ("zhitian_emo", "zhiyan_emo", "zhizhe_emo", "zhibei_emo")


class FakeSynth:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def synthesize(self, text, *, voice=None, emotion="neutral", speed=1.0, ssml=False, **_):
        if voice is not None and voice not in VOICES:
            raise UnknownVoice(f"unknown voice {voice!r}")
        if ssml and not (text.lstrip().startswith("<speak") and text.rstrip().endswith("</speak>")):
            raise SSMLError("not an SSML document")
        if "BOOM" in text:
            raise RuntimeError("engine bug")
        self.calls.append(text)
        n = int(len(text) * SAMPLES_PER_CHAR / float(speed))
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:2], "big")
        t = np.arange(n, dtype=np.float32) / RATE
        audio = (0.2 * np.sin(2 * np.pi * (200 + seed % 300) * t)).astype(np.float32)
        return SimpleNamespace(audio=audio, sample_rate=RATE, duration_seconds=n / RATE)


@dataclass
class FakeContext:
    """A Lambda context whose time budget allows ``allow`` checks, then reports no time left."""

    allow: int = 10**9
    calls: int = 0
    function_name: str = "sambert-lambda"
    aws_request_id: str = "test-request"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:sambert-lambda"
    memory_limit_in_mb: int = 3008

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return 900_000 if self.calls <= self.allow else 0


def s3_event(bucket: str, key: str, etag: str = "0123456789abcdef0123456789abcdef") -> dict:
    """The S3 put event from tests/events/s3-put.json with the bucket and (URL-encoded) key replaced."""
    import json
    from urllib.parse import quote_plus

    event = json.loads((EVENTS / "s3-put.json").read_text())
    rec = event["Records"][0]
    rec["s3"]["bucket"]["name"] = bucket
    rec["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    rec["s3"]["object"]["key"] = quote_plus(key, safe="/")
    rec["s3"]["object"]["eTag"] = etag
    return event


def sqs_event(messages: list[tuple[str, str, int]]) -> dict:
    """The SQS event from tests/events/sqs-receive-message.json, one record per (message id, body, receive count)."""
    import copy
    import json

    template = json.loads((EVENTS / "sqs-receive-message.json").read_text())["Records"][0]
    records = []
    for message_id, body, count in messages:
        rec = copy.deepcopy(template)
        rec.update(messageId=message_id, body=body, md5OfBody=hashlib.md5(body.encode()).hexdigest())
        rec["attributes"]["ApproximateReceiveCount"] = str(count)
        records.append(rec)
    return {"Records": records}


def jsonl_50_with_3_bad() -> tuple[bytes, set[int]]:
    """50 lines: 47 good (mixed voices, emotions, formats, ids), 3 bad (invalid JSON, unknown voice, bad SSML)."""
    import json

    lines, bad = [], {7, 23, 41}
    for i in range(1, 51):
        if i == 7:
            lines.append('{"text": "坏的 JSON",')
        elif i == 23:
            lines.append(json.dumps({"id": f"l{i}", "text": "未知的声音", "voice": "nobody"}, ensure_ascii=False))
        elif i == 41:
            lines.append(json.dumps({"id": f"l{i}", "text": "<speak>未闭合", "ssml": True}, ensure_ascii=False))
        else:
            doc = {"id": f"l{i}", "text": f"第{i}句，今天天气很好。"}
            if i % 5 == 0:
                doc["format"] = "wav"
            if i % 7 == 0:
                doc["emotion"] = "happy"
            if i % 11 == 0:
                doc["voice"] = "zhiyan_emo"
            lines.append(json.dumps(doc, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode(), bad


@contextmanager
def moto_messaging(monkeypatch) -> Iterator[None]:
    """In-process moto for the batch's SQS and SNS clients: no emulator endpoint in the environment, and the cached
    clients dropped before and after, so none of them outlives the mock."""
    clean_aws_env(monkeypatch)
    aws.clear()
    try:
        with mock_aws():
            yield
    finally:
        aws.clear()


def create_queue(sqs, name: str, **attributes: str) -> tuple[str, str]:
    """Create an SQS queue; returns its URL and its ARN."""
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn
