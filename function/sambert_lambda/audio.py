"""Audio encoding and decoding: float32 mono waveforms <-> wav/flac/ogg/mp3/aac/raw PCM bytes.

wav (PCM 16-bit), flac and ogg (Vorbis) go through soundfile (libsndfile); mp3 through lameenc (LAME); aac (AAC-LC
in ADTS frames) through FFmpeg's encoder in PyAV, an optional dependency (the ``aac`` extra; the ONNX image
includes it, the torch image only when built with ``AUDIO_EXTRAS=aac``): without it, aac is not among the formats. ``pcm`` is headerless
signed 16-bit little-endian mono. Resampling uses libsoxr (the ``soxr`` package, high quality).
No torch here: the batch path and the API import this module.
"""

from __future__ import annotations

import importlib.util
import io
import struct

import numpy as np

from sambert_lambda.errors import InvalidInput


def _installed(name: str) -> bool:
    """Whether a package can be imported, found without importing it (PyAV costs ~0.1 s to import)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


AAC_AVAILABLE = _installed("av")
FORMATS: tuple[str, ...] = ("wav", "mp3", "ogg", "opus", "flac", "pcm") + (("aac",) if AAC_AVAILABLE else ())
AAC_BITRATE = 48_000  # AAC-LC mono; speech at 16-24 kHz
AAC_UNAVAILABLE = ("aac needs PyAV (FFmpeg's AAC encoder), which this installation does not include: "
                   "pip install 'sambert-lambda[aac]', or build the image with --build-arg AUDIO_EXTRAS=aac "
                   "(about 106 MB more); opus is smaller at the same quality, mp3 plays everywhere")  # fmt: skip
SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000)
CONTENT_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg; codecs=opus",
    "flac": "audio/flac",
    "pcm": "audio/pcm",
    "aac": "audio/aac",
}
EXTENSIONS: dict[str, str] = {f: f for f in FORMATS}
MP3_BITRATE_KBPS = 64
_SF_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS")}
OPUS_RATES: tuple[int, ...] = (8000, 12000, 16000, 24000, 48000)  # the only rates an Opus stream can carry


def content_type(fmt: str, sample_rate: int | None = None) -> str:
    """The HTTP content type of a format. Raw PCM says its rate, channel count and sample encoding: 16-bit signed
    little-endian (OpenAI's pcm), ``audio/pcm; rate=24000; channels=1; encoding=s16le``. Not ``audio/L16``, which
    RFC 2586 defines as big-endian."""
    _check_format(fmt)
    if fmt == "pcm":
        rate = f"; rate={int(sample_rate)}" if sample_rate else ""
        return f"{CONTENT_TYPES['pcm']}{rate}; channels=1; encoding=s16le"
    return CONTENT_TYPES[fmt]


def resample(audio: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling with libsoxr (``HQ``, linear phase, delay compensated); the output has
    round(n * target / orig) samples. The same samples as :class:`Resampler` fed ``audio`` in any pieces."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if orig_rate == target_rate or audio.size == 0:
        return audio
    r = Resampler(orig_rate, target_rate)
    head = r.feed(audio)
    return np.concatenate([head, r.close()])


class Resampler:
    """:func:`resample` for audio that arrives in pieces (a streamed response): ``feed`` each piece, then ``close``.

    One libsoxr stream runs across all pieces, so the joined output equals :func:`resample` of the joined input
    sample for sample, whatever the cuts (libsoxr's one-shot call runs the same stream). Its filter delay holds back
    a few milliseconds of output until later input or ``close`` releases it.
    """

    def __init__(self, orig_rate: int, target_rate: int):
        self.orig_rate, self.target_rate = int(orig_rate), int(target_rate)
        self._stream = None
        if self.orig_rate != self.target_rate:
            import soxr

            self._stream = soxr.ResampleStream(self.orig_rate, self.target_rate, 1, dtype="float32", quality="HQ")
        self._in = self._out = 0

    def feed(self, audio: np.ndarray) -> np.ndarray:
        audio = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
        self._in += audio.size
        if self._stream is None:
            return audio
        out = np.asarray(self._stream.resample_chunk(audio, last=False), dtype=np.float32)
        return self._bounded(out)

    def close(self) -> np.ndarray:
        """The held-back tail, padded or cut so the whole output has round(n * target / orig) samples."""
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        tail = self._bounded(np.asarray(self._stream.resample_chunk(np.zeros(0, np.float32), last=True), np.float32))
        short = self._expected() - self._out
        return np.pad(tail, (0, short)) if short > 0 else tail

    def _expected(self) -> int:
        return round(self._in * self.target_rate / self.orig_rate)

    def _bounded(self, out: np.ndarray) -> np.ndarray:
        room = max(0, self._expected() - self._out)
        out = out[:room]
        self._out += out.size
        return out


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
    if fmt in ("flac", "opus", "aac") and samples.size == 0:
        # libsndfile writes 0 bytes for an empty FLAC and an Ogg Opus file nothing can open: never store either
        raise InvalidInput(f"no audio samples to encode as {fmt} (use wav or pcm for empty audio)", code="empty_audio")
    if fmt == "aac":
        return _encode_aac(samples, rate)
    import soundfile as sf

    container, subtype = _SF_FORMATS[fmt]
    buf = io.BytesIO()
    data = samples if fmt not in ("ogg", "opus") else samples.astype(np.float32) / 32767.0
    with sf.SoundFile(buf, "w", samplerate=rate, channels=1, format=container, subtype=subtype) as f:
        f.write(data)
    return buf.getvalue()


_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


class AacEncoder:
    """AAC-LC, mono, AAC_BITRATE, as ADTS frames (``audio/aac``: what a browser or ffmpeg plays as a file, and what
    can be sent as it is encoded): feed s16 samples, get the frames completed so far; ``close`` flushes the rest.

    FFmpeg's encoder (through PyAV) makes the raw frames; each gets its 7-byte ADTS header here. The encoder primes
    with 1024 samples and pads the last frame, and ADTS has no field to say so: decoders play up to about 2048
    samples (0.13 s at 16 kHz) beyond the audio, 1024 of them before it."""

    def __init__(self, rate: int):
        import av

        if rate not in _ADTS_RATES:
            raise InvalidInput(f"aac cannot carry {rate} Hz", code="invalid_sample_rate")
        self._av = av
        self.rate = int(rate)
        self._codec = av.CodecContext.create("aac", "w")
        self._codec.sample_rate, self._codec.layout, self._codec.format = self.rate, "mono", "fltp"
        self._codec.bit_rate = AAC_BITRATE
        self._codec.open()
        self._header = (0xFFF1 << 40) | (1 << 38) | (_ADTS_RATES.index(self.rate) << 34) | (1 << 30) | (0x7FF << 2)

    def _frames(self, packets) -> bytes:
        out = bytearray()
        for packet in packets:
            raw = bytes(packet)
            out += (self._header | ((len(raw) + 7) << 13)).to_bytes(7, "big") + raw
        return bytes(out)

    def feed(self, samples: np.ndarray) -> bytes:
        samples = np.ascontiguousarray(samples, dtype="<i2").reshape(1, -1)
        if not samples.size:
            return b""
        frame = self._av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = self.rate
        return self._frames(self._codec.encode(frame))

    def close(self) -> bytes:
        return self._frames(self._codec.encode(None))


def _encode_aac(samples: np.ndarray, rate: int) -> bytes:
    enc = AacEncoder(rate)
    return enc.feed(samples) + enc.close()


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
    return with_gapless_tag(bytes(enc.encode(samples.tobytes()) + enc.flush()), len(samples))


# LAME's encoder delay in samples (the decoder adds its own 529); the tag below tells decoders to drop it
MP3_ENCODER_DELAY = 576
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits
_MP3_KBPS_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_KBPS_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


def _mp3_frame(word: int) -> tuple[int, int, int, int]:
    """(frame bytes, samples per frame, mono side-info bytes, kbit/s) of a layer III frame header."""
    version, kbps_index, rate_index = (word >> 19) & 3, (word >> 12) & 15, (word >> 10) & 3
    if word >> 21 != 0x7FF or version == 1 or rate_index == 3 or kbps_index in (0, 15):
        raise ValueError("not an MPEG audio frame")
    rate = _MP3_RATES[version][rate_index]
    kbps = (_MP3_KBPS_V1 if version == 3 else _MP3_KBPS_V2)[kbps_index]
    per_kbit, spf, side = (144, 1152, 17) if version == 3 else (72, 576, 9)
    return per_kbit * kbps * 1000 // rate + ((word >> 9) & 1), spf, side, kbps


def _crc16_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC16 = _crc16_table()


def _crc16(data: bytes) -> int:
    """CRC-16 (polynomial 0x8005, reflected, initial 0), as the LAME tag uses (about 0.1-0.2 s per MB of audio)."""
    crc, table = 0, _CRC16
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def with_gapless_tag(mp3: bytes, samples: int) -> bytes:
    """``mp3`` (LAME's CBR mono frames) behind an Info frame with a LAME tag: frame count, byte count, seek table,
    encoder delay and end padding, so gapless decoders (mpg123, hence libsndfile; ffmpeg; browsers) play exactly
    ``samples`` samples. Returned unchanged if the frames cannot be read."""
    try:
        first = int.from_bytes(mp3[:4], "big")
        frames, at = 0, 0
        while at + 4 <= len(mp3):
            size = _mp3_frame(int.from_bytes(mp3[at:at + 4], "big"))[0]
            at, frames = at + size, frames + 1
        word = (first & ~(1 << 9)) | (1 << 16)  # the first frame's rate and bitrate, no padding, no CRC
        size, spf, side, kbps = _mp3_frame(word)
    except ValueError:
        return mp3
    padding = frames * spf - MP3_ENCODER_DELAY - samples
    xing = 4 + side
    lame = xing + 120
    if at != len(mp3) or frames == 0 or not 0 <= padding < 4096 or lame + 36 > size:
        return mp3
    tag = bytearray(size)
    tag[0:4] = word.to_bytes(4, "big")
    tag[xing:xing + 4] = b"Info"  # the CBR spelling of the Xing header
    tag[xing + 4:xing + 16] = struct.pack(">III", 0x0F, frames, size + len(mp3))  # frames, bytes, TOC, quality
    tag[xing + 16:xing + 116] = bytes(i * 256 // 100 for i in range(100))  # CBR: a linear seek table
    tag[xing + 116:xing + 120] = struct.pack(">I", 50)
    tag[lame:lame + 9] = b"LAME3.100"
    tag[lame + 9] = 0x01  # tag revision 0, CBR
    tag[lame + 20] = min(kbps, 255)
    tag[lame + 21:lame + 24] = ((MP3_ENCODER_DELAY << 12) | padding).to_bytes(3, "big")
    tag[lame + 28:lame + 34] = struct.pack(">IH", size + len(mp3), _crc16(mp3))
    tag[lame + 34:lame + 36] = struct.pack(">H", _crc16(bytes(tag[:lame + 34])))
    return bytes(tag) + mp3



def decode(data: bytes, fmt: str, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode ``data`` to (float32 mono waveform, sample rate). Raw ``pcm`` needs ``sample_rate``."""
    _check_format(fmt)
    if fmt == "pcm":
        if not sample_rate:
            raise InvalidInput("decoding raw pcm needs its sample rate", code="invalid_sample_rate")
        if len(data) % 2:
            raise InvalidInput("raw pcm has an odd number of bytes", code="invalid_audio")
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, int(sample_rate)
    if fmt == "aac":
        return _decode_aac(data)
    import soundfile as sf

    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise InvalidInput(f"cannot decode {fmt} audio: {e}", code="invalid_audio") from None
    return audio.mean(axis=1).astype(np.float32), int(rate)


def _decode_aac(data: bytes) -> tuple[np.ndarray, int]:
    import av

    try:
        with av.open(io.BytesIO(data), format="aac") as c:
            frames = [f for f in c.decode(audio=0)]
    except (av.FFmpegError, ValueError) as e:
        raise InvalidInput(f"cannot decode aac audio: {e}", code="invalid_audio") from None
    if not frames:
        raise InvalidInput("cannot decode aac audio: no frames", code="invalid_audio")
    audio = np.concatenate([f.to_ndarray().reshape(f.layout.nb_channels, -1).mean(axis=0) for f in frames])
    return audio.astype(np.float32), int(frames[0].sample_rate)


def _check_format(fmt: str) -> None:
    if fmt == "aac" and not AAC_AVAILABLE:
        raise InvalidInput(AAC_UNAVAILABLE, code="invalid_format")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown audio format {fmt!r}; use one of {', '.join(FORMATS)}", code="invalid_format")
