"""Storage against moto (in-process): put/head/get/list/delete/presign, multipart, and error mapping."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sambert_lambda.errors import StorageUnavailable, TooLarge
from sambert_lambda.settings import load_settings
from sambert_lambda.storage import ObjectNotFound, Storage
from sambert_lambda.storage import s3 as storage_mod
from tests.support.fakes import clean_aws_env

BUCKET = "unit-bucket"


@pytest.fixture
def aws_env(monkeypatch):
    clean_aws_env(monkeypatch)


@pytest.fixture
def store(aws_env):
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield Storage(load_settings(bucket=BUCKET, url_expires=600))


def test_put_head_get_roundtrip(store):
    assert store.put("output/a/b.wav", b"RIFF1234", "audio/wav", {"voice": "zhitian_emo", "characters": 3}) is None
    info = store.head("output/a/b.wav")
    assert info is not None
    assert info.etag == hashlib.md5(b"RIFF1234").hexdigest()  # a single PutObject: S3's ETag is the body's MD5
    assert info.size == 8
    assert info.content_type == "audio/wav"
    assert info.metadata == {"voice": "zhitian_emo", "characters": "3"}
    assert 0 <= info.age_seconds() < 600
    data, meta = store.get("output/a/b.wav")
    assert data == b"RIFF1234"
    assert meta["voice"] == "zhitian_emo"


def test_head_missing_is_none_and_get_missing_is_not_found(store):
    assert store.head("output/nope.wav") is None
    with pytest.raises(ObjectNotFound) as e:
        store.get("output/nope.wav")
    assert e.value.status == 404


def test_get_over_limit_is_too_large(store):
    store.put("input/big.txt", b"x" * 100, "text/plain")
    with pytest.raises(TooLarge):
        store.get("input/big.txt", max_bytes=10)


def test_list_and_delete(store):
    for k in ("output/x/1", "output/x/2", "output/y/1"):
        store.put(k, b"1", "application/octet-stream")
    assert store.list("output/x/") == ["output/x/1", "output/x/2"]
    store.delete("output/x/1")
    assert store.list("output/x/") == ["output/x/2"]


def test_multipart_upload_roundtrip(store, monkeypatch):
    monkeypatch.setattr(storage_mod, "MULTIPART_THRESHOLD", 1024)
    body = bytes(range(256)) * 50_000  # 12.8 MB -> 2 parts of 8 MiB max
    store.put("output/big.bin", body, "application/octet-stream", {"k": "v"})
    data, meta = store.get("output/big.bin")
    assert data == body
    assert meta == {"k": "v"}


def test_multipart_failure_aborts_and_leaves_nothing(store, monkeypatch):
    monkeypatch.setattr(storage_mod, "MULTIPART_THRESHOLD", 1024)
    real = store.client.upload_part
    calls = {"n": 0}

    def flaky(**kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "UploadPart")
        return real(**kw)

    monkeypatch.setattr(store.client, "upload_part", flaky)
    with pytest.raises(StorageUnavailable):
        store.put("output/half.bin", b"z" * (9 * 1024 * 1024), "application/octet-stream")
    assert store.head("output/half.bin") is None
    uploads = store.client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert uploads == []


def test_presign_is_sigv4_with_capped_expiry(store):
    store.put("output/p.wav", b"RIFF", "audio/wav")
    url, expires_at = store.presign("output/p.wav")
    q = parse_qs(urlparse(url).query)
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert q["X-Amz-Expires"] == ["600"]
    assert 590 < (expires_at - datetime.now(timezone.utc)).total_seconds() <= 601
    url, _ = store.presign("output/p.wav", expires=10**9)
    assert parse_qs(urlparse(url).query)["X-Amz-Expires"] == [str(12 * 3600)]


def test_missing_bucket_setting_is_config_invalid(aws_env):
    from sambert_lambda.errors import ConfigInvalid

    with pytest.raises(ConfigInvalid, match="TTS_BUCKET"):
        Storage(load_settings(bucket=None))


def test_forbidden_head_names_listbucket(store, monkeypatch):
    def forbidden(**kw):
        raise ClientError({"Error": {"Code": "403"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "HeadObject")

    monkeypatch.setattr(store.client, "head_object", forbidden)
    with pytest.raises(StorageUnavailable, match="s3:ListBucket"):
        store.head("output/x.wav")


def test_endpoint_down_is_storage_unavailable(aws_env, monkeypatch):
    # A closed port on 127.0.0.1: the real botocore path, no mock.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    st = Storage(load_settings(bucket=BUCKET, storage_retries=0, storage_timeout=1))
    with pytest.raises(StorageUnavailable) as e:
        st.put("output/a.wav", b"x", "audio/wav")
    assert e.value.status == 503 and e.value.code == "storage_unavailable"
    assert "EndpointConnectionError" in e.value.message
    with pytest.raises(StorageUnavailable):
        st.head("output/a.wav")


def test_retries_come_from_settings(aws_env):
    st = Storage(load_settings(bucket=BUCKET, storage_retries=3, storage_timeout=2.5))
    cfg = st.client.meta.config
    assert cfg.retries["total_max_attempts"] == 4
    assert cfg.retries["mode"] == "standard"
    assert cfg.connect_timeout == 2.5 and cfg.read_timeout == 2.5
    assert cfg.signature_version == "s3v4"

