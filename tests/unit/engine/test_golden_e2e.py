"""End to end on the golden fixture: the torch backend's Voice.synthesize_line(symbols) against the reference outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sambert_lambda.engine.pcm import to_pcm16
from sambert_lambda.engine.voice import ModelStore
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR
VOICES = ("zhitian_emo", "zhiyan_emo", "zhibei_emo")


@pytest.fixture(scope="module")
def store():
    torch.set_num_threads(1)
    return ModelStore(FIXTURE / "MODEL", backend="torch")


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("line", range(4))
def test_synthesize_matches_golden(store, golden, voice, line):
    key = f"{voice}__{line}__"
    out = store.voice(voice).synthesize_line(str(golden[key + "symbols"]))
    np.testing.assert_array_equal(out.durations, golden[key + "dur_rounded"])
    assert out.durations.dtype == np.int64
    assert out.mel.shape == golden[key + "mel"].shape and out.mel.dtype == np.float32
    np.testing.assert_allclose(out.mel, golden[key + "mel"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.audio, golden[key + "wav"], rtol=0, atol=5e-5)
    for pcm in (to_pcm16(out.audio), out.pcm):  # reference conversion and the clipped one agree below |1|
        assert pcm.dtype == np.int16
        assert np.abs(pcm.astype(np.int32) - golden[key + "pcm"].astype(np.int32)).max() <= 2


def test_pipeline_wav_header_sample_count(store, golden):
    """The reference pipeline concatenates the lines' pcm; its WAV header records that many bytes."""
    voice = "zhitian_emo"
    total = sum(
        store.voice(voice).synthesize_line(str(golden[f"{voice}__{i}__symbols"])).pcm.size for i in range(4)
    )
    header = golden[f"{voice}__wav_header"].tobytes()
    assert header[:4] == b"RIFF" and int.from_bytes(header[40:44], "little") == 2 * total
    assert int.from_bytes(header[24:28], "little") == store.voice(voice).sample_rate == 16000
