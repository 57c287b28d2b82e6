"""Batch synthesis from S3 uploads: idempotent, nothing lost, fans out for large files.

One job per module:
- ``layout``     output keys derived from the input key (and source ETag)
- ``source``     read an upload with the ETag of exactly those bytes
- ``jobs``       file checks and parsing into items (manifest entries) and units (synthesis calls)
- ``chunking``   long .txt -> chunks at sentence boundaries
- ``runner``     run units, done markers, .txt assembly, manifest writes, pruning of stale outputs
- ``manifest``   marker and manifest documents
- ``budget``     the invocation's time budget
- ``upload``     the S3-triggered path (runs what fits, fans the rest out in one hop)
- ``fanout``     fan-out message format, sending, dead-lettering
- ``consumer``   the fan-out consumer (never re-enqueues)
- ``handlers``   Lambda entry points (S3 event, SQS partial batch response)
- ``cli``        ``sambert-lambda batch`` (local runs use ``sambert_lambda.storage.files``)

Importing this package is cheap; the entry points import their modules on first call.
"""

from __future__ import annotations

from typing import Any


def handle_s3_event(event: dict[str, Any], context: Any, service: Any) -> dict[str, Any]:
    from sambert_lambda.batch.handlers import handle_s3_event as handle

    return handle(event, context, service)


def handle_sqs_event(event: dict[str, Any], context: Any, service: Any) -> dict[str, Any]:
    from sambert_lambda.batch.handlers import handle_sqs_event as handle

    return handle(event, context, service)


def add_arguments(parser: Any) -> None:
    from sambert_lambda.batch.cli import add_arguments as add

    add(parser)


def run(args: Any) -> int:
    from sambert_lambda.batch.cli import run as run_cli

    return run_cli(args)
