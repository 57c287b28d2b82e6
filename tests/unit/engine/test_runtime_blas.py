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


_HEAP_CHILD = """
from sambert_lambda.engine.runtime import release_free_heap


def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


# medium blocks (heap, below the mmap threshold), each followed by a small one that stays: once the medium ones are
# freed the heap cannot shrink from its top, so glibc keeps their pages. The small ones are above pymalloc's 512-byte
# limit, so they come from the same malloc heap (pymalloc's own arenas lie elsewhere)
before = rss_mb()
blocks, keep = [], []
for _ in range(3000):
    blocks.append(b"\\x01" * (64 * 1024))
    keep.append(b"\\x02" * 1024 + bytes(1))
del blocks
held = rss_mb()
released = release_free_heap()
print(before, held, rss_mb(), released, len(keep))
"""


def test_free_heap_pages_go_back_to_the_system():
    """In a fresh interpreter: in a long-lived one, the blocks reuse pages that earlier work left free in the heap,
    and what they add to RSS depends on what ran before."""
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    res = subprocess.run([sys.executable, "-c", _HEAP_CHILD], capture_output=True, text=True, check=True)
    before, held, after, released, kept = res.stdout.split()
    before, held, after = float(before), float(held), float(after)
    assert held > before + 150, (before, held)  # the freed blocks' pages are still resident
    assert released == "True" and kept == "3000"
    assert after < held - 150, (before, held, after)


def test_the_package_starts_numpy_with_one_blas_thread():
    """Set at import, before numpy loads: no pool of the cores' size is started (and spins) at all."""
    code = (
        "import sambert_lambda, os\n"
        "from sambert_lambda.engine import runtime\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), runtime.numpy_blas_threads())\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    env_value, threads = res.stdout.split()
    assert env_value == "1"
    if threads != "None":
        assert threads == "1"
