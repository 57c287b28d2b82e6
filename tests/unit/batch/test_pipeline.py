"""The S3-triggered path end to end on a directory-backed storage and a fake synthesizer."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from sambert_lambda import audio
from sambert_lambda.batch import handle_s3_event
from sambert_lambda.batch.handlers import BatchRetry
from sambert_lambda.errors import ConfigInvalid
from sambert_lambda.settings import Settings, load_settings
from sambert_lambda.storage.files import FileStorage
from tests.support.batch import RATE, SAMPLES_PER_CHAR, FakeContext, FakeSynth, jsonl_50_with_3_bad, s3_event

BUCKET = "batch-unit"


def make_service(tmp_path, **overrides):
    settings = load_settings(bucket=BUCKET, batch_chunk_chars=20, **overrides)
    return SimpleNamespace(settings=settings, synthesizer=FakeSynth(), storage=FileStorage(tmp_path, BUCKET))


def upload(svc, key, body: bytes, **metadata):
    svc.storage.put(key, body, "application/octet-stream", metadata)
    return svc.storage.head(key).etag


def deliver(svc, key, context=None):
    return handle_s3_event(s3_event(BUCKET, key), context or FakeContext(), svc)


def manifest(svc, key):
    out = "output/" + key[len("input/"):] + "/manifest.json"
    return json.loads(svc.storage.get(out)[0])


def snapshot(svc):
    return {k: svc.storage.head(k).etag for k in svc.storage.list("output/")}


def test_jsonl_50_lines_3_bad(tmp_path):
    svc = make_service(tmp_path)
    data, bad = jsonl_50_with_3_bad()
    key = "input/course/第一课 prompts.jsonl"
    etag = upload(svc, key, data)
    result = deliver(svc, key)
    assert result["batch"][0]["status"] == "complete"
    m = manifest(svc, key)
    assert m["source"] == {"bucket": BUCKET, "key": key, "etag": etag, "version_id": None, "size": len(data)}
    assert m["summary"] == {"total": 50, "done": 47, "failed": 3, "pending": 0}
    assert m["status"] == "complete" and m["kind"] == "jsonl"
    failed = {e["line"]: e["error"]["code"] for e in m["items"] if e["status"] == "failed"}
    assert failed == {7: "invalid_json", 23: "unknown_voice", 41: "invalid_ssml"}
    assert set(failed) == bad
    texts = {json.loads(x)["id"]: json.loads(x)["text"] for x in data.decode().splitlines() if x.endswith("}")}
    for entry in m["items"]:
        if entry["status"] != "done":
            assert entry["key"] is None and entry["duration"] is None
            continue
        line, fmt = entry["line"], entry["format"]
        assert entry["key"] == f"output/course/第一课 prompts.jsonl/{line:05d}.{fmt}"
        body, meta = svc.storage.get(entry["key"])
        assert meta["source-etag"] == etag
        wave, rate = audio.decode(body, fmt)
        expected = len(texts[entry["id"]]) * SAMPLES_PER_CHAR
        assert entry["duration"] == round(expected / RATE, 3)
        if fmt == "wav":
            assert rate == RATE and len(wave) == expected
        else:  # MP3 adds encoder delay and frame padding, never removes audio
            assert expected - 0.01 * RATE <= len(wave) <= expected + 0.15 * RATE
    assert not svc.storage.list("output/course/第一课 prompts.jsonl/00007")


def test_txt_is_assembled_from_chunks_into_one_file(tmp_path):
    svc = make_service(tmp_path)
    text = "今天天气很好。我们去公园散步吧！你觉得怎么样？好的，那就这么定了。明天见。后天也见，大后天还要见面。"
    key = "input/book/ch1.txt"
    upload(svc, key, text.encode(), format="wav", voice="zhizhe_emo")
    deliver(svc, key)
    m = manifest(svc, key)
    assert m["summary"] == {"total": 1, "done": 1, "failed": 0, "pending": 0}
    entry = m["items"][0]
    assert entry["key"] == "output/book/ch1.txt/audio.wav"
    wave, rate = audio.decode(svc.storage.get(entry["key"])[0], "wav")
    assert rate == RATE
    assert len(svc.synthesizer.calls) > 1  # really chunked
    assert "".join(svc.synthesizer.calls) == text
    assert len(wave) == len(text) * SAMPLES_PER_CHAR  # joined from decoded parts, no container bytes in between
    assert entry["duration"] == round(len(wave) / RATE, 3)
    parts = [audio.decode(svc.storage.get(k)[0], "wav")[0] for k in svc.storage.list("output/book/ch1.txt/.parts/")]
    assert np.allclose(np.concatenate(parts), wave, atol=1 / 32767)


def test_ssml_file(tmp_path):
    svc = make_service(tmp_path)
    key = "input/a.ssml"
    upload(svc, key, "<speak>你好<break time=\"300ms\"/>世界</speak>".encode())
    deliver(svc, key)
    m = manifest(svc, key)
    assert m["items"][0]["status"] == "done" and m["items"][0]["key"] == "output/a.ssml/audio.mp3"
    assert svc.storage.head("output/a.ssml/audio.mp3").content_type == "audio/mpeg"


def test_redelivery_three_times_changes_nothing(tmp_path):
    svc = make_service(tmp_path)
    data, _ = jsonl_50_with_3_bad()
    key = "input/p.jsonl"
    upload(svc, key, data)
    deliver(svc, key)
    once = snapshot(svc)
    calls = len(svc.synthesizer.calls)
    for _ in range(3):
        deliver(svc, key)
    assert snapshot(svc) == once  # same keys, same bytes
    assert len(svc.synthesizer.calls) == calls  # nothing synthesized twice


def test_new_upload_replaces_outputs_and_prunes_stale_ones(tmp_path):
    svc = make_service(tmp_path)
    key = "input/p.jsonl"
    upload(svc, key, b'{"text": "one"}\n{"text": "two"}\n{"text": "three", "format": "wav"}\n')
    deliver(svc, key)
    assert "output/p.jsonl/00003.wav" in svc.storage.list("output/")
    etag2 = upload(svc, key, b'{"text": "uno"}\n{"text": "dos", "voice": "nobody"}\n')
    deliver(svc, key)
    keys = svc.storage.list("output/p.jsonl/")
    audio_keys = [k for k in keys if "/." not in k and not k.endswith("manifest.json")]
    assert audio_keys == ["output/p.jsonl/00001.mp3"]  # line 2 failed now: its old audio is gone too
    assert all(f"/{etag2}/" in k for k in keys if "/.done/" in k)
    assert svc.storage.get("output/p.jsonl/00001.mp3")[1]["source-etag"] == etag2
    m = manifest(svc, key)
    assert m["source"]["etag"] == etag2 and m["summary"] == {"total": 2, "done": 1, "failed": 1, "pending": 0}


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("empty.txt", b"", "empty_file"),
        ("gbk.txt", "你好，世界。".encode("gbk"), "invalid_encoding"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "binary_file"),
        ("big.jsonl", b'{"text": "a"}\n' * 100, "too_large"),
    ],
)
def test_bad_files_get_a_manifest_saying_why(tmp_path, name, body, code):
    svc = make_service(tmp_path, max_input_bytes=1000)
    key = f"input/bad/{name}"
    etag = upload(svc, key, body)
    result = deliver(svc, key)["batch"][0]
    assert result["status"] == "failed"
    m = manifest(svc, key)
    assert m["status"] == "failed" and m["error"]["code"] == code and m["error"]["message"]
    assert m["items"] == [] and m["summary"]["total"] == 0 and m["source"]["etag"] == etag
    assert svc.storage.list("output/") == [f"output/bad/{name}/manifest.json"]
    assert svc.synthesizer.calls == []


def test_overlapping_prefixes_write_nothing(tmp_path):
    settings = Settings.model_construct(**{**load_settings(bucket=BUCKET).model_dump(), "output_prefix": "input/out/"})
    svc = SimpleNamespace(settings=settings, synthesizer=FakeSynth(), storage=FileStorage(tmp_path, BUCKET))
    upload(svc, "input/a.txt", "你好。".encode())
    with pytest.raises(ConfigInvalid) as err:
        handle_s3_event(s3_event(BUCKET, "input/a.txt"), FakeContext(), svc)
    assert err.value.code == "config_invalid"
    assert svc.storage.list("") == ["input/a.txt"]
    with pytest.raises(ConfigInvalid):
        load_settings(bucket=BUCKET, output_prefix="input/out/")


def test_records_outside_the_prefix_or_bucket_are_ignored(tmp_path):
    svc = make_service(tmp_path)
    upload(svc, "other/a.txt", "你好。".encode())
    assert deliver(svc, "other/a.txt")["batch"] == [{"key": "other/a.txt", "status": "ignored"}]
    assert handle_s3_event(s3_event("someone-else", "input/a.txt"), FakeContext(), svc)["batch"][0]["status"] == "ignored"
    assert handle_s3_event({"Service": "Amazon S3", "Event": "s3:TestEvent"}, FakeContext(), svc) == {"batch": []}
    assert svc.storage.list("output/") == []


def test_deleted_input_writes_nothing(tmp_path):
    svc = make_service(tmp_path)
    assert deliver(svc, "input/gone.txt")["batch"] == [{"key": "input/gone.txt", "status": "missing"}]
    assert svc.storage.list("output/") == []


def test_line_that_crashes_the_engine_fails_alone(tmp_path):
    svc = make_service(tmp_path)
    upload(svc, "input/x.jsonl", b'{"text": "fine"}\n{"text": "BOOM"}\n{"text": "also fine"}\n')
    deliver(svc, "input/x.jsonl")
    m = manifest(svc, "input/x.jsonl")
    assert [e["status"] for e in m["items"]] == ["done", "failed", "done"]
    assert m["items"][1]["error"] == {"code": "internal_error", "message": "synthesis failed (RuntimeError)"}


def test_time_budget_without_queue_leaves_consistent_manifest_then_resumes(tmp_path):
    svc = make_service(tmp_path)
    data, _ = jsonl_50_with_3_bad()
    upload(svc, "input/p.jsonl", data)
    with pytest.raises(BatchRetry) as err:
        deliver(svc, "input/p.jsonl", FakeContext(allow=10))
    assert err.value.code == "batch_incomplete"
    m = manifest(svc, "input/p.jsonl")
    assert m["status"] == "in_progress"
    assert m["summary"]["done"] + m["summary"]["failed"] == 11  # 10 units run + the unparsable line
    assert m["summary"]["pending"] == 39
    assert all(svc.storage.head(e["key"]) for e in m["items"] if e["status"] == "done")
    deliver(svc, "input/p.jsonl")  # the retry
    m = manifest(svc, "input/p.jsonl")
    assert m["summary"] == {"total": 50, "done": 47, "failed": 3, "pending": 0}
    assert len(svc.synthesizer.calls) == 47 - 2 + 2  # each line synthesized once (2 bad lines raise before)
