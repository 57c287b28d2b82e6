"""The Lambda handler: dispatch by event shape (generated events), direct invoke, failed cold start, and the
contract test of the Powertools EMF metrics (what CloudWatch would ingest, captured from stdout)."""

from __future__ import annotations

import base64
import json
import os
import sys
import types

os.environ.setdefault("TTS_EAGER_INIT", "0")  # the tests install their own service holder

import pytest

from sambert_lambda import handler as handler_mod
from sambert_lambda.errors import ConfigInvalid, ModelError
from sambert_lambda.service import ServiceHolder
from tests.support.events import direct_event, function_url_event, load
from tests.support.fakes import FakeSynthesizer, make_service


class Context:
    function_name = "sambert-tts"
    aws_request_id = "req-0001"
    memory_limit_in_mb = 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sambert-tts"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def service(_moto, monkeypatch):
    svc = make_service(FakeSynthesizer())
    monkeypatch.setattr(handler_mod, "holder", ServiceHolder(factory=lambda: svc))
    monkeypatch.setattr(handler_mod, "_mangum", None)
    yield svc
    for key in svc.storage.list(""):
        svc.storage.delete(key)


def invoke(event):
    return handler_mod.handler(event, Context())


def test_event_kinds_of_generated_events():
    assert handler_mod.event_kind(load("http-api-proxy.json")) == "http"
    assert handler_mod.event_kind(load("s3-put.json")) == "s3"
    assert handler_mod.event_kind(load("sqs-receive-message.json")) == "sqs"
    assert handler_mod.event_kind(direct_event()) == "direct"
    assert handler_mod.event_kind({"foo": 1}) == "unknown"
    assert handler_mod.event_kind([1, 2]) == "unknown"


def test_function_url_event_through_mangum(service):
    resp = invoke(function_url_event("POST", "/v1/tts", {"text": "你好。", "format": "wav"}))
    assert resp["statusCode"] == 200, resp
    body = json.loads(resp["body"])
    assert body["cached"] is False and body["key"].endswith(".wav")
    assert resp["headers"]["content-type"] == "application/json"
    health = invoke(function_url_event("GET", "/healthz"))
    assert health["statusCode"] == 200 and json.loads(health["body"])["model_loaded"] is True


def test_function_url_bad_input_is_4xx(service):
    resp = invoke(function_url_event("POST", "/v1/tts", b'{"text": ', {"content-type": "application/json"}))
    assert resp["statusCode"] == 400
    assert json.loads(resp["body"])["error"]["code"] == "malformed_json"
    resp = invoke(function_url_event("POST", "/v1/tts", {"text": "你好", "emotion": "bored"}))
    assert resp["statusCode"] == 400 and json.loads(resp["body"])["error"]["code"] == "unknown_emotion"


def test_speech_through_mangum_is_base64_audio(service):
    resp = invoke(function_url_event("POST", "/v1/audio/speech", {"input": "你好。", "response_format": "wav"}))
    assert resp["statusCode"] == 200 and resp["isBase64Encoded"] is True
    assert base64.b64decode(resp["body"])[:4] == b"RIFF"


def test_direct_invoke(service):
    out = invoke(direct_event(format="mp3"))
    assert "statusCode" not in out and out["format"] == "mp3" and out["url"].startswith("http")
    again = invoke(direct_event(format="mp3"))
    assert again["cached"] is True and again["key"] == out["key"]


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [({"text": ""}, 400, "empty_text"), ({"text": "你好", "speed": 9}, 422, "invalid_speed"),
     ({"text": "你好", "voice": "x"}, 400, "unknown_voice"), ({"text": None}, 422, "invalid_text"),
     ({"text": "你好", "bogus": 1}, 422, "unknown_field")],
)
def test_direct_invoke_errors(service, event, status, code):
    out = invoke(event)
    assert out == {"error": {"code": code, "message": out["error"]["message"]}, "status": status}
    assert "statusCode" not in out


def test_unknown_event(service):
    out = invoke({"hello": "world"})
    assert out["error"]["code"] == "unsupported_event" and out["status"] == 400


@pytest.mark.parametrize("record", [{"eventSource": "aws:sqs", "body": "{}"}, {"eventSource": "aws:sqs", "messageId": 1},
                                    {"eventSource": "aws:sqs", "messageId": "m", "body": None}])
def test_a_direct_invoke_shaped_like_a_broken_sqs_event_is_400(service, record):
    """SQS always sends messageId and body; without them the batch processor raised KeyError, a traceback."""
    out = invoke({"Records": [record]})
    assert out["error"]["code"] == "unsupported_event" and out["status"] == 400


def test_a_direct_invoke_shaped_like_a_broken_http_event_is_400(service):
    """Mangum raised KeyError ('sourceIp') on an event without it: a stack trace back to the caller."""
    out = invoke({"version": "2.0", "rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}})
    assert out["error"]["code"] == "unsupported_event" and out["status"] == 400, out


def test_s3_and_sqs_dispatch_to_batch(service, monkeypatch):
    seen = []
    fake = types.ModuleType("sambert_lambda.batch")
    fake.handle_s3_event = lambda e, c, s: seen.append(("s3", e, s)) or {"status": "done"}
    fake.handle_sqs_event = lambda e, c, s: seen.append(("sqs", e, s)) or {"batchItemFailures": []}
    monkeypatch.setitem(sys.modules, "sambert_lambda.batch", fake)
    import sambert_lambda

    monkeypatch.setattr(sambert_lambda, "batch", fake, raising=False)
    s3 = load("s3-put.json")
    assert invoke(s3) == {"status": "done"}
    assert invoke(load("sqs-receive-message.json")) == {"batchItemFailures": []}
    assert [k for k, _, _ in seen] == ["s3", "sqs"] and seen[0][1] is s3 and seen[0][2] is service


def test_s3_without_batch_module_is_a_clear_result(service, monkeypatch):
    empty = types.ModuleType("sambert_lambda.batch")
    monkeypatch.setitem(sys.modules, "sambert_lambda.batch", empty)
    import sambert_lambda

    monkeypatch.setattr(sambert_lambda, "batch", empty, raising=False)
    out = invoke(load("s3-put.json"))
    assert out["error"]["code"] == "unsupported_event" and "not supported" in out["error"]["message"]


@pytest.mark.parametrize(
    ("error", "code"),
    [(ModelError("the model failed to load (FileNotFoundError: config.yaml)"), "model_unavailable"),
     (ConfigInvalid("invalid setting: TTS_BUCKET is not set"), "config_invalid")],
)
def test_failed_cold_start_answers_503_and_does_not_retry_each_request(_moto, monkeypatch, error, code):
    attempts = []

    def factory():
        attempts.append(1)
        raise error

    monkeypatch.setattr(handler_mod, "holder", ServiceHolder(factory=factory, retry_after=600))
    monkeypatch.setattr(handler_mod, "_mangum", None)
    for _ in range(3):
        resp = invoke(function_url_event("POST", "/v1/tts", {"text": "你好"}))
        assert resp["statusCode"] == 503
        assert json.loads(resp["body"])["error"] == {"code": code, "message": error.message}
        out = invoke(direct_event())
        assert out["error"]["code"] == code and out["status"] == 503
    assert len(attempts) == 1


def test_real_build_service_names_the_missing_setting(monkeypatch):
    monkeypatch.delenv("TTS_BUCKET", raising=False)
    from sambert_lambda.service import build_service
    from sambert_lambda.settings import load_settings

    with pytest.raises(ConfigInvalid, match="TTS_BUCKET"):
        build_service(load_settings())


def _emf_documents(out: str) -> list[dict]:
    docs = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and '"_aws"' in line:
            docs.append(json.loads(line))
    return docs


@pytest.mark.contract
def test_contract_emf_metrics(service, monkeypatch, capsys):
    """Contract test: CloudWatch cannot run here, so assert the EMF documents Powertools prints."""
    from aws_lambda_powertools.metrics.provider import cold_start

    monkeypatch.setattr(cold_start, "is_cold_start", True)  # this process has served invocations already
    capsys.readouterr()
    invoke(direct_event(text="你好，世界。"))
    first = _emf_documents(capsys.readouterr().out)
    invoke(direct_event(text="你好，世界。"))
    second = _emf_documents(capsys.readouterr().out)
    assert first and second

    def metrics_of(docs):
        names, values = set(), {}
        for d in docs:
            for directive in d["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SambertLambda")
                for m in directive["Metrics"]:
                    names.add(m["Name"])
                    v = d[m["Name"]]
                    values[m["Name"]] = v[0] if isinstance(v, list) and len(v) == 1 else v
        return names, values

    names1, v1 = metrics_of(first)
    names2, v2 = metrics_of(second)
    assert {"ColdStart", "CacheHit", "Characters", "SynthesisSeconds", "RTF"} <= names1
    assert v1["CacheHit"] == 0 and v1["Characters"] == 6 and v1["ColdStart"] == 1
    assert v1["SynthesisSeconds"] > 0 and v1["RTF"] > 0
    assert "ColdStart" not in names2 and v2["CacheHit"] == 1 and "SynthesisSeconds" not in names2
    units = {m["Name"]: m["Unit"] for d in first for x in d["_aws"]["CloudWatchMetrics"] for m in x["Metrics"]}
    assert units["SynthesisSeconds"] == "Seconds" and units["CacheHit"] == "Count"


@pytest.mark.parametrize("name", ["s3-put.json", "sqs-receive-message.json"])
def test_batch_events_fail_the_invocation_when_the_service_is_down(_moto, monkeypatch, name):
    def factory():
        raise ModelError("the model failed to load (FileNotFoundError)")

    monkeypatch.setattr(handler_mod, "holder", ServiceHolder(factory=factory))
    with pytest.raises(ModelError):  # Lambda retries / dead-letters the event instead of dropping it
        invoke(load(name))


def test_logs_are_json_with_correlation_ids(service):
    from tests.support.fakes import CapturedLogs

    with CapturedLogs() as logs:
        invoke(function_url_event("POST", "/v1/tts", {"text": "你好。"}))
        invoke(direct_event(text="再见。"))
    records = [r for r in logs.records() if r["message"] == "tts"]
    assert len(records) == 2
    http, direct = records
    assert http["correlation_id"] == "id"  # requestContext.requestId of the generated event
    assert direct["correlation_id"] == Context.aws_request_id
    for r in records:
        assert r["function_name"] == "sambert-tts" and r["function_request_id"] == "req-0001"
        assert r["service"] == "sambert-lambda" and r["level"] == "INFO"


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_real_build_service_with_a_missing_model_directory_is_model_unavailable(monkeypatch, tmp_path, backend):
    from sambert_lambda.service import build_service
    from sambert_lambda.settings import load_settings

    monkeypatch.setenv("TTS_BUCKET", "b")
    with pytest.raises(ModelError) as e:
        build_service(load_settings(model_dir=str(tmp_path / "nonexistent"), backend=backend))
    assert e.value.code == "model_unavailable" and "nonexistent" in e.value.message
