"""Job completion on an SNS topic (moto in-process): a job's end is announced once per final manifest, with its id
and status; other uploads and unfinished manifests are not announced; a broken topic never fails the batch."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest

from sambert_lambda.batch import handle_s3_event, notify, tasks
from sambert_lambda.batch.layout import Layout
from sambert_lambda.settings import load_settings
from sambert_lambda.storage.files import FileStorage
from tests.support.batch import FakeContext, FakeSynth, create_queue, moto_messaging, s3_event

BUCKET = "batch-notify"


@pytest.fixture
def topic(monkeypatch):
    with moto_messaging(monkeypatch):
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        arn = sns.create_topic(Name="jobs")["TopicArn"]
        queue, qarn = create_queue(sqs, "jobs-done")
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
        yield SimpleNamespace(arn=arn, sqs=sqs, queue=queue)


def received(topic) -> list[dict]:
    msgs = topic.sqs.receive_message(QueueUrl=topic.queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return [{"body": json.loads(m["Body"]), "attrs": {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}}
            for m in msgs.get("Messages", [])]  # fmt: skip


def service(tmp_path, **overrides):
    settings = load_settings(bucket=BUCKET, batch_chunk_chars=20, **overrides)
    return SimpleNamespace(settings=settings, synthesizer=FakeSynth(), storage=FileStorage(tmp_path, BUCKET))


def _run_job(svc, text: str) -> str:
    layout = Layout(svc.settings.input_prefix, svc.settings.output_prefix)
    job = tasks.create(svc, layout, text=text, input_object=None, ssml=False, voice="zhitian_emo",
                       emotion="neutral", fmt="wav", speed=1.0)  # fmt: skip
    handle_s3_event(s3_event(BUCKET, job["input_key"]), FakeContext(), svc)
    return job["id"]


def test_a_finished_job_is_announced_with_its_id_and_status(tmp_path, topic):
    svc = service(tmp_path, jobs_topic_arn=topic.arn)
    job_id = _run_job(svc, "今天天气很好。我们去公园散步吧！")
    got = received(topic)
    assert len(got) == 1, got
    assert got[0]["body"] == {"id": job_id, "status": "complete",
                              "items": {"total": 1, "done": 1, "failed": 0, "pending": 0},
                              "manifest_key": f"output/jobs/{job_id}.txt/manifest.json"}  # fmt: skip
    assert got[0]["attrs"] == {"job_id": job_id, "status": "complete"}


def test_other_uploads_and_no_topic_announce_nothing(tmp_path, topic):
    svc = service(tmp_path, jobs_topic_arn=topic.arn)
    svc.storage.put("input/mine.txt", "你好。".encode(), "text/plain")
    handle_s3_event(s3_event(BUCKET, "input/mine.txt"), FakeContext(), svc)
    _run_job(service(tmp_path / "b"), "你好。")  # no topic set
    assert received(topic) == []


def test_a_broken_topic_never_fails_the_job(tmp_path, topic):
    svc = service(tmp_path, jobs_topic_arn=topic.arn.replace(":jobs", ":missing"))
    job_id = _run_job(svc, "你好。")
    manifest = json.loads(svc.storage.get(f"output/jobs/{job_id}.txt/manifest.json")[0])
    assert manifest["status"] == "complete" and manifest["summary"]["done"] == 1


@pytest.mark.parametrize("key,job", [("input/jobs/abc.txt", "abc"), ("input/jobs/abc.jsonl", "abc"),
                                     ("input/jobs/x/abc.txt", None), ("input/abc.txt", None),
                                     ("other/jobs/abc.txt", None)])
def test_job_ids_come_only_from_job_inputs(key, job):
    assert notify.job_id_of(key, "input/") == job
