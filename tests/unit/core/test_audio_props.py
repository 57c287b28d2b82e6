"""Property tests of the audio encoder: any length (0, 1, odd, long) at every source and target
rate, in every format, decodes back to the requested rate and the expected number of samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sambert_lambda import audio
from sambert_lambda.errors import InvalidInput

MP3_SLACK = 2304  # bound for a decoder that ignores the gapless tag (LAME's delay + padding to whole frames)
SOURCE_RATES = (8000, 16000, 22050, 24000, 44100)

lengths = st.one_of(st.sampled_from([0, 1, 2, 3, 7, 159, 160, 161]), st.integers(0, 30_000))
waves = st.builds(
    lambda n, seed, amp: (amp * np.random.default_rng(seed).uniform(-1, 1, n)).astype(np.float32),
    lengths, st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.01, 0.5, 1.0, 3.0]),  # 3.0: clipped, never wraps
)


@settings(max_examples=150, deadline=None)
@given(wave=waves, src=st.sampled_from(SOURCE_RATES), dst=st.sampled_from(audio.SAMPLE_RATES),
       fmt=st.sampled_from(audio.FORMATS))
def test_any_length_and_rate_round_trips(wave, src, dst, fmt):
    expected = round(wave.size * dst / src)
    if fmt == "opus" and dst not in audio.OPUS_RATES:
        with pytest.raises(InvalidInput) as e:  # an Opus stream carries 8/12/16/24/48 kHz only
            audio.encode(wave, src, fmt, target_rate=dst)
        assert e.value.code == "invalid_sample_rate" and e.value.status == 400
        return
    if fmt in ("flac", "opus", "aac") and expected == 0:
        with pytest.raises(InvalidInput) as e:  # regression: a 0-byte "FLAC", an Ogg Opus file nothing could open
            audio.encode(wave, src, fmt, target_rate=dst)
        assert e.value.code == "empty_audio" and e.value.status == 400
        return
    data = audio.encode(wave, src, fmt, target_rate=dst)
    out, rate = audio.decode(data, fmt, sample_rate=dst)
    assert rate == dst
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    assert float(np.max(np.abs(out), initial=0.0)) <= 1.0 + 1e-6 or fmt in ("mp3", "ogg", "opus", "aac")  # lossy
    if fmt == "mp3":
        assert expected <= out.size <= expected + MP3_SLACK
    elif fmt == "aac":  # priming (1024) and last-frame padding, which ADTS cannot mark
        assert expected + 1024 <= out.size <= expected + 2048
    else:
        assert out.size == expected
    if fmt in ("wav", "flac", "pcm"):  # lossless: the int16 samples come back exactly
        ref = audio.to_int16(audio.resample(wave, src, dst))
        assert np.array_equal(np.round(out * 32768).astype(np.int16), ref)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(audio.FORMATS))
def test_decoding_garbage_is_a_clear_error(data, fmt):
    """Bytes that are not audio: a 400 InvalidInput, never a crash (pcm accepts any even-length bytes)."""
    try:
        out, rate = audio.decode(data, fmt, sample_rate=16000)
    except InvalidInput as e:
        assert e.status == 400 and e.code == "invalid_audio"
        return
    assert rate > 0 and np.all(np.isfinite(out))


@settings(max_examples=40, deadline=None)
@given(wave=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=400))
def test_non_finite_samples_never_wrap(wave):
    samples = audio.to_int16(np.asarray(wave, dtype=np.float32))
    a = np.nan_to_num(np.asarray(wave, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    assert samples.size == len(wave)
    assert np.all(np.sign(samples) == np.sign(np.round(np.clip(a, -1, 1) * 32767)))
