"""Read an uploaded file together with the ETag of exactly the bytes that were read.

HEAD gives the ETag, size and metadata; GET gives the bytes. If the object is replaced between the two, the bytes
would be recorded under the wrong ETag, so the read is confirmed: by the MD5 of the bytes when the ETag is a plain
MD5 (single-part uploads without KMS), else by a second HEAD. A file over the size limit is not downloaded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from sambert_lambda.errors import StorageUnavailable, TooLarge, TTSError

_MD5 = re.compile(r"^[0-9a-f]{32}$")
_ATTEMPTS = 3


@dataclass(frozen=True)
class Source:
    bucket: str
    key: str
    etag: str
    size: int
    version_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None  # None when too large to read

    def describe(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": self.key, "etag": self.etag, "version_id": self.version_id,
                "size": self.size}


def read_source(storage: Any, key: str, *, max_bytes: int, version_id: str | None = None) -> Source | None:
    """The object at ``key`` (None if it no longer exists). ``data`` is None when the object is over ``max_bytes``."""
    bucket = str(getattr(storage, "bucket", ""))
    info = storage.head(key)
    for _ in range(_ATTEMPTS):
        if info is None:
            return None
        if info.size > max_bytes:
            return Source(bucket, key, info.etag, info.size, version_id, dict(info.metadata), None)
        try:
            data, metadata = storage.get(key, max_bytes=max_bytes)
        except TooLarge:
            info = storage.head(key)
            continue
        except TTSError as e:
            if e.code == "not_found":  # deleted since the HEAD
                return None
            raise
        if _MD5.match(info.etag) and hashlib.md5(data, usedforsecurity=False).hexdigest() == info.etag:
            return Source(bucket, key, info.etag, len(data), version_id, dict(metadata), data)
        after = storage.head(key)
        if after is not None and after.etag == info.etag:
            return Source(bucket, key, info.etag, len(data), version_id, dict(metadata), data)
        info = after
    raise StorageUnavailable(f"storage unavailable: {key} kept changing while it was read")
