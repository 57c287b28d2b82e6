"""S3 access for every interface: boto3 only (no torch), every failure mapped to a TTSError.

- Uploads become visible only when complete: one PutObject for ordinary bodies, or a multipart upload that is
  aborted if any part fails (S3 never shows an incomplete multipart object).
- Presigned GET URLs are SigV4 (``Config(signature_version="s3v4")``). A URL signed with a role's temporary
  credentials (as on Lambda) stops working when those credentials expire, whatever its own expiry says.
- Retries with backoff on throttling and 5xx come from botocore (``standard`` mode, ``TTS_STORAGE_RETRIES``
  retries), with connect/read timeouts of ``TTS_STORAGE_TIMEOUT`` seconds.
- Bucket and prefixes come from settings; the endpoint from boto3's own ``AWS_ENDPOINT_URL`` (LocalStack, moto).
- Any botocore or endpoint error becomes :class:`StorageUnavailable` (503 ``storage_unavailable``); a missing
  object on :meth:`Storage.get` becomes :class:`ObjectNotFound` (404 ``not_found``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sambert_lambda.errors import InvalidInput, StorageUnavailable, TooLarge, TTSError
from sambert_lambda.settings import URL_EXPIRES_CAP, Settings, aws_endpoint, aws_region

MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 minimum is 5 MiB for every part but the last
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_FORBIDDEN = {"403", "AccessDenied", "Forbidden"}


class ObjectNotFound(TTSError):
    status = 404
    code = "not_found"


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


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _http_status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


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
    ) -> str:
        """Store ``body`` at ``key``; the object is visible only once complete. Returns its ETag."""
        _check_key(key)
        meta = {str(k): str(v) for k, v in (metadata or {}).items()}
        if len(body) > MULTIPART_THRESHOLD:
            return self._put_multipart(key, body, content_type, meta)
        try:
            resp = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, Metadata=meta
            )
        except (ClientError, BotoCoreError) as e:
            raise _unavailable("upload", e) from None
        return str(resp.get("ETag", "")).strip('"')

    def _put_multipart(self, key: str, body: bytes, content_type: str, meta: dict[str, str]) -> str:
        try:
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, Metadata=meta
            )["UploadId"]
        except (ClientError, BotoCoreError) as e:
            raise _unavailable("upload", e) from None
        try:
            parts = []
            for number, start in enumerate(range(0, len(body), PART_SIZE), start=1):
                resp = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body[start : start + PART_SIZE],
                )
                parts.append({"PartNumber": number, "ETag": resp["ETag"]})
            resp = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except (ClientError, BotoCoreError) as e:
            self._abort(key, upload_id)
            raise _unavailable("multipart upload", e) from None
        except BaseException:
            self._abort(key, upload_id)
            raise
        return str(resp.get("ETag", "")).strip('"')

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError):
            pass  # the bucket's AbortIncompleteMultipartUpload lifecycle rule cleans up what we cannot

    def delete(self, key: str) -> None:
        _check_key(key)
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
        _check_key(key)
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
        _check_key(key)
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
        _check_key(key)
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


def _check_key(key: str) -> None:
    if not key or len(key.encode("utf-8")) > 1024:
        raise InvalidInput(f"invalid object key ({len(key)} characters)", code="invalid_key")
