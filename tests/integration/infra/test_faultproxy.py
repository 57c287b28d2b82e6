"""The fault-injecting proxy itself: faults are injected as configured and clean requests pass through unchanged."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from infra.faultproxy import FaultProxy


def _client(url: str, attempts: int = 1, read_timeout: float = 5):
    return boto3.client(
        "s3",
        endpoint_url=url,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, read_timeout=read_timeout,
                      connect_timeout=2, signature_version="s3v4"),
    )


@pytest.fixture()
def proxy(moto_endpoint):
    with FaultProxy(upstream=moto_endpoint) as p:
        _client(p.url).create_bucket(Bucket="fp-bucket")
        p.log.clear()
        yield p


def test_passes_requests_through(proxy):
    s3 = _client(proxy.url)
    s3.put_object(Bucket="fp-bucket", Key="a", Body=b"hello")
    assert s3.get_object(Bucket="fp-bucket", Key="a")["Body"].read() == b"hello"
    assert set(proxy.outcomes()) == {"pass"}


def test_throttle_count_then_recovers_with_retries(proxy):
    proxy.set_fault("throttle", count=2, methods={"PUT"})
    s3 = _client(proxy.url, attempts=4)
    s3.put_object(Bucket="fp-bucket", Key="b", Body=b"x")
    assert proxy.outcomes("PUT") == ["throttle", "throttle", "pass"]


def test_error500_without_retries_raises(proxy):
    proxy.set_fault("error500")
    with pytest.raises(ClientError) as e:
        _client(proxy.url).head_bucket(Bucket="fp-bucket")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_slow_is_cut_by_client_timeout(proxy):
    proxy.set_fault("slow", delay=3, count=1)
    with pytest.raises(ReadTimeoutError):
        _client(proxy.url, read_timeout=0.5).head_bucket(Bucket="fp-bucket")


def test_down_closes_connection(proxy):
    proxy.set_fault("down")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        _client(proxy.url).head_bucket(Bucket="fp-bucket")
    assert "down" in proxy.outcomes()
