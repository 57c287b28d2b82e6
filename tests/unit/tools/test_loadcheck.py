"""tools.loadcheck: the request mix, the cross-talk check, and the in-process run through the app (fake
synthesizer, moto S3). The concurrent run against a served app is tests/integration/api/test_load.py."""

from __future__ import annotations

from moto import mock_aws

from tests.support.fakes import FakeSynthesizer, clean_aws_env, make_service
from tools.loadcheck import HIT_TEXTS, api_load_check, check_cross_talk, plan, synthesis_text


def test_plan_interleaves_hits_and_distinct_syntheses():
    work = plan(20, 0.25)
    kinds = [k for k, _ in work]
    assert kinds.count("hit") == 5 and kinds.count("synthesis") == 15
    assert {t for k, t in work if k == "hit"} <= set(HIT_TEXTS)
    synth = [t for k, t in work if k == "synthesis"]
    assert len(set(synth)) == len(synth) and synthesis_text(3) != synthesis_text(7)


def test_in_process_run_reports_hits_syntheses_and_memory(monkeypatch):
    clean_aws_env(monkeypatch)
    with mock_aws():
        svc = make_service(FakeSynthesizer())
        out = api_load_check(10, service=svc)
    assert out["errors"] == 0 and out["cross_talk"] == 0 and out["requests"] == 10
    assert out["cache_hits"]["count"] == 5 and out["syntheses"]["count"] == 5
    assert out["syntheses_run"] == 5
    assert out["cache_hits"]["p95_ms"] >= out["cache_hits"]["p50_ms"] > 0
    assert out["rss_end_mb"] > 0 and isinstance(out["rss_growth_mb"], float)


def test_in_process_run_counts_errors(monkeypatch):
    clean_aws_env(monkeypatch)
    with mock_aws():
        # the hit texts (seeded first) fit in 14 characters, every distinct text is longer
        svc = make_service(FakeSynthesizer(), max_chars=14)
        out = api_load_check(4, service=svc)
    assert out["errors"] == 2 and out["syntheses"]["count"] == 0
    assert {s["status"] for s in out["error_samples"]} == {413}


def test_cross_talk_check_flags_a_wrong_answer():
    ok = {"key": "k1", "characters": 3, "duration_seconds": 1.0, "cached": True}
    results = [
        {"i": 0, "kind": "hit", "text": "你好。", "status": 200, "out": ok},
        {"i": 1, "kind": "hit", "text": "你好。", "status": 200, "out": {**ok, "duration_seconds": 2.0}},
        {"i": 2, "kind": "synthesis", "text": "再见了。", "status": 200, "out": {**ok, "characters": 4}},
    ]
    problems = check_cross_talk(results, verify_urls=False)
    assert any("disagree" in p for p in problems)  # two answers for one text
    assert any("key shared" in p for p in problems)  # one key for two texts
    assert any("cached=True" in p for p in problems)  # a distinct text answered from the cache
