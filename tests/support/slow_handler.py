"""A stand-in Lambda handler for poller tests: each SQS record takes ``SLOW_HANDLER_SECONDS`` and succeeds."""

from __future__ import annotations

import os
import time


def handler(event, context):
    for _ in event.get("Records", []):
        time.sleep(float(os.environ.get("SLOW_HANDLER_SECONDS", "0")))
    return {"batchItemFailures": []}
