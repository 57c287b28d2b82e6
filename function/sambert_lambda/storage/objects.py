"""What every storage backend shares: the object description HEAD returns, the not-found error (from
``errors``), the key check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sambert_lambda.errors import InvalidInput, ObjectNotFound

__all__ = ["MAX_KEY_BYTES", "ObjectInfo", "ObjectNotFound", "check_key"]

MAX_KEY_BYTES = 1024  # S3's limit on a key, in UTF-8 bytes


@dataclass(frozen=True)
class ObjectInfo:
    """What HEAD tells about an object."""

    key: str
    size: int
    last_modified: datetime
    content_type: str | None
    etag: str
    metadata: dict[str, str]

    def age_seconds(self, now: datetime | None = None) -> float:
        now = now or datetime.now(timezone.utc)
        return (now - self.last_modified).total_seconds()


def check_key(key: str) -> None:
    """Refuse an empty key or one longer than S3 allows (400 ``invalid_key``)."""
    if not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidInput(f"invalid object key ({len(key)} characters)", code="invalid_key")
