"""Helpers of the reliability suite: the real synthesizer on the tiny test voice, S3 on a real local
endpoint (moto server, optionally behind the fault proxy), and a way to build the app against them.

Everything binds 127.0.0.1; every client is built with an explicit endpoint, so no test can reach real AWS.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.config import Config

from sambert_lambda.service import TTSService
from sambert_lambda.settings import Settings, load_settings
from sambert_lambda.storage import Storage, make_client


@contextlib.contextmanager
def endpoint_env(endpoint: str) -> Iterator[None]:
    """Point boto3 (``AWS_ENDPOINT_URL``) at ``endpoint`` while a client is made, then restore the environment."""
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")}
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("AWS_ENDPOINT_URL_S3", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def raw_s3(endpoint: str):
    """A plain client straight to the endpoint (no proxy, no retries): the test's own view of the bucket."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(signature_version="s3v4", retries={"total_max_attempts": 1}))


def new_bucket(endpoint: str, prefix: str = "rel") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    raw_s3(endpoint).create_bucket(Bucket=name)
    return name


def real_settings(model_dir: Path, bucket: str, **overrides) -> Settings:
    return load_settings(bucket=bucket, model_dir=str(model_dir), **overrides)


def storage_for(settings: Settings, endpoint: str) -> Storage:
    with endpoint_env(endpoint):
        return Storage(settings, client=make_client(settings))




def real_service(synth, settings: Settings, endpoint: str) -> TTSService:
    return TTSService(settings, synth, storage_for(settings, endpoint))
