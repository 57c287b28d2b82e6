"""Bench arithmetic: vocoder FLOP count (vs. counting real conv layers), Lambda cost model, thread choice."""

from __future__ import annotations

import pytest
import torch
import yaml

from sambert_lambda.engine import runtime
from sambert_lambda.engine.torch.hifigan import HifiGanGenerator
from sambert_lambda.errors import ModelError
from tests.support.paths import GOLDEN_DIR
from tools.perf import cost
from tools.perf.flops import vocoder_gflop_per_audio_second, vocoder_macs_per_audio_second

FIXTURE = GOLDEN_DIR


def _params(name: str) -> dict:
    return yaml.safe_load((FIXTURE / name).read_text())["Model"]["Generator"]["params"]


def _counted_macs(params: dict, frames: int) -> int:
    """MACs of every Conv1d/ConvTranspose1d actually executed, counted with forward hooks on a real module."""
    gen = HifiGanGenerator(**params)
    total = 0

    def hook(mod, inputs, output):
        nonlocal total
        if isinstance(mod, torch.nn.ConvTranspose1d):
            total += inputs[0].shape[-1] * mod.in_channels * mod.out_channels * mod.kernel_size[0]
        else:
            total += output.shape[-1] * mod.in_channels * mod.out_channels * mod.kernel_size[0]

    for m in gen.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
            m.register_forward_hook(hook)
    with torch.inference_mode():
        gen.forward_reference(torch.zeros(1, params.get("in_channels", 80), frames))  # the conv1d modules run
    return total


@pytest.mark.parametrize("config", ["real_voc_config.yaml", "real_voc_noncausal_config.yaml"])
def test_flop_count_matches_the_executed_convolutions(config):
    params = _params(config)
    params = {**params, "channels": 32}  # same structure, narrow: fast to run, formula scales the same way
    frames = 80  # one second at 16 kHz / hop 200
    assert vocoder_macs_per_audio_second(params, 16000)["total"] == pytest.approx(
        _counted_macs(params, frames), rel=1e-9
    )


def test_real_generator_is_15_6_gflop_per_second_of_audio():
    gflop = vocoder_gflop_per_audio_second(_params("real_voc_config.yaml"), 16000)
    assert gflop == pytest.approx(15.568, abs=1e-3)
    parts = vocoder_macs_per_audio_second(_params("real_voc_config.yaml"), 16000)
    assert parts["resblocks"] / parts["total"] > 0.85  # the residual blocks are where the arithmetic is


def test_flop_count_rejects_a_sample_rate_the_hop_does_not_divide():
    with pytest.raises(ModelError, match="hop"):
        vocoder_macs_per_audio_second(_params("real_voc_config.yaml"), 16001)


def test_cost_reproduces_the_issue_baseline():
    # RTF 0.40 on one thread -> about $2.6 per million characters on x86 at 1769 MB
    c = cost.cost_per_million_chars(1769, 0.40, 0.35, "x86_64")
    assert c == pytest.approx(222222.2 * 0.40 * 1769 / 1024 * 0.0000166667 + 5000 * 0.2e-6, rel=1e-6)
    assert 2.5 < c < 2.7
    assert cost.cost_per_million_chars(1769, 0.40, 0.35, "arm64") < c


def test_effective_rtf_follows_the_vcpu_share():
    assert cost.effective_rtf(1769 // 2, 0.2, 0.1) == pytest.approx(0.2 / (884 / 1769))
    assert cost.effective_rtf(2000, 0.2, 0.1) == 0.2  # between 1 and 2 vCPUs: one thread
    assert cost.effective_rtf(3538, 0.2, 0.1) == 0.1
    assert cost.effective_rtf(3538, 0.2, 0.3) == 0.2  # a slower 2-thread run is never chosen


def test_best_memory_respects_peak_rss_and_prefers_two_vcpus_only_when_it_pays():
    b = cost.best_memory(0.2, 0.15, 1500, "arm64")
    assert b["memory_mb"] >= 1500 + cost.CostAssumptions().rss_headroom_mb
    assert b["memory_mb"] == 1769  # 2 threads at 0.15 costs more GB-s than 1 thread at 0.2
    b2 = cost.best_memory(0.2, 0.09, 500, "arm64")  # super-linear 2-thread speed-up: 2 vCPUs win
    assert b2["memory_mb"] == 3538 and b2["effective_rtf"] == 0.09
    assert b2["usd"] < cost.cost_per_million_chars(1769, 0.2, 0.09, "arm64")


def test_thread_choice_per_lambda_memory():
    assert runtime.choose_threads(3, memory_mb=1024, cpus=2) == (3, "explicit")
    assert runtime.choose_threads(0, memory_mb=1024, cpus=2) == (1, "lambda-memory")
    assert runtime.choose_threads(0, memory_mb=1769, cpus=2) == (1, "lambda-memory")
    assert runtime.choose_threads(0, memory_mb=1770, cpus=2) == (2, "lambda-memory")
    assert runtime.choose_threads(0, memory_mb=10240, cpus=2) == (2, "lambda-memory")
    assert runtime.choose_threads(0, memory_mb=None, cpus=4) == (4, "visible-cpus")
    assert runtime.lambda_vcpus(3538) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        runtime.lambda_vcpus(0)


def test_configure_applies_threads_to_torch(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    try:
        cfg = runtime.configure(0)
        assert cfg.threads == 1 and cfg.source == "lambda-memory" and torch.get_num_threads() == 1
        assert runtime.configure(2).threads == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        torch.set_flush_denormal(False)


def test_cgroup_quota_parsing(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert runtime._cgroup_cpu_limit(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert runtime._cgroup_cpu_limit(tmp_path) is None
