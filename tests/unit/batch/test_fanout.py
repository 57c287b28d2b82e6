"""Time-budget fan-out through SQS (moto in-process), partial batch responses, dead-lettering with a reason."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest

from infra.poller import Poller, in_process
from sambert_lambda import audio
from sambert_lambda.batch import fanout, handle_s3_event, handle_sqs_event
from sambert_lambda.errors import ModelError
from sambert_lambda.settings import load_settings
from sambert_lambda.storage.files import FileStorage
from tests.support.batch import (
    FakeContext,
    FakeSynth,
    create_queue,
    jsonl_50_with_3_bad,
    moto_messaging,
    s3_event,
    sqs_event,
)
from tests.support.paths import EVENTS

BUCKET = "batch-fanout"


@pytest.fixture
def sqs(monkeypatch):
    with moto_messaging(monkeypatch):
        client = boto3.client("sqs", region_name="us-east-1")
        dlq, dlq_arn = create_queue(client, "dlq")
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
        queue, _ = create_queue(client, "fanout", VisibilityTimeout="0", RedrivePolicy=redrive)
        yield SimpleNamespace(client=client, queue=queue, dlq=dlq)


def make_service(tmp_path, sqs, **overrides):
    options = {"dlq_url": sqs.dlq, "batch_chunk_chars": 20, "batch_max_receive": 3, **overrides}
    settings = load_settings(bucket=BUCKET, queue_url=sqs.queue, **options)
    return SimpleNamespace(settings=settings, synthesizer=FakeSynth(), storage=FileStorage(tmp_path, BUCKET))


def drain(svc, sqs, allow=10**9):
    handler = in_process(lambda event, _ctx: handle_sqs_event(event, FakeContext(allow=allow), svc))
    return Poller(sqs.client, sqs.queue, handler, batch_size=5, wait_seconds=0).drain(idle_polls=1, max_batches=500)


def queued(sqs, url):
    attrs = sqs.client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def manifest(svc, out_root):
    return json.loads(svc.storage.get(out_root + "manifest.json")[0])


def test_jsonl_over_budget_completes_through_fanout(tmp_path, sqs, monkeypatch):
    svc = make_service(tmp_path, sqs, batch_units_per_message=3)
    data, bad = jsonl_50_with_3_bad()
    svc.storage.put("input/big.jsonl", data, "application/x-ndjson")
    result = handle_s3_event(s3_event(BUCKET, "input/big.jsonl"), FakeContext(allow=8), svc)["batch"][0]
    assert result["status"] == "fanned_out" and result["enqueued_units"] == 49 - 8
    assert result["messages"] == 14  # ceil(41 / 3), sent in one hop
    first = manifest(svc, "output/big.jsonl/")
    assert first["status"] == "in_progress"
    assert first["summary"] == {"total": 50, "done": 8, "failed": 1, "pending": 41}

    sent_by_consumers = []
    monkeypatch.setattr(fanout, "send", lambda *a, **k: sent_by_consumers.append(a))
    stats = drain(svc, sqs)
    assert sent_by_consumers == []  # consumers never re-enqueue
    assert stats.received == 14 and stats.deleted == 14 and stats.failed == 0
    assert queued(sqs, sqs.queue) == 0 and queued(sqs, sqs.dlq) == 0
    m = manifest(svc, "output/big.jsonl/")
    assert m["status"] == "complete"
    assert m["summary"] == {"total": 50, "done": 47, "failed": 3, "pending": 0}
    assert {e["line"] for e in m["items"] if e["status"] == "failed"} == bad
    assert len(svc.synthesizer.calls) == 47  # every good line synthesized exactly once
    assert all(svc.storage.head(e["key"]) for e in m["items"] if e["status"] == "done")


def test_txt_over_budget_is_assembled_by_the_last_consumer(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    text = "".join(f"这是第{i}句话，内容不长。" for i in range(1, 31))
    svc.storage.put("input/long.txt", text.encode(), "text/plain", {"format": "wav"})
    result = handle_s3_event(s3_event(BUCKET, "input/long.txt"), FakeContext(allow=2), svc)["batch"][0]
    assert result["status"] == "fanned_out"
    assert manifest(svc, "output/long.txt/")["items"][0]["status"] == "pending"
    drain(svc, sqs)
    m = manifest(svc, "output/long.txt/")
    assert m["status"] == "complete" and m["items"][0]["status"] == "done"
    wave, _ = audio.decode(svc.storage.get("output/long.txt/audio.wav")[0], "wav")
    assert len(wave) == len(text) * 800
    assert "".join(svc.synthesizer.calls) == text


def test_consumer_out_of_time_fails_the_message_without_re_enqueueing(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    svc.storage.put("input/a.jsonl", b'{"text": "one"}\n{"text": "two"}\n', "application/x-ndjson")
    etag = svc.storage.head("input/a.jsonl").etag
    body = fanout.FanoutMessage(BUCKET, "input/a.jsonl", etag, None, (1, 2)).to_json()
    out = handle_sqs_event(sqs_event([("m1", body, 1)]), FakeContext(allow=1), svc)
    assert out == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert queued(sqs, sqs.queue) == 0  # nothing sent: SQS redelivers m1 itself
    assert len(svc.synthesizer.calls) == 1
    assert handle_sqs_event(sqs_event([("m1", body, 2)]), FakeContext(), svc) == {"batchItemFailures": []}
    assert len(svc.synthesizer.calls) == 2  # unit 1 was not redone
    assert manifest(svc, "output/a.jsonl/")["summary"]["done"] == 2


def test_poison_message_is_dead_lettered_after_the_configured_receives(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    sqs.client.send_message(QueueUrl=sqs.queue, MessageBody="this is not a fan-out message")
    stats = drain(svc, sqs)
    assert stats.received == 3 and stats.failed == 2 and stats.deleted == 1
    assert queued(sqs, sqs.queue) == 0
    msgs = sqs.client.receive_message(QueueUrl=sqs.dlq, MessageAttributeNames=["All"],
                                      AttributeNames=["All"])["Messages"]
    assert len(msgs) == 1 and msgs[0]["Body"] == "this is not a fan-out message"
    attrs = {k: v["StringValue"] for k, v in msgs[0]["MessageAttributes"].items()}
    assert attrs["error_code"] == "invalid_message"
    assert "not JSON" in attrs["error_message"]
    assert attrs["receive_count"] == "3"


def test_unrecoverable_unit_is_dead_lettered_and_accounted_for_in_the_manifest(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    svc.storage.put("input/a.jsonl", b'{"text": "fine"}\n{"text": "model breaks here"}\n', "application/x-ndjson")
    synth = svc.synthesizer
    original = synth.synthesize

    def flaky(text, **kw):
        if "breaks" in text:
            raise ModelError("the acoustic model is unavailable")
        return original(text, **kw)

    synth.synthesize = flaky
    handle_s3_event(s3_event(BUCKET, "input/a.jsonl"), FakeContext(allow=1), svc)
    drain(svc, sqs)
    m = manifest(svc, "output/a.jsonl/")
    assert m["status"] == "complete"
    assert [e["status"] for e in m["items"]] == ["done", "failed"]
    assert m["items"][1]["error"] == {"code": "model_unavailable", "message": "the acoustic model is unavailable"}
    dead = sqs.client.receive_message(QueueUrl=sqs.dlq, MessageAttributeNames=["All"])["Messages"]
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["units"] == [2]
    assert dead[0]["MessageAttributes"]["error_code"]["StringValue"] == "model_unavailable"


def test_message_for_a_replaced_file_is_dropped(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    svc.storage.put("input/a.jsonl", b'{"text": "one"}\n', "application/x-ndjson")
    body = fanout.FanoutMessage(BUCKET, "input/a.jsonl", "0" * 32, None, (1,)).to_json()
    assert handle_sqs_event(sqs_event([("m1", body, 1)]), FakeContext(), svc) == {"batchItemFailures": []}
    assert svc.synthesizer.calls == [] and svc.storage.list("output/") == []


def test_partial_batch_response_names_only_the_failed_records(tmp_path, sqs):
    svc = make_service(tmp_path, sqs)
    svc.storage.put("input/a.jsonl", b'{"text": "one"}\n', "application/x-ndjson")
    etag = svc.storage.head("input/a.jsonl").etag
    good = fanout.FanoutMessage(BUCKET, "input/a.jsonl", etag, None, (1,)).to_json()
    wrong_unit = fanout.FanoutMessage(BUCKET, "input/a.jsonl", etag, None, (9,)).to_json()
    other_bucket = fanout.FanoutMessage("elsewhere", "input/a.jsonl", etag, None, (1,)).to_json()
    event = sqs_event([("a", good, 1), ("b", wrong_unit, 1), ("c", other_bucket, 1), ("d", "{}", 1)])
    out = handle_sqs_event(event, FakeContext(), svc)
    assert out == {"batchItemFailures": [{"itemIdentifier": i} for i in ("b", "c", "d")]}
    assert manifest(svc, "output/a.jsonl/")["status"] == "complete"


@pytest.mark.parametrize(
    "body",
    ['{"v": 1, "bucket": "b", "key": "k", "etag": "e", "units": []}',
     '{"v": 2, "bucket": "b", "key": "k", "etag": "e", "units": [1]}',
     '{"v": 1, "bucket": "b", "key": "k", "etag": "e", "units": [true]}',
     '{"v": 1, "bucket": "b", "etag": "e", "units": [1]}', "[]", ""],
)
def test_malformed_messages_are_invalid(body):
    with pytest.raises(Exception) as err:
        fanout.FanoutMessage.from_json(body)
    assert getattr(err.value, "code", None) == "invalid_message"


def test_message_round_trip_and_grouping():
    msgs = fanout.messages_for("b", "input/测试.jsonl", "e" * 32, "v1", list(range(1, 8)), 3)
    assert [m.units for m in msgs] == [(1, 2, 3), (4, 5, 6), (7,)]
    assert fanout.FanoutMessage.from_json(msgs[0].to_json()) == msgs[0]


def test_without_a_dlq_url_the_last_receive_records_the_failure_and_leaves_redrive_to_sqs(tmp_path, sqs):
    svc = make_service(tmp_path, sqs, dlq_url=None)
    svc.storage.put("input/a.jsonl", b'{"text": "breaks"}\n', "application/x-ndjson")
    etag = svc.storage.head("input/a.jsonl").etag
    body = fanout.FanoutMessage(BUCKET, "input/a.jsonl", etag, None, (1,)).to_json()

    def broken(text, **kw):
        raise ModelError("the vocoder is unavailable")

    svc.synthesizer.synthesize = broken
    for count in (1, 2):
        out = handle_sqs_event(sqs_event([("m1", body, count)]), FakeContext(), svc)
        assert out == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        assert svc.storage.list("output/a.jsonl/.done/") == []
    out = handle_sqs_event(sqs_event([("m1", body, 3)]), FakeContext(), svc)
    assert out == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # SQS's redrive moves it to the DLQ
    assert queued(sqs, sqs.dlq) == 0
    m = manifest(svc, "output/a.jsonl/")
    assert m["status"] == "complete"
    assert m["items"][0]["error"] == {"code": "model_unavailable", "message": "the vocoder is unavailable"}


def test_poller_builds_records_of_the_generated_sqs_event_shape():

    from infra.poller import lambda_record

    generated = json.loads((EVENTS / "sqs-receive-message.json").read_text())["Records"][0]
    msg = {"MessageId": "m", "ReceiptHandle": "r", "Body": "b", "MD5OfBody": "d",
           "Attributes": {"ApproximateReceiveCount": "2"},
           "MessageAttributes": {"k": {"StringValue": "v", "DataType": "String"}}}
    record = lambda_record(msg, "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1")
    assert set(record) == set(generated)
    assert record["eventSource"] == "aws:sqs" and record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
