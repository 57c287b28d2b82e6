"""Measured fp32 throughput of this CPU: a dense matmul probe, the practical ceiling for conv-heavy vocoding."""

from __future__ import annotations

import time


def matmul_gflops(threads: int = 1, n: int = 1024, repeats: int = 7, min_time_s: float = 0.2) -> float:
    """Best-of-``repeats`` GFLOP/s of an ``n x n`` fp32 matmul on ``threads`` torch threads (restored after)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen)
        b = torch.randn(n, n, generator=gen)
        out = torch.empty(n, n)
        torch.mm(a, b, out=out)  # warm up (allocator, kernel selection)
        flop = 2.0 * n**3
        best = 0.0
        for _ in range(repeats):
            iters, t0 = 0, time.perf_counter()
            while True:
                torch.mm(a, b, out=out)
                iters += 1
                dt = time.perf_counter() - t0
                if dt >= min_time_s:
                    break
            best = max(best, iters * flop / dt / 1e9)
        return best
    finally:
        torch.set_num_threads(before)
