"""LOCAL ONLY: drain an SQS queue into the function, as Lambda's SQS event source mapping would.

In AWS, the event source mapping in ``template.yaml`` polls the fan-out queue and invokes the function; nothing
here is deployed. Locally (LocalStack or moto, where no Lambda service can run the image without Docker) this
poller plays that part so the batch fan-out can be exercised end to end:

- receive up to ``batch_size`` messages with all attributes (``ApproximateReceiveCount`` included);
- build the Lambda SQS event (``Records`` of ``messageId``, ``receiptHandle``, ``body``, ``attributes``,
  ``messageAttributes``, ``md5OfBody``, ``eventSource``, ``eventSourceARN``, ``awsRegion``);
- invoke the function in-process (``handler(event, context)``) or through the Runtime Interface Emulator's
  invoke URL;
- honour the partial batch response (``ReportBatchItemFailures``): delete the messages that succeeded, leave the
  ``batchItemFailures`` for redelivery after the visibility timeout (and the queue's redrive policy); a function
  error or an invalid response leaves the whole batch, as the real mapping does.

Usage: ``python -m infra.poller --queue-url URL (--rie-url URL | --handler module:function) [--until-empty]``.
SIGINT or SIGTERM stops it after the batch in hand (never in the middle of an invocation); it then prints its stats
as one JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Invoke = Callable[[dict[str, Any]], Any]


@dataclass
class LocalContext:
    """The parts of the Lambda context the function reads; the deadline is ``timeout_s`` from creation."""

    timeout_s: float = 300.0
    function_name: str = "sambert-lambda-local"
    aws_request_id: str = "local-poller"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:sambert-lambda-local"
    memory_limit_in_mb: int = 3008
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


def in_process(handler: Callable[[dict[str, Any], Any], Any], timeout_s: float = 300.0) -> Invoke:
    """Invoke ``handler(event, context)`` in this process with a fresh context per batch."""
    return lambda event: handler(event, LocalContext(timeout_s=timeout_s))


def via_rie(url: str, timeout_s: float = 900.0) -> Invoke:
    """Invoke through the Runtime Interface Emulator (``.../2015-03-31/functions/function/invocations``)."""

    def invoke(event: dict[str, Any]) -> Any:
        req = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")  # noqa: S310 - local URL
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310
            return json.loads(resp.read() or b"null")

    return invoke


def lambda_record(msg: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message as a record of the Lambda SQS event."""
    attrs = {}
    for name, value in (msg.get("MessageAttributes") or {}).items():
        attrs[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": msg["MessageId"],
        "receiptHandle": msg["ReceiptHandle"],
        "body": msg.get("Body", ""),
        "attributes": dict(msg.get("Attributes") or {}),
        "messageAttributes": attrs,
        "md5OfBody": msg.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class PollStats:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    function_errors: int = 0


class Poller:
    def __init__(self, sqs: Any, queue_url: str, invoke: Invoke, *, batch_size: int = 5, wait_seconds: int = 1,
                 region: str | None = None) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = max(1, min(10, int(batch_size)))
        self.wait_seconds = int(wait_seconds)
        self.region = region or sqs.meta.region_name
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"]
        self.stats = PollStats()
        self.stopping = False  # set by stop(): the loop ends after the batch in hand

    def stop(self, *_: object) -> None:
        self.stopping = True

    def poll_once(self) -> int:
        """One receive + invoke + delete round. Returns the number of messages received."""
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages") or []
        if not messages:
            return 0
        self.stats.batches += 1
        self.stats.received += len(messages)
        event = {"Records": [lambda_record(m, self.queue_arn, self.region) for m in messages]}
        failed = self._failed_ids(event)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.stats.deleted += len(done)
        self.stats.failed += len(messages) - len(done)
        return len(messages)

    def _failed_ids(self, event: dict[str, Any]) -> set[str]:
        ids = {r["messageId"] for r in event["Records"]}
        try:
            result = self.invoke(event)
        except Exception as e:  # noqa: BLE001 - a function error fails the whole batch, as in Lambda
            print(f"poller: function error: {type(e).__name__}: {e}", file=sys.stderr)
            self.stats.function_errors += 1
            return ids
        if isinstance(result, dict) and "errorType" in result:  # the RIE reports an unhandled error this way
            self.stats.function_errors += 1
            return ids
        failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
        if failures is None:
            return set()
        failed = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
        if not failed <= ids or None in failed or "" in failed:
            return ids  # an invalid partial response fails the whole batch
        return {str(f) for f in failed}

    def drain(self, *, idle_polls: int = 2, max_batches: int = 10_000, deadline_s: float | None = None) -> PollStats:
        """Poll until ``idle_polls`` consecutive empty receives (or the limits)."""
        idle = 0
        started = time.monotonic()
        while idle < idle_polls and self.stats.batches < max_batches and not self.stopping:
            if deadline_s is not None and time.monotonic() - started > deadline_s:
                break
            idle = idle + 1 if self.poll_once() == 0 else 0
        return self.stats


def _load_handler(spec: str) -> Callable[[dict[str, Any], Any], Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "handler")


def main(argv: list[str] | None = None) -> int:
    import boto3

    p = argparse.ArgumentParser(prog="python -m infra.poller", description=__doc__.splitlines()[0])
    p.add_argument("--queue-url", required=True)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--rie-url", help="e.g. http://127.0.0.1:8089/2015-03-31/functions/function/invocations")
    target.add_argument("--handler", help="module:function, invoked in this process")
    p.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    p.add_argument("--batch-size", type=int, default=5)
    p.add_argument("--until-empty", action="store_true", help="stop after two empty receives")
    p.add_argument("--timeout", type=float, default=300.0, help="function timeout for the in-process context")
    args = p.parse_args(argv)
    host = urllib.parse.urlsplit(args.endpoint_url or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        p.error("--endpoint-url (or AWS_ENDPOINT_URL) must be a loopback emulator: this poller is for local runs only")
    sqs = boto3.client("sqs", endpoint_url=args.endpoint_url,
                       region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    invoke = via_rie(args.rie_url) if args.rie_url else in_process(_load_handler(args.handler), args.timeout)
    poller = Poller(sqs, args.queue_url, invoke, batch_size=args.batch_size)
    # A signal only sets a flag: the loop ends between batches, so no invocation is cut short and no library call is
    # interrupted half-way (a KeyboardInterrupt raised inside one could leave the process unable to exit).
    signal.signal(signal.SIGINT, poller.stop)
    signal.signal(signal.SIGTERM, poller.stop)
    while not poller.stopping:
        poller.drain(idle_polls=2 if args.until_empty else 10**9)
        if args.until_empty:
            break
    print(json.dumps(poller.stats.__dict__), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
