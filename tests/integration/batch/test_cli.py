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
