"""api_load_check runs through the app and counts what it sees (fake synthesizer, moto S3)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from sambert_lambda.api.loadcheck import api_load_check, short_text
from tests.support.fakes import FakeSynthesizer, clean_aws_env, make_service


def test_short_texts_are_distinct_and_about_20_chars():
    texts = {short_text(i) for i in range(200)}
    assert len(texts) == 200
    assert all(18 <= len(t) <= 24 for t in texts)


def test_load_check_reports_hits_misses_and_memory(monkeypatch):
    clean_aws_env(monkeypatch)
    with mock_aws():
        svc = make_service(FakeSynthesizer())
        out = api_load_check(10, service=svc)
    assert out["errors"] == 0 and out["requests"] == 10
    assert out["cache_hits"]["count"] == 5 and out["syntheses_20_chars"]["count"] == 5
    assert out["syntheses_run"] == 5
    assert out["cache_hits"]["p95_ms"] >= out["cache_hits"]["p50_ms"] > 0
    assert out["rss_end_mb"] > 0 and isinstance(out["rss_growth_mb"], float)


def test_load_check_counts_errors(monkeypatch):
    clean_aws_env(monkeypatch)
    with mock_aws():
        svc = make_service(FakeSynthesizer(), max_chars=5)  # every short text is now too long
        out = api_load_check(4, service=svc)
    assert out["errors"] == 4
    assert out["error_samples"][0]["status"] == 413


@pytest.mark.parametrize("n", [0])
def test_zero_requests(monkeypatch, n):
    clean_aws_env(monkeypatch)
    with mock_aws():
        out = api_load_check(n, service=make_service(FakeSynthesizer()))
    assert out["requests"] == 0 and out["errors"] == 0 and out["cache_hits"]["count"] == 0
