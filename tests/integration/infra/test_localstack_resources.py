"""The local stack's bucket and queues, asserted through the S3 and SQS APIs on LocalStack (host mode).

They must match ``infra/resources.json``, the file the template is checked against, and a real upload under the
input prefix must produce the S3 event S3 itself emits (key URL-encoded) in the capture queue.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid

import pytest

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")
def stack(localstack_endpoint):
    from infra import localstack

    bucket = f"infra-test-{uuid.uuid4().hex[:10]}"
    return localstack.ensure_resources(localstack_endpoint, bucket)


@pytest.fixture(scope="module")
def aws(stack):
    from infra.setup_resources import clients

    return clients(stack["endpoint"])


def _receive_records(sqs, queue_url: str, want: int, timeout: float = 20.0) -> list[dict]:
    records: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(records) < want and time.monotonic() < deadline:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for m in msgs:
            body = json.loads(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            records += body.get("Records", [])  # skips s3:TestEvent messages
    return records


def test_lifecycle_rules_match_resources_json(stack, aws):
    from infra import resources

    s3, _ = aws
    rules = s3.get_bucket_lifecycle_configuration(Bucket=stack["bucket"])["Rules"]
    assert resources.normalize_s3_lifecycle(rules) == sorted(
        resources.load()["bucket"]["lifecycle_rules"], key=lambda r: r["id"]
    )
    by_id = {r["ID"]: r for r in rules}
    assert by_id["expire-output"]["Filter"]["Prefix"] == "output/"
    assert by_id["expire-output"]["Expiration"]["Days"] == 1
    assert by_id["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1


def test_output_objects_carry_expiration_and_input_objects_do_not(stack, aws):
    s3, _ = aws
    s3.put_object(Bucket=stack["bucket"], Key="output/probe.wav", Body=b"RIFF")
    s3.put_object(Bucket=stack["bucket"], Key="input/probe.bin", Body=b"x")
    out = s3.head_object(Bucket=stack["bucket"], Key="output/probe.wav")
    assert 'rule-id="expire-output"' in out.get("Expiration", "")
    assert "Expiration" not in s3.head_object(Bucket=stack["bucket"], Key="input/probe.bin")


def test_bucket_is_private_and_encrypted(stack, aws):
    s3, _ = aws
    pab = s3.get_public_access_block(Bucket=stack["bucket"])["PublicAccessBlockConfiguration"]
    assert pab == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    enc = s3.get_bucket_encryption(Bucket=stack["bucket"])["ServerSideEncryptionConfiguration"]["Rules"]
    assert enc[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_notifications_match_resources_json(stack, aws):
    from infra import resources

    s3, _ = aws
    conf = s3.get_bucket_notification_configuration(Bucket=stack["bucket"])["QueueConfigurations"]
    assert resources.normalize_filters(conf) == resources.expected_filter_pairs()
    assert all(c["Events"] == resources.load()["bucket"]["notification"]["events"] for c in conf)
    assert {c["QueueArn"] for c in conf} == {stack["events_queue_arn"]}


def test_upload_under_input_emits_s3_event_with_url_encoded_key(stack, aws):
    s3, sqs = aws
    key = "input/书 chapter+1.txt"
    s3.put_object(Bucket=stack["bucket"], Key=key, Body="今天天气真好。".encode())
    s3.put_object(Bucket=stack["bucket"], Key="input/ignored.wav", Body=b"x")  # suffix not notified
    s3.put_object(Bucket=stack["bucket"], Key="output/ignored.txt", Body=b"x")  # prefix not notified
    records = _receive_records(sqs, stack["events_queue_url"], want=1)
    time.sleep(1.0)
    records += _receive_records(sqs, stack["events_queue_url"], want=10, timeout=2.0)
    assert len(records) == 1, records
    rec = records[0]
    assert rec["eventSource"] == "aws:s3" and rec["eventName"].startswith("ObjectCreated:")
    assert rec["s3"]["bucket"]["name"] == stack["bucket"]
    raw = rec["s3"]["object"]["key"]
    assert raw != key  # S3 URL-encodes keys in events
    assert urllib.parse.unquote_plus(raw) == key


def test_fanout_queue_redrives_to_dlq(stack, aws):
    from infra import resources

    _, sqs = aws
    attrs = sqs.get_queue_attributes(QueueUrl=stack["queue_url"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    cfg = resources.load()
    assert redrive["deadLetterTargetArn"] == stack["dlq_arn"]
    assert int(redrive["maxReceiveCount"]) == cfg["queues"]["fanout"]["max_receive_count"]
    timeout = cfg["function"]["timeout_default"]
    assert int(attrs["VisibilityTimeout"]) == 6 * timeout


def test_setup_is_idempotent(stack):
    from infra import localstack

    again = localstack.ensure_resources(stack["endpoint"], stack["bucket"])
    assert again["queue_url"] == stack["queue_url"] and again["events_queue_url"] == stack["events_queue_url"]
