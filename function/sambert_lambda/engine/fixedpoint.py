"""The fixed-point (Jacobi) solution of an autoregression, shared by both engines' PNCA decoders.

Step ``t`` of the decoder is fed the last outputs of step ``t-1``. Decoding step by step reads every weight once per
step of one-row products, which on CPU is bound by memory bandwidth. Instead: guess every step's input, run all
steps at once (teacher forcing), feed the outputs back, repeat. Step ``t`` depends only on inputs ``<= t``, so each
pass finalizes at least one more step, and the steps whose inputs stopped moving are final; when the recursion
contracts, a handful of passes settle everything. When it converges too slowly, the caller decodes the rest step by
step from the last settled one. Both give the step-by-step result to float rounding.

Works on numpy arrays and torch tensors alike (slicing, subtraction and assignment); the bookkeeping is numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def settle(
    run: Callable, frames, out, d_feedback: int, *, max_passes: int, tol: float, to_numpy: Callable = np.asarray
) -> int:
    """Jacobi passes; returns how many leading steps of ``out`` are final.

    ``run(frames[lo:], lo, hi, out[lo:])`` decodes steps lo..hi-1 from their input frames; ``frames`` holds every
    step's input (step 0's, the go frame, is exact) and is updated in place. ``tol`` is relative to
    ``max(1, |frame|)``: well above float noise, far below the parity tolerance.
    """
    n_steps = len(out)
    settled, last = 0, math.inf  # steps < settled: input and output final; last: previous largest change
    for n_pass in range(1, max_passes + 1):
        run(frames[settled:], settled, n_steps, out[settled:])  # step `settled` has its final input
        fed = out[settled : n_steps - 1, -d_feedback:]
        moved = np.abs(to_numpy(fed - frames[settled + 1 :])).max(1) if len(fed) else np.zeros(0)
        frames[settled + 1 :] = fed
        limit = tol * max(1.0, float(np.abs(to_numpy(fed)).max())) if len(fed) else 0.0
        still = int(np.cumprod(moved <= limit).sum())  # following steps whose input did not move
        settled += 1 + still
        if settled >= n_steps:
            return n_steps
        worst = float(moved[still:].max())  # > limit
        if last < math.inf:  # give up when the largest change shrinks too slowly to get under the limit in time
            ratio = worst / last
            if ratio >= 1 or n_pass + math.log(limit / worst) / math.log(ratio) > max_passes:
                break
        last = worst
    return settled
