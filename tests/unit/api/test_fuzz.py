"""Property test of the HTTP layer: any JSON body or raw bytes on every route gives no 5xx, and every non-2xx
answer has the error shape (fake synthesizer, moto S3). The schemathesis run covers the real engine."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from sambert_lambda.api.app import create_app
from tests.support.fakes import FakeSynthesizer, clean_aws_env, make_service


@pytest.fixture(scope="module")
def client():
    with pytest.MonkeyPatch.context() as mp:
        clean_aws_env(mp)
        with mock_aws():
            svc = make_service(FakeSynthesizer(samples_per_char=16), max_chars=50)
            with TestClient(create_app(lambda: svc, settings_factory=lambda: svc.settings),
                            raise_server_exceptions=False) as c:
                yield c


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=60))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                             max_size=3), max_leaves=6)
TTS_KEYS = ["text", "voice", "emotion", "speed", "pitch", "volume", "format", "sample_rate", "ssml"]
SPEECH_KEYS = ["model", "input", "voice", "response_format", "speed", "emotion"]
likely = {
    "text": st.text(min_size=0, max_size=60), "input": st.text(max_size=60),
    "voice": st.sampled_from(["zhitian_emo", "zhiyan_emo", "alloy", "", "x"]),
    "emotion": st.sampled_from(["neutral", "happy", "arousal", "", "x"]),
    "speed": st.floats(0.3, 2.5), "format": st.sampled_from(["wav", "mp3", "ogg", "flac", "pcm", "opus"]),
    "response_format": st.sampled_from(["wav", "mp3", "pcm", "aac"]),
    "sample_rate": st.sampled_from([8000, 16000, 22050, 24000, 44100]),
    "ssml": st.booleans(),
}


def body_for(keys):
    return st.fixed_dictionaries({}, optional={k: st.one_of(likely.get(k, values), values) for k in keys})


def check(resp):
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        body = resp.json()
        assert set(body) == {"error"} and isinstance(body["error"]["code"], str) and body["error"]["message"]


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=body_for(TTS_KEYS))
def test_tts_any_json(client, body):
    check(client.post("/v1/tts", content=json.dumps(body), headers={"content-type": "application/json"}))


@FUZZ
@given(body=body_for(SPEECH_KEYS))
def test_speech_any_json(client, body):
    check(client.post("/v1/audio/speech", content=json.dumps(body), headers={"content-type": "application/json"}))


@FUZZ
@given(raw=st.binary(max_size=200), ctype=st.sampled_from(["application/json", "text/plain", "",
                                                           "application/json; charset=utf-16"]),
       path=st.sampled_from(["/v1/tts", "/v1/audio/speech", "/v1/voices", "/healthz", "/nope"]))
def test_any_bytes_anywhere(client, raw, ctype, path):
    headers = {"content-type": ctype} if ctype else {}
    check(client.post(path, content=raw, headers=headers))
