"""The one plan both vocoder backends cut a mel by: it covers every frame once, in order, with a bounded set of input
lengths, and pads less than a sixteenth of a chunk."""

from __future__ import annotations

import pytest

from sambert_lambda.engine.chunking import ramp_sizes, stream_plan, stream_sizes, tail_step, window_plan
from sambert_lambda.errors import ModelError


@pytest.mark.parametrize("fine", [False, True])
@pytest.mark.parametrize("chunk", [1, 2, 5, 16, 128])
@pytest.mark.parametrize("n", [0, 1, 7, 31, 32, 33, 95, 96, 97, 228, 333, 1000])
def test_stream_plan_covers_every_frame_once_with_bounded_shapes(n, chunk, fine):
    plan = list(stream_plan(n, chunk, fine))
    sizes = stream_sizes(chunk, fine)
    assert max(sizes) == chunk and set(ramp_sizes(chunk)) <= set(sizes)
    assert len(sizes) <= (16 + 2 if fine else 3)
    pos = 0
    for start, size, take in plan:
        assert start == pos and 0 < take <= size and size in sizes
        pos += take
    assert pos == n
    for _start, size, take in plan[:-1]:
        assert take == size  # only the tail is padded
    if plan:
        _, size, take = plan[-1]
        if fine:  # by less than one step
            assert size - take < tail_step(chunk)
        else:  # the last piece runs the smallest length that holds it, and less than the smallest is padded
            assert size == min(s for s in sizes if s >= take)
            assert sum(size for _, size, _ in plan) - n < min(sizes)


def test_stream_plan_ramps_up_to_whole_chunks():
    assert [take for _, _, take in stream_plan(1000, 128)] == [32, 64] + [128] * 7 + [8]
    assert [size for _, size, _ in stream_plan(1000, 128)][-1] == 32
    assert [size for _, size, _ in stream_plan(1000, 128, fine=True)][-1] == 8
    assert [take for _, _, take in stream_plan(20, 128)] == [20]  # a short line is one piece
    assert [(size, take) for _, size, take in stream_plan(20, 128, fine=True)] == [(24, 20)]
    assert [(size, take) for _, size, take in stream_plan(150, 128, fine=True)] == [(32, 32), (64, 64), (56, 54)]
    assert stream_sizes(128, fine=True) == list(range(8, 129, 8))
    assert stream_sizes(128) == [32, 64, 128]


@pytest.mark.parametrize("n,chunk", [(10, None), (10, 100), (100, 30), (1000, 128), (0, 30)])
def test_window_plan_keeps_each_frame_once_inside_its_window(n, chunk):
    left, right = 7, 5
    plan = list(window_plan(n, chunk, left, right))
    assert [(s, e) for s, e, _, _ in plan] == [(s, min(n, s + (chunk or n))) for s in range(0, n, chunk or max(n, 1))]
    for start, end, a, b in plan:
        assert a == max(0, start - left) or len(plan) == 1
        assert b == min(n, end + right) or len(plan) == 1
        assert 0 <= a <= start < end <= b <= n


def test_bad_chunk_lengths_are_refused():
    with pytest.raises(ModelError):
        list(stream_plan(10, 0))
    with pytest.raises(ModelError):
        list(window_plan(10, -1, 0, 0))
