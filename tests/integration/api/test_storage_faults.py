"""/v1/tts against a real local S3 endpoint (moto server) behind the fault-injecting proxy: throttling is retried
with backoff, persistent 5xx / endpoint down / slow endpoint give 503 storage_unavailable, and nothing half-made
is left visible."""

from __future__ import annotations

import uuid

import boto3
import pytest
from fastapi.testclient import TestClient

from infra.faultproxy import FaultProxy
from sambert_lambda.api.app import create_app
from sambert_lambda.service import TTSService
from sambert_lambda.settings import load_settings
from sambert_lambda.storage import Storage
from tests.support.fakes import FakeSynthesizer

RETRIES = 2


@pytest.fixture
def setup(moto_endpoint, monkeypatch):
    bucket = f"fn-fault-{uuid.uuid4().hex[:8]}"
    direct = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    direct.create_bucket(Bucket=bucket)
    with FaultProxy(upstream=moto_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        settings = load_settings(bucket=bucket, storage_retries=RETRIES, storage_timeout=1)
        svc = TTSService(settings, FakeSynthesizer(), Storage(settings))
        with TestClient(create_app(lambda: svc, settings_factory=lambda: settings),
                        raise_server_exceptions=False) as client:
            yield proxy, client, direct, bucket, svc


def _objects(direct, bucket):
    return [o["Key"] for o in direct.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_throttling_is_retried_then_succeeds(setup):
    proxy, client, direct, bucket, _ = setup
    proxy.set_fault("throttle", count=RETRIES, methods={"PUT"})
    resp = client.post("/v1/tts", json={"text": "你好。"})
    assert resp.status_code == 200, resp.text
    assert proxy.outcomes("PUT").count("throttle") == RETRIES
    assert _objects(direct, bucket) == [resp.json()["key"]]


def test_persistent_500_is_503_after_bounded_retries(setup):
    proxy, client, direct, bucket, _ = setup
    proxy.set_fault("error500", methods={"PUT"})
    resp = client.post("/v1/tts", json={"text": "你好。"})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "storage_unavailable"
    assert proxy.outcomes("PUT").count("error500") == RETRIES + 1
    assert _objects(direct, bucket) == []  # nothing half-written, and no URL was handed out
    assert "url" not in resp.json()


@pytest.mark.parametrize(("mode", "delay"), [("down", 0.0), ("slow", 3.0)])
def test_endpoint_down_or_slow_is_503(setup, mode, delay):
    proxy, client, _, _, svc = setup
    proxy.set_fault(mode, delay=delay)
    resp = client.post("/v1/tts", json={"text": "你好。"})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "storage_unavailable"
    assert svc.synthesizer.calls == []  # the cache lookup failed first: no synthesis wasted
    proxy.clear()
    assert client.post("/v1/tts", json={"text": "你好。"}).status_code == 200  # recovers without a restart
