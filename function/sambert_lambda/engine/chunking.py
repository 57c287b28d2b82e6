"""How both vocoder backends cut a mel into the pieces they run: one plan, so every caller (buffered or streamed)
gets the same samples.

- Causal generators stream with carried state (:func:`stream_plan`). The pieces of a line ramp up through a quarter
  chunk and a half to whole chunks, so the first audio of a line is ready after a quarter chunk of vocoding rather
  than a whole one. The last piece is zero-padded, which cannot change earlier samples of a causal model, and a
  padded frame costs as much as a real one. So only a bounded set of input lengths ever runs
  (:func:`stream_sizes`), in one of two grains:

  - ``fine`` (ONNX Runtime): the last piece is rounded up to a multiple of a sixteenth of the chunk
    (:func:`tail_step`; 16 lengths for a chunk of 128 frames, less than 8 frames padded). A new input length costs
    ONNX Runtime nothing measurable (its first run takes what later runs take; 127 lengths add 3 MB of RSS).
  - coarse (torch): the tail takes the ramp's three lengths only, as few padded frames as they allow (less than a
    quarter chunk). oneDNN builds and caches kernels per input length: each new one costs about 17 MB of RSS and
    its first run 8% more CPU.
- Non-causal generators run overlapping windows (:func:`window_plan`): each piece extended by the receptive field on
  both sides, so the kept samples equal the one-shot output within float noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from sambert_lambda.errors import ModelError

TAIL_STEPS = 16  # in the fine grain, the last piece of a line runs a multiple of chunk / TAIL_STEPS frames


def _check(chunk: int) -> None:
    if chunk < 1:
        raise ModelError(f"chunk_frames must be >= 1, got {chunk}")


def ramp_sizes(chunk: int) -> list[int]:
    """The lengths the pieces of a line ramp up through: a quarter chunk, a half, the whole."""
    _check(chunk)
    return sorted({max(1, chunk // 4), max(1, chunk // 2), chunk})


def tail_step(chunk: int) -> int:
    """The fine grain of a line's last piece: a sixteenth of the chunk (8 frames of 128)."""
    _check(chunk)
    return max(1, chunk // TAIL_STEPS)


def stream_sizes(chunk: int, fine: bool = False) -> list[int]:
    """Every input length a streaming vocoder runs for chunk length ``chunk``: the ramp's, and in the ``fine`` grain
    the multiples of :func:`tail_step` up to the chunk."""
    sizes = set(ramp_sizes(chunk))
    if fine:
        step = tail_step(chunk)
        sizes |= {min(chunk, k * step) for k in range(1, -(-chunk // step) + 1)}
    return sorted(sizes)


def stream_plan(n: int, chunk: int, fine: bool = False) -> Iterator[tuple[int, int, int]]:
    """(start frame, input length run, frames kept) for each piece of an ``n``-frame mel: the ramp, then whole
    chunks, then the tail: one piece rounded up to a multiple of :func:`tail_step` (``fine``), or the ramp's
    lengths that run the fewest frames (the last piece zero-padded; fewer pieces on a tie)."""
    sizes = ramp_sizes(chunk)
    start = k = 0
    while start < n:
        cap = sizes[min(k, len(sizes) - 1)]
        rest = n - start
        if rest >= cap:
            yield start, cap, cap
            start += cap
            k += 1
            continue
        if fine:
            step = tail_step(chunk)
            yield start, min(cap, -(-rest // step) * step), rest
            return
        for size in _tail(rest, sizes):
            take = min(size, n - start)
            yield start, size, take
            start += take
        return


def _tail(rest: int, sizes: list[int]) -> list[int]:
    """The input lengths for the last ``rest`` frames: one piece padded up to the smallest length that holds them,
    or full pieces of the largest lengths that fit and one padded piece, whichever runs fewer frames."""
    one = [next(sz for sz in sizes if sz >= rest)]
    greedy: list[int] = []
    left = rest
    for sz in reversed(sizes):
        while left >= sz:
            greedy.append(sz)
            left -= sz
    if left:
        greedy.append(sizes[0] if left <= sizes[0] else next(sz for sz in sizes if sz >= left))
    return greedy if sum(greedy) < sum(one) else one


def window_plan(n: int, chunk: int | None, left: int, right: int) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, window start, window end) frames of the overlapping windows that vocode ``n`` frames in pieces of
    ``chunk`` (None or >= n: one piece, no context needed)."""
    if not chunk or chunk >= n:
        if n:
            yield 0, n, 0, n
        return
    _check(chunk)
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        yield start, end, max(0, start - left), min(n, end + right)


def join(pieces: Iterable[np.ndarray], samples: int) -> np.ndarray:
    """The pieces of one line written into one float32 array of ``samples``."""
    out = np.empty(samples, dtype=np.float32)
    pos = 0
    for piece in pieces:
        out[pos : pos + piece.size] = piece
        pos += piece.size
    if pos != samples:
        raise ModelError(f"the vocoder gave {pos} samples where {samples} were due")
    return out
