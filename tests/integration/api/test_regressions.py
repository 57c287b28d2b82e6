"""One regression test per finding of the reliability work. Each names what was found and how.

1. Audio encoder property (test_props_audio.py): a waveform that resamples to zero samples, encoded as FLAC,
   came back as a 0-byte "FLAC" (libsndfile writes nothing for zero frames) that could be stored and served.
   Fixed in ``audio.encode``: a clear 400 ``empty_audio``.
2. schemathesis (test_fuzz_api.py), positive data: schema-valid requests such as ``{"text": ""}`` are refused with
   400 (empty text, unknown voice or emotion, nothing speakable, SSML grammar): JSON Schema cannot express these
   rules. Not a bug; pinned here so they stay clear 4xx codes and never become 5xx.
3. schemathesis, ignored_auth: the OpenAPI document always declares the API-key schemes, but without ``API_KEY``
   the routes are open (by design: the default Function URL uses AWS_IAM). The fuzz therefore runs with a key
   set, where schemathesis verifies that requests without it are refused; pinned here.
4. schemathesis under a loaded machine: the first case paid the frontend's lazy initialisation (30 s) and hit
   schemathesis' 10 s default request timeout. The fuzz warms the service first; the app was not at fault.
5. hypothesis could not generate floats once the engine was loaded: the engine sets flush-denormal-to-zero for
   speed (``engine/runtime.configure``), process-wide. The suite restores IEEE behaviour after loading; the
   engine's choice is kept and documented in docs/reliability.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sambert_lambda import audio
from sambert_lambda.api.app import create_app
from sambert_lambda.errors import InvalidInput
from tests.support.real import new_bucket, real_service, real_settings

KEY = "regression-key"


@pytest.fixture(scope="module")
def client(real_synth, test_voice_dir, moto_endpoint):
    cfg = real_settings(test_voice_dir, new_bucket(moto_endpoint, "regr"), max_chars=200, api_key=KEY)
    service = real_service(real_synth, cfg, moto_endpoint)
    with TestClient(create_app(lambda: service, settings_factory=lambda: cfg), raise_server_exceptions=False) as c:
        yield c


def test_1_zero_sample_flac_is_a_clear_error_not_an_empty_file():
    one_sample = np.array([0.5], dtype=np.float32)  # 16 kHz -> 8 kHz rounds to zero samples
    with pytest.raises(InvalidInput) as e:
        audio.encode(one_sample, 16000, "flac", target_rate=8000)
    assert e.value.code == "empty_audio" and e.value.status == 400
    with pytest.raises(InvalidInput):
        audio.encode(np.zeros(0, np.float32), 16000, "flac")
    for fmt in ("wav", "pcm", "ogg"):  # the formats that can hold zero samples still do
        data = audio.encode(one_sample, 16000, fmt, target_rate=8000)
        assert audio.decode(data, fmt, sample_rate=8000)[0].size == 0


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"text": ""}, 400, "empty_text"),
    ({"text": " \t\n"}, 400, "empty_text"),
    ({"text": "\u0000"}, 400, "nothing_speakable"),
    ({"text": "\u200b\ufeff"}, 400, "nothing_speakable"),
    ({"text": "你好", "voice": "x"}, 400, "unknown_voice"),
    ({"text": "你好", "emotion": "arousal"}, 400, "unknown_emotion"),  # only zhiyan_emo has arousal
    ({"text": "你好", "ssml": True}, 400, "invalid_ssml"),
    ({"text": "好" * 201}, 413, "text_too_long"),
])
def test_2_schema_valid_but_refused_is_a_clear_4xx(client, body, status, code):
    resp = client.post("/v1/tts", json=body, headers={"x-api-key": KEY})
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code


def test_2_ascii_only_text_from_the_fuzz_is_answered(client):
    resp = client.post("/v1/tts", json={"text": "K#D[Wa\tj"}, headers={"x-api-key": KEY})
    assert resp.status_code == 200 or (resp.status_code == 400
                                       and resp.json()["error"]["code"] == "nothing_speakable"), resp.text


def test_3_schema_declares_the_key_and_the_routes_enforce_it(client):
    spec = client.get("/openapi.json").json()
    for path, method in (("/v1/tts", "post"), ("/v1/audio/speech", "post"), ("/v1/voices", "get")):
        schemes = {name for entry in spec["paths"][path][method]["security"] for name in entry}
        assert schemes == {"APIKeyHeader", "HTTPBearer"}
        call = client.post if method == "post" else client.get
        kwargs = {"json": {"text": "你好", "input": "你好"}} if method == "post" else {}
        assert call(path, **kwargs).status_code == 401
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_5_floats_can_be_generated_after_the_engine_loaded(real_synth):
    assert 5e-324 > 0.0  # IEEE subnormals are representable again (restored by the suite's fixture)
