"""numpy's BLAS runs one thread once the engine is configured (its pool would spin against the engine's own)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sambert_lambda.engine import runtime


def test_configure_gives_numpy_blas_one_thread(monkeypatch):
    if runtime.numpy_blas_threads() is None:
        pytest.skip("numpy's BLAS is not a reachable OpenBLAS here")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    before = runtime.numpy_blas_threads()
    try:
        runtime.numpy_blas_threads(2)
        assert runtime.numpy_blas_threads() == 2
        runtime.configure(0, apply=False)
        assert runtime.numpy_blas_threads() == 1
    finally:
        runtime.numpy_blas_threads(before)


def test_an_explicit_openblas_setting_wins():
    code = (
        "from sambert_lambda.engine import runtime\n"
        "n = runtime.numpy_blas_threads()\n"
        "runtime.configure(0, apply=False)\n"
        "print(n, runtime.numpy_blas_threads())\n"
    )
    env = {"OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    before, after = res.stdout.split()
    if before == "None":
        pytest.skip("numpy's BLAS is not a reachable OpenBLAS here")
    assert before == after == "2"
