"""/v1/jobs end to end: ``sambert-lambda serve`` (jobs run in-process on the batch code) with S3 on a moto server."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import time
import uuid

import boto3
import httpx
import pytest
import soundfile as sf

from tests.support.servers import serve

SENTENCE = "今天天气很好，我们去公园散步吧。"


@pytest.fixture(scope="module")
def jobs(moto_endpoint, test_voice_dir, tmp_path_factory):
    bucket = f"jobs-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "TTS_BUCKET": bucket, "TTS_MODEL_DIR": str(test_voice_dir),
           "TTS_BATCH_MAX_TXT_CHARS": "400"}
    env.pop("API_KEY", None)
    with serve(env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield {"base": base, "s3": s3, "bucket": bucket}


def _wait(base: str, job_id: str, timeout: float = 600) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=30)
        assert r.status_code == 200, r.text
        doc = r.json()
        if not seen or seen[-1] != doc["status"]:
            seen.append(doc["status"])
        if doc["status"] in ("complete", "failed"):
            return doc, seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen}")


def test_job_lifecycle_one_audio_file(jobs):
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": SENTENCE * 10, "format": "wav"}, timeout=60)
    assert r.status_code == 202 and set(r.json()) == {"id", "status"} and r.json()["status"] == "queued"
    job_id = r.json()["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id), job_id  # 16 random bytes, hex
    doc, seen = _wait(jobs["base"], job_id)
    order = ["queued", "running", "complete"]
    assert seen == sorted(seen, key=order.index) and seen[-1] == "complete", seen
    assert doc["progress"] == 1.0 and doc["items"]["done"] == 1
    audio, rate = sf.read(io.BytesIO(httpx.get(doc["audio_url"]).content))
    assert rate == 16000 and abs(len(audio) / rate - doc["duration_seconds"]) < 0.01
    manifest = httpx.get(doc["manifest_url"]).json()
    assert manifest["status"] == "complete" and manifest["kind"] == "txt"


def test_long_job_is_split_into_ordered_parts_nothing_lost_or_duplicated(jobs):
    text = "".join(f"第{i}句话很好。" for i in range(1, 301))  # ~2,400 characters: over the 400-character limit
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": text, "format": "flac"}, timeout=60)
    assert r.status_code == 202
    doc, _ = _wait(jobs["base"], r.json()["id"])
    assert doc["status"] == "complete", doc
    manifest = httpx.get(doc["manifest_url"]).json()
    assert manifest["kind"] == "jsonl" and manifest["summary"]["failed"] == 0
    ids = [i["id"] for i in manifest["items"]]
    assert ids == [f"part-{n:05d}" for n in range(1, len(ids) + 1)] and len(ids) == len(doc["parts"]) >= 3
    total = 0.0
    for part in doc["parts"]:
        audio, rate = sf.read(io.BytesIO(httpx.get(part["url"]).content))
        total += len(audio) / rate
    assert abs(total - doc["duration_seconds"]) < 0.05


def _marks(url: str) -> list[dict]:
    return [json.loads(x) for x in httpx.get(url).content.decode().splitlines()]


def _numbered(n: int) -> list[str]:
    return [f"第{i}句，天气很好。" for i in range(1, n + 1)]


def _check_sentences(rows: list[dict], text: str, duration_ms: float) -> list[str]:
    """Sentence marks that are the text at their byte offsets, back to back, the last ending with the audio."""
    sentences = [r for r in rows if r["type"] == "sentence"]
    raw = text.encode()
    assert all(raw[s["start"]:s["end"]].decode() == s["value"] for s in sentences), sentences
    for a, b in itertools.pairwise(sentences):
        assert abs(b["time"] - (a["time"] + a["duration"])) <= 2 and b["start"] >= a["end"]
    assert abs(sentences[-1]["time"] + sentences[-1]["duration"] - duration_ms) <= 13.5  # one frame, plus rounding
    words = [r for r in rows if r["type"] == "word"]
    assert words and all(raw[w["start"]:w["end"]].decode() == w["value"] for w in words)
    return [s["value"] for s in sentences]


def test_job_speech_marks_follow_the_assembled_audio_and_the_text(jobs):
    text = " ".join(_numbered(30))  # 320 characters: one audio file, synthesized in two chunks and joined
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": text, "format": "wav",
                                                    "speech_marks": ["sentence", "word"]}, timeout=60)
    assert r.status_code == 202, r.text
    doc, _ = _wait(jobs["base"], r.json()["id"])
    assert doc["status"] == "complete", doc
    audio, rate = sf.read(io.BytesIO(httpx.get(doc["audio_url"]).content))
    assert _check_sentences(_marks(doc["speech_marks_url"]), text, len(audio) / rate * 1000) == _numbered(30)
    manifest = httpx.get(doc["manifest_url"]).json()
    assert manifest["items"][0]["speech_marks"].endswith("audio.marks.jsonl")


def test_a_long_job_gives_marks_per_part_with_its_offset_in_the_text(jobs):
    text = "".join(_numbered(120))  # 1,212 characters: over the 400-character limit, so parts
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": text, "format": "flac", "speech_marks": ["sentence",
                                                                                                   "word"]}, timeout=60)
    doc, _ = _wait(jobs["base"], r.json()["id"])
    assert doc["status"] == "complete" and len(doc["parts"]) >= 2, doc
    raw, seen = text.encode(), []
    for part in doc["parts"]:
        audio, rate = sf.read(io.BytesIO(httpx.get(part["url"]).content))
        piece = raw[part["text_offset"]:].decode()
        seen += _check_sentences(_marks(part["speech_marks_url"]), piece, len(audio) / rate * 1000)
    assert seen == _numbered(120)  # every sentence once, in order


def test_job_from_an_input_object(jobs):
    jobs["s3"].put_object(Bucket=jobs["bucket"], Key="mine/chapter.txt", Body=SENTENCE.encode())
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"input_key": "mine/chapter.txt"}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input_key"  # not under the input prefix
    prefix = _input_prefix()
    jobs["s3"].put_object(Bucket=jobs["bucket"], Key=prefix + "mine/chapter.txt", Body=SENTENCE.encode())
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"input_key": prefix + "mine/chapter.txt"}, timeout=60)
    assert r.status_code == 202, r.text
    doc, _ = _wait(jobs["base"], r.json()["id"])
    assert doc["status"] == "complete" and doc["audio_url"]
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"input_key": prefix + "missing.txt"}, timeout=60)
    assert r.status_code == 404 and r.json()["error"]["code"] == "input_not_found"


def test_ssml_job_and_a_failed_job(jobs):
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": f"<speak>{SENTENCE}<break time='300ms'/>再见</speak>",
                                                    "ssml": True}, timeout=60)
    doc, _ = _wait(jobs["base"], r.json()["id"])
    assert doc["status"] == "complete"
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": "<speak><bogus/></speak>", "ssml": True}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_ssml"  # checked before queueing
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": "<speak>😀</speak>", "ssml": True}, timeout=60)
    doc, _ = _wait(jobs["base"], r.json()["id"])  # well-formed, but nothing to speak: found by the synthesis
    assert doc["status"] == "failed" and doc["error"]["code"] == "nothing_speakable" and "audio_url" not in doc


def test_ids_are_unguessable_and_reveal_nothing_else(jobs):
    a = httpx.post(jobs["base"] + "/v1/jobs", json={"text": SENTENCE}, timeout=60).json()["id"]
    b = httpx.post(jobs["base"] + "/v1/jobs", json={"text": SENTENCE}, timeout=60).json()["id"]
    assert a != b and len({a[:8], b[:8]}) == 2
    for bad in ["0" * 32, a[:-1] + ("0" if a[-1] != "0" else "1"), "../" + a, a.upper(), "x"]:
        r = httpx.get(f"{jobs['base']}/v1/jobs/{bad}", timeout=30)
        assert r.status_code == 404 and r.json()["error"]["code"] in ("job_not_found", "not_found"), bad
    doc = httpx.get(f"{jobs['base']}/v1/jobs/{a}", timeout=30).json()
    assert b not in json.dumps(doc)


@pytest.mark.parametrize("body,status,code", [
    ({"text": "   "}, 400, "empty_text"), ({"text": SENTENCE, "voice": "nobody"}, 400, "unknown_voice"),
    ({}, 400, "invalid_job"), ({"text": "好" * 200_001}, 422, "invalid_text"),
    ({"text": SENTENCE, "format": "aiff"}, 422, "invalid_format"),
    ({"text": SENTENCE, "speech_marks": ["viseme"]}, 422, "invalid_speech_marks"),
])
def test_bad_jobs_are_refused_with_a_code(jobs, body, status, code):
    r = httpx.post(jobs["base"] + "/v1/jobs", json=body, timeout=60)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_200000_characters_are_accepted(jobs):
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": "好" * 200_000}, timeout=120)
    assert r.status_code == 202  # accepted; it runs in the background (not waited for here)


def _input_prefix() -> str:
    from sambert_lambda.settings import Settings

    return Settings.model_fields["input_prefix"].default


def test_a_long_ssml_job_is_cut_into_standalone_parts_with_marks_in_the_documents_bytes(jobs):
    """SSML over TTS_MAX_CHARS (5,000 here): parts that reopen <voice>/<emotion>/<prosody>, marks mapped back."""
    body = "".join(f'<s>第{i}句，天气很好。</s><break time="50ms"/>' for i in range(1, 141))
    doc = ('<speak><voice name="zhiyan_emo"><emotion category="happy"><prosody rate="fast">' + body
           + "</prosody></emotion></voice></speak>")  # fmt: skip
    assert len(doc) > 5000
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": doc, "format": "wav", "speech_marks": ["sentence"]},
                   timeout=60)  # fmt: skip
    assert r.status_code == 202, r.text
    doc_status, _ = _wait(jobs["base"], r.json()["id"])
    assert doc_status["status"] == "complete" and len(doc_status["parts"]) >= 5, doc_status
    raw, seen = doc.encode(), []
    for part in doc_status["parts"]:
        audio, rate = sf.read(io.BytesIO(httpx.get(part["url"]).content))
        assert rate == 16000 and len(audio) > 0
        for m in _marks(part["speech_marks_url"]):
            start, end = part["text_offset"] + m["start"], part["text_offset"] + m["end"]
            assert raw[start:end].decode() == m["value"], (m, part["text_offset"])
            seen.append(m["value"])
    assert seen == [f"第{i}句，天气很好。" for i in range(1, 141)]  # every sentence once, in order
    manifest = httpx.get(doc_status["manifest_url"]).json()
    assert manifest["kind"] == "jsonl" and manifest["summary"]["failed"] == 0
    key = next(k["Key"] for k in jobs["s3"].list_objects_v2(Bucket=jobs["bucket"])["Contents"]
               if k["Key"].endswith(f"{r.json()['id']}.jsonl"))  # fmt: skip
    lines = [json.loads(x) for x in jobs["s3"].get_object(Bucket=jobs["bucket"], Key=key)["Body"].read().splitlines()]
    assert all(x["ssml"] is True and x["text"].startswith('<speak><voice name="zhiyan_emo"><emotion category="happy">'
                                                          '<prosody rate="fast">') for x in lines)  # fmt: skip


def test_an_ssml_job_of_one_audio_file_is_assembled_from_parts_with_marks_in_the_documents_bytes(jobs):
    """SSML under TTS_BATCH_MAX_TXT_CHARS (400 here) but over a chunk: one audio file joined from SSML parts."""
    body = "".join(f"<s>第{i}句，天气很好。</s>" for i in range(1, 21))
    doc = '<speak><emotion category="happy">' + body + "</emotion></speak>"
    assert 300 < len(doc) <= 400
    r = httpx.post(jobs["base"] + "/v1/jobs", json={"text": doc, "format": "wav", "speech_marks": ["sentence"]},
                   timeout=60)  # fmt: skip
    assert r.status_code == 202, r.text
    status, _ = _wait(jobs["base"], r.json()["id"])
    assert status["status"] == "complete" and "audio_url" in status, status
    manifest = httpx.get(status["manifest_url"]).json()
    assert manifest["kind"] == "ssml" and manifest["summary"]["failed"] == 0
    keys = [o["Key"] for o in jobs["s3"].list_objects_v2(Bucket=jobs["bucket"])["Contents"]]
    markers = [k for k in keys if r.json()["id"] in k and re.search(r"/\d{5}\.json$", k)]
    assert len(markers) >= 2, keys  # synthesized as two or more SSML parts
    audio, rate = sf.read(io.BytesIO(httpx.get(status["audio_url"]).content))
    rows = _marks(status["speech_marks_url"])
    raw = doc.encode()
    assert [raw[m["start"]:m["end"]].decode() for m in rows] == [m["value"] for m in rows]
    assert [m["value"] for m in rows] == [f"第{i}句，天气很好。" for i in range(1, 21)]
    assert all(b["time"] >= a["time"] + a["duration"] - 2 for a, b in itertools.pairwise(rows))
    assert abs(rows[-1]["time"] + rows[-1]["duration"] - len(audio) / rate * 1000) <= 13.5
