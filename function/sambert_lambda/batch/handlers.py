"""Lambda entry points of the batch path, called by ``sambert_lambda.handler.handler``.

- :func:`handle_s3_event`: S3 ``ObjectCreated`` records, read through Powertools' ``S3Event`` (keys URL-encoded,
  hence ``unquote_plus``).
- :func:`handle_sqs_event`: fan-out queue records, answered with an SQS partial batch response through the
  Powertools batch utilities; failed message ids are left in the queue for redelivery.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sambert_lambda.batch import consumer, fanout
from sambert_lambda.batch.budget import Budget
from sambert_lambda.batch.layout import Layout
from sambert_lambda.batch.runner import Env
from sambert_lambda.batch.upload import process_upload
from sambert_lambda.errors import ConfigInvalid, TTSError
from sambert_lambda.observability import logger


def batch_env(service: Any) -> tuple[Env, Layout]:
    settings = service.settings
    # Overlapping prefixes raise ConfigInvalid here, before anything is read or written.
    layout = Layout(settings.input_prefix, settings.output_prefix)
    return Env(service.storage, service.synthesizer, settings), layout


def s3_records(event: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version id) of each ObjectCreated record, keys decoded (S3 sends them URL-encoded)."""
    out = []
    for record in S3Event(event).records if event.get("Records") else ():
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        try:
            bucket, obj = record.s3.bucket.name, record.s3.get_object
            key = obj.key
        except (KeyError, TypeError):
            continue  # a record without a bucket or an object: nothing to read
        if bucket and key:
            out.append((str(bucket), unquote_plus(str(key)), obj.version_id))
    return out


class BatchRetry(RuntimeError):
    """Raised out of the S3 path for a server-side failure (storage or queue down, time budget without a queue):
    the invocation must fail so Lambda's asynchronous retries (and then its failure destination) take over.
    Deliberately not a TTSError, which interfaces turn into an answer."""

    def __init__(self, err: TTSError) -> None:
        super().__init__(f"{err.code}: {err.message}")
        self.code = err.code
        self.message = err.message


def handle_s3_event(event: dict[str, Any], context: Any, service: Any) -> dict[str, Any]:
    env, layout = batch_env(service)
    budget = Budget(context, env.settings.batch_time_margin_ms)
    results = []
    for bucket, key, version_id in s3_records(event):
        if bucket != env.storage.bucket or not layout.accepts(key):
            logger.info("ignored S3 record outside the input prefix", extra={"bucket": bucket})
            results.append({"key": key, "status": "ignored"})
            continue
        try:
            results.append(process_upload(env, layout, key, budget, version_id=version_id))
        except TTSError as e:
            if e.status < 500 or isinstance(e, ConfigInvalid):
                raise
            logger.error("batch invocation must be retried", extra={"code": e.code, "reason": e.message})
            raise BatchRetry(e) from e
    return {"batch": results}


def handle_sqs_event(event: dict[str, Any], context: Any, service: Any) -> dict[str, Any]:
    env, layout = batch_env(service)
    budget = Budget(context, env.settings.batch_time_margin_ms)
    files = consumer.FileCache()

    def record_handler(record: SQSRecord) -> str:
        msg: fanout.FanoutMessage | None = None
        try:
            msg = fanout.FanoutMessage.from_json(record.body)
            return consumer.process_message(env, layout, msg, budget, files)
        except Exception as e:
            error = consumer.describe(e)
            receives = int(record.attributes.approximate_receive_count or 1)
            logger.warning("fan-out message failed", extra={"message_id": record.message_id, "code": error.code,
                                                            "reason": error.message, "receive_count": receives})
            if receives < env.settings.batch_max_receive:
                raise
            # Last allowed receive: the manifest records the units as failed with the reason; with TTS_DLQ_URL
            # the message moves to the DLQ now, carrying its reason; without it SQS's redrive moves it next time.
            if msg is not None:
                consumer.give_up(env, layout, msg, error, files)
            if not env.settings.dlq_url:
                raise
            fanout.dead_letter(env.settings.dlq_url, record.raw_event, error)
            logger.error("fan-out message dead-lettered", extra={"message_id": record.message_id,
                                                                "code": error.code})
            return "dead_lettered"

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
