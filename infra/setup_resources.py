"""Create the local equivalents of the template's bucket and queues on an S3/SQS endpoint (LocalStack).

Everything comes from ``infra/resources.json``, the file ``template.yaml`` is checked against:
- the bucket, with public access blocked, SSE-S3 (AES256), the lifecycle rules (output prefix expires after 1 day,
  incomplete multipart uploads abort after 1 day);
- the fan-out queue with its DLQ and redrive policy (visibility timeout = factor x function timeout);
- S3 -> SQS notifications of the input prefix, one per suffix. On AWS the bucket notifies the function; locally
  LocalStack cannot run a Lambda without Docker, so the notification goes to a capture queue and yields the exact
  event payload S3 emits, which the local poller hands to the function under the runtime emulator.

Idempotent: safe to call again on the same endpoint. CLI: ``python -m infra.setup_resources [--endpoint URL]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from infra import resources

DEFAULT_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def clients(endpoint: str, region: str | None = None) -> tuple[Any, Any]:
    """(s3, sqs) boto3 clients for ``endpoint`` with LocalStack's test credentials and path-style S3."""
    region = region or _region()
    kw: dict[str, Any] = {"endpoint_url": endpoint, "region_name": region}
    if not (os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")):
        kw.update(LOCAL_CREDENTIALS)
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 5})
    return boto3.client("s3", config=cfg, **kw), boto3.client("sqs", **kw)


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    kw: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kw["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kw)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": resources.s3_lifecycle_rules()}
    )
    # The template's aws:SecureTransport deny policy is left out locally: the local endpoint is plain HTTP.


def ensure_resources(
    endpoint: str,
    bucket: str | None = None,
    *,
    function_timeout: int | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Create (or update) the bucket, queues and notifications; return names, URLs and the function's env."""
    cfg = resources.load()
    region = region or _region()
    bucket = bucket or cfg["bucket"]["local_name"]
    timeout = int(function_timeout or cfg["function"]["timeout_default"])
    s3, sqs = clients(endpoint, region)

    q = cfg["queues"]
    dlq_url, dlq_arn = _ensure_queue(
        sqs,
        resources.local_queue_name(bucket, "dlq"),
        {"MessageRetentionPeriod": str(q["dlq"]["message_retention_seconds"])},
    )
    fanout_url, fanout_arn = _ensure_queue(
        sqs,
        resources.local_queue_name(bucket, "fanout"),
        {
            "VisibilityTimeout": str(resources.visibility_timeout(timeout)),
            "MessageRetentionPeriod": str(q["fanout"]["message_retention_seconds"]),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q["fanout"]["max_receive_count"]}
            ),
        },
    )
    events_url, events_arn = _ensure_queue(sqs, resources.local_queue_name(bucket, "s3_events_local"), {})
    sqs.set_queue_attributes(
        QueueUrl=events_url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": events_arn,
                            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
                        }
                    ],
                }
            )
        },
    )

    _ensure_bucket(s3, bucket, region)
    notif = cfg["bucket"]["notification"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": f"input{f['Key']['FilterRules'][1]['Value']}",
                    "QueueArn": events_arn,
                    "Events": notif["events"],
                    "Filter": f,
                }
                for f in resources.s3_notification_filters()
            ]
        },
    )

    env_names = cfg["env"]
    env = {
        env_names["bucket"]: bucket,
        env_names["input_prefix"]: cfg["bucket"]["input_prefix"],
        env_names["output_prefix"]: cfg["bucket"]["output_prefix"],
        env_names["queue_url"]: fanout_url,
        env_names["dlq_url"]: dlq_url,
        env_names["batch_max_receive"]: str(q["fanout"]["max_receive_count"]),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
    return {
        "endpoint": endpoint,
        "region": region,
        "bucket": bucket,
        "input_prefix": cfg["bucket"]["input_prefix"],
        "output_prefix": cfg["bucket"]["output_prefix"],
        "queue_url": fanout_url,
        "queue_arn": fanout_arn,
        "dlq_url": dlq_url,
        "dlq_arn": dlq_arn,
        "events_queue_url": events_url,
        "events_queue_arn": events_arn,
        "visibility_timeout": resources.visibility_timeout(timeout),
        "env": env,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m infra.setup_resources", description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"))
    p.add_argument("--bucket", default=None)
    p.add_argument("--function-timeout", type=int, default=None)
    a = p.parse_args(argv)
    try:
        out = ensure_resources(a.endpoint, a.bucket, function_timeout=a.function_timeout)
    except ClientError as e:
        print(f"setup_resources: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
