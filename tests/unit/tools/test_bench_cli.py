"""``sambert-lambda bench`` end to end on a tiny voice (slow: it measures for real). Checks the report's contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

REQUIRED = {
    "cold_start_s", "import_s", "load_s", "rtf_1t_10s", "rtf_2t_10s", "peak_rss_mb_10s", "first_audio_ms_20chars",
    "vocoder_gflop_per_audio_s", "floor_rtf_1t", "cost_per_million_chars_usd",
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a whole quick bench run on a real-size voice
def test_bench_quick_report_has_the_issue_keys(tmp_path):
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [sys.executable, "-m", "sambert_lambda", "bench", "--quick", "--size", "tiny", "--backend", "onnx",
         "--cache-dir", str(tmp_path / "cache"), "--out", str(out)],
        capture_output=True, text=True, timeout=1500, check=True,
    )  # fmt: skip
    report = json.loads(res.stdout)
    assert report == json.loads(out.read_text())
    assert REQUIRED <= set(report)
    assert set(report["cost_per_million_chars_usd"]) == {"x86_64", "arm64"}
    assert report["test_voice"] is True and report["backend"] == "onnx"
    assert report["cold_start_detail"]["torch_imported"] is False
    assert report["cold_start_s"] >= report["import_s"] + report["load_s"]
    for key in ("rtf_1t_10s", "rtf_2t_10s", "peak_rss_mb_10s", "vocoder_gflop_per_audio_s", "floor_rtf_1t"):
        assert isinstance(report[key], (int, float)) and report[key] > 0
    r10 = report["rtf"]["10s_1t"]
    assert r10["audio_s"] > 5 and r10["segments"] >= 1
    assert r10["total_s"] >= r10["acoustic_s"] + r10["vocoder_s"]
    mixed = report["mixed_lengths"]
    assert mixed["requests"] == 12 and mixed["audio_s"] > 0 and mixed["rtf_1t"] > 0
    assert mixed["chars_min_max"][0] < mixed["chars_min_max"][1]
