"""Security checks on real components (real synthesizer on the tiny test voice, moto S3 over
real HTTP). What the handler's unit and e2e tests already prove is not repeated here (the hmac spy on
``key_matches``, expired/tampered URLs -> 403 on LocalStack in tests/e2e/handler/test_function_rie.py); this file adds
properties and the paths they do not cover.

- API key: every route but /healthz refuses a missing or wrong key with a 401 JSON body and WWW-Authenticate,
  whatever the key looks like; the route's check goes through ``hmac.compare_digest``; a right key in either
  header passes.
- Presigned URLs: SigV4 and X-Amz-Expires equal to TTS_URL_EXPIRES for any allowed value; values above the
  12 h cap are refused at start (config_invalid naming the setting).
- Object keys: API keys are hashes (no user text in them, whatever the text); batch keys stay under the output
  prefix and derive from the input key only.
- Logs: captured during API calls (success, 4xx, 503 storage failure) and a direct handler invoke, they never hold
  the API key, a presigned URL's signature or credential, or the user's text.
"""

from __future__ import annotations

import hmac
import importlib
import io
import json
import logging
import re
import sys
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from infra.faultproxy import FaultProxy
from sambert_lambda.api import auth
from sambert_lambda.api.app import create_app
from sambert_lambda.batch.layout import Layout
from sambert_lambda.errors import ConfigInvalid
from sambert_lambda.request import TTSRequest
from sambert_lambda.settings import URL_EXPIRES_CAP, load_settings
from tests.support.paths import EVENTS
from tests.support.real import new_bucket, real_service, real_settings

KEY = "s3cr3t-Key_for-tests-9f8e7d"
TEXT = "机密文本请勿记录在日志里。"
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def sec(real_synth, test_voice_dir, moto_endpoint):
    cfg = real_settings(test_voice_dir, new_bucket(moto_endpoint, "sec"), api_key=KEY, url_expires=900)
    service = real_service(real_synth, cfg, moto_endpoint)
    with TestClient(create_app(lambda: service, settings_factory=lambda: cfg), raise_server_exceptions=False) as c:
        yield {"client": c, "service": service, "cfg": cfg}


class Captured:
    """Everything the package's loggers (Powertools JSON logger included) and the root logger emit."""

    def __enter__(self):
        from sambert_lambda.observability import logger

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logger.registered_formatter)
        self.targets = [logging.getLogger(logger.name), logging.getLogger()]
        for t in self.targets:
            t.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        for t in self.targets:
            t.removeHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()


def assert_clean(text: str, urls: list[str]) -> None:
    assert text.strip(), "nothing was logged: the check would be vacuous"
    assert KEY not in text
    assert "X-Amz-Signature" not in text and "X-Amz-Credential" not in text and "X-Amz-Security-Token" not in text
    for url in urls:
        assert url.split("?", 1)[1] not in text
    assert TEXT not in text and TEXT[:4] not in text


# ------------------------------------------------------------------------------------------------ API key
ROUTES = [("POST", "/v1/tts", {"text": TEXT}), ("POST", "/v1/audio/speech", {"input": TEXT}),
          ("GET", "/v1/voices", None)]


UNAUTHORIZED_MESSAGE = "missing or wrong API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"


@PROPS
@given(guess=st.one_of(st.just(""), st.text(min_size=1, max_size=80), st.just(KEY[:-1]), st.just(KEY + "x"),
                       st.just(KEY.upper()), st.just(KEY + "\x00")),
       header=st.sampled_from(["x-api-key", "authorization", "none"]),
       route=st.sampled_from(ROUTES))
@example(guess="A", header="x-api-key", route=ROUTES[0])  # regression: a guess that occurs in the fixed message
def test_missing_or_wrong_key_is_401_json(sec, guess, header, route):
    assume(guess.strip(" \t") != KEY)  # HTTP drops whitespace around a header value: that is the right key
    method, path, body = route
    headers = {}
    if header == "x-api-key":
        headers["x-api-key"] = guess
    elif header == "authorization":
        headers["authorization"] = f"Bearer {guess}"
    try:
        resp = sec["client"].request(method, path, json=body, headers=headers)
    except UnicodeEncodeError:
        return  # not sendable as an HTTP header at all (httpx refuses non-latin-1): nothing reaches the app
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"]["code"] == "unauthorized" and resp.headers["www-authenticate"] == "Bearer"
    # nothing of the guess is echoed: the body is the same fixed message whatever was sent (a containment check
    # would misfire on short guesses such as "A", which occur in the fixed message itself)
    assert resp.json()["error"]["message"] == UNAUTHORIZED_MESSAGE


def test_route_check_goes_through_compare_digest(sec, monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert sec["client"].get("/v1/voices", headers={"x-api-key": KEY}).status_code == 200
    assert sec["client"].get("/v1/voices", headers={"authorization": "Bearer " + KEY}).status_code == 200
    assert sec["client"].get("/v1/voices", headers={"x-api-key": "nope"}).status_code == 401
    # one comparison per supplied header (both are always evaluated), bytes against the configured key's bytes
    assert calls == [(KEY.encode(), KEY.encode()), (KEY.encode(), KEY.encode()), (b"nope", KEY.encode())]


@PROPS
@given(a=st.text(max_size=40), b=st.text(min_size=1, max_size=40))
def test_key_matches_is_equality_and_never_raises(a, b):
    assert auth.key_matches(a, b) is (a == b)


def test_healthz_is_open_and_leaks_nothing(sec):
    resp = sec["client"].get("/healthz")
    assert resp.status_code == 200 and KEY not in resp.text


# ------------------------------------------------------------------------------------------------ presigned URLs
def test_api_url_is_sigv4_with_the_configured_expiry(sec):
    out = sec["client"].post("/v1/tts", json={"text": "你好。"}, headers={"x-api-key": KEY}).json()
    q = parse_qs(urlparse(out["url"]).query)
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert q["X-Amz-Expires"] == ["900"] and int(q["X-Amz-Expires"][0]) <= URL_EXPIRES_CAP
    assert q["X-Amz-SignedHeaders"] == ["host"] and len(q["X-Amz-Signature"][0]) == 64
    assert "Signature" not in q and "AWSAccessKeyId" not in q  # no SigV2 fallback


@PROPS
@given(expires=st.integers(1, URL_EXPIRES_CAP))
def test_any_allowed_expiry_is_signed_as_configured(sec, expires):
    store = sec["service"].storage
    url, _ = store.presign("output/tts/00/x.wav", expires=expires)
    q = parse_qs(urlparse(url).query)
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and q["X-Amz-Expires"] == [str(expires)]


@pytest.mark.parametrize("value", [str(URL_EXPIRES_CAP + 1), "86400", "0", "-5"])
def test_expiry_over_the_cap_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("TTS_URL_EXPIRES", value)
    with pytest.raises(ConfigInvalid) as e:
        load_settings(bucket="b")
    assert "TTS_URL_EXPIRES" in e.value.message and e.value.status == 503


# ------------------------------------------------------------------------------------------------ object keys
KEY_RE = re.compile(r"^output/tts/([0-9a-f]{2})/(\1[0-9a-f]{62})\.(wav|mp3|ogg|flac|pcm)$")


@PROPS
@given(text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()),
       fmt=st.sampled_from(["wav", "mp3", "ogg", "flac", "pcm"]))
def test_api_keys_are_hashes_without_user_text(sec, text, fmt):
    service = sec["service"]
    req = TTSRequest(text=text.strip(), format=fmt, voice="zhitian_emo", sample_rate=16000)
    key = service.cache_key(req)
    assert KEY_RE.match(key), key
    words = [w for w in re.findall(r"[A-Za-z]{5,}|[^\x00-\x7f]{3,}", text)]
    assert not any(w in key for w in words)


prefix = st.text(st.sampled_from("abcxyz09_-"), min_size=1, max_size=8).map(lambda s: s + "/")
segment = st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1, max_size=12)


@PROPS
@given(inp=prefix, out=prefix, parts=st.lists(segment, min_size=1, max_size=4), line=st.integers(0, 99_999),
       etag=st.text(st.sampled_from("0123456789abcdef"), min_size=32, max_size=32))
def test_batch_keys_derive_from_the_input_key_under_the_output_prefix(inp, out, parts, line, etag):
    try:
        layout = Layout(inp, out)
    except ConfigInvalid:
        assert inp.startswith(out) or out.startswith(inp)
        return
    rel = "/".join(parts)
    keys = layout.outputs(inp + rel, etag)
    produced = [keys.manifest, keys.audio("mp3"), keys.line_audio(line, "wav"), keys.unit_marker(line),
                keys.audio_marker, keys.part(line)]
    for k in produced:
        assert k.startswith(out + rel + "/")  # under the output prefix, in the input key's own directory
        assert not k.startswith(inp)  # never re-triggers the input notification
        assert keys.owns(k)


@pytest.mark.parametrize("key", ["output/x.txt", "x.txt", "input", "../input/x.txt", "inputx/a.txt"])
def test_batch_refuses_keys_outside_the_input_prefix(key):
    assert not Layout("input/", "output/").accepts(key)


# ------------------------------------------------------------------------------------------------ logs
def test_api_logs_hold_no_secrets(sec, moto_endpoint, test_voice_dir, real_synth):
    client = sec["client"]
    urls = []
    with Captured() as logs:
        r = client.post("/v1/tts", json={"text": TEXT}, headers={"x-api-key": KEY})
        assert r.status_code == 200
        urls.append(r.json()["url"])
        r = client.post("/v1/tts", json={"text": TEXT}, headers={"authorization": "Bearer " + KEY})
        assert r.json()["cached"] is True
        urls.append(r.json()["url"])
        client.post("/v1/tts", json={"text": TEXT}, headers={"x-api-key": KEY + "-wrong"})
        client.post("/v1/tts", json={"text": TEXT, "voice": "nope"}, headers={"x-api-key": KEY})
        client.post("/v1/tts", json={"text": TEXT, "ssml": True}, headers={"x-api-key": KEY})
        client.post("/v1/audio/speech", json={"input": TEXT}, headers={"x-api-key": KEY})
        # a storage failure (503): the error path logs a warning; it must not carry the URL or the text either
        with FaultProxy(upstream=moto_endpoint) as proxy:
            cfg = real_settings(test_voice_dir, sec["cfg"].bucket, api_key=KEY, storage_retries=0)
            broken = real_service(real_synth, cfg, proxy.url)
            proxy.set_fault("error500")
            with TestClient(create_app(lambda: broken, settings_factory=lambda: cfg),
                            raise_server_exceptions=False) as c2:
                assert c2.post("/v1/tts", json={"text": TEXT + "x"}, headers={"x-api-key": KEY}).status_code == 503
    assert '"storage_unavailable"' in logs.text or "storage_unavailable" in logs.text
    assert_clean(logs.text, urls)


def test_direct_invoke_logs_hold_no_secrets(sec, monkeypatch):
    """The Lambda handler itself (direct invoke and a Function URL event through Mangum), with the real service."""
    monkeypatch.setenv("TTS_EAGER_INIT", "0")
    handler = sys.modules.get("sambert_lambda.handler") or importlib.import_module("sambert_lambda.handler")
    from sambert_lambda.service import ServiceHolder

    monkeypatch.setattr(handler, "holder", ServiceHolder(factory=lambda: sec["service"]))
    monkeypatch.setattr(handler, "_mangum", None)
    event = json.loads((EVENTS / "function-url-tts.json").read_text(encoding="utf-8"))
    event["headers"] = {**event.get("headers", {}), "x-api-key": KEY, "content-type": "application/json"}
    event["body"] = json.dumps({"text": TEXT + "二"}, ensure_ascii=False)
    event["isBase64Encoded"] = False
    ctx = SimpleNamespace(function_name="sambert", aws_request_id="req-1", memory_limit_in_mb=3008,
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sambert",
                          get_remaining_time_in_millis=lambda: 60_000)
    with Captured() as logs:
        direct = handler.handler({"text": TEXT + "一"}, ctx)
        http = handler.handler(event, ctx)
    assert "url" in direct, direct
    assert http["statusCode"] == 200, http
    urls = [direct["url"], json.loads(http["body"])["url"]]
    assert_clean(logs.text, urls)
