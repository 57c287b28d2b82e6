"""End to end: the function under the real Lambda Runtime Interface Emulator + awslambdaric, on the tiny test
voice, against LocalStack S3 with signature validation on (S3_SKIP_SIGNATURE_VALIDATION=0).

Function URL events come from ``sam local generate-event apigateway http-api-proxy`` (tests/events/).
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
import uuid
import wave
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.events import function_url_event, load

pytestmark = [pytest.mark.localstack, pytest.mark.timeout(600)]  # LocalStack and the emulator start


@pytest.fixture(scope="module")
def stack(localstack_endpoint):
    from infra import localstack

    bucket = f"fn-e2e-{uuid.uuid4().hex[:8]}"
    return localstack.ensure_resources(localstack_endpoint, bucket)


@pytest.fixture(scope="module")
def rie(stack, test_voice_dir, tmp_path_factory):
    from infra.rie import RIE

    env = {**stack["env"], "TTS_MODEL_DIR": str(test_voice_dir), "TTS_URL_EXPIRES": "3600",
           "TTS_LIFECYCLE_DAYS": "1", "TTS_MAX_CHARS": "300", "POWERTOOLS_SERVICE_NAME": "sambert-lambda"}
    log = tmp_path_factory.mktemp("rie") / "rie.log"
    with RIE(env=env, log_path=log) as r:
        yield r


@pytest.fixture(scope="module")
def storage(stack, monkeypatch_module):
    from sambert_lambda.settings import load_settings
    from sambert_lambda.storage import Storage

    for k, v in stack["env"].items():
        monkeypatch_module.setenv(k, v)
    return Storage(load_settings(bucket=stack["bucket"]))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:  # plain HTTP to LocalStack on 127.0.0.1
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def stats(rie) -> dict:
    resp = rie.invoke(function_url_event("GET", "/healthz"))
    assert resp["statusCode"] == 200, resp
    return json.loads(resp["body"])["stats"]


@pytest.fixture(scope="module")
def first(rie):
    """The stored Function URL event (tests/events/function-url-tts.json) through the RIE."""
    resp = rie.invoke(load("function-url-tts.json"))
    assert resp["statusCode"] == 200, resp
    return json.loads(resp["body"])


def test_function_url_event_gives_a_fetchable_wav(first):
    status, data = http_get(first["url"])
    assert status == 200
    with wave.open(io.BytesIO(data)) as w:
        assert w.getframerate() == 16000 == first["sample_rate"]
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        frames = w.getnframes()
    assert frames > 0
    assert frames == round(first["duration_seconds"] * 16000)
    assert first["test_voice"] is True and first["cached"] is False
    assert first["key"].startswith("output/tts/") and "你好" not in first["key"]


def test_other_rates_decode_to_their_rate_and_length(rie):
    event = function_url_event("POST", "/v1/tts", {"text": "今天天气很好。", "format": "wav", "sample_rate": 8000})
    out = json.loads(rie.invoke(event)["body"])
    status, data = http_get(out["url"])
    assert status == 200
    with wave.open(io.BytesIO(data)) as w:
        assert w.getframerate() == 8000
        assert abs(w.getnframes() - out["duration_seconds"] * 8000) <= 1


def test_repeat_is_cached_without_a_second_synthesis(rie, first):
    before = stats(rie)
    resp = rie.invoke(load("function-url-tts.json"))
    again = json.loads(resp["body"])
    after = stats(rie)
    assert again["cached"] is True and again["key"] == first["key"]
    assert after["syntheses"] == before["syntheses"]
    assert after["cache_hits"] == before["cache_hits"] + 1
    assert http_get(again["url"])[0] == 200


def test_expired_url_is_403(first, storage):
    # X-Amz-Date is whole seconds, so a URL lives between expires - 1 and expires seconds: give the first GET room
    expires = 5
    url, _ = storage.presign(first["key"], expires=expires)
    assert http_get(url)[0] == 200  # valid while fresh: the 403 below is due to expiry alone
    signed = datetime.strptime(parse_qs(urlsplit(url).query)["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    time.sleep(max(0.0, (signed.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)).total_seconds() + expires + 1.5))
    assert http_get(url)[0] == 403


def test_tampered_url_is_403(first):
    url = first["url"]
    sig_at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    flipped = "0" if url[sig_at] != "0" else "1"
    assert http_get(url[:sig_at] + flipped + url[sig_at + 1:])[0] == 403
    other_key = url.replace(first["key"], first["key"][:-4] + "x.wav")
    assert http_get(other_key)[0] == 403
    longer = url.replace("X-Amz-Expires=3600", "X-Amz-Expires=43200")
    assert http_get(longer)[0] == 403


def test_direct_invoke(rie):
    out = rie.invoke(load("direct-invoke.json"))
    assert "statusCode" not in out and out["format"] == "wav"
    status, data = http_get(out["url"])
    assert status == 200 and data[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"text": ""}, None, 400, "empty_text"),
        ({"text": "你好", "voice": "nobody"}, None, 400, "unknown_voice"),
        ({"text": "你好", "emotion": "bored"}, None, 400, "unknown_emotion"),
        ({"text": "<speak>你好", "ssml": True}, None, 400, "invalid_ssml"),
        ({"text": "你好", "speed": 2.5}, None, 422, "invalid_speed"),
        (b'{"text": "abc"', {"content-type": "application/json"}, 400, "malformed_json"),
        (b'{"text": "abc"}', {"content-type": "text/plain"}, 400, "invalid_content_type"),
        (b'{"text": "\xff\xfe"}', {"content-type": "application/json"}, 400, "invalid_encoding"),
        ({"text": "字" * 301}, None, 413, "text_too_long"),
        ({"text": "字" * 300_000}, None, 413, "body_too_large"),
    ],
)
def test_bad_inputs_get_their_4xx(rie, body, headers, status, code):
    resp = rie.invoke(function_url_event("POST", "/v1/tts", body, headers))
    assert resp["statusCode"] == status, resp
    assert json.loads(resp["body"])["error"]["code"] == code


def test_direct_invoke_bad_input(rie):
    out = rie.invoke({"text": "你好", "emotion": "bored"})
    assert out["error"]["code"] == "unknown_emotion" and out["status"] == 400


def test_logs_hold_no_presigned_url(rie, first):
    logs = rie.logs()
    assert first["key"] in logs  # the key is logged ...
    assert "X-Amz-Signature" not in logs and "X-Amz-Credential" not in logs  # ... never the URL
    assert '"ColdStart"' in logs and '"CacheHit"' in logs  # EMF metrics reach stdout under the RIE


@pytest.mark.parametrize(
    ("env", "code", "names"),
    [
        ({"TTS_MODEL_DIR": "/nonexistent/model"}, "model_unavailable", None),
        ({"TTS_URL_EXPIRES": "999999"}, "config_invalid", "TTS_URL_EXPIRES"),
        ({"TTS_BUCKET": ""}, "config_invalid", "TTS_BUCKET"),
    ],
)
def test_failed_init_answers_503_without_crash_loop(stack, test_voice_dir, tmp_path, env, code, names):
    from infra.rie import RIE

    full = {**stack["env"], "TTS_MODEL_DIR": str(test_voice_dir), **env}
    with RIE(env=full, log_path=tmp_path / "rie.log") as r:
        for _ in range(2):
            resp = r.invoke(load("function-url-tts.json"))
            assert resp["statusCode"] == 503, resp
            err = json.loads(resp["body"])["error"]
            assert err["code"] == code
            if names:
                assert names in err["message"]
            out = r.invoke(load("direct-invoke.json"))
            assert out["error"]["code"] == code and out["status"] == 503
        assert r.proc.poll() is None  # the runtime is still up: no crash loop
        assert r.logs().count("INIT START") == 1
