"""``python -m infra.poller`` as the fan-out e2e test runs it: a separate process on a loopback SQS (moto's server),
stopped by a signal. It must finish the batch in hand, print its stats as one JSON line and exit promptly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from infra.rie import free_port
from tests.support.paths import REPO

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def queue():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test")  # fmt: skip
        url = sqs.create_queue(QueueName="poller-test", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        yield endpoint, sqs, url
    finally:
        server.stop()


def _start(endpoint: str, url: str, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
           "SLOW_HANDLER_SECONDS": str(seconds)}  # fmt: skip
    argv = [sys.executable, "-m", "infra.poller", "--queue-url", url, "--endpoint-url", endpoint,
            "--handler", "tests.support.slow_handler:handler", "--batch-size", "1"]  # fmt: skip
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _depth(sqs, url: str) -> int:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_an_idle_poller_with_its_stats(queue, sig):
    endpoint, sqs, url = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": i}))
    proc = _start(endpoint, url, 0.0)
    try:
        deadline = time.monotonic() + 60
        while _depth(sqs, url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _depth(sqs, url) == 0
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats == {"batches": 3, "received": 3, "deleted": 3, "failed": 0, "function_errors": 0}
    assert "Traceback" not in err


def test_a_signal_during_an_invocation_lets_it_finish(queue):
    endpoint, sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    proc = _start(endpoint, url, 3.0)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the message is in flight: received, not yet deleted
            a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
            if int(a["Attributes"]["ApproximateNumberOfMessagesNotVisible"]):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["deleted"] == 1  # the invocation completed and was acknowledged
    assert _depth(sqs, url) == 0
