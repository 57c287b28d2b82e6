"""The boto3 clients of the batch path (SQS for the fan-out, SNS for job announcements): one per service, endpoint,
region and retry budget, made once per process. S3 has its own client in ``storage.s3`` (SigV4, path style)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8)
def _make(service: str, endpoint: str | None, region: str, attempts: int):
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": attempts}, connect_timeout=5, read_timeout=10)
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint, config=config)


def client(service: str, *, attempts: int):
    """The client of ``service`` for the current endpoint (``AWS_ENDPOINT_URL[_<SERVICE>]``) and region."""
    from sambert_lambda.settings import aws_endpoint, aws_region

    return _make(service, aws_endpoint(service), aws_region(), attempts)


def clear() -> None:
    """Forget the clients (a test that starts an in-process AWS mock needs new ones)."""
    _make.cache_clear()
