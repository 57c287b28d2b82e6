"""How both vocoder backends cut a mel into the pieces they run: one plan, so torch and ONNX run the same shapes and
every caller (buffered or streamed) gets the same samples.

- Causal generators stream with carried state (:func:`stream_plan`). Only three input lengths ever run: the chunk,
  half and a quarter of it. The first pieces of a line ramp up through those lengths (a quarter, then a half, then
  whole chunks), so the first audio of a line is ready after a quarter chunk of vocoding rather than a whole one.
  The tail takes the lengths that run the fewest frames; its last piece is zero-padded, which cannot change earlier
  samples of a causal model.
- Non-causal generators run overlapping windows (:func:`window_plan`): each piece extended by the receptive field on
  both sides, so the kept samples equal the one-shot output within float noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from sambert_lambda.errors import ModelError


def stream_sizes(chunk: int) -> list[int]:
    """The input lengths a streaming vocoder runs for chunk length ``chunk``: a quarter, a half and the whole."""
    if chunk < 1:
        raise ModelError(f"chunk_frames must be >= 1, got {chunk}")
    return sorted({max(1, chunk // 4), max(1, chunk // 2), chunk})


def stream_plan(n: int, chunk: int) -> Iterator[tuple[int, int, int]]:
    """(start frame, input length run, frames kept) for each piece of an ``n``-frame mel: the ramp, then whole
    chunks, then the tail in the lengths of :func:`stream_sizes` that run the fewest frames (the last piece
    zero-padded; fewer pieces on a tie), so less than a quarter chunk is ever padded."""
    sizes = stream_sizes(chunk)
    start = k = 0
    while start < n:
        cap = sizes[min(k, len(sizes) - 1)]
        rest = n - start
        if rest >= cap:
            yield start, cap, cap
            start += cap
            k += 1
            continue
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
    if chunk < 1:
        raise ModelError(f"chunk_frames must be >= 1, got {chunk}")
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
