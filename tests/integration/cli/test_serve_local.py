"""``sambert-lambda serve`` without S3 (local files), driven over real HTTP and by the OpenAI Python SDK."""

from __future__ import annotations

import io

import httpx
import pytest
import soundfile as sf

from tests.support.servers import local_serve_env, serve

TEXT = "你好，世界。"


@pytest.fixture(scope="module")
def base(test_voice_dir, tmp_path_factory):
    with serve(local_serve_env(test_voice_dir), tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


def test_no_bucket_every_route_works(base):
    assert httpx.get(base + "/v1/voices", timeout=60).status_code == 200
    assert httpx.head(base + "/healthz", timeout=60).status_code == 200
    assert httpx.head(base + "/", timeout=60).status_code == 200
    r = httpx.post(base + "/v1/tts", json={"text": TEXT, "format": "flac"}, timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["url"].startswith("/files/") and body["bucket"] == "local" and body["test_voice"] is True
    audio = httpx.get(base + body["url"], timeout=60)
    assert audio.status_code == 200
    data, rate = sf.read(io.BytesIO(audio.content))
    assert rate == body["sample_rate"] and abs(len(data) / rate - body["duration_seconds"]) < 0.01
    again = httpx.post(base + "/v1/tts", json={"text": TEXT, "format": "flac"}, timeout=300).json()
    assert again["cached"] is True and again["key"] == body["key"]


def test_openai_sdk(base):
    from openai import OpenAI

    client = OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    assert "tts-1" in {m.id for m in client.models.list()}
    for voice, fmt in (("marin", "opus"), ("alloy", "wav"), ("cedar", "pcm")):
        resp = client.audio.speech.create(model="gpt-4o-mini-tts", voice=voice, input=TEXT, response_format=fmt,
                                          speed=4.0, instructions="calm")
        data = resp.read()
        assert resp.response.headers["x-speed-clamped"] == "4->2"
        if fmt == "pcm":
            assert resp.response.headers["content-type"] == "audio/pcm; rate=24000; channels=1; encoding=s16le"
            assert len(data) > 0 and len(data) % 2 == 0
        else:
            audio, rate = sf.read(io.BytesIO(data))
            assert rate == 16000 and len(audio) > 0
    ssml = client.audio.speech.create(model="tts-1", voice="Alloy", input='<speak>你好<break time="1s"/>世界</speak>',
                                      response_format="wav", extra_body={"stream": False})
    audio, rate = sf.read(io.BytesIO(ssml.read()))
    plain = client.audio.speech.create(model="tts-1", voice="alloy", input="你好世界", response_format="wav",
                                       extra_body={"stream": False})
    audio2, _ = sf.read(io.BytesIO(plain.read()))
    assert len(audio) - len(audio2) > 0.8 * rate  # the break is silence, not the tags read aloud
    from openai import UnprocessableEntityError

    with pytest.raises(UnprocessableEntityError) as e:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, extra_body={"pitch": 9})
    assert e.value.response.json()["error"]["code"] == "invalid_pitch"
    aac = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="aac")
    assert aac.response.headers["content-type"] == "audio/aac" and aac.read()[:2] == b"\xff\xf1"
