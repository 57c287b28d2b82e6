"""Acoustic model and vocoder pipelined on two threads: same audio as the sequential path, errors surface."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sambert_lambda.engine import streaming
from sambert_lambda.engine.torch.voice import VoiceModel
from sambert_lambda.types import Controls
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR


@pytest.fixture(scope="module")
def voice():
    return VoiceModel.load(FIXTURE / "MODEL" / "voices" / "zhitian_emo", "zhitian_emo")


@pytest.fixture(scope="module")
def lines():
    return [(s, Controls()) for s in json.loads((FIXTURE / "golden.json").read_text())["lines"]]


def test_pipelined_equals_sequential_and_golden(voice, lines):
    vocode = voice.vocoder.vocode
    seq = list(streaming.sequential(voice, lines, vocode))
    par = list(streaming.pipelined(voice, lines, vocode))
    assert [p.index for p in par] == list(range(len(lines)))
    with np.load(FIXTURE / "golden.npz") as z:
        for s, p in zip(seq, par, strict=True):
            np.testing.assert_array_equal(p.wav, s.wav)
            np.testing.assert_array_equal(p.dur, s.dur)
            np.testing.assert_array_equal(p.dur, z[f"zhitian_emo__{p.index}__dur_rounded"])
            np.testing.assert_allclose(p.wav, z[f"zhitian_emo__{p.index}__wav"], rtol=0, atol=5e-5)
            assert p.acoustic_s > 0 and p.vocoder_s > 0


def test_worker_errors_are_raised_in_the_caller(voice, lines):
    bad = [*lines[:1], ("{not_a_phone$tone1$s_begin$word_begin$emotion_neutral$F7}", Controls())]
    got = []
    with pytest.raises(Exception, match="not_a_phone"):
        for part in streaming.pipelined(voice, bad, voice.vocoder.vocode):
            got.append(part.index)
    assert got == [0]


def test_consumer_can_stop_early_without_hanging(voice, lines):
    gen = streaming.pipelined(voice, lines * 3, voice.vocoder.vocode, max_ahead=1)
    first = next(gen)
    gen.close()
    assert first.index == 0
