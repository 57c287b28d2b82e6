"""The one Lambda entry point, ``sambert_lambda.handler.handler``: dispatch on the event shape.

- Function URL / HTTP API (payload 2.0) and REST API (1.0) events -> Mangum -> the FastAPI app.
- S3 events -> ``sambert_lambda.batch.handle_s3_event``; SQS events -> ``handle_sqs_event`` (partial batch response).
  When the service itself is unavailable (503: model, storage, config) these invocations fail, so that Lambda's
  retries, destinations and the DLQ keep the event instead of dropping it.
- Direct invoke ``{"text": ..., ...}`` (same fields as ``POST /v1/tts``) -> the same JSON as ``/v1/tts``.
  Errors come back as ``{"error": {"code", "message"}, "status": <http status>}``, with no ``statusCode`` (so the
  invoke result is never mistaken for an HTTP response); the invocation itself succeeds.
- Anything else -> ``{"error": {"code": "unsupported_event", ...}}``.

Cold start: settings are validated and the model and voices loaded once, at import when ``TTS_EAGER_INIT`` is not
``0`` (the Lambda init phase), else on the first event. A failed load answers every request with its 503
(``model_unavailable``, or ``config_invalid`` naming the setting) instead of crash-looping.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, S3Event, SQSEvent

from sambert_lambda.errors import TTSError
from sambert_lambda.observability import logger, metrics
from sambert_lambda.service import ServiceHolder

holder = ServiceHolder()
_app: Any = None
_mangum: Any = None


def _get_mangum():
    global _app, _mangum
    if _mangum is None:
        from mangum import Mangum

        from sambert_lambda.api.app import create_app

        _app = create_app(lambda: holder.get())  # late-bound: tests may swap the holder
        _mangum = Mangum(_app, lifespan="off")
    return _mangum


def event_kind(event: Any) -> str:
    """'http' | 's3' | 'sqs' | 'direct' | 'unknown'."""
    if not isinstance(event, dict):
        return "unknown"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        if source == "aws:s3":
            return "s3"
        if source == "aws:sqs":  # what the partial-batch processor reads of every record; SQS always sends both
            ok = all(isinstance(r, dict) and isinstance(r.get("messageId"), str) and isinstance(r.get("body"), str)
                     for r in records)  # fmt: skip
            return "sqs" if ok else "unknown"
        return "unknown"
    if "requestContext" in event and ("rawPath" in event or "httpMethod" in event or "path" in event):
        return "http"
    if "text" in event:
        return "direct"
    return "unknown"


def _error(err: TTSError) -> dict[str, Any]:
    return {**err.to_dict(), "status": err.status}


def _direct(event: dict[str, Any]) -> dict[str, Any]:
    from sambert_lambda.request import TTSRequest

    try:
        return holder.get().tts(TTSRequest.from_dict(event))
    except TTSError as e:
        return _error(e)


def _batch(kind: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        from sambert_lambda import batch

        handle = batch.handle_s3_event if kind == "s3" else batch.handle_sqs_event
    except (ImportError, AttributeError):
        return _error(TTSError(f"{kind.upper()} events are not supported by this build (no batch module)",
                               code="unsupported_event"))
    return handle(event, context, holder.get())


def _correlation_id(kind: str, event: dict[str, Any], context: Any) -> str | None:
    if kind == "http":
        return APIGatewayProxyEventV2(event).request_context.request_id
    if kind == "s3":
        return S3Event(event).record.response_elements.get("x-amz-request-id")
    if kind == "sqs":
        return next(iter(SQSEvent(event).records)).message_id
    return getattr(context, "aws_request_id", None)


@logger.inject_lambda_context(clear_state=True)  # function name, request id, cold_start in every log line
# Powertools flushes the EMF metrics after every invocation (also when it raises) and adds ColdStart (with the
# function_name dimension) to the first invocation this instance completes; provisioned concurrency is no cold start.
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    kind = event_kind(event)
    try:
        logger.set_correlation_id(_correlation_id(kind, event, context))
    except (KeyError, TypeError, AttributeError, StopIteration):
        logger.set_correlation_id(getattr(context, "aws_request_id", None))
    if kind == "http":
        try:
            return _get_mangum()(event, context)
        except (KeyError, TypeError, AttributeError) as e:  # the app answers its own errors: this is the event
            logger.warning("malformed HTTP event", extra={"error": type(e).__name__})
            return _error(TTSError("malformed HTTP event: a Function URL / API Gateway event lacks a field "
                                   f"({type(e).__name__}: {e})", code="unsupported_event"))
    if kind == "direct":
        return _direct(event)
    if kind in ("s3", "sqs"):
        try:
            return _batch(kind, event, context)
        except TTSError as e:
            if e.status >= 500:
                # model/storage/config unavailable: fail the invocation so Lambda retries the async S3 event
                # (then its on-failure destination) or SQS redelivers (then the DLQ). Nothing is dropped.
                logger.error("batch event failed", extra={"code": e.code, "event_kind": kind})
                raise
            return _error(e)
    logger.warning("unsupported event", extra={"keys": sorted(event)[:10] if isinstance(event, dict) else None})
    return _error(TTSError("unsupported event: send a Function URL/HTTP API event, an S3 or SQS event, or "
                           '{"text": ...}', code="unsupported_event"))


def _eager_init() -> None:
    """Load at import, in Lambda's init phase: paid once per cold start (init is billed), never by a request."""
    from sambert_lambda.settings import load_settings

    try:
        eager = load_settings().eager_init  # read now, not from a cache filled before this import
    except TTSError:
        eager = True  # the holder reports the invalid setting on every request
    if not eager:
        return
    try:
        holder.get()
    except TTSError:
        pass  # remembered by the holder; every request answers its 503
    _get_mangum()  # import FastAPI and build the app now, not on the first HTTP request


_eager_init()
