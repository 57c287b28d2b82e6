"""S3 access for every interface: boto3 only (no torch), every failure mapped to a TTSError.

- Uploads go through boto3's s3transfer (``upload_fileobj`` with a :class:`TransferConfig`): one PutObject up to
  ``MULTIPART_THRESHOLD``, a multipart upload of ``PART_SIZE`` parts above it, which s3transfer aborts if any part
  fails. Either way an object becomes visible only when complete.
- Presigned GET URLs are SigV4 (``Config(signature_version="s3v4")``). A URL signed with a role's temporary
  credentials (as on Lambda) stops working when those credentials expire, whatever its own expiry says.
- Retries with backoff on throttling and 5xx come from botocore (``standard`` mode, ``TTS_STORAGE_RETRIES``
  retries), with connect/read timeouts of ``TTS_STORAGE_TIMEOUT`` seconds.
- Bucket and prefixes come from settings; the endpoint from boto3's own ``AWS_ENDPOINT_URL`` (LocalStack, moto).
- Any botocore or endpoint error becomes :class:`StorageUnavailable` (503 ``storage_unavailable``); a missing
  object on :meth:`Storage.get` becomes :class:`ObjectNotFound` (404 ``not_found``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sambert_lambda.errors import StorageUnavailable, TooLarge
from sambert_lambda.settings import URL_EXPIRES_CAP, Settings, aws_endpoint, aws_region
from sambert_lambda.storage.objects import ObjectInfo, ObjectNotFound, check_key

MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 minimum is 5 MiB for every part but the last
MAX_CONCURRENCY = 4  # parts in flight at once for a multipart upload
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_FORBIDDEN = {"403", "AccessDenied", "Forbidden"}
_UPLOAD_ERRORS = (ClientError, BotoCoreError, S3UploadFailedError)


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _http_status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _cause(err: Exception) -> Exception:
    """The botocore error behind an s3transfer failure (S3UploadFailedError wraps it), else ``err``."""
    return err.__cause__ if isinstance(err, S3UploadFailedError) and err.__cause__ is not None else err


def _unavailable(action: str, err: Exception) -> StorageUnavailable:
    if isinstance(err, ClientError):
        reason = _error_code(err) or f"HTTP {_http_status(err)}"
    else:
        reason = type(err).__name__
    return StorageUnavailable(f"storage unavailable: {action} failed ({reason})")


def make_client(settings: Settings):
    """An S3 client configured from settings and the standard AWS environment."""
    endpoint = aws_endpoint("s3")
    s3_config: dict[str, Any] = {"addressing_style": "path"} if endpoint else {}
    config = Config(
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": settings.storage_retries + 1},
        connect_timeout=settings.storage_timeout,
        read_timeout=settings.storage_timeout,
        s3=s3_config or None,
    )
    region = aws_region()
    try:
        return boto3.session.Session().client("s3", region_name=region, endpoint_url=endpoint, config=config)
    except (BotoCoreError, ValueError) as e:
        raise StorageUnavailable(f"storage unavailable: cannot create the S3 client ({type(e).__name__})") from None


class Storage:
    """One bucket, reached through one S3 client. Thread-safe (boto3 clients are)."""

    def __init__(self, settings: Settings, client=None) -> None:
        self.settings = settings
        self.bucket = settings.require_bucket()
        self.output_prefix = settings.output_prefix
        self.input_prefix = settings.input_prefix
        self.client = client if client is not None else make_client(settings)

    # -- writing -------------------------------------------------------------------------------------------

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Store ``body`` at ``key``; the object is visible only once complete."""
        check_key(key)
        extra = {"ContentType": content_type, "Metadata": {str(k): str(v) for k, v in (metadata or {}).items()}}
        config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=PART_SIZE,
            max_concurrency=MAX_CONCURRENCY,
            use_threads=len(body) > MULTIPART_THRESHOLD,  # no thread pool for a single PutObject
        )
        try:
            self.client.upload_fileobj(io.BytesIO(body), self.bucket, key, ExtraArgs=extra, Config=config)
        except _UPLOAD_ERRORS as e:
            raise _unavailable("upload", _cause(e)) from None

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as e:
            raise _unavailable("delete", e) from None

    # -- reading -------------------------------------------------------------------------------------------

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size, age, type, ETag and metadata, or None when it does not exist.

        Without ``s3:ListBucket`` S3 answers 403 (not 404) for a missing key: that is reported as
        StorageUnavailable naming the permission, since the cache cannot work without it.
        """
        check_key(key)
        try:
            resp = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            code = _error_code(e)
            if code in _NOT_FOUND or _http_status(e) == 404:
                return None
            if code in _FORBIDDEN or _http_status(e) == 403:
                raise StorageUnavailable(
                    "storage unavailable: HEAD was forbidden; the function's role needs s3:GetObject and "
                    "s3:ListBucket on the bucket (without ListBucket a missing key answers 403)"
                ) from None
            raise _unavailable("head", e) from None
        except BotoCoreError as e:
            raise _unavailable("head", e) from None
        return ObjectInfo(
            key=key,
            size=int(resp.get("ContentLength", 0)),
            last_modified=resp["LastModified"],
            content_type=resp.get("ContentType"),
            etag=str(resp.get("ETag", "")).strip('"'),
            metadata=dict(resp.get("Metadata") or {}),
        )

    def get(self, key: str, *, max_bytes: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The object's bytes and metadata. Raises ObjectNotFound, TooLarge (over ``max_bytes``) or StorageUnavailable."""
        check_key(key)
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
            length = int(resp.get("ContentLength", 0))
            if max_bytes is not None and length > max_bytes:
                resp["Body"].close()
                raise TooLarge(f"object is {length} bytes, over the limit of {max_bytes}")
            data = resp["Body"].read()
        except ClientError as e:
            if _error_code(e) in _NOT_FOUND or _http_status(e) == 404:
                raise ObjectNotFound(f"no such object: {key}") from None
            raise _unavailable("get", e) from None
        except BotoCoreError as e:
            raise _unavailable("get", e) from None
        return data, dict(resp.get("Metadata") or {})

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (paginated), in S3's lexicographic order."""
        return [info["Key"] for info in self.iter_objects(prefix)]

    def iter_objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        """The raw ListObjectsV2 entries (Key, Size, LastModified, ETag) under ``prefix``."""
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
        except (ClientError, BotoCoreError) as e:
            raise _unavailable("list", e) from None

    # -- sharing -------------------------------------------------------------------------------------------

    def presign(self, key: str, expires: int | None = None) -> tuple[str, datetime]:
        """A SigV4 presigned GET URL and the moment it expires (UTC).

        ``expires`` defaults to ``TTS_URL_EXPIRES`` and is capped at 12 h. Never log the returned URL: it is a
        bearer credential. Log the key instead.
        """
        check_key(key)
        seconds = int(expires if expires is not None else self.settings.url_expires)
        seconds = max(1, min(seconds, URL_EXPIRES_CAP))
        now = datetime.now(timezone.utc)
        try:
            url = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
            )
        except (ClientError, BotoCoreError) as e:
            raise _unavailable("presign", e) from None
        return url, (now + timedelta(seconds=seconds)).replace(microsecond=0)

