"""audio.encode/decode: every format at every rate decodes back to the requested rate and length."""

from __future__ import annotations

import numpy as np
import pytest

from sambert_lambda import audio
from sambert_lambda.audio import Resampler, resample
from sambert_lambda.errors import InvalidInput

SR = 16000
TONE = (0.5 * np.sin(2 * np.pi * 440 * np.arange(int(SR * 0.7)) / SR)).astype(np.float32)


@pytest.mark.parametrize("rate", audio.SAMPLE_RATES)
@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_roundtrip_rate_and_length(fmt, rate):
    if fmt == "opus" and rate not in audio.OPUS_RATES:
        with pytest.raises(audio.InvalidInput) as e:
            audio.encode(TONE, SR, fmt, target_rate=rate)
        assert e.value.code == "invalid_sample_rate"
        return
    data = audio.encode(TONE, SR, fmt, target_rate=rate)
    out, got_rate = audio.decode(data, fmt, sample_rate=rate)
    expected = round(TONE.size * rate / SR)
    assert got_rate == rate
    if fmt == "aac":  # ADTS cannot say the encoder's 1024-sample priming and last-frame padding
        assert expected + 1024 <= out.size <= expected + 2048
        out = out[1024 : 1024 + expected]
    else:
        assert out.size == expected  # mp3 too: its gapless tag drops LAME's delay and padding
    # the tone survives: energy is in the same ballpark (lossy codecs included)
    assert 0.2 < float(np.sqrt(np.mean(out**2))) < 0.5


@pytest.mark.parametrize("fmt", ["wav", "flac", "pcm"])
def test_lossless_formats_are_bit_exact_int16(fmt):
    data = audio.encode(TONE, SR, fmt)
    out, _ = audio.decode(data, fmt, sample_rate=SR)
    assert np.array_equal(np.round(out * 32768).astype(np.int16), audio.to_int16(TONE))


def test_headers_identify_formats():
    assert audio.encode(TONE, SR, "wav")[:4] == b"RIFF"
    assert audio.encode(TONE, SR, "flac")[:4] == b"fLaC"
    assert audio.encode(TONE, SR, "ogg")[:4] == b"OggS"
    mp3 = audio.encode(TONE, SR, "mp3")
    assert mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0)
    assert len(audio.encode(TONE, SR, "pcm")) == TONE.size * 2


def test_clipping_is_safe_and_nan_is_silence():
    wild = np.array([2.0, -3.0, np.nan, np.inf, -np.inf, 0.5], dtype=np.float32)
    assert audio.to_int16(wild).tolist() == [32767, -32767, 0, 32767, -32767, 16384]


def test_resample_length_and_identity():
    assert np.array_equal(audio.resample(TONE, SR, SR), TONE)  # same rate: the samples unchanged
    assert audio.resample(TONE, SR, 22050).size == round(TONE.size * 22050 / SR)
    assert audio.resample(np.zeros(0, np.float32), SR, 8000).size == 0


def test_empty_audio_encodes():
    for fmt in ("wav", "pcm"):  # libsndfile cannot reopen a zero-frame FLAC; the synthesizer never emits one
        out, _ = audio.decode(audio.encode(np.zeros(0, np.float32), SR, fmt), fmt, sample_rate=SR)
        assert out.size == 0


def test_content_types():
    assert audio.content_type("wav") == "audio/wav"
    assert audio.content_type("mp3") == "audio/mpeg"
    assert audio.content_type("pcm", 24000) == "audio/pcm; rate=24000; channels=1; encoding=s16le"
    assert audio.content_type("aac") == "audio/aac"
    assert set(audio.FORMATS) == set(audio.CONTENT_TYPES)  # aac included: PyAV is a dev dependency


def test_aac_is_aac_lc_delayed_by_its_priming_only():
    data = audio.encode(TONE, SR, "aac")
    assert data[:2] == b"\xff\xf1" and (data[2] >> 6) == 1  # ADTS, MPEG-4, profile 1 = AAC LC
    out, rate = audio.decode(data, "aac")
    ref, got = TONE[800:-800], out[1024 + 800 : 1024 + TONE.size - 800]  # away from the edges
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((got - ref) ** 2))
    assert rate == SR and snr > 25, snr
    with pytest.raises(InvalidInput) as e:
        audio.encode(np.zeros(0, np.float32), SR, "aac")
    assert e.value.code == "empty_audio"
    with pytest.raises(InvalidInput) as e:
        audio.decode(b"not aac at all" * 20, "aac")
    assert e.value.code == "invalid_audio"


def test_without_pyav_aac_is_not_a_format_and_the_refusal_says_how_to_get_it():
    """An installation without the optional PyAV (the default images): aac is refused before synthesis."""
    import subprocess
    import sys

    code = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "av" or name.startswith("av."):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Hide())
from sambert_lambda import audio
from sambert_lambda.request import check_field
assert "aac" not in audio.FORMATS, audio.FORMATS
for name in ("format", "response_format"):
    try:
        check_field("format", "AAC")
    except Exception as e:
        print(e.code, e.message)
        break
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("invalid_format ") and "AUDIO_EXTRAS=aac" in out.stdout and "opus" in out.stdout


def test_bad_inputs_are_clear_errors():
    with pytest.raises(InvalidInput) as e:
        audio.encode(TONE, SR, "aiff")
    assert e.value.code == "invalid_format"
    with pytest.raises(InvalidInput):
        audio.decode(b"not audio at all", "wav")
    with pytest.raises(InvalidInput):
        audio.decode(b"\x00\x01\x02", "pcm", sample_rate=SR)
    with pytest.raises(InvalidInput):
        audio.decode(b"\x00\x01", "pcm")


@pytest.mark.parametrize("rate", audio.SAMPLE_RATES)
def test_mp3_gapless_tag_makes_decoders_play_exactly_the_samples(rate):
    """The Info/LAME tag (encoder delay, padding) lets a gapless decoder (libsndfile's mpg123 here) drop LAME's
    delay and padding: the decoded file has exactly the samples, and an impulse stays where it was."""
    n = rate * 2
    impulse = np.zeros(n, dtype=np.float32)
    impulse[n // 4] = 0.7
    data = audio.encode(impulse, rate, "mp3", target_rate=rate)
    assert data[4 + 9:4 + 9 + 4] == b"Info" and b"LAME3.100" in data[:400]
    out, _ = audio.decode(data, "mp3")
    assert out.size == n and int(np.argmax(np.abs(out))) == n // 4
    untagged = audio.mp3_encoder(rate)
    raw = bytes(untagged.encode((impulse * 32767).astype(np.int16).tobytes()) + untagged.flush())
    plain, _ = audio.decode(raw, "mp3")  # without the tag: LAME's delay (576) + the decoder's (529) come first
    assert plain.size > n and int(np.argmax(np.abs(plain))) == n // 4 + audio.MP3_ENCODER_DELAY + 529


def test_mp3_tag_is_skipped_for_bytes_it_cannot_read():
    assert audio.with_gapless_tag(b"not mp3 at all", 100) == b"not mp3 at all"
    assert audio.with_gapless_tag(b"", 0) == b""


@pytest.mark.parametrize("dst", [8000, 22050, 24000])
def test_resample_agrees_with_scipy_polyphase_and_keeps_timing(dst):
    from scipy.signal import resample_poly  # a dev dependency: the reference, not the runtime path

    t = np.arange(SR, dtype=np.float64) / SR
    wave = (0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1800 * t)).astype(np.float32)
    got = audio.resample(wave, SR, dst)
    g = np.gcd(SR, dst)
    ref = resample_poly(wave, dst // g, SR // g)[: got.size]
    inner = slice(dst // 20, -dst // 20)  # away from the edges, where each filter starts differently
    err = got[inner] - ref[inner]
    snr_db = 10 * np.log10(np.sum(ref[inner] ** 2) / np.sum(err**2))
    assert snr_db > 40, snr_db  # ~60 dB: same signal, no delay between them (one sample of shift gives 4-13 dB)


@pytest.mark.parametrize("src,dst", [(16000, 24000), (16000, 22050), (16000, 8000), (24000, 16000), (16000, 16000)])
def test_streaming_resampler_equals_one_shot_whatever_the_cuts(src, dst):
    rng = np.random.default_rng(src + dst)
    for n in (1, 199, 6400, 45_677):
        x = (0.3 * np.sin(np.arange(n) * 0.05) + 0.05 * rng.standard_normal(n)).astype(np.float32)
        cuts = sorted({int(c) for c in rng.integers(1, n, size=5)}) if n > 1 else []
        r = Resampler(src, dst)
        pieces, prev = [], 0
        for c in [*cuts, n]:
            pieces.append(r.feed(x[prev:c]))
            prev = c
        pieces.append(r.close())
        whole = resample(x, src, dst)
        assert whole.size == round(n * dst / src)
        np.testing.assert_array_equal(np.concatenate(pieces), whole)


def test_streaming_resampler_holds_back_only_its_filter_delay():
    r = Resampler(16000, 24000)
    out = r.feed(np.ones(6400, np.float32))  # the first streamed piece of a sentence
    assert 0.9 * 9600 < out.size <= 9600  # most of it comes out at once; the delay is a few ms
