"""CPU runtime settings for inference: how many threads, per Lambda vCPU share, and torch's numeric knobs.

Lambda gives a function a CPU share proportional to its memory: one full vCPU at 1769 MB, two at 3538 MB, up to six.
``os.cpu_count()`` inside Lambda reports the cores of the host slice (often 2 even at 1 GB), so running one thread per
reported core oversubscribes a fractional share and loses time to throttling. The thread count is therefore
``ceil(memory_mb / 1769)`` capped by the visible cores (affinity and cgroup quota), unless set explicitly.

This module imports torch only inside :func:`apply_torch_settings`, so the ONNX path can use it without torch.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MB_PER_VCPU = 1769  # Lambda: 1 vCPU-equivalent per 1769 MB of configured memory
MAX_LAMBDA_VCPUS = 6
# The most mel frames either backend vocodes at once (a memory bound for long lines): 12.5 s at 80 frames/s. Causal
# vocoders stream in smaller fixed chunks anyway; non-causal ones run overlapping chunks equal to one shot within
# float noise.
VOCODER_CHUNK_FRAMES = 1000


@dataclass(frozen=True)
class RuntimeConfig:
    """What :func:`configure` decided and why."""

    threads: int
    interop_threads: int
    visible_cpus: int
    lambda_memory_mb: int | None
    source: str  # "explicit" | "lambda-memory" | "visible-cpus"
    flush_denormal: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPU quota in cores from cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us/cfs_period_us``; None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        if quota_us > 0 and period_us > 0:
            return quota_us / period_us
    except (OSError, ValueError):
        pass
    return None


def visible_cpus() -> int:
    """Cores this process may run on: scheduler affinity, further capped by a cgroup CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_cpu_limit()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return max(1, n)


def lambda_vcpus(memory_mb: int) -> float:
    """The fractional vCPU share Lambda allocates at ``memory_mb`` (linear, 1 per 1769 MB, at most 6)."""
    if memory_mb <= 0:
        raise ValueError(f"memory_mb must be positive, got {memory_mb}")
    return min(MAX_LAMBDA_VCPUS, memory_mb / MB_PER_VCPU)


def lambda_memory_mb(environ: dict[str, str] | None = None) -> int | None:
    env = os.environ if environ is None else environ
    raw = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def choose_threads(
    requested: int = 0, *, memory_mb: int | None = None, cpus: int | None = None
) -> tuple[int, str]:
    """Intra-op threads: ``requested`` if > 0; in Lambda ``ceil(share)`` capped by the visible cores; else cores."""
    cpus = cpus if cpus is not None else visible_cpus()
    if requested > 0:
        return requested, "explicit"
    if memory_mb:
        return max(1, min(cpus, math.ceil(lambda_vcpus(memory_mb) - 1e-9))), "lambda-memory"
    return cpus, "visible-cpus"


def configure(
    requested_threads: int = 0, *, flush_denormal: bool = True, apply: bool = True
) -> RuntimeConfig:
    """Decide the thread counts (see :func:`choose_threads`) and, with ``apply``, set them in torch.

    Also sets ``OMP_NUM_THREADS`` when unset, so ONNX Runtime / MKL / OpenBLAS started later agree.
    """
    mem = lambda_memory_mb()
    threads, source = choose_threads(requested_threads, memory_mb=mem)
    cfg = RuntimeConfig(
        threads=threads,
        interop_threads=1,
        visible_cpus=visible_cpus(),
        lambda_memory_mb=mem,
        source=source,
        flush_denormal=flush_denormal,
    )
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        numpy_blas_threads(1)
    if apply:
        apply_torch_settings(cfg)
    return cfg


_BLAS_PREFIXES = ("scipy_openblas", "openblas")  # numpy's bundled OpenBLAS (64-bit ints), or a system one
_BLAS_SUFFIXES = ("64_", "")


def _numpy_blas():
    """numpy's BLAS library (a ``ctypes`` handle to the copy numpy already loaded), or None."""
    import ctypes
    import glob

    import numpy

    libs = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "lib*openblas*.so*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def numpy_blas_threads(n: int | None = None) -> int | None:
    """Set numpy's BLAS thread count to ``n`` (if given) and return it; None when it cannot be reached.

    The engine's numpy work is products of a few hundred rows (the ONNX engine's decoder passes and loops); the
    cores belong to ONNX Runtime's and torch's own pools. A BLAS pool that sizes itself to the visible cores at
    import spins against them, and on a fractional Lambda share or a busy machine it made the acoustic model 3x
    slower in CPU time (in-process A/B: 0.27 against 0.037 CPU seconds per audio second with one BLAS thread).
    ``OPENBLAS_NUM_THREADS`` in the environment wins: :func:`configure` leaves the pool alone then.
    """
    lib = _numpy_blas()
    if lib is None:
        return None
    for prefix in _BLAS_PREFIXES:
        for suffix in _BLAS_SUFFIXES:
            setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                if n is not None:
                    setter(int(n))
                return int(getter())
    return None


def apply_torch_settings(cfg: RuntimeConfig) -> None:
    """Intra-op threads, one inter-op thread (the engine never runs independent ops in parallel through torch),
    and flush-to-zero for denormals (they make the vocoder's convs crawl on x86 when activations decay)."""
    import torch

    if torch.get_num_threads() != cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        if torch.get_num_interop_threads() != cfg.interop_threads:
            torch.set_num_interop_threads(cfg.interop_threads)
    except RuntimeError:
        pass  # only settable before the first parallel work; later calls are harmless no-ops
    torch.set_flush_denormal(cfg.flush_denormal)


def release_free_heap() -> bool:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``); False where there is none.

    Loading a graph frees a lot of memory in pieces (ONNX Runtime folding the blocked-layout filters: about 35 MB
    for the real-size vocoder) that glibc keeps mapped, so it would stay in the resident set for the life of the
    process."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
