"""The HTTP API through FastAPI's TestClient, on the fake synthesizer and in-process moto S3.

Each bad input gets its own 4xx code in the error shape; failures of the cold start answer 503 on every route.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from sambert_lambda.api.app import create_app
from sambert_lambda.audio import decode
from sambert_lambda.errors import ConfigInvalid, ModelError
from sambert_lambda.settings import load_settings
from tests.support.fakes import FakeSynthesizer, make_service

TEXT = "你好，世界。"


@pytest.fixture
def service(_moto):
    svc = make_service(FakeSynthesizer(), max_chars=200, max_body_bytes=4096)
    yield svc
    for key in svc.storage.list(""):
        svc.storage.delete(key)


@pytest.fixture
def client(service):
    app = create_app(lambda: service, settings_factory=lambda: service.settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert "Traceback" not in resp.text
    return body["error"]


def test_tts_ok_and_cached(client, service):
    r = client.post("/v1/tts", json={"text": TEXT, "format": "flac", "sample_rate": 22050})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["cached"] is False and out["format"] == "flac" and out["sample_rate"] == 22050
    data, _ = service.storage.get(out["key"])
    audio, rate = decode(data, "flac")
    assert rate == 22050 and audio.size == round(6 * 1600 * 22050 / 16000)
    r2 = client.post("/v1/tts", json={"text": TEXT, "format": "flac", "sample_rate": 22050})
    assert r2.json()["cached"] is True and len(service.synthesizer.calls) == 1


def test_voices(client):
    body = client.get("/v1/voices").json()
    names = [v["name"] for v in body["voices"]]
    assert names == ["zhitian_emo", "zhiyan_emo", "zhizhe_emo", "zhibei_emo"]
    zhiyan = body["voices"][1]
    assert zhiyan["speakers"] == ["F7"] and "arousal" in zhiyan["emotions"] and zhiyan["sample_rate"] == 16000
    assert body["default_voice"] == "zhitian_emo" and body["voices"][0]["default"] is True


def test_healthz(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["model_loaded"] is True
    assert body["model"]["id"].endswith("tts_zh-cn_16k") and body["test_voice"] is True
    assert body["cold_start"] is True
    assert client.get("/healthz").json()["cold_start"] is False


def test_index_page(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for element in ('id="text"', 'id="voice"', 'id="emotion"', 'id="speed"', 'id="format"', 'id="synthesize"',
                    'id="player"', 'id="download"', 'id="test-voice-banner"', 'id="error"'):
        assert element in r.text
    assert client.get("/static/app.js").status_code == 200


def test_openapi_declares_error_responses(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/tts", "/v1/audio/speech", "/v1/voices", "/healthz"} <= set(spec["paths"])
    responses = spec["paths"]["/v1/tts"]["post"]["responses"]
    assert {"200", "400", "401", "413", "422", "503"} <= set(responses)
    assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")


def test_openapi_shows_the_job_marks_fields(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    job = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    marks = job["properties"]["speech_marks"]
    assert "ssml" in json.dumps(marks) and "sentence" in json.dumps(marks)
    assert "speech_marks_url" in schemas["JobStatus"]["properties"]
    assert {"speech_marks_url", "text_offset"} <= set(schemas["JobPart"]["properties"])


def test_openapi_operation_ids_are_unique(client):
    """OpenAPI requires one id per operation (Swagger UI's deep links use them); GET and HEAD /healthz differ."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns on a duplicate id
        spec = client.app.openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) and {"get", "head"} <= set(spec["paths"]["/healthz"])


def test_speech_endpoint(client):
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "alloy",
                                              "response_format": "wav", "speed": 1.0})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    audio, rate = decode(r.content, "wav")
    assert rate == 16000 and audio.size == 6 * 1600


def test_speech_too_large_points_to_v1_tts(client, monkeypatch):
    from sambert_lambda import service as service_mod

    monkeypatch.setattr(service_mod, "SPEECH_MAX_BYTES", 100)
    # buffered answers (stream false, or any answer behind Mangum) carry the 6 MB limit; streamed ones do not
    err = assert_error(client.post("/v1/audio/speech", json={"input": TEXT, "stream": False}), 413, "response_too_large")
    assert "/v1/tts" in err["message"]


BAD_JSON = [
    ({"text": ""}, 400, "empty_text"),
    ({"text": "   "}, 400, "empty_text"),
    ({"text": TEXT, "voice": "nobody"}, 400, "unknown_voice"),
    ({"text": TEXT, "emotion": "bored"}, 400, "unknown_emotion"),
    ({"text": "不是SSML", "ssml": True}, 400, "invalid_ssml"),
    ({"text": TEXT, "speed": 3.0}, 422, "invalid_speed"),
    ({"text": TEXT, "speed": 0.1}, 422, "invalid_speed"),
    ({"text": TEXT, "speed": "fast"}, 422, "invalid_speed"),
    ({"text": TEXT, "format": "aiff"}, 422, "invalid_format"),
    ({"text": TEXT, "sample_rate": 44100}, 422, "invalid_sample_rate"),
    ({"text": TEXT, "colour": "red"}, 422, "unknown_field"),
    ({"voice": "zhitian_emo"}, 422, "missing_text"),
    ({"text": 5}, 422, "invalid_text"),
    ({"text": "字" * 201}, 413, "text_too_long"),
    ({"text": "a\ud800b"}, 400, "invalid_text"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_JSON)
def test_bad_json_inputs(client, service, body, status, code):
    raw = json.dumps(body)  # ensure_ascii keeps the lone surrogate as an escape, as a client could send it
    resp = client.post("/v1/tts", content=raw, headers={"content-type": "application/json"})
    assert_error(resp, status, code)
    assert service.synthesizer.calls == [] or code == "invalid_ssml"


@pytest.mark.parametrize(
    ("content", "ctype", "status", "code"),
    [
        (b'{"text": "abc"', "application/json", 400, "malformed_json"),
        (b"", "application/json", 400, "missing_body"),
        (b"[1, 2]", "application/json", 422, "invalid_body"),
        (b'"just a string"', "application/json", 422, "invalid_body"),
        (b'{"text": "\xff\xfe"}', "application/json", 400, "invalid_encoding"),
        ('{"text": "你好"}'.encode("utf-16"), "application/json", 400, "invalid_encoding"),
        (b'{"text": "abc"}', "application/json; charset=latin-1", 400, "invalid_encoding"),
        (b"text=hello", "application/x-www-form-urlencoded", 400, "invalid_content_type"),
        (b'{"text": "abc"}', "text/plain", 400, "invalid_content_type"),
        (b'{"text": "abc"}', "", 400, "invalid_content_type"),
        (b'{"text": "' + b"a" * 5000 + b'"}', "application/json", 413, "body_too_large"),
    ],
)
def test_bad_bodies(client, content, ctype, status, code):
    headers = {"content-type": ctype} if ctype else {}
    assert_error(client.post("/v1/tts", content=content, headers=headers), status, code)


def test_body_too_large_by_declared_length(client):
    def chunks():
        yield b'{"text": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    resp = client.post("/v1/tts", content=chunks(), headers={"content-type": "application/json"})
    assert_error(resp, 413, "body_too_large")


def test_unknown_route_and_method(client):
    assert_error(client.get("/v1/nope"), 404, "not_found")
    assert_error(client.get("/v1/tts"), 405, "method_not_allowed")


def test_speech_bad_inputs(client):
    assert_error(client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wma"}), 422,
                 "invalid_response_format")
    assert_error(client.post("/v1/audio/speech", json={"input": ""}), 400, "empty_text")
    assert_error(client.post("/v1/audio/speech", json={"input": TEXT, "voice": "nobody"}), 400, "unknown_voice")


# -- cold start failures: every route answers the 503, never a crash --------------------------------------------

@pytest.mark.parametrize(
    ("error", "code"),
    [(ModelError("the model failed to load (FileNotFoundError)"), "model_unavailable"),
     (ConfigInvalid("invalid setting: TTS_URL_EXPIRES: must be <= 43200"), "config_invalid")],
)
def test_failed_cold_start_is_503_everywhere(error, code):
    def factory():
        raise error

    app = create_app(factory, settings_factory=lambda: load_settings(bucket="b"))
    with TestClient(app, raise_server_exceptions=False) as c:
        for resp in (c.post("/v1/tts", json={"text": TEXT}), c.get("/v1/voices"), c.get("/healthz"),
                     c.post("/v1/audio/speech", json={"input": TEXT})):
            err = assert_error(resp, 503, code)
            assert err["message"] == error.message
        assert c.get("/").status_code == 200  # the page still loads and shows the error from /v1/voices


def test_storage_down_is_503(_moto, monkeypatch):
    import boto3

    from sambert_lambda.service import TTSService
    from sambert_lambda.storage import Storage

    settings = load_settings(bucket="b", storage_retries=0, storage_timeout=1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    storage = Storage(settings, client=None)
    svc = TTSService(settings, FakeSynthesizer(), storage)
    assert boto3  # the client above targets a closed port on loopback: a real connection failure
    with TestClient(create_app(lambda: svc, settings_factory=lambda: settings)) as c:
        assert_error(c.post("/v1/tts", json={"text": TEXT}), 503, "storage_unavailable")


def test_unexpected_exception_is_500_without_details(service, monkeypatch):
    def boom(req):
        raise KeyError("secret internals")

    monkeypatch.setattr(service, "tts", boom)
    app = create_app(lambda: service, settings_factory=lambda: service.settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.post("/v1/tts", json={"text": TEXT})
    err = assert_error(resp, 500, "internal_error")
    assert "secret" not in err["message"]


def test_unknown_post_route_is_404_whatever_the_body(client):
    assert_error(client.post("/v1/nope", content=b"\xff", headers={"content-type": "text/plain"}), 404, "not_found")
    assert_error(client.post("/healthz", content=b"{}", headers={"content-type": "text/plain"}), 405,
                 "method_not_allowed")


def test_docs_page_without_its_assets_package_is_503_and_the_rest_works(service, monkeypatch):
    """An install missing fastapi-swagger: /docs answers 503 docs_unavailable; the app itself still starts."""
    monkeypatch.setitem(__import__("sys").modules, "fastapi_swagger", None)  # import raises ModuleNotFoundError
    app = create_app(lambda: service, settings_factory=lambda: service.settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(c.get("/docs"), 503, "docs_unavailable")
        assert c.get("/healthz").status_code == 200
        assert c.get("/openapi.json").json()["openapi"].startswith("3.1")
