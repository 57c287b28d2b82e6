"""``sambert-lambda batch FILE --out DIR``: the S3 code path on a local file, with the tiny test voice."""

from __future__ import annotations

import json
import subprocess
import sys

from sambert_lambda import audio


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sambert_lambda", "batch", *map(str, args)],
                          capture_output=True, text=True, timeout=900)


def test_cli_batch_writes_audio_and_manifest_and_resumes(tmp_path, test_voice_dir):
    src = tmp_path / "lines.jsonl"
    src.write_text('{"id": "a", "text": "你好。"}\n{"text": "再见。", "voice": "nobody"}\n', encoding="utf-8")
    out = tmp_path / "out"
    first = run_cli(src, "--out", out, "--format", "wav", "--model-dir", test_voice_dir)
    assert first.returncode == 1, first.stderr  # one line failed
    assert "2/2" in first.stderr or "1/2" in first.stderr  # the progress bar
    result = json.loads(first.stdout.strip().splitlines()[-1])
    assert (result["status"], result["done"], result["failed"]) == ("complete", 1, 1)
    m = json.loads((out / "lines.jsonl" / "manifest.json").read_text(encoding="utf-8"))
    assert [e["status"] for e in m["items"]] == ["done", "failed"]
    assert m["items"][1]["error"]["code"] == "unknown_voice"
    wav = out / "lines.jsonl" / "00001.wav"
    wave, rate = audio.decode(wav.read_bytes(), "wav")
    assert round(len(wave) / rate, 3) == m["items"][0]["duration"] > 0
    stamp = wav.stat().st_mtime_ns
    again = run_cli(src, "--out", out, "--format", "wav", "--model-dir", test_voice_dir, "--quiet")
    assert again.returncode == 1 and wav.stat().st_mtime_ns == stamp  # done lines are skipped


def test_cli_batch_reports_a_bad_file(tmp_path, test_voice_dir):
    src = tmp_path / "gbk.txt"
    src.write_bytes("你好，世界。".encode("gbk"))
    proc = run_cli(src, "--out", tmp_path / "out", "--model-dir", test_voice_dir, "--quiet")
    assert proc.returncode == 1
    m = json.loads((tmp_path / "out" / "gbk.txt" / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed" and m["error"]["code"] == "invalid_encoding"


def test_cli_batch_detects_ssml_from_speak_in_txt_and_jsonl(tmp_path, test_voice_dir):
    """As on every route: text starting with <speak is SSML (its tags were read aloud), stray tags are refused."""
    doc = '<speak>你好<break time="2s"/>世界</speak>'
    (tmp_path / "doc.ssml").write_text(doc, encoding="utf-8")
    (tmp_path / "doc.txt").write_text("\n" + doc + "\n", encoding="utf-8")
    (tmp_path / "tags.txt").write_text('你好<break time="2s"/>世界', encoding="utf-8")
    lines = [{"text": doc}, {"text": '你好<break time="2s"/>世界'}, {"text": doc, "ssml": False}]
    (tmp_path / "lines.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out"
    for name in ("doc.ssml", "doc.txt", "tags.txt", "lines.jsonl"):
        run_cli(tmp_path / name, "--out", out, "--format", "wav", "--model-dir", test_voice_dir, "--quiet")

    def manifest(name):
        return json.loads((out / name / "manifest.json").read_text(encoding="utf-8"))

    want = manifest("doc.ssml")["items"][0]["duration"]
    assert want > 2.0
    txt = manifest("doc.txt")
    assert txt["kind"] == "ssml" and txt["items"][0]["duration"] == want, txt
    assert manifest("tags.txt")["error"]["code"] == "ssml_without_speak"
    items = manifest("lines.jsonl")["items"]
    assert items[0]["status"] == "done" and items[0]["duration"] == want, items
    assert [i["error"]["code"] for i in items[1:]] == ["ssml_without_speak", "ssml_conflict"], items


def test_cli_batch_checks_its_options_before_running(tmp_path, test_voice_dir):
    """--speed 9 failed every item in the manifest; synth refuses it up front, and so does batch now."""
    src = tmp_path / "lines.txt"
    src.write_text("你好。", encoding="utf-8")
    out = tmp_path / "out"
    for args, code in ((("--speed", "9"), "invalid_speed"), (("--voice", "nobody"), "unknown_voice"),
                       (("--emotion", "joy"), "unknown_emotion")):
        proc = run_cli(src, "--out", out, "--model-dir", test_voice_dir, "--quiet", *args)
        assert proc.returncode == 1 and f"error [{code}]" in proc.stderr, proc.stderr
        assert not (out / "lines.txt" / "manifest.json").exists()
    proc = run_cli(src, "--out", out, "--model-dir", test_voice_dir, "--quiet", "--format", "MP3")
    assert proc.returncode == 0, proc.stderr
    assert (out / "lines.txt" / "audio.mp3").exists()
