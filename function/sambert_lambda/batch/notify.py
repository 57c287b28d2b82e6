"""Announce finished ``/v1/jobs`` jobs on an SNS topic (``TTS_JOBS_TOPIC_ARN``; the template's optional topic).

When a job's manifest is written complete or failed, one message goes to the topic: ``{"id", "status", "items",
"manifest_key"}`` as JSON, with the message attributes ``job_id`` and ``status`` (for subscription filters). The
manifest's last writer announces it; two fan-out consumers finishing at the same moment, or a re-delivered event,
may announce a job twice, so subscribers treat the id as the key (SNS itself delivers at least once).
Failing to publish is logged and never fails the batch: the job's status is in S3 whatever happens here.
"""

from __future__ import annotations

import json
from typing import Any

from sambert_lambda.batch import aws
from sambert_lambda.batch.tasks import JOBS_DIR
from sambert_lambda.observability import logger


def job_id_of(key: str, input_prefix: str) -> str | None:
    """The job id of a job's input key (``<input_prefix>jobs/<id>.<kind>``), None for any other upload."""
    head = input_prefix + JOBS_DIR
    if not key.startswith(head):
        return None
    name = key[len(head):]
    return name.rsplit(".", 1)[0] if "/" not in name and "." in name else None


def message(job_id: str, manifest: dict[str, Any], manifest_key: str) -> dict[str, Any]:
    failed = manifest["status"] == "failed" or manifest["summary"]["failed"] > 0
    return {"id": job_id, "status": "failed" if failed else "complete", "items": manifest["summary"],
            "manifest_key": manifest_key}


def announce(settings: Any, key: str, manifest: dict[str, Any] | None, manifest_key: str) -> bool:
    """Publish the job's end if ``key`` is a job input, its manifest is final and a topic is set. True if sent."""
    topic = getattr(settings, "jobs_topic_arn", None)
    if not topic or manifest is None or manifest.get("status") == "in_progress":
        return False
    job_id = job_id_of(key, settings.input_prefix)
    if job_id is None:
        return False
    body = message(job_id, manifest, manifest_key)
    try:
        aws.client("sns", attempts=3).publish(TopicArn=topic, Message=json.dumps(body), MessageAttributes={
            "job_id": {"DataType": "String", "StringValue": job_id},
            "status": {"DataType": "String", "StringValue": body["status"]}})
    except Exception as e:  # noqa: BLE001 - the announcement is best effort; the status is in S3
        logger.warning("job announcement failed", extra={"job": job_id, "error": type(e).__name__})
        return False
    logger.info("job announced", extra={"job": job_id, "status": body["status"]})
    return True
