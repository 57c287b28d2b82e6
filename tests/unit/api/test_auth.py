"""Optional API key (constant-time compare) and what the logs may contain (no key, no presigned URL, no text)."""

from __future__ import annotations

import hmac

import pytest
from fastapi.testclient import TestClient

from sambert_lambda.api import auth
from sambert_lambda.api.app import create_app
from tests.support.fakes import CapturedLogs, FakeSynthesizer, make_service

KEY = "s3cr3t-KEY-0123456789abcdef"
TEXT = "这是一段不应出现在日志里的私密文本。"


@pytest.fixture
def service(_moto):
    svc = make_service(FakeSynthesizer(), api_key=KEY)
    assert svc.settings.api_key == KEY
    return svc


@pytest.fixture
def client(service):
    with TestClient(create_app(lambda: service, settings_factory=lambda: service.settings)) as c:
        yield c


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY},
     {"Authorization": "Basic " + KEY}, {"x-api-key": KEY[:-1]}, {"x-api-key": KEY + "x"}],
)
def test_missing_or_wrong_key_is_401(client, headers):
    for resp in (client.post("/v1/tts", json={"text": TEXT}, headers=headers),
                 client.get("/v1/voices", headers=headers),
                 client.post("/v1/audio/speech", json={"input": TEXT}, headers=headers)):
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "unauthorized"
        assert resp.headers["www-authenticate"] == "Bearer"


def test_unauthorized_request_does_no_work(client, service):
    client.post("/v1/tts", json={"text": TEXT})
    assert service.synthesizer.calls == []


@pytest.mark.parametrize("headers", [{"x-api-key": KEY}, {"Authorization": "Bearer " + KEY}])
def test_right_key_passes(client, headers):
    assert client.get("/v1/voices", headers=headers).status_code == 200
    assert client.post("/v1/tts", json={"text": TEXT}, headers=headers).status_code == 200


def test_open_routes_need_no_key(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_no_key_configured_means_open(_moto):
    svc = make_service(FakeSynthesizer())
    with TestClient(create_app(lambda: svc, settings_factory=lambda: svc.settings)) as c:
        assert c.get("/v1/voices").status_code == 200


def test_comparison_is_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.key_matches(KEY, KEY) is True
    assert auth.key_matches("nope", KEY) is False
    assert auth.key_matches(None, KEY) is False
    assert calls == [(KEY.encode(), KEY.encode()), (b"nope", KEY.encode())]


def test_comparison_used_by_the_route(client, monkeypatch):
    seen = []
    real = auth.key_matches
    monkeypatch.setattr(auth, "key_matches", lambda g, e: seen.append(g) or real(g, e))
    client.get("/v1/voices", headers={"x-api-key": "guess"})
    assert seen == ["guess", None]  # both headers checked, no short-circuit


def test_logs_hold_no_key_no_presigned_url_no_text(client):
    with CapturedLogs() as logs:
        r1 = client.post("/v1/tts", json={"text": TEXT}, headers={"x-api-key": KEY})
        r2 = client.post("/v1/tts", json={"text": TEXT}, headers={"Authorization": "Bearer " + KEY})
        client.post("/v1/tts", json={"text": TEXT}, headers={"x-api-key": "wrong-key"})
        client.post("/v1/audio/speech", json={"input": TEXT}, headers={"x-api-key": KEY})
    assert r1.status_code == r2.status_code == 200
    text = logs.text
    records = logs.records()
    assert len(records) >= 3, text  # the check below must have something to look at
    assert KEY not in text and "wrong-key" not in text
    assert "X-Amz-Signature" not in text and "X-Amz-Credential" not in text
    assert r1.json()["url"].split("?")[1] not in text
    assert TEXT not in text and TEXT[:4] not in text
    assert any(rec.get("key") == r1.json()["key"] for rec in records)  # the key is logged instead
