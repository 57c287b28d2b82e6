"""The fan-out queue: messages naming units of one file version, sent in one hop by the S3-triggered invocation.

A message body is ``{"v": 1, "bucket", "key", "etag", "version_id", "units": [..]}``: consumers re-read and
re-parse the file (parsing is deterministic) and skip the message if the file's ETag has changed since.
Consumers never send to this queue. A message that keeps failing is moved to the dead-letter queue on its last
allowed receive, with its reason in message attributes (SQS's own redrive policy is the backstop).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sambert_lambda.batch import aws
from sambert_lambda.batch.jobs import ErrorInfo
from sambert_lambda.errors import InvalidInput, TTSError

MESSAGE_VERSION = 1
_SEND_BATCH = 10  # SQS SendMessageBatch limit
_SEND_ATTEMPTS = 3
_REASON_CHARS = 1000


class QueueUnavailable(TTSError, status=503, code="queue_unavailable"):
    """The fan-out queue did not take the messages."""


@dataclass(frozen=True)
class FanoutMessage:
    bucket: str
    key: str
    etag: str
    version_id: str | None
    units: tuple[int, ...]

    def to_json(self) -> str:
        return json.dumps(
            {"v": MESSAGE_VERSION, "bucket": self.bucket, "key": self.key, "etag": self.etag,
             "version_id": self.version_id, "units": list(self.units)},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str) -> FanoutMessage:
        """Parse a message body; anything malformed is InvalidInput ``invalid_message`` (a poison message)."""
        try:
            doc = json.loads(body)
        except (TypeError, json.JSONDecodeError, RecursionError):
            raise InvalidInput("fan-out message body is not JSON", code="invalid_message") from None
        if not isinstance(doc, dict) or doc.get("v") != MESSAGE_VERSION:
            raise InvalidInput("fan-out message has no supported version", code="invalid_message")
        units = doc.get("units")
        strings = [doc.get(k) for k in ("bucket", "key", "etag")]
        if not all(isinstance(s, str) and s for s in strings):
            raise InvalidInput("fan-out message lacks bucket, key or etag", code="invalid_message")
        if not isinstance(units, list) or not units or not all(
            isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in units
        ):
            raise InvalidInput("fan-out message has no valid unit list", code="invalid_message")
        version = doc.get("version_id")
        return cls(doc["bucket"], doc["key"], doc["etag"], version if isinstance(version, str) else None,
                   tuple(units))


def messages_for(bucket: str, key: str, etag: str, version_id: str | None, units: list[int],
                 per_message: int) -> list[FanoutMessage]:
    step = max(1, int(per_message))
    return [FanoutMessage(bucket, key, etag, version_id, tuple(units[i : i + step]))
            for i in range(0, len(units), step)]


def sqs_client():
    return aws.client("sqs", attempts=5)


def send(queue_url: str, messages: list[FanoutMessage], client: Any = None) -> int:
    """Send every message (SendMessageBatch, failed entries retried). Raises QueueUnavailable if any is lost."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or sqs_client()
    sent = 0
    for start in range(0, len(messages), _SEND_BATCH):
        pending = {str(i): m for i, m in enumerate(messages[start : start + _SEND_BATCH])}
        for _ in range(_SEND_ATTEMPTS):
            if not pending:
                break
            entries = [{"Id": i, "MessageBody": m.to_json()} for i, m in pending.items()]
            try:
                resp = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            except (BotoCoreError, ClientError) as e:
                raise QueueUnavailable(f"fan-out queue unavailable ({type(e).__name__})") from None
            for ok in resp.get("Successful", []):
                pending.pop(ok["Id"], None)
                sent += 1
        if pending:
            raise QueueUnavailable(f"fan-out queue refused {len(pending)} message(s)")
    return sent


def dead_letter(dlq_url: str, record: dict[str, Any], error: ErrorInfo, client: Any = None) -> None:
    """Move a fan-out record to the dead-letter queue with its reason as message attributes."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or sqs_client()
    attrs = {
        "error_code": error.code,
        "error_message": error.message[:_REASON_CHARS] or error.code,
        "source_message_id": str(record.get("messageId", "")) or "unknown",
        "receive_count": str(record.get("attributes", {}).get("ApproximateReceiveCount", "")) or "unknown",
    }
    try:
        client.send_message(
            QueueUrl=dlq_url,
            MessageBody=str(record.get("body", "")) or "(empty)",
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()},
        )
    except (BotoCoreError, ClientError) as e:
        raise QueueUnavailable(f"dead-letter queue unavailable ({type(e).__name__})") from None

