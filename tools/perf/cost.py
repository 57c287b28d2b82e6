"""Lambda cost per million characters of speech, from measured real-time factors.

Model (every number is an explicit, reported assumption):
- audio seconds per million characters = 1e6 / chars_per_audio_second (default 4.5 chars/s of Mandarin speech);
- compute seconds = audio seconds x effective RTF at the configured memory;
- Lambda gives ``memory/1769`` vCPUs. Below one vCPU the single thread is throttled: RTF = RTF_1t / share.
  From one to two vCPUs the engine runs 1 thread (RTF_1t); from two upward it may run 2 threads (RTF_2t), whichever
  is faster; more threads are not measured and not assumed to help;
- memory must be at least peak RSS + headroom;
- billed GB-s x price per GB-s + requests x $0.20 / 1M, with one request per ``chars_per_request`` characters;
- init (cold start) is not billed per request here: warm invocations dominate at volume (reported separately);
- arm64 RTF is assumed equal to x86_64 (it cannot be measured on this machine).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

PRICE_PER_GB_S = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PRICE_PER_REQUEST = 0.20 / 1_000_000
MB_PER_VCPU = 1769
MIN_MEMORY_MB, MAX_MEMORY_MB, MEMORY_STEP_MB = 128, 10240, 1


@dataclass(frozen=True)
class CostAssumptions:
    chars_per_audio_second: float = 4.5
    chars_per_request: int = 200
    rss_headroom_mb: int = 64
    max_threads_measured: int = 2

    def as_dict(self) -> dict:
        return asdict(self)


def effective_rtf(memory_mb: int, rtf_1t: float, rtf_2t: float | None) -> float:
    share = min(6.0, memory_mb / MB_PER_VCPU)
    if share < 1.0:
        return rtf_1t / share
    if share >= 2.0 and rtf_2t is not None:
        return min(rtf_1t, rtf_2t)
    return rtf_1t


def cost_per_million_chars(
    memory_mb: int, rtf_1t: float, rtf_2t: float | None, arch: str, a: CostAssumptions = CostAssumptions()
) -> float:
    audio_s = 1e6 / a.chars_per_audio_second
    compute_s = audio_s * effective_rtf(memory_mb, rtf_1t, rtf_2t)
    requests = math.ceil(1e6 / a.chars_per_request)
    return compute_s * (memory_mb / 1024.0) * PRICE_PER_GB_S[arch] + requests * PRICE_PER_REQUEST


def best_memory(
    rtf_1t: float, rtf_2t: float | None, peak_rss_mb: float, arch: str, a: CostAssumptions = CostAssumptions()
) -> dict:
    """The memory size (MB, Lambda's 1-MB granularity) minimizing cost, with its cost and effective RTF.

    Below one vCPU the cost per audio second is flat (less memory, proportionally slower), so the cheapest
    memory is a tie; the larger (faster) size of the tie is reported.
    """
    lo = max(MIN_MEMORY_MB, math.ceil(peak_rss_mb + a.rss_headroom_mb))
    best: tuple[float, int] | None = None
    for mem in range(lo, MAX_MEMORY_MB + 1, MEMORY_STEP_MB):
        c = round(cost_per_million_chars(mem, rtf_1t, rtf_2t, arch, a), 6)
        if best is None or c <= best[0]:
            best = (c, mem)
    assert best is not None
    cost, mem = best
    return {
        "usd": round(cost, 4),
        "memory_mb": mem,
        "vcpu_share": round(min(6.0, mem / MB_PER_VCPU), 3),
        "effective_rtf": round(effective_rtf(mem, rtf_1t, rtf_2t), 4),
        "min_memory_mb": lo,
    }
