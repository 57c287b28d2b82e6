"""Build function events from the payloads ``sam local generate-event`` wrote in this directory.

- ``http-api-proxy.json``: ``sam local generate-event apigateway http-api-proxy`` (payload 2.0, as Function URLs send)
- ``s3-put.json``: ``sam local generate-event s3 put --bucket sambert-tts-test --key input/demo/hello.txt``
- ``sqs-receive-message.json``: ``sam local generate-event sqs receive-message``

``python -m tests.support.events`` rewrites the derived files (function-url-*.json, direct-invoke.json) used
with ``curl -d @tests/events/<file>`` against the runtime emulator.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from tests.support.paths import EVENTS

HERE = EVENTS


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def function_url_event(
    method: str,
    path: str,
    body: bytes | str | dict | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """The generated HTTP API 2.0 event with this method, path, headers and (base64) body."""
    event = copy.deepcopy(load("http-api-proxy.json"))
    event["rawPath"] = path
    event["rawQueryString"] = query
    event.pop("queryStringParameters", None)
    event.pop("pathParameters", None)
    event.pop("cookies", None)
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"].pop("authorizer", None)
    event["headers"] = {"host": "abc123.lambda-url.us-east-1.on.aws", **{k.lower(): v for k, v in (headers or {}).items()}}
    if body is None:
        event["body"] = None
        event["isBase64Encoded"] = False
    else:
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
            event["headers"].setdefault("content-type", "application/json")
        raw = body.encode("utf-8") if isinstance(body, str) else body
        event["body"] = base64.b64encode(raw).decode("ascii")
        event["isBase64Encoded"] = True
        event["headers"].setdefault("content-length", str(len(raw)))
    return event


def direct_event(**fields: Any) -> dict[str, Any]:
    return {"text": "你好，欢迎使用语音合成服务。", **fields}


DERIVED = {
    "function-url-tts.json": lambda: function_url_event(
        "POST", "/v1/tts", {"text": "你好，欢迎使用语音合成服务。", "format": "wav", "sample_rate": 16000}
    ),
    "function-url-healthz.json": lambda: function_url_event("GET", "/healthz"),
    "function-url-voices.json": lambda: function_url_event("GET", "/v1/voices"),
    "direct-invoke.json": lambda: direct_event(format="wav"),
}


if __name__ == "__main__":
    for name, make in DERIVED.items():
        (HERE / name).write_text(json.dumps(make(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print("wrote", HERE / name)
