"""Load on the local stack: ``sambert-lambda serve`` (uvicorn, one process, real synthesizer
on the tiny test voice) on 127.0.0.1 with S3 on a moto server; 8 concurrent clients send 320 requests (3/4 cache
hits of four fixed sentences, 1/4 distinct ~15-character texts). Asserted: 0 errors, no cross-talk (each answer
carries its own text's key and character count, all answers for one text agree, each URL holds a WAV of the
announced length, and sampled texts last exactly as long as a direct synthesis of the same text). Reported, not
asserted: p50/p95/p99 for hits and syntheses, the server's RSS growth (written to $TTS_LOAD_REPORT,
/tmp/sambert-load-report.json by default)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.real import new_bucket
from tools.loadcheck import ServedApp, run_load

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # the first test pays the whole load run
CLIENTS = 8
REQUESTS = 320
HIT_RATIO = 0.75
KEY = "load-test-key"
REPORT = Path(os.environ.get("TTS_LOAD_REPORT", "/tmp/sambert-load-report.json"))


@pytest.fixture(scope="module")
def report(test_voice_dir, moto_endpoint, tmp_path_factory):
    env = {"TTS_MODEL_DIR": str(test_voice_dir), "TTS_BUCKET": new_bucket(moto_endpoint, "load"),
           "AWS_ENDPOINT_URL": moto_endpoint, "API_KEY": KEY}
    log = tmp_path_factory.mktemp("load") / "serve.log"
    with ServedApp(env, log_path=log) as app:
        out = run_load(app.base_url, clients=CLIENTS, requests=REQUESTS, hit_ratio=HIT_RATIO, api_key=KEY,
                       server_pid=app.pid)
    out["server_log"] = log.read_text(errors="replace")
    public = {k: v for k, v in out.items() if k not in ("results", "server_log")}
    REPORT.write_text(json.dumps(public, ensure_ascii=False, indent=2))
    print("\nload report:", json.dumps(public, ensure_ascii=False))
    return out


def test_no_errors_and_no_cross_talk(report):
    assert report["requests"] == REQUESTS
    assert report["errors"] == 0, report["error_samples"]
    assert report["cross_talk"] == 0, report["cross_talk_samples"]


def test_hits_and_syntheses_as_planned(report):
    kinds = {"hit": 0, "synthesis": 0}
    for r in report["results"]:
        kinds[r["kind"]] += 1
        assert r["out"]["cached"] is (r["kind"] == "hit"), r["text"]  # every distinct text synthesized once
    assert kinds == {"hit": round(REQUESTS * HIT_RATIO), "synthesis": REQUESTS - round(REQUESTS * HIT_RATIO)}
    assert report["cache_hits"]["count"] == kinds["hit"] and report["syntheses"]["count"] == kinds["synthesis"]
    assert report["distinct_texts"] == kinds["synthesis"] + 4


def test_audio_matches_a_direct_synthesis_of_the_same_text(report, real_synth):
    """Cross-talk, the strongest form: the server's audio for text T lasts exactly as long as T synthesized here
    with the same weights (durations differ from text to text, so a swapped answer would show)."""
    synthesized = [r for r in report["results"] if r["kind"] == "synthesis"]
    sample = synthesized[:: max(1, len(synthesized) // 8)]
    durations = set()
    for r in sample:
        direct = real_synth.synthesize(r["text"])
        assert r["out"]["duration_seconds"] == pytest.approx(direct.duration_seconds, abs=1e-6), r["text"]
        durations.add(r["out"]["duration_seconds"])
    assert len(durations) > 1  # the check can tell texts apart


def test_server_logs_hold_no_secrets(report):
    log = report["server_log"]
    assert KEY not in log and "X-Amz-Signature" not in log


def test_figures_are_reported(report):
    for kind in ("cache_hits", "syntheses"):
        s = report[kind]
        assert s["count"] > 0 and 0 < s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] <= s["max_ms"]
    assert report["rss_start_mb"] > 0 and report["rss_peak_mb"] >= report["rss_start_mb"] - 1
