"""A directory that behaves like the S3 storage (same methods, same errors), for local runs (batch, serve).

Keys map to paths under the root; ``..`` and absolute keys are refused. Each object's metadata and content type
sit in ``.meta/<key>.json`` (hidden from :meth:`list`). Writes go to a temporary file then ``os.replace``, so a
reader never sees half an object, as with S3. ETags are MD5 hex digests, as S3 gives for single-part uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from sambert_lambda.errors import InvalidInput, StorageUnavailable, TooLarge
from sambert_lambda.storage.objects import ObjectInfo, ObjectNotFound

META_DIR = ".meta"


class FileStorage:
    def __init__(self, root: str | os.PathLike[str], bucket: str = "local") -> None:
        self.root = Path(root).resolve()
        self.bucket = bucket
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, *, meta: bool = False) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (
            "", ".", "..") or parts[0] == META_DIR:
            raise InvalidInput(f"invalid object key {key!r}", code="invalid_key")
        return self.root / META_DIR / (key + ".json") if meta else self.root / key

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as e:
            raise StorageUnavailable(f"storage unavailable: cannot write {path.name} ({e.strerror})") from None

    def put(self, key: str, body: bytes, content_type: str, metadata: Mapping[str, str] | None = None) -> None:
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        doc = {"content_type": content_type, "etag": etag,
               "metadata": {str(k).lower(): str(v) for k, v in (metadata or {}).items()}}
        self._write(self._path(key), body)
        self._write(self._path(key, meta=True), json.dumps(doc, sort_keys=True).encode())

    def _meta(self, key: str, data: bytes | None = None) -> dict:
        try:
            return json.loads(self._path(key, meta=True).read_bytes())
        except (OSError, ValueError):  # a file placed by hand: no sidecar
            body = data if data is not None else self._path(key).read_bytes()
            return {"content_type": None, "etag": hashlib.md5(body, usedforsecurity=False).hexdigest(),
                    "metadata": {}}

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        stat = path.stat()
        meta = self._meta(key)
        return ObjectInfo(key=key, size=stat.st_size,
                          last_modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                          content_type=meta["content_type"], etag=meta["etag"], metadata=dict(meta["metadata"]))

    def get(self, key: str, *, max_bytes: int | None = None) -> tuple[bytes, dict[str, str]]:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(f"no such object: {key}")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(f"object is {size} bytes, over the limit of {max_bytes}")
        data = path.read_bytes()
        return data, dict(self._meta(key, data)["metadata"])

    def list(self, prefix: str) -> list[str]:
        keys = []
        for path in self.root.rglob("*"):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and not rel.startswith(META_DIR + "/") and not path.name.startswith(".tmp-") \
                    and rel.startswith(prefix):
                keys.append(rel)
        return sorted(keys)

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._path(key, meta=True)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StorageUnavailable(f"storage unavailable: cannot delete {key} ({e.strerror})") from None
