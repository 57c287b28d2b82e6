"""The Lambda images for real: ``scripts/image-test`` builds both images on a Docker engine of its own, runs
``sam build`` and ``sam local invoke`` against LocalStack, and each test below checks one part of its JSON report.

The run takes a while (from scratch: a debootstrap base, a wheelhouse, both images; later runs reuse the cached
layers under ``var/image-test/``), so it happens once per session, in the background from the end of collection
(``tests/support/image_run.py``), and these tests run last. When no Docker engine can be started at all
(not root, no dockerd), the tests are skipped with that reason, loudly; where one can be started they must run.
"""

from __future__ import annotations

import json
import sys
import warnings

import pytest

from tests.support import image_run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

CASES = ("function_url_tts", "function_url_speech", "function_url_healthz", "direct_invoke", "bad_input",
         "direct_bad_input", "s3_put")
# the ONNX image carries each voice's vocoder weights three times (plain, and reordered for 8- and 16-channel blocks:
# 18.4 MB each), which keeps the reorder out of every cold start
SIZE_LIMITS_MB = {"runtime-onnx": 500, "runtime": 1100}


def _skip_loudly(reason: str) -> None:
    msg = f"IMAGE TEST NOT RUN: {reason}"
    print(msg, file=sys.stderr)
    warnings.warn(msg, stacklevel=2)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def report() -> dict:
    reason = image_run.unavailable_reason()
    if reason:
        _skip_loudly(reason)
    rc, stdout, stderr = image_run.RUN.wait(timeout=3500)
    sys.stderr.write(stderr[-6000:])
    lines = stdout.strip().splitlines()
    assert lines, f"scripts/image-test printed nothing (exit {rc}): {stderr[-3000:]}"
    doc = json.loads(lines[-1])
    if "engine_unavailable" in doc:
        _skip_loudly(f"no Docker engine can be started: {doc['engine_unavailable']}")
    assert "error" not in doc, doc["error"]
    doc["_exit"] = rc
    return doc


def test_both_images_built_and_within_size_limits(report):
    for target, limit in SIZE_LIMITS_MB.items():
        img = report["images"][target]
        assert 0 < img["size_mb"] <= limit, (target, img)
        assert img["total_mb"] == pytest.approx(img["size_mb"] + report["base_mb"], abs=1)
    # the torch-free image must really be smaller: no torch in it
    assert report["images"]["runtime-onnx"]["size_mb"] < report["images"]["runtime"]["size_mb"] / 2


def test_sizes_with_every_voice_are_reported_beside(report):
    assert report["base_mb"] > 50
    if "all_voices_skipped" in report:
        _skip_loudly(report["all_voices_skipped"])
    for target in SIZE_LIMITS_MB:
        assert report["all_voices_mb"][target] > report["images"][target]["size_mb"]


def test_web_adapter_image_is_reported_as_not_built_with_its_reason(report):
    got = report["images"]["web_adapter"]
    assert got["skipped"] is True and "size_mb" not in got, got
    assert "Web Adapter" in got["reason"] and "pull" in got["reason"], got


def test_sam_build_of_the_project_template(report):
    assert report["sam"]["build"]["ok"], report["sam"]["build"]


@pytest.mark.parametrize("case", CASES)
def test_sam_local_invoke(report, case):
    got = report["sam_local_invoke"][case]
    assert got["status"] == got["expected"], got
    assert got["ok"], got


@pytest.mark.parametrize("case", [c for c in CASES if c != "s3_put"])
def test_sam_local_start_lambda_with_boto3_invoke(report, case):
    got = report["start_lambda"][case]
    assert got["status"] == got["expected"] and got["ok"], got


def test_presigned_url_downloads_and_decodes_with_signature_validation(report):
    for case in ("function_url_tts", "direct_invoke"):
        got = report["sam_local_invoke"][case]
        assert got["presigned_get"] == 200 and got["tampered_get"] == 403, got
        assert got["audio"]["sample_rate"] == 16000 and got["audio"]["frames"] > 1600 and got["audio"]["peak"] > 0
        assert got["test_voice"] is True


def test_healthz_reports_the_baked_test_voice_loaded(report):
    got = report["sam_local_invoke"]["function_url_healthz"]
    assert got["model_loaded"] is True and got["test_voice"] is True and got["init_seconds"] > 0, got


def test_bad_input_is_a_4xx_json_error(report):
    for case, code in (("bad_input", "unknown_emotion"), ("direct_bad_input", "empty_text")):
        got = report["sam_local_invoke"][case]
        assert 400 <= got["status"] < 500 and got["code"] == code, got


def test_s3_put_gives_a_manifest_with_done_items(report):
    m = report["sam_local_invoke"]["s3_put"]["manifest"]
    assert m["items"] >= 1 and m["done"] == m["items"], m
    assert report["sam_local_invoke"]["s3_put"]["audio"]["frames"] > 0


@pytest.mark.parametrize("target", sorted(SIZE_LIMITS_MB))
def test_image_runs_as_non_root_with_cold_start_and_memory_measured(report, target):
    c = report["containers"][target]
    assert c["ok"], c
    assert c["user"] == "65534"
    assert 0 < c["init_seconds"] < c["cold_start_s"], c
    assert c["warm_ms"] > 0 and c["peak_memory_mb"] > 50, c


def test_the_onnx_image_speaks_aac_and_the_torch_image_refuses_it_saying_how(report):
    """aac is in the default (ONNX) image; the torch image leaves PyAV out unless built with AUDIO_EXTRAS=aac."""
    onnx = report["containers"]["runtime-onnx"]["aac"]
    assert onnx["status"] == 200 and onnx["content_type"].startswith("audio/aac") and onnx["adts_sync"], onnx
    assert onnx["audio"]["sample_rate"] == 16000 and onnx["audio"]["frames"] > 1600 and onnx["audio"]["peak"] > 0
    torch = report["containers"]["runtime"]["aac"]
    assert torch["status"] == 422 and torch["code"] == "invalid_response_format", torch


def test_localstack_listened_on_loopback_and_the_bridge_only(report):
    listening = report["localstack"]["listening"]
    assert listening, report["localstack"]
    hosts = {addr.rsplit(":", 1)[0] for addr in listening}
    assert hosts == {"127.0.0.1", report["engine"]["bridge"]}, listening


def test_the_report_passes_as_a_whole(report):
    assert report["ok"] and report["_exit"] == 0


def test_arm64_onnx_image_synthesizes_once_under_emulation(report):
    arm = report["arm64"]
    if arm.get("ok") is None:
        _skip_loudly(f"arm64 not run: {arm.get('reason')}")
    # the image itself (the default target, built for arm64), not one of its stages
    assert arm["target"] == "runtime-onnx" and arm["architecture"] == "arm64", arm
    assert arm["ok"] and arm["machine"] == "aarch64" and arm["emulated"] is True, arm
    assert arm["audio"]["frames"] > 0 and arm["user"] == "65534"
    assert arm["aac"]["status"] == 200 and arm["aac"]["audio"]["frames"] > 1600, arm["aac"]
    assert 0 < arm["size_mb"] <= SIZE_LIMITS_MB["runtime-onnx"], arm
    assert not any(k in arm for k in ("warm_ms", "cold_start_s", "init_seconds")), "emulated timings are not arm64 figures"
