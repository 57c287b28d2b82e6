"""POST /v1/audio/speech streamed under uvicorn (``sambert-lambda serve``), read chunk by chunk by real clients.

Ordering, not wall time: the server logs ``time.monotonic()`` as each sentence is synthesized (CLOCK_MONOTONIC is
one clock for every process on the machine), and the client notes the same clock when the first chunk arrives.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
import uuid
import wave

import boto3
import httpx
import numpy as np
import pytest
import soundfile as sf

from sambert_lambda.audio import decode
from tests.support.servers import serve

SENTENCES = ["今天天气很好。", "我们去公园散步吧。", "欢迎使用语音合成服务。", "祝您生活愉快。", "明天见。", "再见。"]
TEXT = "".join(SENTENCES)


@pytest.fixture(scope="module")
def served(moto_endpoint, test_voice_dir, tmp_path_factory):
    bucket = f"stream-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "TTS_BUCKET": bucket, "TTS_MODEL_DIR": str(test_voice_dir)}
    env.pop("API_KEY", None)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(env, log) as base:
        yield {"base": base, "log": log}


def _chunk_times(log, since: float) -> list[float]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"speech chunk"' in line:
            t = json.loads(line)["monotonic"]
            if t >= since:
                out.append(t)
    return out


def _pcm(base: str, **extra) -> bytes:
    r = httpx.post(base + "/v1/audio/speech", json={"input": TEXT, "response_format": "pcm", **extra}, timeout=300)
    assert r.status_code == 200, r.text
    return r.content


def test_first_chunk_arrives_before_the_last_sentence_is_synthesized(served):
    t0 = time.monotonic()
    arrivals = []
    with httpx.stream("POST", served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": "pcm"},
                      timeout=300) as r:
        assert r.status_code == 200
        assert r.headers["transfer-encoding"] == "chunked" and "content-length" not in r.headers
        assert r.headers["content-type"] == "audio/pcm; rate=24000; channels=1; encoding=s16le"  # OpenAI's pcm rate
        body = b""
        for chunk in r.iter_raw():
            arrivals.append(time.monotonic())
            body += chunk
    time.sleep(0.2)  # the log line of the last sentence is flushed by now
    ready = _chunk_times(served["log"], t0)
    assert len(ready) == len(SENTENCES)  # one chunk per sentence
    assert arrivals[0] < ready[-1], (arrivals[0], ready)  # the client heard audio before the last sentence existed
    assert len(arrivals) >= 2
    assert body == _pcm(served["base"], stream=False)  # the same samples as the buffered answer


def test_streamed_wav_header_is_streaming_safe_and_decodes(served):
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": "wav"}, timeout=300)
    assert r.status_code == 200 and r.content[:4] == b"RIFF"
    assert r.content[4:8] == b"\xff\xff\xff\xff" and r.content[40:44] == b"\xff\xff\xff\xff"  # unknown lengths
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        frames = w.readframes(10**9)
    assert frames == _pcm(served["base"], sample_rate=16000)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "ogg"])
def test_streamed_compressed_formats_decode_to_the_right_length(served, fmt):
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": fmt}, timeout=300)
    assert r.status_code == 200 and r.headers["transfer-encoding"] == "chunked"
    audio, rate = sf.read(io.BytesIO(r.content), dtype="float32")
    expected = len(_pcm(served["base"], sample_rate=16000)) // 2
    assert rate == 16000 and abs(len(audio) - expected) < 0.05 * expected + 2000  # codec padding only
    assert np.abs(audio).max() > 0.05


def test_streamed_aac_is_adts_frames_that_decode_to_the_audio_plus_priming(served):
    with httpx.stream("POST", served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": "aac"},
                      timeout=300) as r:  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"] == "audio/aac"
        assert r.headers["transfer-encoding"] == "chunked"
        chunks = [c for c in r.iter_raw() if c]
    data = b"".join(chunks)
    at, frames = 0, 0
    while at < len(data):  # back-to-back ADTS frames, each with its own length
        assert data[at] == 0xFF and data[at + 1] == 0xF1, at
        at += ((data[at + 3] & 3) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        frames += 1
    assert at == len(data) and frames > 10
    audio, rate = decode(data, "aac")
    expected = len(_pcm(served["base"], sample_rate=16000)) // 2
    assert rate == 16000 and expected + 1024 <= len(audio) <= expected + 2048  # the encoder's priming and padding


def test_sse_events_carry_the_same_audio(served):
    r = httpx.post(served["base"] + "/v1/audio/speech",
                   json={"input": TEXT, "response_format": "pcm", "stream_format": "sse"}, timeout=300)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(block[len("data: "):]) for block in r.text.split("\n\n") if block.startswith("data: ")]
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"} and events[-1]["type"] == "speech.audio.done"
    assert b"".join(base64.b64decode(e["audio"]) for e in events[:-1]) == _pcm(served["base"])
    assert events[-1]["usage"]["input_tokens"] == len(TEXT)


def test_openai_sdk_streaming_call(served):
    from openai import OpenAI

    client = OpenAI(base_url=served["base"] + "/v1", api_key="unused", max_retries=0)
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=TEXT,
                                                            response_format="pcm") as resp:
        chunks = list(resp.iter_bytes())
    assert len(chunks) >= 2 and b"".join(chunks) == _pcm(served["base"])


def test_errors_come_before_the_stream_starts(served):
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": "   "}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "empty_text"
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": TEXT, "voice": "nobody"}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_voice"
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": "flac"}, timeout=300)
    assert r.status_code == 200 and "content-length" in r.headers  # FLAC is answered whole


def test_stream_false_wav_has_its_sizes(served):
    r = httpx.post(served["base"] + "/v1/audio/speech", json={"input": TEXT, "response_format": "wav", "stream": False},
                   timeout=300)
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getnframes() == (len(r.content) - 44) // 2
