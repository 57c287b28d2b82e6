"""The app under uvicorn (``sambert-lambda serve`` on 127.0.0.1) with the real synthesizer on the tiny test voice
and S3 on a moto server: real HTTP in, presigned URL fetched over real HTTP, concurrent requests kept apart."""

from __future__ import annotations

import io
import json
import os
import urllib.error
import urllib.request
import uuid
import wave
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.support.servers import serve

TEXTS = ["你好。", "今天天气很好，我们去公园散步吧。", "欢迎使用语音合成服务，祝您生活愉快，再见。"]



def request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def served(moto_endpoint, test_voice_dir, tmp_path_factory):
    bucket = f"fn-int-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "TTS_BUCKET": bucket,
           "TTS_MODEL_DIR": str(test_voice_dir), "API_KEY": "int-test-key"}
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(env, log_path) as base:
        yield {"base": base, "s3": s3, "bucket": bucket, "log": log_path}


AUTH = {"x-api-key": "int-test-key"}


def test_concurrent_requests_get_their_own_audio(served):
    def one(text):
        return text, request(served["base"] + "/v1/tts", {"text": text, "format": "wav"}, AUTH)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, TEXTS))
    keys = set()
    for text, (status, _, body) in results:
        assert status == 200, body
        out = json.loads(body)
        keys.add(out["key"])
        assert out["characters"] == sum(1 for c in text if not c.isspace())
        head = served["s3"].head_object(Bucket=served["bucket"], Key=out["key"])
        assert head["Metadata"]["characters"] == str(out["characters"])  # the object holds this request's audio
        with urllib.request.urlopen(out["url"], timeout=30) as r:  # real HTTP to the moto server
            data = r.read()
        with wave.open(io.BytesIO(data)) as w:
            assert w.getframerate() == 16000
            assert w.getnframes() == round(out["duration_seconds"] * 16000)
    assert len(keys) == 3
    durations = [json.loads(r[1][2])["duration_seconds"] for r in results]
    assert durations[0] < durations[1] < durations[2]  # longer text, longer audio: no cross-talk


def test_speech_bytes_over_http(served):
    status, headers, body = request(served["base"] + "/v1/audio/speech",
                                    {"model": "tts-1", "input": "你好。", "voice": "alloy", "response_format": "flac"},
                                    AUTH)
    assert status == 200 and headers["content-type"] == "audio/flac" and body[:4] == b"fLaC"


def test_api_key_enforced_over_http(served):
    status, _, body = request(served["base"] + "/v1/tts", {"text": "你好"})
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    assert request(served["base"] + "/healthz")[0] == 200


def test_server_log_holds_no_secrets(served):
    request(served["base"] + "/v1/tts", {"text": "你好。"}, AUTH)
    text = served["log"].read_text(errors="replace")
    assert "int-test-key" not in text and "X-Amz-Signature" not in text


def test_docs_served_offline_with_swagger_ui_5(served):
    """/docs names only same-origin assets, and the bundle it loads is Swagger UI 5.x (4.x cannot render the 3.1
    schema). The browser-side rendering is tests/e2e/test_webui_browser.py::test_docs_renders_operations_offline."""
    import re

    base = served["base"]
    status, headers, page = request(base + "/docs")
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = page.decode()
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html) and "cdn" not in html.lower()
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert len(assets) == 3
    for asset in assets:
        status, _, body = request(f"{base}/{asset}")
        assert status == 200 and body, asset
    status, _, bundle = request(f"{base}/docs/assets/swagger-ui-bundle.js")
    version = re.search(rb'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert version and int(version.group(1)) >= 5, version
    status, _, schema = request(base + "/openapi.json")
    assert status == 200 and json.loads(schema)["openapi"].startswith("3.1")
    assert re.search(r"url: 'openapi\.json'", html)  # relative: right under any root path (Function URL, stage)



def _pcm(base: str, text: str, voice: str) -> bytes:
    """/v1/audio/speech as 16 kHz pcm (the voices' own rate: no resampling)."""
    status, headers, audio = request(base + "/v1/audio/speech", {"model": "tts-1", "input": text, "voice": voice,
                                                                  "response_format": "pcm", "sample_rate": 16000}, AUTH)
    assert status == 200 and headers["content-type"] == "audio/pcm; rate=16000; channels=1; encoding=s16le", audio[:300]
    return audio


def _tts_frames(base: str, text: str, voice: str) -> bytes:
    """/v1/tts as WAV, fetched from its presigned URL and decoded: the 16-bit frames."""
    status, _, body = request(base + "/v1/tts", {"text": text, "voice": voice, "format": "wav"}, AUTH)
    assert status == 200, body
    with urllib.request.urlopen(json.loads(body)["url"], timeout=60) as r, wave.open(io.BytesIO(r.read())) as w:
        assert w.getframerate() == 16000
        return w.readframes(w.getnframes())


def test_ssml_voice_spans_over_http(served):
    """/v1/audio/speech and /v1/tts speak each <voice> span in its voice: the decoded audio is the spans requested one
    by one, joined (the random-weight test voices differ); an unknown voice name is 400 unknown_voice."""
    base = served["base"]
    spans = [("你好。", "zhiyan_emo"), ("欢迎光临。", "zhitian_emo"), ("再见。", "zhizhe_emo")]
    ssml = '<speak><voice name="zhiyan_emo">你好。</voice>欢迎光临。<voice name="zhizhe_emo">再见。</voice></speak>'
    parts = [_pcm(base, t, v) for t, v in spans]
    assert _pcm(base, ssml, "zhitian_emo") == b"".join(parts)
    assert _pcm(base, "你好。", "zhitian_emo") != parts[0]  # a span in the request's voice would not match
    assert _tts_frames(base, ssml, "zhitian_emo") == b"".join(_tts_frames(base, t, v) for t, v in spans)
    unknown = '<speak><voice name="nobody">你好</voice></speak>'
    for route, body in (("/v1/audio/speech", {"model": "tts-1", "input": unknown, "voice": "alloy"}),
                        ("/v1/tts", {"text": unknown})):
        status, _, answer = request(base + route, body, AUTH)
        err = json.loads(answer)["error"]
        assert status == 400 and err["code"] == "unknown_voice" and "nobody" in err["message"], answer


def test_pcm_is_the_wav_samples_little_endian(served):
    """response_format pcm (OpenAI's: 24 kHz, s16le, mono) holds the same samples as the WAV of the same request,
    read as little-endian; its content type says so (``encoding=s16le``, not ``audio/L16``, which is big-endian)."""
    import numpy as np
    import soundfile as sf

    body = {"model": "tts-1", "input": "你好，欢迎。", "voice": "alloy"}
    status, headers, pcm = request(served["base"] + "/v1/audio/speech", {**body, "response_format": "pcm"}, AUTH)
    assert status == 200 and headers["content-type"] == "audio/pcm; rate=24000; channels=1; encoding=s16le"
    status, _, wav = request(served["base"] + "/v1/audio/speech", {**body, "response_format": "wav", "sample_rate": 24000}, AUTH)
    assert status == 200
    samples, rate = sf.read(io.BytesIO(wav), dtype="int16")
    assert rate == 24000 and samples.ndim == 1 and np.abs(samples).max() > 100
    assert np.array_equal(np.frombuffer(pcm, "<i2"), samples)
    assert not np.array_equal(np.frombuffer(pcm, ">i2"), samples)  # the byte order matters for this audio


def test_a_run_of_300_letters_is_spoken(served):
    """One 300-letter 'word' was one unit of 901 symbols, over the acoustic model's 800 positions: a 200 with no
    audio on the streamed route (and 500 internal_error on /v1/tts). The splitter cuts such a run."""
    text = "你好，" + "x" * 300 + "。"
    status, _, wav = request(served["base"] + "/v1/audio/speech", {"input": text, "response_format": "wav"}, AUTH)
    assert status == 200 and len(wav) > 44 * 1000, len(wav)
    status, _, body = request(served["base"] + "/v1/tts", {"text": text, "format": "wav"}, AUTH)
    assert status == 200, body
