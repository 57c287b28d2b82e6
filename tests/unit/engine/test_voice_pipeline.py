"""Voice.synthesize pipelined across sentences (the acoustic model of sentence i+1 on a worker thread while sentence i
is vocoded): the same chunks, in the same order, as the sequential path, on both backends; errors surface in order."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from sambert_lambda.engine.voice import Voice
from sambert_lambda.types import Controls
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
BAD = "{not_a_phone$tone1$s_begin$word_begin$emotion_neutral$F7}"


@pytest.fixture(scope="module", params=["torch", "onnx"])
def voice(request, tmp_path_factory):
    if request.param == "torch":
        return Voice.load(FIXTURE / "MODEL", "zhitian_emo", backend="torch")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sambert_lambda.engine.torch.onnx_export import export_voice_onnx

    root = tmp_path_factory.mktemp("onnx")
    export_voice_onnx(FIXTURE / "MODEL" / "voices" / "zhitian_emo", root / "zhitian_emo")
    return Voice.load(FIXTURE / "MODEL", "zhitian_emo", backend="onnx", onnx_dir=root)


@pytest.fixture(scope="module")
def lines():
    return json.loads((FIXTURE / "golden.json").read_text())["lines"]


def test_pipelined_equals_sequential_in_order_and_golden(voice, lines, golden):
    units = [(line, Controls(volume_db=-3.0 * (i % 2))) for i, line in enumerate(lines)]
    seq = list(voice.synthesize(units, pipelined=False))
    par = list(voice.synthesize(units, pipelined=True))
    assert [c.index for c in par] == [c.index for c in seq] == list(range(len(lines)))
    for s, p in zip(seq, par, strict=True):
        np.testing.assert_array_equal(p.audio, s.audio)
        np.testing.assert_array_equal(p.durations, s.durations)
        np.testing.assert_array_equal(p.mel, s.mel)
        gain = 10 ** (-3.0 * (p.index % 2) / 20)
        np.testing.assert_array_equal(p.durations, golden[f"zhitian_emo__{p.index}__dur_rounded"])
        np.testing.assert_allclose(p.audio, golden[f"zhitian_emo__{p.index}__wav"] * gain, rtol=0, atol=5e-5)
        assert p.timings["acoustic_s"] > 0 and p.timings["vocoder_s"] > 0
        assert (p.sample_rate, p.hop_size) == (16000, 200) and len(p.audio) == p.durations.sum() * p.hop_size


def test_pipelined_overlaps_the_acoustic_model_with_the_vocoder(voice, lines):
    """While the caller vocodes sentence 0, the worker has already started the acoustic model of sentence 1."""
    events: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    real_acoustic, real_vocode = voice.impl.acoustic, voice.impl.vocode_pieces
    order = iter(range(10**6))

    def acoustic(symbols, controls):
        i = lines.index(symbols)
        with lock:
            events.append(("am", i, threading.current_thread().name))
        return real_acoustic(symbols, controls)

    def vocode(mel):
        n = next(order)
        with lock:
            events.append(("voc-start", n, threading.current_thread().name))
        if n == 0:  # hold sentence 0's vocoder until the worker has begun sentence 1
            for _ in range(400):
                with lock:
                    if ("am", 1) in {(e[0], e[1]) for e in events}:
                        break
                threading.Event().wait(0.005)
        pieces = list(real_vocode(mel))
        with lock:
            events.append(("voc-end", n, threading.current_thread().name))
        return pieces

    voice.impl.acoustic, voice.impl.vocode_pieces = acoustic, vocode
    try:
        chunks = list(voice.synthesize(lines[:3], pipelined=True))
    finally:
        voice.impl.acoustic, voice.impl.vocode_pieces = real_acoustic, real_vocode
    assert [c.index for c in chunks] == [0, 1, 2]
    am_threads = {e[1]: e[2] for e in events if e[0] == "am"}
    assert am_threads == {i: f"sambert-unit-{i}" for i in range(3)}  # each unit on a worker of its own
    assert {e[2] for e in events if e[0] == "voc-start"} <= set(am_threads.values())
    kinds = [(e[0], e[1]) for e in events]
    assert kinds.index(("am", 1)) < kinds.index(("voc-end", 0))  # sequentially, sentence 1 starts after 0 is done


def test_worker_errors_are_raised_in_the_caller_in_order(voice, lines):
    got = []
    with pytest.raises(Exception, match="not_a_phone"):
        for chunk in voice.synthesize([lines[0], BAD, lines[1]], pipelined=True):
            got.append(chunk.index)
    assert got == [0]


def test_consumer_can_stop_early_without_hanging(voice, lines):
    gen = voice.synthesize(lines * 3, pipelined=True)
    first = next(gen)
    gen.close()
    assert first.index == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("sambert-unit")]


def test_two_threads_pipeline_by_default(voice):
    calls = []
    real = voice._pipelined
    voice._pipelined = lambda *args: calls.append(1) or real(*args)
    try:
        before = voice.threads
        voice.threads = 1
        list(voice.synthesize([]))
        voice.threads = 2
        list(voice.synthesize([]))
    finally:
        voice.threads = before
        del voice._pipelined
    assert calls == [1]


@pytest.mark.parametrize("pipelined", [False, True])
def test_streamed_pieces_join_to_the_unstreamed_chunks(voice, lines, pipelined):
    units = [(line, Controls(volume_db=-3.0 * (i % 2))) for i, line in enumerate(lines)]
    whole = list(voice.synthesize(units, pipelined=False))
    pieces = list(voice.synthesize(units, pipelined=pipelined, stream=True))
    assert len(pieces) > len(whole)  # the golden lines are longer than the first piece
    for chunk in whole:
        mine = [p for p in pieces if p.index == chunk.index]
        assert [p.offset for p in mine] == list(np.cumsum([0] + [p.audio.size for p in mine[:-1]]))
        assert [p.last for p in mine] == [False] * (len(mine) - 1) + [True]
        assert mine[0].audio.size == min(32 * 200, chunk.audio.size)  # a quarter chunk first: early first audio
        np.testing.assert_array_equal(np.concatenate([p.audio for p in mine]), chunk.audio)
        assert all(p.unit_samples == chunk.audio.size for p in mine)
        np.testing.assert_array_equal(mine[0].durations, chunk.durations)
        assert mine[0].timings["acoustic_s"] > 0 and "acoustic_s" not in mine[1].timings
        assert sum(p.timings["vocoder_s"] for p in mine) > 0
    assert [p.index for p in pieces] == sorted(p.index for p in pieces)


def test_the_first_piece_comes_before_the_rest_is_vocoded(voice, lines):
    """Streaming is lazy: when the first piece of a unit reaches the caller, the vocoder has run one piece only."""
    real = voice.impl.vocode_pieces
    pulled = []

    def counting(mel):
        for piece in real(mel):
            pulled.append(piece.size)
            yield piece

    voice.impl.vocode_pieces = counting
    try:
        gen = voice.synthesize(lines[:1], pipelined=False, stream=True)
        first = next(gen)
        assert len(pulled) == 1 and first.offset == 0 and not first.last
        rest = list(gen)
    finally:
        voice.impl.vocode_pieces = real
    assert len(pulled) == 1 + len(rest) and rest[-1].last


def test_an_empty_unit_still_comes_out_as_one_chunk(voice):
    real = voice.impl

    class Empty:
        def __getattr__(self, name):
            return getattr(real, name)

        def acoustic(self, symbols, controls):
            return np.zeros((0, 80), np.float32), np.zeros(0, np.int64)

    voice.impl = Empty()
    try:
        out = list(voice.synthesize(["x"], pipelined=False, stream=True))
    finally:
        voice.impl = real
    assert len(out) == 1 and out[0].audio.size == 0 and out[0].last and out[0].unit_samples == 0
