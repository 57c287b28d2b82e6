"""Audio encoding and decoding: float32 mono waveforms <-> wav/flac/ogg/mp3/raw PCM bytes.

wav (PCM 16-bit), flac and ogg (Vorbis) go through soundfile (libsndfile); mp3 through lameenc (LAME);
``pcm`` is headerless signed 16-bit little-endian mono. Resampling uses libsoxr (the ``soxr`` package, high quality).
No torch here: the batch path and the API import this module.
"""

from __future__ import annotations

import io

import numpy as np

from sambert_lambda.errors import InvalidInput

FORMATS: tuple[str, ...] = ("wav", "mp3", "ogg", "opus", "flac", "pcm")
SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000)
CONTENT_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg; codecs=opus",
    "flac": "audio/flac",
    "pcm": "audio/L16",
}
EXTENSIONS: dict[str, str] = {f: f for f in FORMATS}
MP3_BITRATE_KBPS = 64
_SF_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS")}
OPUS_RATES: tuple[int, ...] = (8000, 12000, 16000, 24000, 48000)  # the only rates an Opus stream can carry


def content_type(fmt: str, sample_rate: int | None = None) -> str:
    """The HTTP content type of a format; raw PCM carries its rate and channel count (RFC 2586)."""
    _check_format(fmt)
    if fmt == "pcm" and sample_rate:
        return f"audio/L16; rate={int(sample_rate)}; channels=1"
    return CONTENT_TYPES[fmt]


def resample(audio: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling with libsoxr (``HQ``, linear phase, delay compensated); the output has
    round(n * target / orig) samples."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if orig_rate == target_rate or audio.size == 0:
        return audio
    import soxr

    out = np.asarray(soxr.resample(audio, int(orig_rate), int(target_rate), quality="HQ"), dtype=np.float32)
    expected = round(audio.size * target_rate / orig_rate)
    return out[:expected] if out.size >= expected else np.pad(out, (0, expected - out.size))


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Clip to [-1, 1] (NaN -> 0) and scale to int16 without wrap-around."""
    a = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.round(np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2")


def encode(audio: np.ndarray, sample_rate: int, fmt: str = "wav", target_rate: int | None = None) -> bytes:
    """Encode a mono float waveform in [-1, 1] as ``fmt``, resampled to ``target_rate`` if given."""
    _check_format(fmt)
    rate = int(target_rate or sample_rate)
    if rate <= 0 or sample_rate <= 0:
        raise InvalidInput(f"invalid sample rate {rate}", code="invalid_sample_rate")
    if fmt == "opus" and rate not in OPUS_RATES:
        raise InvalidInput(f"opus cannot carry {rate} Hz; use 8000, 16000 or 24000", code="invalid_sample_rate")
    samples = to_int16(resample(audio, int(sample_rate), rate))
    if fmt == "pcm":
        return samples.tobytes()
    if fmt == "mp3":
        return _encode_mp3(samples, rate)
    if fmt in ("flac", "opus") and samples.size == 0:
        # libsndfile writes 0 bytes for an empty FLAC and an Ogg Opus file nothing can open: never store either
        raise InvalidInput(f"no audio samples to encode as {fmt} (use wav or pcm for empty audio)", code="empty_audio")
    import soundfile as sf

    container, subtype = _SF_FORMATS[fmt]
    buf = io.BytesIO()
    data = samples if fmt not in ("ogg", "opus") else samples.astype(np.float32) / 32767.0
    with sf.SoundFile(buf, "w", samplerate=rate, channels=1, format=container, subtype=subtype) as f:
        f.write(data)
    return buf.getvalue()


def mp3_encoder(rate: int):
    """A LAME encoder for mono s16le at ``rate`` (one configuration for files and streams)."""
    import lameenc

    enc = lameenc.Encoder()
    enc.set_bit_rate(MP3_BITRATE_KBPS)
    enc.set_in_sample_rate(rate)
    enc.set_channels(1)
    enc.set_quality(5)
    return enc


def _encode_mp3(samples: np.ndarray, rate: int) -> bytes:
    enc = mp3_encoder(rate)
    return bytes(enc.encode(samples.tobytes()) + enc.flush())


def decode(data: bytes, fmt: str, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode ``data`` to (float32 mono waveform, sample rate). Raw ``pcm`` needs ``sample_rate``."""
    _check_format(fmt)
    if fmt == "pcm":
        if not sample_rate:
            raise InvalidInput("decoding raw pcm needs its sample rate", code="invalid_sample_rate")
        if len(data) % 2:
            raise InvalidInput("raw pcm has an odd number of bytes", code="invalid_audio")
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, int(sample_rate)
    import soundfile as sf

    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise InvalidInput(f"cannot decode {fmt} audio: {e}", code="invalid_audio") from None
    return audio.mean(axis=1).astype(np.float32), int(rate)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown audio format {fmt!r}; use one of {', '.join(FORMATS)}", code="invalid_format")
