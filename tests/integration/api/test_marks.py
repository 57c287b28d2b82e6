"""Speech marks and captions through the HTTP API (uvicorn, S3 on a moto server), checked against the audio.

The tiny test voice speaks loud noise and SSML breaks are exact zeros, so each sentence's audio can be found in the
decoded samples; its marks must agree within one frame after speed changes, breaks, joins and resampling.
"""

from __future__ import annotations

import io
import json
import os
import urllib.error
import urllib.request
import uuid

import boto3
import numpy as np
import pytest
import soundfile as sf

from tests.support.servers import serve

FRAME_MS = 200 / 16000 * 1000  # hop / sample rate of the test voice: 12.5 ms


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:  # a presigned URL on 127.0.0.1
        return r.read()


@pytest.fixture(scope="module")
def api(moto_endpoint, test_voice_dir, tmp_path_factory):
    bucket = f"marks-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    baked = tmp_path_factory.mktemp("lexicon") / "lexicon.txt"
    baked.write_text("# baked into the image\n重庆 zhong4 qing4\n", encoding="utf-8")
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "TTS_BUCKET": bucket, "TTS_MODEL_DIR": str(test_voice_dir),
           "TTS_LEXICON_FILE": str(baked)}
    env.pop("API_KEY", None)
    with serve(env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


def _voiced_runs(audio: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start_ms, end_ms) of the stretches that are not silence, on 1 ms windows."""
    win = rate // 1000
    n = len(audio) // win
    energy = np.sqrt((audio[: n * win].reshape(n, win) ** 2).mean(1))
    voiced = energy > 0.02
    runs, start = [], None
    for i, v in enumerate(voiced):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, n))
    return [(float(a), float(b)) for a, b in runs if b - a > 5]


SSML = ('<speak><prosody rate="1.4">今天天气很好。我们去公园散步吧。</prosody><break time="400ms"/>'
        'Hello world, 你好！<break time="700ms"/><prosody rate="0.7">再见。</prosody></speak>')


@pytest.mark.parametrize("fmt,rate", [("wav", None), ("flac", 24000), ("wav", 8000)])
def test_marks_and_captions_agree_with_the_audio(api, fmt, rate):
    body = {"text": SSML, "ssml": True, "format": fmt, "speed": 1.2,
            "speech_marks": ["sentence", "word", "phoneme"], "captions": "vtt"}
    if rate:
        body["sample_rate"] = rate
    status, out = _post(api + "/v1/tts", body)
    assert status == 200, out
    audio, sr = sf.read(io.BytesIO(_get(out["url"])), dtype="float32")
    assert sr == (rate or 16000)
    rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
    sentences = [r for r in rows if r["type"] == "sentence"]
    assert [s["value"] for s in sentences] == ["今天天气很好。", "我们去公园散步吧。", "Hello world, 你好！", "再见。"]
    raw = SSML.encode()
    for r in rows:  # every value is what the input says at its byte offsets (TN-free text here)
        if r["type"] in ("sentence", "word"):
            assert raw[r["start"]:r["end"]].decode() == r["value"]
    # the breaks cut the audio in three voiced runs: sentences 1+2 (joined), 3, 4
    runs = _voiced_runs(audio, sr)
    assert len(runs) == 3, runs
    groups = [(sentences[0], sentences[1]), (sentences[2], sentences[2]), (sentences[3], sentences[3])]
    tol = FRAME_MS + 1  # one frame, plus the mark's own rounding to whole ms
    for (first, last), (a, b) in zip(groups, runs, strict=True):
        assert abs(first["time"] - a) <= tol and abs(last["time"] + last["duration"] - b) <= tol, (first, last, a, b)
    joined_end = sentences[0]["time"] + sentences[0]["duration"]
    assert abs(sentences[1]["time"] - joined_end) <= 1  # sentence joins: the next starts where the previous ends
    assert abs(sentences[-1]["time"] + sentences[-1]["duration"] - len(audio) / sr * 1000) <= tol
    words = [r for r in rows if r["type"] == "word"]
    assert [w["value"] for w in words if w["value"].isascii()] == ["Hello", "world"]
    for w in words:  # every word lies inside its sentence's audio
        s = next(s for s in sentences if s["start"] <= w["start"] and w["end"] <= s["end"])
        assert s["time"] <= w["time"] and w["time"] + w["duration"] <= s["time"] + s["duration"] + 1
    vtt = _get(out["captions_url"]).decode()
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == 4 and "Hello world, 你好！" in vtt


def test_speed_changes_move_the_marks(api):
    times = []
    for speed in (0.8, 1.6):
        status, out = _post(api + "/v1/tts", {"text": "今天天气很好，我们去公园散步吧。", "speed": speed,
                                              "speech_marks": ["sentence", "word"]})
        assert status == 200, out
        rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
        audio, sr = sf.read(io.BytesIO(_get(out["url"])), dtype="float32")
        assert abs(rows[0]["duration"] - len(audio) / sr * 1000) <= FRAME_MS + 1  # one sentence: all the audio
        times.append(rows[-1]["time"])
    assert times[1] < times[0] * 0.75


def test_bad_mark_fields_are_422_with_a_code(api):
    status, out = _post(api + "/v1/tts", {"text": "你好", "speech_marks": ["viseme"]})
    assert status == 422 and out["error"]["code"]
    status, out = _post(api + "/v1/tts", {"text": "你好", "captions": "ass"})
    assert status == 422 and out["error"]["code"]


def _syllables(api: str, body: dict) -> list[str]:
    status, out = _post(api + "/v1/tts", {**body, "speech_marks": ["phoneme"]})
    assert status == 200, out
    return [json.loads(x)["value"] for x in _get(out["speech_marks_url"]).decode().splitlines()]


def test_lexicon_hits_baked_and_per_request(api):
    text = "我去银行，在重庆。"
    plain = _syllables(api, {"text": text})
    assert plain[2:4] == ["yin2", "hang2"] and plain[-2:] == ["zhong4", "qing4"]  # baked entry applies
    custom = _syllables(api, {"text": text, "lexicon": "银行 yin2 xing2\n重庆 chong2 qing4"})
    assert custom[2:4] == ["yin2", "xing2"] and custom[-2:] == ["chong2", "qing4"]  # request entries win
    english = _syllables(api, {"text": "学SQL。", "lexicon": "SQL S IY1 K W AH0 L"})
    assert english == ["xue2", "s", "iy", "k", "w", "ah", "l"]
    ssml = _syllables(api, {"text": '<speak><phoneme alphabet="py" ph="xing2">行</phoneme></speak>', "ssml": True})
    assert ssml == ["xing2"]


@pytest.mark.parametrize("lexicon,code", [("银行 yin2", "invalid_lexicon"), ("银行 yin9 hang2", "invalid_lexicon"),
                                          ("SQL S K L", "invalid_lexicon")])
def test_bad_lexicons_are_400_with_a_code(api, lexicon, code):
    status, out = _post(api + "/v1/tts", {"text": "你好", "lexicon": lexicon})
    assert status == 400 and out["error"]["code"] == code, out


MARKED = ('<speak><mark name="start"/>今天<mark name="weather"/>天气很好。<mark name="walk"/>我们去公园散步吧。'
          '<mark name="before-break"/><break time="600ms"/><mark name="after-break"/>'
          '<prosody rate="0.7">再<mark name="inside-slow"/>见。</prosody><mark name="end"/></speak>')


@pytest.mark.parametrize("fmt,rate", [("wav", None), ("flac", 24000)])
def test_ssml_marks_fall_where_the_audio_says(api, fmt, rate):
    body = {"text": MARKED, "ssml": True, "format": fmt, "speech_marks": ["sentence", "word", "ssml"]}
    if rate:
        body["sample_rate"] = rate
    status, out = _post(api + "/v1/tts", body)
    assert status == 200, out
    audio, sr = sf.read(io.BytesIO(_get(out["url"])), dtype="float32")
    if audio.ndim > 1:
        audio = audio[:, 0]
    total_ms = len(audio) / sr * 1000
    rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
    ssml = [r for r in rows if r["type"] == "ssml"]
    assert [m["value"] for m in ssml] == ["start", "weather", "walk", "before-break", "after-break", "inside-slow",
                                          "end"]
    raw = MARKED.encode()
    for m in ssml:  # start/end are the <mark/> element's own bytes; a mark has no duration
        assert raw[m["start"]:m["end"]].decode() == f'<mark name="{m["value"]}"/>' and m["duration"] == 0
        assert 0 <= m["time"] <= total_ms + 1
    times = {m["value"]: m["time"] for m in ssml}
    assert list(times.values()) == sorted(times.values())
    words = {w["value"]: w["time"] for w in rows if w["type"] == "word"}
    sentences = [r for r in rows if r["type"] == "sentence"]
    assert times["start"] == sentences[0]["time"] == 0
    assert times["weather"] == words["天气"]  # a mark is heard where the next word starts
    assert times["walk"] == sentences[1]["time"]
    assert times["before-break"] == sentences[1]["time"] + sentences[1]["duration"]
    assert times["end"] == sentences[2]["time"] + sentences[2]["duration"]
    # against the samples: the break is the one long silence, and the marks on either side of it bound it
    runs = _voiced_runs(audio, sr)
    assert len(runs) == 2, runs
    tol = FRAME_MS + 1
    assert abs(times["before-break"] - runs[0][1]) <= tol and abs(times["after-break"] - runs[1][0]) <= tol
    assert abs(times["after-break"] - times["before-break"] - 600) <= tol
    assert runs[1][0] < times["inside-slow"] < runs[1][1]  # inside the slowed sentence's audio
    assert abs(times["end"] - total_ms) <= tol
    sentence_order = [r["type"] for r in rows if r["time"] == times["walk"]]
    assert sentence_order[:2] == ["sentence", "ssml"]  # a sentence starts before the marks heard at its start


def test_ssml_marks_alone_need_no_other_type(api):
    status, out = _post(api + "/v1/tts", {"text": '<speak>你好<mark name="m1"/>世界</speak>', "ssml": True,
                                          "speech_marks": ["ssml"]})
    assert status == 200, out
    rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
    assert [(r["type"], r["value"]) for r in rows] == [("ssml", "m1")] and rows[0]["time"] > 0


def test_word_and_sentence_marks_never_cover_ssml_markup_before_a_rewritten_word(api):
    """A number after a tag (read 二零二六, so not matched character by character) took the tag into its span."""
    text = '<speak>你好。<break time="300ms"/>2026年见。<prosody rate="slow">3个</prosody>人</speak>'
    status, out = _post(api + "/v1/tts", {"text": text, "speech_marks": ["sentence", "word", "phoneme"]})
    assert status == 200, out
    rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
    raw = text.encode()
    for r in rows:
        assert "<" not in raw[r["start"]:r["end"]].decode(), r
        assert r["type"] == "phoneme" or raw[r["start"]:r["end"]].decode() == r["value"], r
    assert [r["value"] for r in rows if r["type"] == "word"] == ["你好", "2026年", "见", "3个", "人"], rows
    assert [r["value"] for r in rows if r["type"] == "sentence"] == ["你好。", "2026年见。", "3个", "人"], rows


def test_spoken_text_never_aligns_onto_attribute_values(api):
    """A <sub alias>'s words pointed into the alias attribute; a word equal to a mark's name could land on it."""
    text = '<speak>我在<sub alias="世界卫生组织">WHO</sub>工作。今天<mark name="天气"/>天气很好。</speak>'
    status, out = _post(api + "/v1/tts", {"text": text, "speech_marks": ["word", "ssml"]})
    assert status == 200, out
    rows = [json.loads(x) for x in _get(out["speech_marks_url"]).decode().splitlines()]
    raw = text.encode()
    words = [(r["value"], raw[r["start"]:r["end"]].decode()) for r in rows if r["type"] == "word"]
    assert words == [(w, w) for w in ("我", "在", "WHO", "工作", "今天", "天气", "很", "好")], words
    who = next(r for r in rows if r["value"] == "WHO")
    assert who["duration"] > 4 * FRAME_MS  # the six syllables of the alias are its time
